package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestCompareReportsPaths(t *testing.T) {
	a := map[string]any{"agents": map[string]any{"bot": map[string]any{
		"endpoints":  map[string]any{"stable": map[string]any{"version": int64(1)}, "old": map[string]any{"version": int64(1)}},
		"runtime_id": "r1", "updated_at": "x"}}}
	b := map[string]any{"agents": map[string]any{"bot": map[string]any{
		"endpoints":  map[string]any{"stable": map[string]any{"version": float64(2)}, "new": map[string]any{"version": int64(2)}},
		"runtime_id": "r1", "updated_at": "y"}}}
	got := Compare(a, b, []string{"agents.*.updated_at"})
	want := []Change{
		{Path: "agents.bot.endpoints.new", Kind: "added", New: map[string]any{"version": int64(2)}},
		{Path: "agents.bot.endpoints.old", Kind: "removed", Old: map[string]any{"version": int64(1)}},
		{Path: "agents.bot.endpoints.stable.version", Kind: "changed", Old: int64(1), New: float64(2)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	if c := Compare(a, a, nil); len(c) != 0 {
		t.Fatalf("equal documents differ: %v", c)
	}
}

// driftDocs builds the recorded and live documents of 50 environments x 200 runtimes x 20
// versions, with a handful of differences in the live one.
func driftDocs() (map[string]any, map[string]any, int) {
	build := func(live bool) map[string]any {
		envs := map[string]any{}
		for e := 0; e < 50; e++ {
			agents := map[string]any{}
			for r := 0; r < 200; r++ {
				versions := map[string]any{}
				for v := 1; v <= 20; v++ {
					versions[fmt.Sprintf("V%d", v)] = map[string]any{"image": fmt.Sprintf("123.dkr.ecr/agentcore/a%d@sha256:%064d", r, v)}
				}
				eps := map[string]any{"DEFAULT": map[string]any{"version": int64(20)}, "stable": map[string]any{"version": int64(19)}}
				agents[fmt.Sprintf("agent-%d", r)] = map[string]any{
					"runtime_id": fmt.Sprintf("p_agent_%d_env%d-abcdefghij", r, e), "repository": fmt.Sprintf("123.dkr.ecr/agentcore/a%d", r),
					"versions": versions, "endpoints": eps,
				}
			}
			envs[fmt.Sprintf("env-%d", e)] = map[string]any{"agents": agents}
		}
		return envs
	}
	rec, live := build(false), build(true)
	agent := func(e, r int) map[string]any {
		return live[fmt.Sprintf("env-%d", e)].(map[string]any)["agents"].(map[string]any)[fmt.Sprintf("agent-%d", r)].(map[string]any)
	}
	agent(3, 17)["endpoints"].(map[string]any)["stable"] = map[string]any{"version": int64(18)}
	agent(9, 120)["endpoints"].(map[string]any)["canary"] = map[string]any{"version": int64(20)}
	delete(agent(20, 5)["versions"].(map[string]any), "V3")
	agent(41, 199)["runtime_id"] = "p_agent_199_env41-zzzzzzzzzz"
	delete(agent(49, 0), "repository")
	return rec, live, 5
}

func TestDriftDocsDifferences(t *testing.T) {
	rec, live, n := driftDocs()
	if got := Compare(rec, live, nil); len(got) != n {
		t.Fatalf("%d changes, want %d: %v", len(got), n, got)
	}
}

// BenchmarkDriftCompare is the comparison at the heart of agentcore drift over a large
// state (target: under 200 ms per comparison).
func BenchmarkDriftCompare(b *testing.B) {
	rec, live, n := driftDocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := Compare(rec, live, nil); len(got) != n {
			b.Fatalf("%d changes", len(got))
		}
	}
}

// An empty list (from JSON or a builtin) and an empty table built in Lua are one value to Lua:
// comparing them finds no change.
func TestEmptyListEqualsEmptyTable(t *testing.T) {
	a := map[string]any{"versions": []any{}, "tags": map[string]any{}}
	b := map[string]any{"versions": map[string]any{}, "tags": []any{}}
	if c := Compare(a, b, nil); len(c) != 0 {
		t.Fatalf("empty list and empty table differ: %v", c)
	}
}

func TestCompareInLua(t *testing.T) {
	h := enginetest.New(t, Module, jsonmod.Module)
	res := h.Do(t, `
		local same = diff.compare({versions = json.decode("[]")}, {versions = {}})
		local r = diff.compare({a = 1, b = {x = 1}}, {a = 2, b = {x = 1}, c = true}, {ignore = {"c"}})
		return same.equal, #same.changes, json.encode(same.changes), r.equal, json.encode(r.changes), r.text ~= ""`)
	got := fmt.Sprint(res)
	if want := `[true 0 [] false [{"kind":"changed","new":2,"old":1,"path":"a"}] true]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if err := h.Err(`diff.compare({}, {}, {ignroe = {}})`); err == nil || !strings.Contains(err.Error(), `did you mean "ignore"`) {
		t.Fatalf("misspelt option: %v", err)
	}
}
