package naming

import (
	"regexp"
	"testing"

	"github.com/agentcore/agentcore/engine/enginetest"
)

// The golden values are what recipes/lib/deploy.lua's FNV-1a in Lua (hash8 with its own bxor)
// gave for the same bytes: code buckets and CI roles of existing deployments keep their names.
func TestHash8MatchesTheLuaFNV(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "811c9dc5",
		"a":                  "e40c292c",
		"demo/dev":           "d634b86a",
		"demo/prod-us":       "041034c1",
		"my-project/staging": "deace66d",
		"agentcore-ci-a-very-long-project-name-here-and-an-environment-name-prod": "6b10b7c7",
		"x/\xff\x80é": "acb3e087",
		"ünïcode/env": "d0db082b",
	} {
		if got := Hash8(in); got != want {
			t.Errorf("Hash8(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRandomHex(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		s, err := RandomHex(9)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{9}$`).MatchString(s) {
			t.Fatalf("RandomHex(9) = %q", s)
		}
		if seen[s] {
			t.Fatalf("RandomHex(9) gave %q twice", s)
		}
		seen[s] = true
	}
	if _, err := RandomHex(0); err == nil {
		t.Fatal("RandomHex(0) gave no error")
	}
}

func TestLua(t *testing.T) {
	h := enginetest.New(t, Module)
	h.Do(t, `
		assert(naming.hash8("demo/dev") == "d634b86a")
		assert(#naming.random_hex(32) == 32)
		assert(naming.random_hex(4) ~= naming.random_hex(4) or naming.random_hex(4) ~= naming.random_hex(4))
	`)
	if err := h.Err(`naming.random_hex(0)`); err == nil {
		t.Fatal("random_hex(0) gave no error")
	}
}
