package statesync

import (
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/state"
)

func TestStatus(t *testing.T) {
	base := &Marker{Digest: "B"}
	cases := []struct {
		local string
		cloud *Meta
		base  *Marker
		want  string
	}{
		{"L", nil, nil, "never pushed"},
		{"L", nil, base, "never pushed"},
		{"B", &Meta{Digest: "B"}, base, "in sync"},
		{"X", &Meta{Digest: "X"}, nil, "in sync"}, // same content, synced elsewhere
		{"L", &Meta{Digest: "B"}, base, "ahead"},
		{"B", &Meta{Digest: "C"}, base, "behind"},
		{"L", &Meta{Digest: "C"}, base, "diverged"},
		{"L", &Meta{Digest: "C"}, nil, "diverged"}, // never synced here, and different
	}
	for _, c := range cases {
		if got := Status(c.local, c.cloud, c.base); got != c.want {
			t.Errorf("Status(%q, %+v, %+v) = %q, want %q", c.local, c.cloud, c.base, got, c.want)
		}
	}
}

func TestDigestIgnoresMetadata(t *testing.T) {
	mk := func(version int) *state.State {
		st := state.New("dev")
		st.Agents["bot"] = &state.Agent{RuntimeName: "p_bot_dev", Endpoints: map[string]*state.Endpoint{"DEFAULT": {Version: version}}}
		return st
	}
	a, b := mk(1), mk(1)
	b.Serial, b.UpdatedAt, b.UpdatedBy = 42, time.Now(), "someone@elsewhere"
	if Digest(a) != Digest(b) {
		t.Fatal("serial, time or author changed the digest")
	}
	if Digest(a) == Digest(mk(2)) {
		t.Fatal("a recorded change did not change the digest")
	}
}

func TestSplitKeepsEveryByte(t *testing.T) {
	doc := strings.Repeat("0123456789", 2001) // 20010 bytes
	parts := split(doc, partSize)
	if len(parts) != 3 || strings.Join(parts, "") != doc {
		t.Fatalf("%d parts", len(parts))
	}
	for _, p := range parts {
		if len(p) > partSize {
			t.Fatalf("part of %d bytes", len(p))
		}
	}
}
