package builtins_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigHashIsKeyed: the recorded hash of a configuration holding a secret cannot be
// recomputed without the environment's key (kept next to the state, mode 0600), and a changed
// secret still changes it.
func TestConfigHashIsKeyed(t *testing.T) {
	t.Setenv("BUILTINS_TEST_SECRET", "first-secret")
	h := harness(t, toml)
	hash := func() string { return h.Do(t, `return project.agent("bot").config_hash`)[0].String() }
	h1 := hash()
	if !strings.HasPrefix(h1, "hmac-sha256:") || len(h1) != len("hmac-sha256:")+16 {
		t.Fatalf("hash = %q", h1)
	}
	keyPath := filepath.Join(h.Run.Dir, ".agentcore", "state", "dev.key")
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	key, _ := os.ReadFile(keyPath)
	if strings.Contains(h.Stdout.String(), strings.TrimSpace(string(key))) {
		t.Fatal("the key was printed")
	}
	// Stable for the same configuration and key, also in a new run.
	if h2 := hash(); h2 != h1 {
		t.Fatalf("%s then %s", h1, h2)
	}
	// The unkeyed hash of earlier versions is not what is recorded now.
	sum := sha256.Sum256([]byte("first-secret"))
	if strings.Contains(h1, hex.EncodeToString(sum[:])[:16]) {
		t.Fatal("unkeyed")
	}
	// A changed secret changes the hash (a new run: the key is read once per run).
	t.Setenv("BUILTINS_TEST_SECRET", "second-secret")
	h2 := harness(t, toml)
	h2.Run.Dir, h2.Run.Store = h.Run.Dir, h.Run.Store
	if got := h2.Do(t, `return project.agent("bot").config_hash`)[0].String(); got == h1 {
		t.Fatal("a changed secret kept the hash")
	}
	// Another key (another environment's store, or a key removed): another hash.
	t.Setenv("BUILTINS_TEST_SECRET", "first-secret")
	h3 := harness(t, toml)
	if got := h3.Do(t, `return project.agent("bot").config_hash`)[0].String(); got == h1 {
		t.Fatal("two keys gave one hash")
	}
	// An invalid key file is reported with what to do.
	os.WriteFile(keyPath, []byte("nope"), 0o600)
	h4 := harness(t, toml)
	h4.Run.Store = h.Run.Store
	if err := h4.Err(`return project.agent("bot").config_hash`); err == nil || !strings.Contains(err.Error(), "dev.key") {
		t.Fatalf("err = %v", err)
	}
}

// TestConfigHashOfStoredSecrets: a { secret = "NAME" } variable is not in the agent's
// environment until the recipe resolves it; config_hash refuses to guess, and then changes
// with the secret's version (a new value), not with anything else about it.
func TestConfigHashOfStoredSecrets(t *testing.T) {
	h := harness(t, `
[project]
name = "t"
[agents.bot]
dockerfile = "Dockerfile"
environment = { KEY_ARN = { secret = "openai" }, PLAIN = "p" }
[environments.dev]
provider = "local"
`)
	res := h.Do(t, `
		local a = project.agent("bot")
		assert(a.environment.KEY_ARN == nil and a.environment.PLAIN == "p", "not resolved yet")
		assert(a.secrets.KEY_ARN.name == "openai" and a.secrets.KEY_ARN.id == "agentcore/t/dev/openai", "secrets")
		local ok, err = pcall(function() return a.config_hash end)
		assert(not ok and err.hint:find("deploy.resolve_secrets", 1, true) and tostring(err):find("not known yet"), tostring(err))
		local function hash(arn, version)
			local b = project.agent("bot")
			b.environment.KEY_ARN, b.secret_versions = arn, { KEY_ARN = version }
			return b.config_hash
		end
		local arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:agentcore/t/dev/openai-AbCdEf"
		return hash(arn, "v1"), hash(arn, "v1"), hash(arn, "v2"), hash(arn .. "x", "v1")
	`)
	if res[0].String() != res[1].String() {
		t.Fatalf("unstable: %v", res)
	}
	if res[0].String() == res[2].String() || res[0].String() == res[3].String() {
		t.Fatalf("a new version or another ARN kept the hash: %v", res)
	}
}
