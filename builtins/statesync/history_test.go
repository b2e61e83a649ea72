package statesync

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/state"
)

func TestHistoryPagesFitStandardParametersAndKeepEveryEntry(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	var es []state.HistoryEntry
	for i := 0; i < 60; i++ {
		es = append(es, state.HistoryEntry{ID: fmt.Sprintf("%03d", i), Recipe: "update", Command: "agentcore update my-bot",
			StartedAt: t0.Add(time.Duration(i) * time.Minute), Outcome: state.OutcomeOK,
			Changes: []state.HistoryChange{{Agent: "my-bot", Kind: "version", Version: i, Digest: "sha256:" + strings.Repeat("a", 64)}}})
	}
	// one entry too large for a page on its own: its changes are summed up
	huge := state.HistoryEntry{ID: "999", Recipe: "destroy", StartedAt: t0.Add(time.Hour * 5), Outcome: state.OutcomeOK}
	for i := 0; i < 200; i++ {
		huge.Changes = append(huge.Changes, state.HistoryChange{Kind: "resource", Action: "deleted", Name: fmt.Sprintf("stack agentcore-some-long-stack-name-%d", i)})
	}
	es = append(es, huge)
	pages, err := historyPages(es)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 2 {
		t.Fatalf("%d pages for 61 entries", len(pages))
	}
	var back []state.HistoryEntry
	for i, p := range pages {
		if len(p) > standardLimit {
			t.Fatalf("page %d is %d bytes, more than a standard parameter holds", i+1, len(p))
		}
		var part []state.HistoryEntry
		if err := json.Unmarshal([]byte(p), &part); err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		back = append(back, part...)
	}
	if len(back) != len(es) {
		t.Fatalf("%d entries back, want %d", len(back), len(es))
	}
	for i := range es {
		if back[i].ID != es[i].ID {
			t.Fatalf("entry %d is %s, want %s", i, back[i].ID, es[i].ID)
		}
	}
	last := back[len(back)-1]
	if len(last.Changes) != 1 || !strings.Contains(last.Changes[0].Text, "200 changes") {
		t.Fatalf("the huge entry is not summed up: %+v", last.Changes)
	}
}
