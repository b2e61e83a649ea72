package bkstatus

import (
	"bufio"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// The fixture is the trace of a real build on Docker 20.10 (BuildKit 0.8): FROM scratch, COPY
// an arm64 binary, RUN it for linux/arm64 on an x86_64 engine without QEMU. One base64 aux
// value per line, as the engine sent them.
func TestDecodeRecordedBuild(t *testing.T) {
	f, err := os.Open("testdata/run-exec-format-error.b64")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]string{}
	var logs, failed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		b, err := base64.StdEncoding.DecodeString(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		s, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range s.Vertexes {
			if !strings.HasPrefix(v.Digest, "sha256:") {
				t.Errorf("vertex digest %q", v.Digest)
			}
			names[v.Digest] = v.Name
			if !v.Completed.IsZero() && v.Completed.Before(v.Started) {
				t.Errorf("%s completed before it started", v.Name)
			}
			if v.Error != "" {
				failed = append(failed, v.Name+": "+v.Error)
			}
		}
		for _, l := range s.Logs {
			logs = append(logs, names[l.Vertex]+": "+strings.TrimSpace(string(l.Msg)))
		}
	}
	if want := `[2/2] RUN ["/app"]: executor failed running [/app]: exit code: 1`; len(failed) != 1 || failed[0] != want {
		t.Errorf("failed vertexes %q, want %q", failed, want)
	}
	if want := `[2/2] RUN ["/app"]: exec /app: exec format error`; len(logs) != 1 || logs[0] != want {
		t.Errorf("logs %q, want %q", logs, want)
	}
	for _, want := range []string{"[internal] load remote build context", "[1/2] COPY app /app"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("no vertex %q among %q", want, names)
		}
	}
}

func TestDecodeFieldsAndErrors(t *testing.T) {
	ts := func(sec, nsec uint64) []byte {
		b := protowire.AppendTag(nil, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, sec)
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		return protowire.AppendVarint(b, nsec)
	}
	var st []byte // VertexStatus
	st = protowire.AppendTag(st, 1, protowire.BytesType)
	st = protowire.AppendString(st, "sha256:layer")
	st = protowire.AppendTag(st, 4, protowire.VarintType)
	st = protowire.AppendVarint(st, 512)
	st = protowire.AppendTag(st, 5, protowire.VarintType)
	st = protowire.AppendVarint(st, 1024)
	st = protowire.AppendTag(st, 6, protowire.BytesType)
	st = protowire.AppendBytes(st, ts(1700000000, 5))
	var w []byte // VertexWarning
	w = protowire.AppendTag(w, 3, protowire.BytesType)
	w = protowire.AppendString(w, "MAINTAINER is deprecated")
	w = protowire.AppendTag(w, 9, protowire.Fixed32Type) // unknown field: skipped
	w = protowire.AppendFixed32(w, 7)
	var msg []byte
	msg = protowire.AppendTag(msg, 2, protowire.BytesType)
	msg = protowire.AppendBytes(msg, st)
	msg = protowire.AppendTag(msg, 4, protowire.BytesType)
	msg = protowire.AppendBytes(msg, w)
	s, err := Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Statuses) != 1 || s.Statuses[0].ID != "sha256:layer" || s.Statuses[0].Current != 512 ||
		s.Statuses[0].Total != 1024 || s.Statuses[0].Timestamp.Unix() != 1700000000 {
		t.Errorf("statuses %+v", s.Statuses)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].Short != "MAINTAINER is deprecated" {
		t.Errorf("warnings %+v", s.Warnings)
	}
	if _, err := Decode(msg[:len(msg)-3]); err == nil {
		t.Error("a truncated message decoded without error")
	}
}
