package control

import (
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
