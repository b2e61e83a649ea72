package project

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func manyAgents(n int) []byte {
	var b strings.Builder
	b.WriteString("[project]\nname = \"big\"\n")
	for i := range n {
		fmt.Fprintf(&b, "[agents.agent-%05d]\ndescription = \"agent %d\"\ndockerfile = \"Dockerfile\"\nenvironment = { N = \"%d\" }\n", i, i, i)
	}
	return []byte(b.String())
}

// TestIndexPositionsIsLinear: eight times the keys take about eight times as long to index
// (best of five, after a GC, so that a busy machine does not decide); counting lines from the
// top for each key took sixty-four times.
func TestIndexPositionsIsLinear(t *testing.T) {
	best := func(data []byte) time.Duration {
		d := time.Duration(1 << 62)
		for range 5 {
			runtime.GC()
			start := time.Now()
			indexPositions(data)
			d = min(d, time.Since(start))
		}
		return d
	}
	small, large := best(manyAgents(1_000)), best(manyAgents(8_000))
	ratio := float64(large) / float64(small)
	t.Logf("1,000 agents: %s; 8,000 agents: %s (×%.1f)", small, large, ratio)
	if ratio > 24 {
		t.Fatalf("8 times the agents took %.1f times as long to index: not linear", ratio)
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
