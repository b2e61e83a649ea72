package project

import (
	"fmt"
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

// TestIndexPositionsIsLinear: four times the keys take about four times as long to index
// (best of three, so that a busy machine does not decide); counting lines from the top for
// each key took sixteen times.
func TestIndexPositionsIsLinear(t *testing.T) {
	best := func(data []byte) time.Duration {
		d := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			indexPositions(data)
			d = min(d, time.Since(start))
		}
		return d
	}
	small, large := best(manyAgents(2_500)), best(manyAgents(10_000))
	ratio := float64(large) / float64(small)
	t.Logf("2,500 agents: %s; 10,000 agents: %s (×%.1f)", small, large, ratio)
	if ratio > 8 {
		t.Fatalf("4 times the agents took %.1f times as long to index: not linear", ratio)
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
