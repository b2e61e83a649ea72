package logs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDamagedRecordLosesOnlyItself: bytes overwritten in the middle of a segment cost the
// record they hit, not the records after it; the segment is rewritten without it, and
// appending goes on.
func TestDamagedRecordLosesOnlyItself(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir, 0)
	now := time.Now().UnixMilli()
	var evs []Event
	for i := range 100 {
		evs = append(evs, Event{Timestamp: now + int64(i), Message: fmt.Sprintf("event-%03d", i)})
	}
	if err := f.store.Put("/g", "s", evs); err != nil {
		t.Fatal(err)
	}
	f.close()
	segs, _ := filepath.Glob(filepath.Join(dir, "logs", "*", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	data, _ := os.ReadFile(segs[0])
	at := bytes.Index(data, []byte("event-050"))
	if at < 0 {
		t.Fatal("event-050 not in the segment")
	}
	copy(data[at:], "EVENT")
	os.WriteFile(segs[0], data, 0o600)

	f = open(t, dir, 0)
	out, err := f.store.Filter(FilterInput{LogGroupName: "/g"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range out.Events {
		got = append(got, e.Message)
	}
	if len(got) != 99 {
		t.Fatalf("%d events read back, want 99 (all but the damaged one): last %q", len(got), got[len(got)-1])
	}
	for _, m := range got {
		if m == "event-050" || bytes.Contains([]byte(m), []byte("EVENT")) {
			t.Fatalf("the damaged record came back: %q", m)
		}
	}
	if err := f.store.Put("/g", "s", []Event{{Timestamp: now + 200, Message: "after"}}); err != nil {
		t.Fatal(err)
	}
	f.close()
	f = open(t, dir, 0)
	defer f.close()
	out, _ = f.store.Filter(FilterInput{LogGroupName: "/g"})
	if n := len(out.Events); n != 100 || out.Events[n-1].Message != "after" {
		t.Fatalf("after reopening: %d events", n)
	}
}
