package docker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/docker"
)

// The hash follows what the build sends (content, names, modes, .dockerignore, settings) and
// nothing else (times, a Dockerfile's generated name outside the context).
func TestContextHash(t *testing.T) {
	dir := t.TempDir()
	ctx := filepath.Join(dir, "agent")
	writeFiles(t, ctx, map[string]string{
		"Dockerfile": "FROM scratch\nCOPY agent /agent\n", "agent": "binary-1", ".dockerignore": "*\n!agent\n!Dockerfile\n",
		"notes.txt": "ignored",
	})
	df := filepath.Join(ctx, "Dockerfile")
	hash := func(settings map[string]string) string {
		t.Helper()
		h, err := docker.ContextHash(ctx, df, settings)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash(map[string]string{"platform": "linux/amd64"})
	if again := hash(map[string]string{"platform": "linux/amd64"}); again != base {
		t.Fatalf("two hashes of the same context differ: %s %s", base, again)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(ctx, "agent"), later, later); err != nil {
		t.Fatal(err)
	}
	if h := hash(map[string]string{"platform": "linux/amd64"}); h != base {
		t.Fatal("a new modification time changed the hash")
	}
	writeFiles(t, ctx, map[string]string{"notes.txt": "changed, and ignored by .dockerignore"})
	if h := hash(map[string]string{"platform": "linux/amd64"}); h != base {
		t.Fatal("a file .dockerignore leaves out changed the hash")
	}
	if h := hash(map[string]string{"platform": "linux/arm64"}); h == base {
		t.Fatal("another platform gave the same hash")
	}
	if err := os.Chmod(filepath.Join(ctx, "agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	modeHash := hash(map[string]string{"platform": "linux/amd64"})
	if modeHash == base {
		t.Fatal("a new file mode gave the same hash")
	}
	writeFiles(t, ctx, map[string]string{"agent": "binary-2"})
	if h := hash(map[string]string{"platform": "linux/amd64"}); h == modeHash {
		t.Fatal("new content gave the same hash")
	}

	// a Dockerfile outside the context gets a random name in the tar: not in the hash
	outside := filepath.Join(dir, "Dockerfile.agent")
	writeFiles(t, dir, map[string]string{"Dockerfile.agent": "FROM scratch\nCOPY agent /agent\n"})
	h1, err := docker.ContextHash(ctx, outside, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := docker.ContextHash(ctx, outside, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 {
		t.Fatalf("a Dockerfile outside the context: two hashes differ: %s %s", h1, h2)
	}
	writeFiles(t, dir, map[string]string{"Dockerfile.agent": "FROM scratch\nCOPY agent /bin/agent\n"})
	if h3, _ := docker.ContextHash(ctx, outside, nil); h3 == h1 {
		t.Fatal("a changed Dockerfile outside the context gave the same hash")
	}
	if _, err := docker.ContextHash(filepath.Join(dir, "missing"), outside, nil); err == nil {
		t.Fatal("a missing context gave no error")
	}
}

func TestBaseImages(t *testing.T) {
	for _, c := range []struct {
		name, dockerfile string
		args             map[string]string
		want             []docker.BaseImage // nil with ok false: gives up
		ok               bool
	}{
		{"scratch", "FROM scratch\nCOPY a /a\n", nil, nil, true},
		{"one base", "# syntax=docker/dockerfile:1\nfrom python:3.12-slim\nRUN true\n", nil,
			[]docker.BaseImage{{Ref: "python:3.12-slim"}}, true},
		{"stages", "FROM golang:1.24 AS Build\nRUN go build\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=busybox:1 /bin/sh /sh\n", nil,
			[]docker.BaseImage{{Ref: "golang:1.24"}, {Ref: "busybox:1"}}, true},
		{"meta args", "ARG BASE=alpine\nARG TAG\nFROM --platform=$BUILDPLATFORM ${BASE}:${TAG:-3.20}\n", nil,
			[]docker.BaseImage{{Ref: "alpine:3.20"}}, true},
		{"build arg over the default", "ARG BASE=alpine\nFROM $BASE AS x\nFROM x\n", map[string]string{"BASE": "debian:12"},
			[]docker.BaseImage{{Ref: "debian:12"}}, true},
		{"literal platform", "FROM --platform=linux/arm64 \\\n  alpine:3 \\\n  AS a\n", nil,
			[]docker.BaseImage{{Ref: "alpine:3", Platform: "linux/arm64"}}, true},
		{"escape directive", "# escape=`\nFROM `\n  alpine:3\n", nil, []docker.BaseImage{{Ref: "alpine:3"}}, true},
		{"pinned", "FROM alpine@sha256:0123\n", nil, []docker.BaseImage{{Ref: "alpine@sha256:0123"}}, true},
		{"undeclared arg", "FROM $BASE\n", map[string]string{"BASE": "alpine"}, nil, false},
		{"a stage's arg does not reach FROM", "FROM scratch\nARG BASE=alpine\nFROM $BASE\n", nil, nil, false},
		{"predefined platform arg", "FROM --platform=$TARGETPLATFORM alpine\n", nil, nil, false},
		{"other expansion", "ARG B=a\nFROM ${B%%x}\n", nil, nil, false},
		{"empty expansion", "ARG B\nFROM $B\n", nil, nil, false},
		{"no FROM", "# nothing\n", nil, nil, false},
	} {
		got, ok := docker.BaseImages(c.dockerfile, c.args)
		if ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("%s: BaseImages = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// A base image pulled again (here: its tag moved to another image) changes docker.context_hash;
// nothing changed gives the same hash; a base the engine does not have gives nil.
func TestContextHashFollowsBaseImages(t *testing.T) {
	h := newHarness(t)
	base := repoPrefix + "-base:1"
	writeFiles(t, h.Run.Dir, map[string]string{
		"one/one": "1", "one/Dockerfile": dockerfile(`COPY one /one`),
		"two/two": "2", "two/Dockerfile": dockerfile(`COPY two /two`),
		"agent/app": "", "agent/Dockerfile": "ARG BASE=" + base + "\nFROM ${BASE} AS runtime\n" + labelDoc + "COPY app /app\nFROM runtime\n",
	})
	hash := func() lua.LValue {
		t.Helper()
		return h.Do(t, `return docker.context_hash{context = "agent"}`)[0]
	}
	h.Do(t, fmt.Sprintf(`docker.build{context = "one", tags = {%q}}`, base))
	first := hash()
	if first == lua.LNil {
		t.Fatal("a local base image gave no hash")
	}
	if again := hash(); again.String() != first.String() {
		t.Fatalf("nothing changed, yet the hash did: %s %s", first, again)
	}
	h.Do(t, fmt.Sprintf(`docker.build{context = "two", tags = {%q}}`, base))
	moved := hash()
	if moved == lua.LNil || moved.String() == first.String() {
		t.Fatalf("the base's tag moved to another image: hash %s, before %s", moved, first)
	}
	h.Do(t, fmt.Sprintf(`docker.remove_image(%q)`, base))
	if gone := hash(); gone != lua.LNil {
		t.Fatalf("a base the engine does not have gave %s, want nil", gone)
	}
	other := repoPrefix + "-missing:1"
	if got := h.Do(t, fmt.Sprintf(`return docker.context_hash{context = "agent", build_args = {BASE = %q}}`, other))[0]; got != lua.LNil {
		t.Fatalf("a build arg naming a missing base gave %s, want nil", got)
	}
	if got := h.Do(t, `return docker.context_hash{context = "agent", build_args = {BASE = "Not/A:Reference:At:All"}}`)[0]; got != lua.LNil {
		t.Fatalf("a base that is no reference gave %s, want nil", got)
	}
}
