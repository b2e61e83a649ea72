package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestCheckJWT: an EC-signed token against each of CUSTOM_JWT's conditions.
func TestCheckJWT(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point, _ := key.PublicKey.Bytes() // 0x04 || X || Y
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
		case "/jwks":
			json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "e1",
				"x": base64.RawURLEncoding.EncodeToString(point[1:33]), "y": base64.RawURLEncoding.EncodeToString(point[33:])}}})
		}
	}))
	defer idp.Close()
	sign := func(claims jwt.MapClaims) string {
		if _, ok := claims["exp"]; !ok {
			claims["exp"] = time.Now().Add(time.Hour).Unix()
		}
		if _, ok := claims["iss"]; !ok {
			claims["iss"] = idp.URL
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"] = "e1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	str := func(s string) *string { return &s }
	discovery := str(idp.URL + "/.well-known/openid-configuration")
	rule := claimRule{Name: str("groups"), ValueType: str("STRING_ARRAY"),
		Match: &claimMatch{Operator: str("CONTAINS_ANY"), Value: &claimValue{List: []string{"ops", "admins"}}}}
	conf := &jwtConfig{DiscoveryURL: discovery, AllowedAudience: []string{"gw"}, AllowedScopes: []string{"tools:call"}, CustomClaims: []claimRule{rule}}
	s := &Service{cfg: Config{}, jwks: newJWKSCache(http.DefaultClient)}
	s.cfg.Now = time.Now
	good := jwt.MapClaims{"aud": "gw", "scope": "openid tools:call", "groups": []any{"devs", "ops"}}
	for name, tc := range map[string]struct {
		claims jwt.MapClaims
		status int
		want   string
	}{
		"good":          {good, 0, ""},
		"other issuer":  {jwt.MapClaims{"iss": "https://evil", "aud": "gw", "scope": "tools:call", "groups": []any{"ops"}}, 401, "issued by"},
		"expired":       {jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix(), "aud": "gw"}, 401, "expired"},
		"other aud":     {jwt.MapClaims{"aud": "x", "scope": "tools:call", "groups": []any{"ops"}}, 403, "allowedAudience"},
		"no scope":      {jwt.MapClaims{"aud": "gw", "scope": "openid", "groups": []any{"ops"}}, 403, "allowedScopes"},
		"claim missing": {jwt.MapClaims{"aud": "gw", "scope": "tools:call"}, 403, "customClaims"},
		"claim no hit":  {jwt.MapClaims{"aud": []any{"gw"}, "scope": "tools:call", "groups": []any{"devs"}}, 403, "customClaims"},
	} {
		status, err := s.checkJWT(context.Background(), conf, sign(tc.claims))
		if status != tc.status || (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %d %v, want %d %q", name, status, err, tc.status, tc.want)
		}
	}
	// A token signed with HS256 (the key confusion attack) is refused.
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
	hsTok, _ := hs.SignedString(point)
	if status, err := s.checkJWT(context.Background(), conf, hsTok); status != 401 || err == nil {
		t.Errorf("an HS256 token: %d %v", status, err)
	}
}

func TestClaimOperators(t *testing.T) {
	str := func(s string) *string { return &s }
	mk := func(op string, one *string, list []string) claimRule {
		return claimRule{Name: str("c"), ValueType: str("STRING"), Match: &claimMatch{Operator: str(op), Value: &claimValue{String: one, List: list}}}
	}
	for _, tc := range []struct {
		rule  claimRule
		claim any
		want  bool
	}{
		{mk("EQUALS", str("a"), nil), "a", true},
		{mk("EQUALS", str("a"), nil), "b", false},
		{mk("EQUALS", str("a"), nil), []any{"a", "b"}, false},
		{mk("CONTAINS", str("a"), nil), []any{"b", "a"}, true},
		{mk("CONTAINS", str("a"), nil), []any{"b"}, false},
		{mk("CONTAINS_ANY", nil, []string{"x", "a"}), []any{"a"}, true},
		{mk("CONTAINS_ANY", nil, []string{"x"}), "a", false},
		{mk("EQUALS", str("1"), nil), 1.0, false},
	} {
		if got := tc.rule.matches(jwt.MapClaims{"c": tc.claim}); got != tc.want {
			t.Errorf("%s %v on %v: %v", *tc.rule.Match.Operator, tc.rule.Match.Value, tc.claim, got)
		}
	}
}
