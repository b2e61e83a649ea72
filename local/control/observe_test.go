package control

import (
	"strings"
	"testing"
	"time"
)

// A line goes to the session of the one invocation in flight when it was written; with none
// or several in flight, to the instance.
func TestSessionAttribution(t *testing.T) {
	a := &activity{}
	before := time.Now()
	endA := a.begin("session-a")
	during := time.Now()
	if got := a.sessionAt(during, 0); got != "session-a" {
		t.Fatalf("one in flight: %q", got)
	}
	endB := a.begin("session-b")
	both := time.Now()
	if got := a.sessionAt(both, 0); got != "" {
		t.Fatalf("two in flight: %q", got)
	}
	endA()
	time.Sleep(time.Millisecond)
	afterA := time.Now()
	if got := a.sessionAt(afterA, 0); got != "session-b" {
		t.Fatalf("one left in flight: %q", got)
	}
	endB()
	time.Sleep(5 * time.Millisecond)
	after := time.Now()
	if got := a.sessionAt(after, 0); got != "" {
		t.Fatalf("none in flight: %q", got)
	}
	if got := a.sessionAt(before.Add(-time.Millisecond), 0); got != "" {
		t.Fatalf("before any: %q", got)
	}
	// A line read (not written) shortly after the last invocation ended still belongs to it.
	if got := a.sessionAt(after, 200*time.Millisecond); got != "" {
		t.Fatalf("with slack, two just ended: %q", got)
	}
	one := &activity{}
	one.begin("session-c")()
	if got := one.sessionAt(time.Now().Add(50*time.Millisecond), 200*time.Millisecond); got != "session-c" {
		t.Fatalf("with slack: %q", got)
	}
	if got := RuntimeLogStream(time.Date(2026, 1, 2, 23, 0, 0, 0, time.FixedZone("x", -3600*5)), "s"); got != "2026/01/03/[runtime-logs]s" {
		t.Fatalf("stream name in UTC: %s", got)
	}
}

// Calls that ended more than a minute ago are forgotten, at the next begin a second or more
// after the last pruning; calls in flight are kept however old.
func TestActivityForgetsOldCalls(t *testing.T) {
	a := &activity{}
	a.begin("old")()
	a.begin("long")
	a.ended[0].end = time.Now().Add(-2 * time.Minute)
	a.open[0].start = time.Now().Add(-2 * time.Minute)
	a.begin("new")
	if len(a.ended)+len(a.open) != 3 {
		t.Fatalf("pruned again within a second: %d calls", len(a.ended)+len(a.open))
	}
	a.pruned = time.Now().Add(-2 * time.Second)
	a.begin("newer")
	var left []string
	for _, c := range append(a.ended, a.open...) {
		left = append(left, c.session)
	}
	if strings.Join(left, ",") != "long,new,newer" {
		t.Fatalf("calls kept: %v", left)
	}
	// a call that started two minutes ago and is still in flight owns a line written now
	a2 := &activity{}
	end := a2.begin("streaming")
	a2.open[0].start = time.Now().Add(-2 * time.Minute)
	for range 1000 {
		a2.begin("short")()
	}
	time.Sleep(time.Millisecond)
	if got := a2.sessionAt(time.Now(), 0); got != "streaming" {
		t.Fatalf("a long call in flight behind 1000 ended ones: %q", got)
	}
	end()
	if got := a2.sessionAt(time.Now().Add(time.Millisecond), 0); got != "" {
		t.Fatalf("after every call ended: %q", got)
	}
}

// Docker's log entries: one per frame, a long line split into several, each timestamped.
func TestLineWriter(t *testing.T) {
	ch := make(chan line, 10)
	w := &lineWriter{ch: ch}
	w.Write([]byte("2026-01-02T03:04:05.000000001Z hello\n"))
	w.Write([]byte("2026-01-02T03:04:06.000000001Z first half "))
	w.Write([]byte("2026-01-02T03:04:06.500000001Z second half\r\n"))
	w.Write([]byte("2026-01-02T03:04:07.000000001Z \n"))
	w.Write([]byte("2026-01-02T03:04:08.000000001Z no newline yet"))
	w.flush()
	close(ch)
	var got []line
	for l := range ch {
		got = append(got, l)
	}
	if len(got) != 3 || got[0].msg != "hello" || got[1].msg != "first half second half" || got[2].msg != "no newline yet" {
		t.Fatalf("lines: %+v", got)
	}
	if got[1].t.Second() != 6 || got[1].pos != time.Date(2026, 1, 2, 3, 4, 6, 500000001, time.UTC).UnixNano() {
		t.Fatalf("a split line is timed by its first part and positioned by its last: %+v", got[1])
	}
}
