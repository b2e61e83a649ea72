package engine

import (
	"strings"
	"testing"
)

func TestStreamMaskerMasksSecretsSplitAcrossPieces(t *testing.T) {
	o := &Output{}
	o.AddSecret("s3cr3t-value")
	o.AddSecret("zzzz")
	for _, pieces := range [][]string{
		{"the key is s3cr", "3t-value, ok"},
		{"the key is s", "3", "cr3t-v", "alue", ", ok"},
		{"the key is s3cr3t-value, ok"},
		{"the key is s3cr3t-", "value", ", ok"},
	} {
		m := o.StreamMasker()
		var b strings.Builder
		for _, p := range pieces {
			b.WriteString(m.Write(p))
		}
		b.WriteString(m.Flush())
		if got := b.String(); got != "the key is ****, ok" {
			t.Errorf("%q -> %q", pieces, got)
		}
	}
	// Text that only looks like a secret's start is shown once the stream goes on or ends.
	m := o.StreamMasker()
	if got := m.Write("the s3c"); got != "the " {
		t.Fatalf("got %q", got)
	}
	if got := m.Write("ret"); got != "s3cret" {
		t.Fatalf("got %q", got)
	}
	if got := m.Write(" zz"); got != " " {
		t.Fatalf("got %q", got)
	}
	if got := m.Flush(); got != "zz" {
		t.Fatalf("got %q", got)
	}
	// Without secrets nothing is held back.
	if got := (&Output{}).StreamMasker().Write("abc"); got != "abc" {
		t.Fatal(got)
	}
}

func TestPrintIsMaskedAndAnEventInJSON(t *testing.T) {
	for _, jsonMode := range []bool{false, true} {
		var out strings.Builder
		run := &Run{Out: &Output{Stdout: &out, Stderr: &out, JSON: jsonMode}}
		run.Out.AddSecret("hunter2-secret")
		vm := NewVM(run, NewRegistry())
		if _, err := vm.DoString("t.lua", `print("the key", "hunter2-secret", 42)`); err != nil {
			t.Fatal(err)
		}
		vm.Close()
		got := out.String()
		want := "the key\t****\t42\n"
		if jsonMode {
			want = `"type":"log"`
		}
		if strings.Contains(got, "hunter2") || !strings.Contains(got, want) {
			t.Fatalf("json=%v: %q", jsonMode, got)
		}
		if jsonMode && (!strings.HasPrefix(got, "{") || !strings.Contains(got, `"source":"print"`) || !strings.Contains(got, `the key\t****\t42`)) {
			t.Fatalf("json: %q", got)
		}
	}
}
