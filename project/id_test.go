package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewID()
		if !ValidID(id) || seen[id] {
			t.Fatalf("NewID gave %q (valid %v, seen %v)", id, ValidID(id), seen[id])
		}
		seen[id] = true
	}
}

func TestProjectID(t *testing.T) {
	load := func(head string) (*Project, error) {
		dir := t.TempDir()
		path := filepath.Join(dir, "agentcore.toml")
		if err := os.WriteFile(path, []byte(head+"\n[agents.bot]\nimage = \"r@sha256:"+strings.Repeat("a", 64)+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return Load(path)
	}
	p, err := load("[project]\nname = \"p\"\nid = \"0123456789ab\"")
	if err != nil || p.ID != "0123456789ab" {
		t.Fatalf("id: %+v, %v", p, err)
	}
	p, err = load("[project]\nname = \"p\"")
	if err != nil || p.ID != "" {
		t.Fatalf("no id: %+v, %v", p, err)
	}
	for _, bad := range []string{"0123456789AB", "0123", "0123456789abc", "my-project-1"} {
		if _, err := load("[project]\nname = \"p\"\nid = \"" + bad + "\""); err == nil || !strings.Contains(err.Error(), "project id \""+bad+"\" is invalid: use 12 lowercase hex digits") {
			t.Errorf("id %q: %v", bad, err)
		}
	}
}
