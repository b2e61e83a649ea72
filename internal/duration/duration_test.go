package duration

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute, "1.5h": 90 * time.Minute,
		"2d": 48 * time.Hour, "1w": 7 * 24 * time.Hour, "250ms": 250 * time.Millisecond, "0s": 0, "1.m": time.Minute,
	} {
		if got, ok := Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "10", "m", "10x", "1h 30m", "-5m", "2000000h", "10m!"} {
		if got, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %v, want no duration", in, got)
		}
	}
}
