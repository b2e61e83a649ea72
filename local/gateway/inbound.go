package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentcore/agentcore/local/auth"
)

// inbound checks a request to g's MCP URL by g's authorizerType; false means it answered the
// refusal (401 for missing or bad credentials, 403 for a caller not allowed).
func (s *Service) inbound(w http.ResponseWriter, r *http.Request, g *gatewayRec) bool {
	switch g.AuthorizerType {
	case authNone:
		return true
	case authIAM:
		v := auth.Verifier{Creds: s.cfg.Creds, Now: s.cfg.Now, MaxBody: 4 << 20}
		id, f := v.Verify(r)
		if f != nil {
			httpError(w, http.StatusUnauthorized, "AWS4-HMAC-SHA256", fmt.Sprintf("gateway %s wants requests signed with SigV4 (service bedrock-agentcore) with the local endpoint's keys (`agentcore local env`): %s", g.ID, f.Msg))
			return false
		}
		if id.Service != "bedrock-agentcore" {
			httpError(w, http.StatusForbidden, "", fmt.Sprintf("gateway %s: the request is signed for service %s; sign it for bedrock-agentcore", g.ID, id.Service))
			return false
		}
		if id.Agent != "" && s.cfg.AgentLive != nil && !s.cfg.AgentLive(id.Agent) {
			httpError(w, http.StatusUnauthorized, "AWS4-HMAC-SHA256", fmt.Sprintf("these are the sandbox credentials of agent runtime %s, which no longer exists", id.Agent))
			return false
		}
		if id.Agent != "" && s.cfg.AgentEnv != nil && !slices.ContainsFunc(s.cfg.AgentEnv(id.Agent), func(v string) bool { return strings.Contains(v, g.ID) }) {
			httpError(w, http.StatusForbidden, "", fmt.Sprintf("agent runtime %s is not authorized to perform bedrock-agentcore:InvokeGateway on gateway %s: its sandbox credentials invoke only the gateways its environment variables name (by id or URL), as its role would be granted on AWS", id.Agent, g.ID))
			return false
		}
		return true
	case authJWT:
		j := g.AuthorizerConfiguration.CustomJWT
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		challenge := `Bearer resource_metadata="` + s.gatewayURL(g.ID) + `"`
		if !ok || strings.TrimSpace(tok) == "" {
			httpError(w, http.StatusUnauthorized, challenge, fmt.Sprintf("gateway %s wants a bearer token (Authorization: Bearer ...) from the issuer of %s", g.ID, *j.DiscoveryURL))
			return false
		}
		if status, err := s.checkJWT(r.Context(), j, strings.TrimSpace(tok)); err != nil {
			if status == http.StatusUnauthorized {
				httpError(w, status, challenge+`, error="invalid_token"`, fmt.Sprintf("gateway %s: %v", g.ID, err))
			} else {
				httpError(w, status, "", fmt.Sprintf("gateway %s: %v", g.ID, err))
			}
			return false
		}
		return true
	}
	httpError(w, http.StatusForbidden, "", fmt.Sprintf("gateway %s: authorizerType %s is not served locally", g.ID, g.AuthorizerType))
	return false
}

// checkJWT checks a token as AgentCore's CUSTOM_JWT authorizer does: signed by a key of the
// issuer's JWKS (from the discovery document), not expired, issued by that issuer, and its
// client (client_id, or azp), audience, scopes and custom claims among the allowed ones.
// The status is 401 for a token that is not valid, 403 for a valid one not allowed.
func (s *Service) checkJWT(ctx context.Context, j *jwtConfig, tok string) (int, error) {
	meta, err := s.jwks.get(ctx, *j.DiscoveryURL)
	if err != nil {
		return http.StatusUnauthorized, err
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return meta.key(kid)
	}, jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "PS256"}), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.cfg.Now), jwt.WithLeeway(30*time.Second))
	if err != nil || !parsed.Valid {
		return http.StatusUnauthorized, fmt.Errorf("the bearer token is not valid: %v", err)
	}
	if meta.Issuer != "" {
		if iss, _ := claims["iss"].(string); iss != meta.Issuer {
			return http.StatusUnauthorized, fmt.Errorf("the bearer token was issued by %q, not %q (the discovery URL's issuer)", iss, meta.Issuer)
		}
	}
	if len(j.AllowedClients) > 0 {
		client, _ := claims["client_id"].(string)
		if client == "" {
			client, _ = claims["azp"].(string)
		}
		if !slices.Contains(j.AllowedClients, client) {
			return http.StatusForbidden, fmt.Errorf("client %q is not among the gateway's allowedClients", client)
		}
	}
	if len(j.AllowedAudience) > 0 {
		aud, _ := claims.GetAudience()
		if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(j.AllowedAudience, a) }) {
			return http.StatusForbidden, fmt.Errorf("audience %v is not among the gateway's allowedAudience", []string(aud))
		}
	}
	if len(j.AllowedScopes) > 0 {
		scope, _ := claims["scope"].(string)
		if !slices.ContainsFunc(strings.Fields(scope), func(sc string) bool { return slices.Contains(j.AllowedScopes, sc) }) {
			return http.StatusForbidden, fmt.Errorf("scopes %q include none of the gateway's allowedScopes", scope)
		}
	}
	for _, rule := range j.CustomClaims {
		if !rule.matches(claims) {
			return http.StatusForbidden, fmt.Errorf("claim %s does not match the gateway's customClaims", *rule.Name)
		}
	}
	return 0, nil
}

// matches applies one CustomClaimValidationType to the token's claims.
func (r *claimRule) matches(claims jwt.MapClaims) bool {
	var have []string
	switch v := claims[*r.Name].(type) {
	case string:
		have = []string{v}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				have = append(have, s)
			}
		}
	default:
		return false
	}
	want := r.Match.Value.List
	if r.Match.Value.String != nil {
		want = append(want, *r.Match.Value.String)
	}
	switch *r.Match.Operator {
	case "EQUALS":
		return len(have) == 1 && len(want) == 1 && have[0] == want[0]
	case "CONTAINS":
		return len(want) == 1 && slices.Contains(have, want[0])
	case "CONTAINS_ANY":
		return slices.ContainsFunc(have, func(h string) bool { return slices.Contains(want, h) })
	}
	return false
}

// ---- JWKS ----

// jwksCache keeps each discovery URL's issuer and keys for a few minutes.
type jwksCache struct {
	http *http.Client
	mu   sync.Mutex
	docs map[string]*jwksDoc
}

type jwksDoc struct {
	Issuer string
	keys   map[string]crypto.PublicKey
	at     time.Time
}

const jwksLife = 5 * time.Minute

func newJWKSCache(c *http.Client) *jwksCache {
	return &jwksCache{http: c, docs: map[string]*jwksDoc{}}
}

func (d *jwksDoc) key(kid string) (crypto.PublicKey, error) {
	if k, ok := d.keys[kid]; ok {
		return k, nil
	}
	if kid == "" && len(d.keys) == 1 {
		for _, k := range d.keys {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no key %q in the issuer's JWKS", kid)
}

func (c *jwksCache) get(ctx context.Context, discoveryURL string) (*jwksDoc, error) {
	c.mu.Lock()
	d := c.docs[discoveryURL]
	c.mu.Unlock()
	if d != nil && time.Since(d.at) < jwksLife {
		return d, nil
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getJSON(ctx, discoveryURL, &meta); err != nil {
		return nil, fmt.Errorf("reading the discovery document %s: %w", discoveryURL, err)
	}
	if meta.JWKSURI == "" {
		return nil, fmt.Errorf("the discovery document %s has no jwks_uri", discoveryURL)
	}
	var set struct {
		Keys []struct {
			Kty, Kid, Use, N, E, Crv, X, Y string
		} `json:"keys"`
	}
	if err := c.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("reading the JWKS %s: %w", meta.JWKSURI, err)
	}
	d = &jwksDoc{Issuer: meta.Issuer, keys: map[string]crypto.PublicKey{}, at: time.Now()}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Kty {
		case "RSA":
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) > 8 {
				continue
			}
			d.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		case "EC":
			curve := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[k.Crv]
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			if curve == nil || err1 != nil || err2 != nil {
				continue
			}
			size := (curve.Params().BitSize + 7) / 8
			if len(x) > size || len(y) > size {
				continue
			}
			point := make([]byte, 1+2*size)
			point[0] = 4 // uncompressed
			copy(point[1+size-len(x):], x)
			copy(point[1+2*size-len(y):], y)
			if pub, err := ecdsa.ParseUncompressedPublicKey(curve, point); err == nil {
				d.keys[k.Kid] = pub
			}
		}
	}
	if len(d.keys) == 0 {
		return nil, fmt.Errorf("the JWKS %s has no RSA or EC signing keys", meta.JWKSURI)
	}
	c.mu.Lock()
	c.docs[discoveryURL] = d
	c.mu.Unlock()
	return d, nil
}

func (c *jwksCache) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return errors.New("not JSON: " + err.Error())
	}
	return nil
}
