package docker

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/engine"
)

// A push stream as an engine without aux messages writes it, with a retried layer.
const pushStream = `{"status":"The push refers to repository [127.0.0.1:5000/bot]"}
{"status":"Preparing","progressDetail":{},"id":"aaa"}
{"status":"Preparing","progressDetail":{},"id":"bbb"}
{"status":"Layer already exists","progressDetail":{},"id":"aaa"}
{"status":"Pushing","progressDetail":{"current":512,"total":2048},"progress":"[==>  ]","id":"bbb"}
{"status":"Retrying in 5 seconds","progressDetail":{},"id":"bbb"}
{"status":"Pushing","progressDetail":{"current":2048,"total":2048},"progress":"[=====]","id":"bbb"}
{"status":"Pushed","progressDetail":{},"id":"bbb"}
{"status":"1: digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef size: 528"}
`

func TestPushLog(t *testing.T) {
	var buf bytes.Buffer
	out := &engine.Output{Stdout: &buf, Stderr: &buf}
	res, err := pushLog(context.Background(), strings.NewReader(pushStream), out, "b")
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" || res.Size != 528 || res.Pushed != 1 || res.Existing != 1 {
		t.Errorf("result %+v", res)
	}
	for _, want := range []string{"[b]     aaa already exists", "[b]     bbb retrying in 5 seconds", "[b]     bbb pushed 2.0KiB/2.0KiB", "The push refers to repository"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "Preparing") {
		t.Errorf("output shows preparing lines:\n%s", buf.String())
	}

	_, err = pushLog(context.Background(), strings.NewReader(`{"status":"Preparing","id":"a"}
{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}
`), out, "")
	if err == nil || err.Error() != "unauthorized: authentication required" {
		t.Errorf("error %v", err)
	}
}

// A classic-builder stream whose step output arrives in pieces.
const buildStream = `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e \n"}
{"stream":"Step 2/2 : RUN [\"/app\", \"check\"]\n"}
{"stream":" ---\u003e Running in 0123\n"}
{"stream":"checking "}
{"stream":"dependencies\n\u001b[91mmissing: requests"}
{"stream":"\u001b[0m\n"}
{"errorDetail":{"code":2,"message":"The command '/app check' returned a non-zero code: 2"},"error":"The command '/app check' returned a non-zero code: 2"}
`

func TestBuildLog(t *testing.T) {
	var buf bytes.Buffer
	out := &engine.Output{Stdout: &buf, Stderr: &buf}
	_, err := buildLog(context.Background(), strings.NewReader(buildStream), out, "")
	want := "step 2/2 (RUN [\"/app\", \"check\"]): The command '/app check' returned a non-zero code: 2\n" +
		"last output of the step:\n  checking dependencies\n  missing: requests"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	if !strings.Contains(buf.String(), "docker │ checking dependencies\n") {
		t.Errorf("output:\n%s", buf.String())
	}
	id, err := buildLog(context.Background(), strings.NewReader(`{"stream":"Step 1/1 : FROM scratch\n"}
{"aux":{"ID":"sha256:abc"}}
{"stream":"Successfully built abc\n"}
`), out, "")
	if err != nil || id != "sha256:abc" {
		t.Errorf("id %q, err %v", id, err)
	}
}
