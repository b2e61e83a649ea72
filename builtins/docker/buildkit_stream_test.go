package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/agentcore/agentcore/engine"
)

// The stream is a real one from Docker 20.10 (BuildKit 0.8): an arm64 binary COPYed and RUN
// on an x86_64 engine without QEMU.
func TestBuildkitLogRecordedFailure(t *testing.T) {
	f, err := os.Open("testdata/buildkit-exec-format-error.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	out := &engine.Output{Stdout: &buf, Stderr: &buf}
	_, err = buildkitLog(context.Background(), f, out, "")
	var sf *stepFailure
	if !errors.As(err, &sf) {
		t.Fatalf("error %v (%T), want a step failure", err, err)
	}
	if want := `step 2/2 (RUN ["/app"]): executor failed running [/app]: exit code: 1` +
		"\nlast output of the step:\n  exec /app: exec format error"; err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
	text := buf.String()
	for _, want := range []string{
		"docker │ [1/2] COPY app /app\n", "docker │ [1/2] COPY app /app: done in ",
		"docker │ [2/2] RUN [\"/app\"]\n", "docker │   exec /app: exec format error\n",
		"docker │ [2/2] RUN [\"/app\"]: failed\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "internal") || strings.Contains(text, "(output)") {
		t.Errorf("output shows internal steps or a needless repeated header:\n%s", text)
	}
}

// Output of parallel steps names its step again when another step's line came in between;
// sub-task progress and a final image ID come through.
func TestBuildkitLogInterleaved(t *testing.T) {
	stream := trace(t, vertex("a", "[build 1/2] RUN make", 1, 0, "")) +
		trace(t, vertex("b", "[stage-1 1/1] RUN test", 1, 0, "")) +
		trace(t, logMsg("a", "compiling\nlinking")) +
		trace(t, logMsg("b", "testing\n")) +
		trace(t, logMsg("a", "\n")) +
		trace(t, vertex("a", "[build 1/2] RUN make", 1, 3, "")) +
		trace(t, vertex("b", "[stage-1 1/1] RUN test", 1, 2, "")) +
		`{"id":"moby.image.id","aux":{"ID":"sha256:abc"}}` + "\n"
	var buf bytes.Buffer
	out := &engine.Output{Stdout: &buf, Stderr: &buf}
	id, err := buildkitLog(context.Background(), strings.NewReader(stream), out, "")
	if err != nil || id != "sha256:abc" {
		t.Fatalf("id %q, err %v", id, err)
	}
	want := `    docker │ [build 1/2] RUN make
    docker │ [stage-1 1/1] RUN test
    docker │ [build 1/2] RUN make (output)
    docker │   compiling
    docker │ [stage-1 1/1] RUN test (output)
    docker │   testing
    docker │ [build 1/2] RUN make (output)
    docker │   linking
    docker │ [build 1/2] RUN make: done in 2.0s
    docker │ [stage-1 1/1] RUN test: done in 1.0s
`
	if buf.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// trace wraps StatusResponse fields (already encoded) in a moby.buildkit.trace message.
func trace(t *testing.T, fields ...[]byte) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": "moby.buildkit.trace", "aux": bytes.Join(fields, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func timestamp(sec int64) []byte {
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(sec))
}

// vertex encodes StatusResponse.vertexes (field 1); started and completed are seconds, 0 for
// not yet.
func vertex(digest, name string, started, completed int64, errMsg string) []byte {
	var v []byte
	v = protowire.AppendTag(v, 1, protowire.BytesType)
	v = protowire.AppendString(v, digest)
	v = protowire.AppendTag(v, 3, protowire.BytesType)
	v = protowire.AppendString(v, name)
	if started > 0 {
		v = protowire.AppendTag(v, 5, protowire.BytesType)
		v = protowire.AppendBytes(v, timestamp(started))
	}
	if completed > 0 {
		v = protowire.AppendTag(v, 6, protowire.BytesType)
		v = protowire.AppendBytes(v, timestamp(completed))
	}
	if errMsg != "" {
		v = protowire.AppendTag(v, 7, protowire.BytesType)
		v = protowire.AppendString(v, errMsg)
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// logMsg encodes StatusResponse.logs (field 3).
func logMsg(digest, msg string) []byte {
	var v []byte
	v = protowire.AppendTag(v, 1, protowire.BytesType)
	v = protowire.AppendString(v, digest)
	v = protowire.AppendTag(v, 3, protowire.VarintType)
	v = protowire.AppendVarint(v, 1)
	v = protowire.AppendTag(v, 4, protowire.BytesType)
	v = protowire.AppendString(v, msg)
	b := protowire.AppendTag(nil, 3, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
