package auth

import (
	"crypto/hmac"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Registry tokens: what ECR's GetAuthorizationToken hands out and docker login sends back
// as the Basic password of user AWS. A token is "v1.EXPIRY.MAC", the MAC an HMAC-SHA256 of
// the expiry under a key derived from the secret, so the registry checks it without keeping
// any state, and a new secret voids every token.

// TokenLifetime is how long a registry token is valid, as on ECR.
const TokenLifetime = 12 * time.Hour

// RegistryUser is the user name that goes with a registry token.
const RegistryUser = "AWS"

func (c Credentials) tokenMAC(expiry string) string {
	key := hmacSHA256([]byte("AWS4"+c.SecretAccessKey), []byte("agentcore-local-registry-token"))
	return base64.RawURLEncoding.EncodeToString(hmacSHA256(key, []byte("v1."+expiry)))
}

// RegistryToken mints a password for the registry valid until now+TokenLifetime.
func (c Credentials) RegistryToken(now time.Time) (password string, expires time.Time) {
	expires = now.Add(TokenLifetime).Truncate(time.Second)
	exp := strconv.FormatInt(expires.Unix(), 10)
	return "v1." + exp + "." + c.tokenMAC(exp), expires
}

// AuthorizationToken is ECR's authorizationToken: base64("AWS:" + password).
func (c Credentials) AuthorizationToken(now time.Time) (token string, expires time.Time) {
	pw, exp := c.RegistryToken(now)
	return base64.StdEncoding.EncodeToString([]byte(RegistryUser + ":" + pw)), exp
}

// TokenStatus is the verdict on a registry password.
type TokenStatus int

const (
	TokenValid TokenStatus = iota
	TokenInvalid
	TokenExpired
)

// CheckRegistryToken checks a password presented to the registry.
func (c Credentials) CheckRegistryToken(password string, now time.Time) TokenStatus {
	parts := strings.Split(password, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return TokenInvalid
	}
	if !hmac.Equal([]byte(parts[2]), []byte(c.tokenMAC(parts[1]))) {
		return TokenInvalid
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return TokenInvalid
	}
	if now.After(time.Unix(exp, 0)) {
		return TokenExpired
	}
	return TokenValid
}
