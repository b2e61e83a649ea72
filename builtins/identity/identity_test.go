package identity

import (
	"strings"
	"testing"

	proj "github.com/agentcore/agentcore/project"
)

// The keyed hash tells a changed key or configuration, never carries the key, and depends on
// the environment's hash key (a state file's hash cannot be tested against a guessed key
// without it).
func TestHash(t *testing.T) {
	key := []byte("environment-hash-key")
	base := func() *material {
		return &material{cred: &proj.Credential{Name: "github", Type: "api_key"}, name: "p-github-dev", secret: "ghp-secret-1"}
	}
	h0 := base().hash(key)
	if !strings.HasPrefix(h0, "hmac-sha256:") || len(h0) != len("hmac-sha256:")+64 {
		t.Fatalf("hash %q", h0)
	}
	if strings.Contains(h0, "ghp-secret-1") {
		t.Fatal("the hash carries the key")
	}
	if base().hash(key) != h0 {
		t.Error("not deterministic")
	}
	for name, change := range map[string]func(m *material){
		"key":           func(m *material) { m.secret = "ghp-secret-2" },
		"provider name": func(m *material) { m.name = "p-github-prod" },
		"client id":     func(m *material) { m.cred.ClientID = "other" },
		"discovery url": func(m *material) { m.cred.DiscoveryURL = "https://x/.well-known/openid-configuration" },
		"tenant":        func(m *material) { m.cred.TenantID = "t" },
		"type":          func(m *material) { m.cred.Type = "oauth2" },
		// fields run together must not collide: ("ab", "c") vs ("a", "bc")
		"boundaries": func(m *material) { m.name = "p-github-devghp"; m.secret = "-secret-1" },
	} {
		m := base()
		change(m)
		if m.hash(key) == h0 {
			t.Errorf("%s changed, the hash did not", name)
		}
	}
	if base().hash([]byte("another key")) == h0 {
		t.Error("the hash does not depend on the hash key")
	}
}
