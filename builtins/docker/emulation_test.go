package docker

import (
	"testing"
)

func TestRunsOnTarget(t *testing.T) {
	const host = "linux/amd64"
	for _, tc := range []struct {
		name, dockerfile, target string
		want                     int // line of the RUN reported, 0 for none
	}{
		{"no RUN", "FROM scratch\nCOPY app /app\nENV A=1\nLABEL x=y\nCMD [\"/app\"]\n", "", 0},
		{"RUN", "FROM scratch\nCOPY app /app\n\nRUN [\"/app\", \"check\"]\n", "", 4},
		{"lower case, continued", "from python:3.12\nrun pip install \\\n  -r requirements.txt\n", "", 2},
		{"continuation line starting with run", "FROM scratch\nCOPY a \\\n  run /x\n", "", 0},
		{"comment", "FROM scratch\n# RUN make\nCOPY . /\n", "", 0},
		{"escape directive", "# escape=`\nFROM scratch\nCOPY a `\n RUN\nRUN x\n", "", 5},
		{"build stage on the build platform", "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN go build -o /app .\n" +
			"FROM scratch\nCOPY --from=build /app /app\n", "", 0},
		{"braces and the host's platform", "FROM --platform=${BUILDPLATFORM} golang AS a\nRUN make\nFROM --platform=linux/amd64 alpine AS b\nRUN make\n" +
			"FROM scratch\nCOPY --from=a /x /x\nCOPY --from=b /y /y\n", "", 0},
		{"target platform stage used", "FROM --platform=$TARGETPLATFORM alpine AS deps\nRUN apk add curl\n" +
			"FROM scratch\nCOPY --from=deps /usr/bin/curl /curl\n", "", 2},
		{"stage from a native stage", "FROM --platform=$BUILDPLATFORM golang AS base\nFROM base AS build\nRUN make\n" +
			"FROM scratch\nCOPY --from=build /app /app\n", "", 0},
		{"unused stage", "FROM alpine AS test\nRUN make test\nFROM scratch\nCOPY app /app\n", "", 0},
		{"stage used by index", "FROM alpine\nRUN make\nFROM scratch\nCOPY --from=0 /app /app\n", "", 2},
		{"stage mounted", "FROM alpine AS tools\nRUN make\nFROM scratch AS final\nRUN --mount=type=bind,from=tools,target=/t [\"/t/x\"]\n", "", 2},
		{"target stops earlier", "FROM scratch AS app\nCOPY app /app\nFROM app AS test\nRUN [\"/app\", \"test\"]\n", "app", 0},
		{"target includes it", "FROM scratch AS app\nCOPY app /app\nFROM app AS test\nRUN [\"/app\", \"test\"]\n", "test", 4},
	} {
		r := runsOnTarget([]byte(tc.dockerfile), tc.target, host)
		switch {
		case tc.want == 0 && r != nil:
			t.Errorf("%s: reported line %d (%s), want none", tc.name, r.line, r.instr)
		case tc.want != 0 && r == nil:
			t.Errorf("%s: reported none, want line %d", tc.name, tc.want)
		case tc.want != 0 && r.line != tc.want:
			t.Errorf("%s: reported line %d (%s), want %d", tc.name, r.line, r.instr, tc.want)
		}
	}
	if r := runsOnTarget([]byte("FROM scratch\nRUN   a \\\n   b\n"), "", host); r == nil || r.instr != "RUN a b" {
		t.Errorf("instruction %+v, want RUN a b", r)
	}
}
