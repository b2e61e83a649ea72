package memory

import (
	"testing"
)

func TestDiff(t *testing.T) {
	live := &Memory{ID: "m-1", Name: "p_chat_dev", EventExpiryDays: 30, Strategies: []Strategy{
		{ID: "s-sem", Name: "semantic", Type: "semantic", Namespaces: []string{"/facts/{actorId}"}},
		{ID: "s-sum", Name: "summary", Type: "summary", Namespaces: []string{"/summaries/{actorId}/{sessionId}"}},
		{ID: "s-con", Name: "console", Type: "user_preference", Namespaces: []string{"/x"}},
	}}
	sp := spec{MemoryName: "p_chat_dev", EventExpiryDays: 60, Strategies: []strategySpec{
		{Type: "semantic", Name: "semantic", Namespace: "/facts/{actorId}"},
		{Type: "summary", Name: "summary", Namespace: "/s/{sessionId}"},
		{Type: "episodic", Name: "episodic"},
	}}
	got := diff(live, sp)
	want := []Change{
		{What: "event_expiry_days", Action: "set", Was: "30", Now: "60"},
		{What: "strategy", Action: "modify", Strategy: "summary", ID: "s-sum", Was: "summary /summaries/{actorId}/{sessionId}", Now: "summary /s/{sessionId}"},
		{What: "strategy", Action: "add", Strategy: "episodic", Now: "episodic"},
		{What: "strategy", Action: "delete", Strategy: "console", ID: "s-con", Was: "user_preference /x"},
	}
	if len(got) != len(want) {
		t.Fatalf("diff: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// A namespace left to AgentCore is not compared; the default expiry is 90 days.
	same := diff(&Memory{EventExpiryDays: 90, Strategies: []Strategy{{ID: "a", Name: "semantic", Type: "semantic", Namespaces: []string{"/strategies/a"}}}},
		spec{Strategies: []strategySpec{{Type: "semantic", Name: "semantic"}}})
	if len(same) != 0 {
		t.Errorf("an unchanged memory: %+v", same)
	}
	// A type change cannot be an UpdateMemory.
	rep := diff(&Memory{EventExpiryDays: 90, Strategies: []Strategy{{ID: "a", Name: "x", Type: "semantic"}}},
		spec{Strategies: []strategySpec{{Type: "summary", Name: "x"}}})
	if len(rep) != 1 || rep[0].Action != "replace" {
		t.Errorf("a type change: %+v", rep)
	}
	// A strategy being deleted counts as gone: its name in the configuration is an add, and a
	// strategy the configuration dropped is not deleted twice.
	gone := diff(&Memory{EventExpiryDays: 90, Strategies: []Strategy{{ID: "a", Name: "summary", Type: "summary", Status: "DELETING"},
		{ID: "b", Name: "old", Type: "semantic", Status: "DELETING"}}},
		spec{Strategies: []strategySpec{{Type: "summary", Name: "summary"}}})
	if len(gone) != 1 || gone[0].Action != "add" || gone[0].Strategy != "summary" {
		t.Errorf("strategies being deleted: %+v", gone)
	}
}

func TestStrategyInput(t *testing.T) {
	for _, typ := range []string{"semantic", "summary", "user_preference", "episodic"} {
		if _, err := strategyInput(strategySpec{Type: typ, Name: typ}); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	if _, err := strategyInput(strategySpec{Type: "custom", Name: "c", Extends: "summary", ExtractionPrompt: "x", Model: "m"}); err == nil {
		t.Error("a custom summary strategy with an extraction prompt was accepted")
	}
	if _, err := strategyInput(strategySpec{Type: "custom", Name: "c", Extends: "semantic", ExtractionPrompt: "x", Model: "m"}); err != nil {
		t.Error(err)
	}
}

func TestNamesActor(t *testing.T) {
	for _, tc := range []struct {
		ns   []string
		want bool
	}{
		{[]string{"/prefs/user-1"}, true},
		{[]string{"/summaries/user-1/session-a"}, true},
		{[]string{"/prefs/user-10"}, false},
		{[]string{"/strategies/s1/actors"}, false},
		{[]string{"/a", "/b/user-1/"}, true},
	} {
		if got := namesActor(tc.ns, "user-1"); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.ns, got, tc.want)
		}
	}
}
