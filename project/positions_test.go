package project

import (
	"fmt"
	"strings"
	"testing"
)

func manyAgents(n int) []byte {
	var b strings.Builder
	b.WriteString("[project]\nname = \"big\"\n")
	for i := range n {
		fmt.Fprintf(&b, "[agents.agent-%05d]\ndescription = \"agent %d\"\ndockerfile = \"Dockerfile\"\nenvironment = { N = \"%d\" }\n", i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkIndexPositions indexes 1,000 and 8,000 agents: eight times the keys should take
// about eight times as long (counting lines from the top for each key took sixty-four times).
// A speed target lives here, not in a timed test: compare the two ns/op in one run.
func BenchmarkIndexPositions(b *testing.B) {
	for _, n := range []int{1_000, 8_000} {
		data := manyAgents(n)
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			for b.Loop() {
				indexPositions(data)
			}
		})
	}
}

func TestIndexPositionsLineColumn(t *testing.T) {
	data := []byte("[project]\nname = \"x\"\n\n[agents.a]\n  dockerfile = \"D\"\nenvironment = { K = \"v\" }\n")
	pos := indexPositions(data)
	for key, want := range map[string][2]int{"project": {1, 2}, "project.name": {2, 1}, "agents.a": {4, 2},
		"agents.a.dockerfile": {5, 3}, "agents.a.environment.K": {6, 17}} {
		if pos[key] != want {
			t.Errorf("%s at %v, want %v", key, pos[key], want)
		}
	}
}
