package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/auth"
)

// TokenLifetime is how long a workload access token is valid.
const TokenLifetime = time.Hour

const tokenPrefix = "agentcore-local-wat.v1."

// claims is what a workload access token says: the workload, the user it acts for (a user id,
// or the subject and issuer of the JWT it was exchanged for), and its validity.
type claims struct {
	Workload string `json:"wid"`
	UserID   string `json:"uid,omitempty"`
	Subject  string `json:"sub,omitempty"`
	Issuer   string `json:"iss,omitempty"`
	Issued   int64  `json:"iat"`
	Expires  int64  `json:"exp"`
}

func (s *Service) mac(payload string) string {
	m := hmac.New(sha256.New, s.cfg.TokenKey)
	m.Write([]byte(tokenPrefix + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) sign(c claims) string {
	now := s.cfg.Now()
	c.Issued, c.Expires = now.Unix(), now.Add(TokenLifetime).Unix()
	b, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(b)
	return tokenPrefix + p + "." + s.mac(p)
}

// verify checks a workload access token: signed by this endpoint, not expired, for a
// workload identity that still exists.
func (s *Service) verify(tok string) (*claims, error) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	p, mac, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || !hmac.Equal([]byte(mac), []byte(s.mac(p))) {
		return nil, unauthorized("The workload access token is invalid: it is not one this local endpoint issued (a reset of the endpoint voids them all); get one with GetWorkloadAccessToken")
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	var c claims
	if err != nil || json.Unmarshal(b, &c) != nil {
		return nil, unauthorized("The workload access token is invalid")
	}
	if s.cfg.Now().Unix() >= c.Expires {
		return nil, unauthorized("The workload access token has expired (tokens last %s): get a new one with GetWorkloadAccessToken", TokenLifetime)
	}
	if _, err := s.loadWorkload(c.Workload); err != nil {
		return nil, unauthorized("The workload access token names workload identity %s, which no longer exists", c.Workload)
	}
	return &c, nil
}

// callerMay checks that an agent's sandbox credentials act for the agent's own workload
// identity (its runtime's): the owner's credentials may act for any.
func (s *Service) callerMay(r *http.Request, workload string) error {
	id := auth.FromContext(r.Context())
	if id == nil || id.Agent == "" {
		return nil
	}
	rec, err := s.loadWorkload(workload)
	if err != nil {
		return err
	}
	if rec.Runtime != id.Agent {
		return accessDenied("agent runtime %s is not authorized to act for workload identity %s: its sandbox credentials act for its own runtime's workload identity only", id.Agent, workload)
	}
	return nil
}

type workloadTokenInput struct {
	WorkloadName *string `json:"workloadName"`
	UserToken    *string `json:"userToken"`
	UserID       *string `json:"userId"`
}

var (
	tokenWorkloadName = newField("workloadName", 3, 255, `[A-Za-z0-9_.-]+`)
	userIDField       = newField("userId", 1, 128, "")
	userTokenField    = newField("userToken", 1, 131072, `[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+`)
)

// workloadToken checks the workload named and the caller's right to act for it.
func (s *Service) workloadToken(r *http.Request, in *workloadTokenInput, c claims) (int, any, error) {
	if err := tokenWorkloadName.check(in.WorkloadName); err != nil {
		return 0, nil, err
	}
	if _, err := s.loadWorkload(*in.WorkloadName); err != nil {
		return 0, nil, err
	}
	if err := s.callerMay(r, *in.WorkloadName); err != nil {
		return 0, nil, err
	}
	c.Workload = *in.WorkloadName
	return http.StatusOK, map[string]any{"workloadAccessToken": s.sign(c)}, nil
}

func (s *Service) getWorkloadAccessToken(r *http.Request, in *workloadTokenInput) (int, any, error) {
	return s.workloadToken(r, in, claims{})
}

func (s *Service) getWorkloadAccessTokenForUserID(r *http.Request, in *workloadTokenInput) (int, any, error) {
	if err := userIDField.check(in.UserID); err != nil {
		return 0, nil, err
	}
	return s.workloadToken(r, in, claims{UserID: *in.UserID})
}

// getWorkloadAccessTokenForJWT reads the user's JWT for its subject and issuer and checks its
// expiry. Its signature is not verified: the local endpoint has no way to reach the issuer's
// keys offline (docs/local-identity.md).
func (s *Service) getWorkloadAccessTokenForJWT(r *http.Request, in *workloadTokenInput) (int, any, error) {
	if in.UserToken == nil {
		return 0, nil, fieldInvalid("userToken", "null", "Member must not be null")
	}
	if err := userTokenField.checkValue(*in.UserToken); err != nil {
		return 0, nil, fieldInvalid("userToken", "***", "Member must satisfy regular expression pattern: [A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+")
	}
	parts := strings.Split(*in.UserToken, ".")
	var jwt struct {
		Sub string `json:"sub"`
		Iss string `json:"iss"`
		Exp *int64 `json:"exp"`
	}
	if len(parts) != 3 {
		return 0, nil, validation("userToken is not a JWT (three base64url parts separated by dots)")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil || json.Unmarshal(b, &jwt) != nil || jwt.Sub == "" {
		return 0, nil, validation("userToken is not a JWT with a sub claim")
	}
	if jwt.Exp != nil && s.cfg.Now().Unix() >= *jwt.Exp {
		return 0, nil, unauthorized("userToken has expired")
	}
	return s.workloadToken(r, in, claims{Subject: jwt.Sub, Issuer: jwt.Iss})
}

type resourceInput struct {
	WorkloadIdentityToken *string           `json:"workloadIdentityToken"`
	ProviderName          *string           `json:"resourceCredentialProviderName"`
	Scopes                []string          `json:"scopes"`
	Flow                  *string           `json:"oauth2Flow"`
	SessionURI            *string           `json:"sessionUri"`
	ReturnURL             *string           `json:"resourceOauth2ReturnUrl"`
	ForceAuthentication   *bool             `json:"forceAuthentication"`
	CustomParameters      map[string]string `json:"customParameters"`
	CustomState           *string           `json:"customState"`
	Resources             []string          `json:"resources"`
	Audiences             []string          `json:"audiences"`
}

var resourceProviderName = newField("resourceCredentialProviderName", 1, 128, `[a-zA-Z0-9\-_]+`)

// token checks the workload access token and the provider name of a resource request.
func (s *Service) token(r *http.Request, in *resourceInput) (*claims, error) {
	if in.WorkloadIdentityToken == nil {
		return nil, fieldInvalid("workloadIdentityToken", "null", "Member must not be null")
	}
	if err := resourceProviderName.check(in.ProviderName); err != nil {
		return nil, err
	}
	c, err := s.verify(*in.WorkloadIdentityToken)
	if err != nil {
		return nil, err
	}
	if err := s.callerMay(r, c.Workload); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) getResourceAPIKey(r *http.Request, in *resourceInput) (int, any, error) {
	if _, err := s.token(r, in); err != nil {
		return 0, nil, err
	}
	rec, err := s.loadAPIKey(*in.ProviderName)
	if err != nil {
		return 0, nil, err
	}
	key, err := s.cfg.Secrets.ManagedValue(rec.SecretArn)
	if err != nil {
		return 0, nil, notFound("The API key of credential provider %s is gone from Secrets Manager (%s): set it again with UpdateApiKeyCredentialProvider", rec.Name, rec.SecretArn)
	}
	return http.StatusOK, map[string]any{"apiKey": key}, nil
}

var scopeField = newField("scopes", 1, 128, "")

func (s *Service) getResourceOAuth2Token(r *http.Request, in *resourceInput) (int, any, error) {
	if _, err := s.token(r, in); err != nil {
		return 0, nil, err
	}
	if in.Scopes == nil {
		return 0, nil, fieldInvalid("scopes", "null", "Member must not be null")
	}
	for _, sc := range in.Scopes {
		if err := scopeField.checkValue(sc); err != nil {
			return 0, nil, err
		}
	}
	if in.Flow == nil {
		return 0, nil, fieldInvalid("oauth2Flow", "null", "Member must not be null")
	}
	switch *in.Flow {
	case "M2M":
	case "USER_FEDERATION":
		return 0, nil, validation("oauth2Flow USER_FEDERATION (user consent) is not served by the local endpoint: it needs a browser redirected to AgentCore's callback URL, which a local endpoint authenticated by SigV4 cannot host; use M2M (client credentials) locally, or test user consent against AWS (docs/local-identity.md)")
	case "ON_BEHALF_OF_TOKEN_EXCHANGE":
		return 0, nil, validation("oauth2Flow ON_BEHALF_OF_TOKEN_EXCHANGE is not served by the local endpoint; use M2M (docs/local-identity.md)")
	default:
		return 0, nil, fieldInvalid("oauth2Flow", *in.Flow, "Member must satisfy enum value set: [USER_FEDERATION, M2M, ON_BEHALF_OF_TOKEN_EXCHANGE]")
	}
	rec, err := s.loadOAuth2(*in.ProviderName)
	if err != nil {
		return 0, nil, err
	}
	tok, err := s.clientCredentials(r.Context(), rec, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"accessToken": tok}, nil
}

// clientCredentials runs the OAuth2 client-credentials grant (RFC 6749 §4.4) against the
// provider's token endpoint.
func (s *Service) clientCredentials(ctx context.Context, rec *oauth2Rec, in *resourceInput) (string, error) {
	endpoint, methods, err := s.tokenEndpoint(ctx, rec)
	if err != nil {
		return "", err
	}
	secret := ""
	if rec.SecretArn != "" {
		if secret, err = s.cfg.Secrets.ManagedValue(rec.SecretArn); err != nil {
			return "", notFound("The client secret of credential provider %s is gone from Secrets Manager (%s): set it again with UpdateOauth2CredentialProvider", rec.Name, rec.SecretArn)
		}
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(in.Scopes) > 0 {
		form.Set("scope", strings.Join(in.Scopes, " "))
	}
	for _, res := range in.Resources {
		form.Add("resource", res)
	}
	for _, a := range in.Audiences {
		form.Add("audience", a)
	}
	for k, v := range in.CustomParameters {
		form.Set(k, v)
	}
	basic := rec.AuthMethod != "CLIENT_SECRET_POST"
	if rec.AuthMethod == "" && len(methods) > 0 && methods[0] == "client_secret_post" {
		basic = false
	}
	if !basic {
		form.Set("client_id", rec.ClientID)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", validation("the token endpoint of credential provider %s, %q, is not a URL: %v", rec.Name, endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		req.SetBasicAuth(url.QueryEscape(rec.ClientID), url.QueryEscape(secret))
	}
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return "", awsproto500("reaching the token endpoint %s of credential provider %s: %v", endpoint, rec.Name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		v, _ := url.ParseQuery(string(body))
		out.AccessToken, out.Error, out.Description = v.Get("access_token"), v.Get("error"), v.Get("error_description")
	} else {
		json.Unmarshal(body, &out)
	}
	if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		msg := out.Error
		if out.Description != "" {
			msg += ": " + out.Description
		}
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d with no access_token", resp.StatusCode)
		}
		return "", accessDenied("the token endpoint %s of credential provider %s refused the client credentials: %s", endpoint, rec.Name, msg)
	}
	return out.AccessToken, nil
}

// tokenEndpoint is the provider's token endpoint: from its metadata, or from its discovery
// document, fetched at each use.
func (s *Service) tokenEndpoint(ctx context.Context, rec *oauth2Rec) (string, []string, error) {
	if m := rec.Discovery.Metadata; m != nil {
		if m.TokenEndpoint == "" {
			return "", nil, validation("credential provider %s has no token endpoint (includedOauth2ProviderConfig.tokenEndpoint)", rec.Name)
		}
		return m.TokenEndpoint, m.TokenEndpointAuthMethods, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rec.Discovery.DiscoveryURL, nil)
	if err != nil {
		return "", nil, validation("the discovery URL of credential provider %s is not a URL: %v", rec.Name, err)
	}
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return "", nil, awsproto500("reading the discovery document %s of credential provider %s: %v", rec.Discovery.DiscoveryURL, rec.Name, err)
	}
	defer resp.Body.Close()
	var doc struct {
		TokenEndpoint string   `json:"token_endpoint"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK || doc.TokenEndpoint == "" {
		return "", nil, awsproto500("the discovery document %s of credential provider %s has no token_endpoint (HTTP %d)", rec.Discovery.DiscoveryURL, rec.Name, resp.StatusCode)
	}
	return doc.TokenEndpoint, doc.AuthMethods, nil
}

type completeInput struct {
	UserIdentifier *struct {
		UserToken *string `json:"userToken"`
		UserID    *string `json:"userId"`
	} `json:"userIdentifier"`
	SessionURI *string `json:"sessionUri"`
}

var sessionURIPattern = lazyregexp.New(`^urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]+$`)

// completeResourceTokenAuth ends a user-consent session. The local endpoint starts none
// (USER_FEDERATION is refused), so every session is unknown.
func (s *Service) completeResourceTokenAuth(_ *http.Request, in *completeInput) (int, any, error) {
	if in.UserIdentifier == nil {
		return 0, nil, fieldInvalid("userIdentifier", "null", "Member must not be null")
	}
	if in.SessionURI == nil {
		return 0, nil, fieldInvalid("sessionUri", "null", "Member must not be null")
	}
	if len(*in.SessionURI) > 1024 || !sessionURIPattern.MatchString(*in.SessionURI) {
		return 0, nil, fieldInvalid("sessionUri", truncate(*in.SessionURI), "Member must satisfy regular expression pattern: urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]+")
	}
	return 0, nil, notFound("Session %s not found: the local endpoint runs no user-consent (USER_FEDERATION) sessions (docs/local-identity.md)", *in.SessionURI)
}

func awsproto500(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: fmt.Sprintf(format, args...)}
}
