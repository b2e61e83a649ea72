package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/project"
)

// bigProject writes an agentcore.toml with n agents (a table with a description and a
// Dockerfile each, and for one in ten an environment's override) and returns its path.
func bigProject(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	var b strings.Builder
	b.WriteString("[project]\nname = \"big\"\ndefault_environment = \"local\"\n\n[environments.local]\nprovider = \"local\"\n\n")
	for i := range n {
		fmt.Fprintf(&b, "[agents.agent-%05d]\ndescription = \"agent %d\"\ndockerfile = \"Dockerfile\"\n\n", i, i)
		if i%10 == 0 {
			fmt.Fprintf(&b, "[environments.local.agents.agent-%05d]\nenvironment = { LOG_LEVEL = \"debug\" }\n\n", i)
		}
	}
	path := filepath.Join(dir, project.FileName)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func loadProject(tb testing.TB, path string, n int) {
	p, err := project.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(p.Agents) != n {
		tb.Fatalf("%d agents loaded, want %d", len(p.Agents), n)
	}
}

// BenchmarkLoadProject10k: agentcore.toml with 10,000 agents read, decoded, indexed (every
// key's line and column) and validated, what every command pays first. Target < 0.5 s.
func BenchmarkLoadProject10k(b *testing.B) {
	path := bigProject(b, 10_000)
	for b.Loop() {
		loadProject(b, path, 10_000)
	}
}
