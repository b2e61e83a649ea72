package auth

import (
	"crypto/hmac"
	"encoding/base32"
	"encoding/base64"
	"strings"
)

// Agent credentials: each agent runtime's sandboxes get a key pair of their own, derived from
// the endpoint's secret and the runtime's id, so nothing is stored and a reset (new endpoint
// credentials) voids them all. The pair comes with a session token naming the runtime, as a
// role session's does (AWS_SESSION_TOKEN; clients sign it as X-Amz-Security-Token): the
// verifier reads the runtime from it, checks its MAC, derives the pair and checks the
// signature with that secret. A request so signed carries Identity.Agent, and the endpoint
// lets it reach the data planes only (local/server.go).

// AgentKeyPrefix starts every agent's access key id: AWS's prefix of temporary credentials
// (ASIA) followed by LOCAL.
const AgentKeyPrefix = "ASIALOCAL"

const agentTokenPrefix = "agentcore-local-agent.v1."

// AgentCredentials is the key pair and session token of one agent runtime's sandboxes.
type AgentCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

func (c Credentials) agentMAC(purpose, runtimeID string) []byte {
	key := hmacSHA256([]byte("AWS4"+c.SecretAccessKey), []byte("agentcore-local-agent-credentials"))
	return hmacSHA256(key, []byte(purpose+"\x00"+runtimeID))
}

// Agent returns the credentials of the agent runtime runtimeID.
func (c Credentials) Agent(runtimeID string) AgentCredentials {
	id := base32.StdEncoding.EncodeToString(c.agentMAC("key-id", runtimeID))
	return AgentCredentials{
		AccessKeyID:     AgentKeyPrefix + id[:11],
		SecretAccessKey: base64.RawURLEncoding.EncodeToString(c.agentMAC("secret", runtimeID))[:40],
		SessionToken: agentTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(runtimeID)) + "." +
			base64.RawURLEncoding.EncodeToString(c.agentMAC("token", runtimeID)),
	}
}

// agentSecret returns the runtime and secret of an agent's access key id and session token;
// ok is false when they are not a pair Agent made.
func (c Credentials) agentSecret(keyID, token string) (runtimeID, secret string, ok bool) {
	rest, found := strings.CutPrefix(token, agentTokenPrefix)
	if !found || !strings.HasPrefix(keyID, AgentKeyPrefix) {
		return "", "", false
	}
	name, mac, found := strings.Cut(rest, ".")
	if !found {
		return "", "", false
	}
	rid, err := base64.RawURLEncoding.DecodeString(name)
	if err != nil || len(rid) == 0 {
		return "", "", false
	}
	want := base64.RawURLEncoding.EncodeToString(c.agentMAC("token", string(rid)))
	if !hmac.Equal([]byte(mac), []byte(want)) {
		return "", "", false
	}
	a := c.Agent(string(rid))
	if !hmac.Equal([]byte(a.AccessKeyID), []byte(keyID)) {
		return "", "", false
	}
	return string(rid), a.SecretAccessKey, true
}
