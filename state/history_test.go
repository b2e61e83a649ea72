package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func entry(id string, at time.Time, outcome string) HistoryEntry {
	return HistoryEntry{ID: id, Recipe: "update", StartedAt: at, Outcome: outcome}
}

func TestMergeHistoryIsAUnionByIDInStartOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	end := t0.Add(time.Minute)
	a := []HistoryEntry{entry("a1", t0, OutcomeOK), entry("x", t0.Add(2*time.Second), OutcomeStarted)}
	finished := entry("x", t0.Add(2*time.Second), OutcomeFailed)
	finished.EndedAt = &end
	b := []HistoryEntry{entry("b1", t0.Add(time.Second), OutcomeOK), finished}
	for _, got := range [][]HistoryEntry{MergeHistory(a, b), MergeHistory(b, a)} {
		if len(got) != 3 {
			t.Fatalf("merged %d entries, want 3: %+v", len(got), got)
		}
		if got[0].ID != "a1" || got[1].ID != "b1" || got[2].ID != "x" {
			t.Fatalf("order %s %s %s, want a1 b1 x", got[0].ID, got[1].ID, got[2].ID)
		}
		if got[2].Outcome != OutcomeFailed {
			t.Fatalf("the ended copy of x must win over the started one, got %s", got[2].Outcome)
		}
	}
}

func TestShownTellsInterruptedFromRunningAndFromElsewhere(t *testing.T) {
	host, _ := os.Hostname()
	start, _ := ProcessStart(os.Getpid())
	running := HistoryEntry{Outcome: OutcomeStarted, PID: os.Getpid(), Host: host, StartTime: start, BootID: BootID()}
	if got := running.Shown(); got != OutcomeStarted {
		t.Errorf("this process's entry shows %s, want started", got)
	}
	gone := running
	gone.PID = 1 << 30 // no such process
	if got := gone.Shown(); got != OutcomeInterrupted {
		t.Errorf("a gone process's entry shows %s, want interrupted", got)
	}
	elsewhere := running
	elsewhere.Host = host + "-other"
	if got := elsewhere.Shown(); got != OutcomeUnfinished {
		t.Errorf("another host's entry shows %s, want unfinished", got)
	}
	done := HistoryEntry{Outcome: OutcomeOK}
	if got := done.Shown(); got != OutcomeOK {
		t.Errorf("an ended entry shows %s", got)
	}
}

func TestHistoryLogPutBoundsAndMarksInterrupted(t *testing.T) {
	ctx := context.Background()
	log := NewHistoryLog(t.TempDir())
	host, _ := os.Hostname()
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	killed := entry("killed", t0, OutcomeStarted)
	killed.PID, killed.Host = 1<<30, host
	if err := log.Put(ctx, "dev", killed); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= MaxLocalHistory+5; i++ {
		if err := log.Put(ctx, "dev", entry(NewHistoryID(t0.Add(time.Duration(i)*time.Second)), t0.Add(time.Duration(i)*time.Second), OutcomeOK)); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			es, _ := log.List("dev")
			if es[0].ID != "killed" || es[0].Outcome != OutcomeInterrupted || es[0].Error == "" {
				t.Fatalf("a started entry of a gone process is stored interrupted on the next write: %+v", es[0])
			}
		}
	}
	es, err := log.List("dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != MaxLocalHistory {
		t.Fatalf("%d entries kept, want %d", len(es), MaxLocalHistory)
	}
	if es[0].StartedAt.Equal(t0) {
		t.Fatal("the oldest entries go first")
	}
	if _, err := os.Stat(filepath.Join(log.Dir, "dev.history.gate")); !os.IsNotExist(err) {
		t.Fatalf("the gate is released: %v", err)
	}
}

func TestHistoryLogRemoveLeavesNoFileForNothing(t *testing.T) {
	ctx := context.Background()
	log := NewHistoryLog(t.TempDir())
	if err := log.Remove(ctx, "dev", "none"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(log.Path("dev")); !os.IsNotExist(err) {
		t.Fatalf("a history with nothing in it is not written: %v", err)
	}
}

func TestHistoryLogRefusesACorruptFileNamingIt(t *testing.T) {
	log := NewHistoryLog(t.TempDir())
	if err := os.WriteFile(log.Path("dev"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := log.List("dev")
	if err == nil || !strings.Contains(err.Error(), log.Path("dev")) {
		t.Fatalf("error %v does not name the file", err)
	}
}

func TestDiffForHistory(t *testing.T) {
	before := &State{Agents: map[string]*Agent{
		"bot": {RuntimeID: "rt-1", Versions: []Version{{Number: 1, Digest: "sha256:aa"}},
			Endpoints: map[string]*Endpoint{"DEFAULT": {Version: 1}, "stable": {Version: 1}}},
		"gone": {RuntimeID: "rt-2", Versions: []Version{{Number: 1}}},
	}}
	after := &State{Agents: map[string]*Agent{
		"bot": {RuntimeID: "rt-1", Versions: []Version{{Number: 1, Digest: "sha256:aa"}, {Number: 2, Digest: "sha256:bb", ConfigHash: "hmac:cc"}},
			Endpoints: map[string]*Endpoint{"DEFAULT": {Version: 2}, "stable": {Version: 1}, "canary": {Version: 2}},
			Memory:    &Memory{MemoryName: "m", ID: "m-1"}},
	}}
	got := DiffForHistory(before, after)
	want := []HistoryChange{
		{Agent: "bot", Kind: "version", Action: "created", Version: 2, Digest: "sha256:bb", ConfigHash: "hmac:cc"},
		{Agent: "bot", Kind: "endpoint", Action: "moved", Name: "DEFAULT", From: 1, To: 2},
		{Agent: "bot", Kind: "endpoint", Action: "created", Name: "canary", To: 2},
		{Agent: "bot", Kind: "memory", Action: "recorded", Name: "m", Text: "m-1"},
		{Agent: "gone", Kind: "agent", Action: "removed", Text: "removed from the environment's state (runtime rt-2, 1 version)"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := len(DiffForHistory(after, after)); n != 0 {
		t.Errorf("no change gives %d changes", n)
	}
}

// BenchmarkHistoryPutFull is the cost a run pays twice (start, end) once the log is full.
func BenchmarkHistoryPutFull(b *testing.B) {
	ctx := context.Background()
	log := NewHistoryLog(b.TempDir())
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	mk := func(i int) HistoryEntry {
		e := entry(NewHistoryID(t0.Add(time.Duration(i)*time.Second)), t0.Add(time.Duration(i)*time.Second), OutcomeOK)
		e.Command, e.Who, e.Commit = "agentcore update my-bot", "arn:aws:sts::123456789012:assumed-role/deployer/ci", "0123456789abcdef0123456789abcdef01234567"
		e.Changes = []HistoryChange{{Agent: "my-bot", Kind: "version", Version: i, Digest: "sha256:0123456789abcdef", ConfigHash: "hmac:0123"},
			{Agent: "my-bot", Kind: "endpoint", Action: "moved", Name: "DEFAULT", From: i - 1, To: i}}
		return e
	}
	for i := 0; i < MaxLocalHistory; i++ {
		if err := log.Put(ctx, "dev", mk(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := log.Put(ctx, "dev", mk(MaxLocalHistory+i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if fi, err := os.Stat(log.Path("dev")); err == nil {
		b.ReportMetric(float64(fi.Size()), "file-bytes")
	}
}
