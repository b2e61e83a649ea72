package docker_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

func TestBuildHonoursDockerignore(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"agent/app":            "",
		"agent/keep.txt":       "kept",
		"agent/secret.env":     "TOKEN=1",
		"agent/logs/debug.log": "noise",
		"agent/.dockerignore":  "secret.env\n**/*.log\nDockerfile\n",
		"agent/Dockerfile": dockerfile(
			`COPY . /`,
			`RUN ["/app", "present", "/keep.txt"]`,
			`RUN ["/app", "absent", "/secret.env"]`,
			`RUN ["/app", "absent", "/logs/debug.log"]`,
			`RUN ["/app", "absent", "/Dockerfile"]`,
		),
	})
	tag := repoPrefix + "-ignore:1"
	res := h.Do(t, fmt.Sprintf(`
		local r = docker.build{context = "agent", tags = {%q}, labels = {team = "agents"}}
		local img = docker.inspect(%q)
		return r.id, r.tags[1], img.id, img.labels.team, img.os, img.architecture`, tag, tag))
	if !strings.HasPrefix(res[0].String(), "sha256:") || res[0].String() != res[2].String() {
		t.Errorf("build id %s, inspect id %s", res[0], res[2])
	}
	if res[1].String() != tag {
		t.Errorf("tags[1] = %s, want %s", res[1], tag)
	}
	if res[3].String() != "agents" {
		t.Errorf("label team = %s, want agents", res[3])
	}
	if got := res[4].String() + "/" + res[5].String(); got != "linux/"+runtime.GOARCH {
		t.Errorf("platform %s", got)
	}
	out := h.Stdout.String()
	for _, want := range []string{"==> building image " + tag + " from agent", "docker │ Step 1/", "ok: built " + tag} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBuildDockerfileOutsideContext(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"agent/app":      "",
		"agent/main.txt": "x",
		"build/agent.Dockerfile": dockerfile(
			`COPY . /`,
			`RUN ["/app", "present", "/main.txt"]`,
			`RUN ["/app", "absent", "/.dockerfile.*"]`,
			`CMD ["/app"]`,
		),
	})
	tag := repoPrefix + "-outside:1"
	res := h.Do(t, fmt.Sprintf(`return docker.build{context = "agent", dockerfile = "build/agent.Dockerfile", tags = %q}.id`, tag))
	if !strings.HasPrefix(res[0].String(), "sha256:") {
		t.Errorf("id = %s", res[0])
	}
	// With a .dockerignore of its own, the context keeps its patterns too.
	writeFiles(t, h.Run.Dir, map[string]string{"agent/.dockerignore": "main.txt\n"})
	err := h.Err(fmt.Sprintf(`docker.build{context = "agent", dockerfile = "build/agent.Dockerfile", tags = %q}`, tag))
	if e := engineError(t, err); !strings.Contains(e.Msg, "missing file") {
		t.Errorf("error %q does not say main.txt was left out", e.Msg)
	}
}

func TestBuildArgsAreUsedAndNotEchoed(t *testing.T) {
	h := newHarness(t)
	const value = "s3cr3t-build-arg-value"
	writeFiles(t, h.Run.Dir, map[string]string{
		"app":          "",
		"expected.txt": value,
		"Dockerfile": dockerfile(
			`ARG GREETING`,
			`COPY app expected.txt /`,
			`RUN ["/app", "expect-env", "GREETING", "/expected.txt"]`,
		),
	})
	h.Do(t, fmt.Sprintf(`docker.build{context = ".", tags = {%q}, build_args = {GREETING = %q}}`, repoPrefix+"-args:1", value))
	if strings.Contains(h.Stdout.String()+h.Stderr.String(), value) {
		t.Errorf("output shows the build arg value:\n%s", h.Stdout)
	}
	err := h.Err(`docker.build{context = ".", build_args = {GREETING = "other"}}`)
	if e := engineError(t, err); !strings.Contains(e.Msg, "GREETING has the wrong value") {
		t.Errorf("error: %v", e)
	}
}

func TestBuildFailingStep(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"agent/app":        "",
		"agent/Dockerfile": dockerfile(`COPY app /app`, `RUN ["/app", "fail"]`),
	})
	err := h.Err(fmt.Sprintf(`docker.build{context = "agent", tags = {%q}}`, repoPrefix+"-fail:1"))
	e := engineError(t, err)
	for _, want := range []string{
		"test.lua:1:", "building image " + repoPrefix + "-fail:1 from agent: step 4/4 (RUN [\"/app\", \"fail\"]): ",
		"returned a non-zero code: 3", "boom: the agent failed its self-check",
	} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, e.Error())
		}
	}
	if e.Code != engine.ExitFailure {
		t.Errorf("code %d", e.Code)
	}
	// The step's output was also streamed while it ran.
	if !strings.Contains(h.Stdout.String(), "checking the agent") {
		t.Errorf("output lacks the step's output:\n%s", h.Stdout)
	}
}

func TestBuildUsageErrors(t *testing.T) {
	h := newHarness(t)
	for src, want := range map[string]string{
		`docker.build{}`:                                                         "argument #1 (opts) field context is required (a string)",
		`docker.build{context = ".", tag = "x"}`:                                 `unknown option "tag"`,
		`docker.build{context = ".", tags = {1, {}}}`:                            "tags[2] must be a string",
		`docker.build{context = ".", tags = "Bad Name"}`:                         `invalid tag "Bad Name"`,
		`docker.build{context = ".", platform = "arm64"}`:                        "invalid platform",
		`docker.build{context = ".", no_cache = "yes"}`:                          "argument #1 (opts) field no_cache must be a boolean, got a string",
		`docker.push("x", {auth = {user = "a"}})`:                                `unknown option "auth.user"`,
		`docker.tag("a")`:                                                        "argument #2 (target) is missing: it must be a string",
		`docker.push("127.0.0.1:5000/x@sha256:` + strings.Repeat("a", 64) + `")`: "cannot push the digest",
	} {
		e := engineError(t, h.Err(src))
		if e.Code != engine.ExitUsage || !strings.Contains(e.Msg, want) {
			t.Errorf("%s: got code %d %q, want usage error with %q", src, e.Code, e.Msg, want)
		}
	}
	// A missing Dockerfile is reported before anything is sent.
	e := engineError(t, h.Err(`docker.build{context = "."}`))
	if want := "building an image from .: there is no Dockerfile at " + h.Run.Dir + "/Dockerfile"; !strings.HasSuffix(e.Msg, want) || e.Hint == "" {
		t.Errorf("missing Dockerfile: %q (hint %q), want %q", e.Msg, e.Hint, want)
	}
	e = engineError(t, h.Err(`docker.build{context = "nowhere"}`))
	if !strings.Contains(e.Msg, "the build context "+h.Run.Dir+"/nowhere does not exist") {
		t.Errorf("missing context: %q", e.Msg)
	}
}

func TestBuildPlatform(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`)})
	res := h.Do(t, fmt.Sprintf(`local r = docker.build{context = ".", platform = "linux/%s", tags = %q}
		return docker.inspect(r.id).architecture`, runtime.GOARCH, repoPrefix+"-platform:1"))
	if res[0].String() != runtime.GOARCH {
		t.Errorf("architecture %s", res[0])
	}
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	e := engineError(t, h.Err(fmt.Sprintf(`docker.build{context = ".", platform = "linux/%s", builder = "classic"}`, other)))
	if !strings.Contains(e.Msg, "cannot build linux/"+other+" images") || !strings.Contains(e.Hint, `builder = "buildkit"`) {
		t.Errorf("foreign platform: %v (hint %q)", e, e.Hint)
	}
}

func TestPushToRegistryTwice(t *testing.T) {
	h := newHarness(t)
	reg := startRegistry(t, nil)
	writeFiles(t, h.Run.Dir, map[string]string{
		"app": "", "Dockerfile": dockerfile(`COPY app /app`, `CMD ["/app"]`),
	})
	ref := reg.Host + "/" + repoPrefix + "/bot:1"
	res := h.Do(t, fmt.Sprintf(`
		local b = docker.build{context = ".", tags = {%q}}
		docker.tag(b.id, %q)
		local first = docker.push(%[2]q, {auth = {username = "agent", password = "hunter2-password"}})
		local second = docker.push(%[2]q)
		return first.digest, first.size, first.layers_pushed, second.digest, second.layers_pushed,
			second.layers_existing, docker.image_digest(%[2]q), docker.image_digest(%[1]q), first.ref`,
		repoPrefix+"-push:1", ref))
	digest := res[0].String()
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) {
		t.Fatalf("digest %q", digest)
	}
	if n, _ := res[1].(lua.LNumber); n <= 0 {
		t.Errorf("size %v", res[1])
	}
	if n, _ := res[2].(lua.LNumber); n < 1 {
		t.Errorf("first push sent %v layers", res[2])
	}
	if res[3].String() != digest {
		t.Errorf("second digest %s != %s", res[3], digest)
	}
	if n, _ := res[4].(lua.LNumber); n != 0 {
		t.Errorf("second push sent %v layers", res[4])
	}
	if n, _ := res[5].(lua.LNumber); n < 1 {
		t.Errorf("second push found %v existing layers", res[5])
	}
	if want := reg.Host + "/" + repoPrefix + "/bot@" + digest; res[6].String() != want {
		t.Errorf("image_digest = %s, want %s", res[6], want)
	}
	if res[7] != lua.LNil {
		t.Errorf("image_digest of the unpushed repository = %s, want nil", res[7])
	}
	if res[8].String() != ref {
		t.Errorf("ref = %s", res[8])
	}
	out := h.Stdout.String()
	for _, want := range []string{"pushed", "already exists", "The push refers to repository"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2-password") {
		t.Error("output shows the registry password")
	}
	// Only the first push uploaded blobs.
	uploads := reg.uploads.Load()
	h.Do(t, fmt.Sprintf(`docker.push(%q)`, ref))
	if reg.uploads.Load() != uploads || uploads == 0 {
		t.Errorf("uploads: %d after first pushes, %d after another", uploads, reg.uploads.Load())
	}
}

func TestPushErrors(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`)})
	h.Do(t, fmt.Sprintf(`docker.build{context = ".", tags = %q}`, repoPrefix+"-pusherr:1"))

	locked := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		})
	})
	ref := locked.Host + "/" + repoPrefix + "/err:1"
	h.Do(t, fmt.Sprintf(`docker.tag(%q, %q)`, repoPrefix+"-pusherr:1", ref))
	t.Cleanup(func() { _ = h.Err(fmt.Sprintf(`docker.remove_image(%q)`, ref)) })
	// Wrong credentials are not tried here: the engine retries the layer upload with back-off
	// for 50 seconds before it gives up (the message is covered by TestExplain).
	for opts, want := range map[string]string{
		`nil`: "no credentials were sent",
	} {
		e := engineError(t, h.Err(fmt.Sprintf(`docker.push(%q, %s)`, ref, opts)))
		if !strings.Contains(e.Msg, "pushing image "+ref+": "+want) || !strings.Contains(e.Hint, "credentials passed as auth") {
			t.Errorf("push with %s: %q (hint %q)", opts, e.Msg, e.Hint)
		}
		if strings.Contains(e.Msg, "wrong-password") {
			t.Errorf("error shows the password: %s", e.Msg)
		}
	}
}

func TestPushConnectionRefused(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`)})
	reg := startRegistry(t, nil)
	ref := reg.Host + "/" + repoPrefix + "/refused:1"
	h.Do(t, fmt.Sprintf(`docker.build{context = ".", tags = %q}`, ref))
	t.Cleanup(func() { _ = h.Err(fmt.Sprintf(`docker.remove_image(%q)`, ref)) })
	// Stop the registry: its port now refuses connections.
	reg.close()
	e := engineError(t, h.Err(fmt.Sprintf(`docker.push(%q)`, ref)))
	if !strings.Contains(e.Msg, "connection refused") || !strings.Contains(e.Hint, "reachable") {
		t.Errorf("%q (hint %q)", e.Msg, e.Hint)
	}
}

func TestInspectRemoveAndNotFound(t *testing.T) {
	h := newHarness(t)
	// A label of its own: other tests' images share the cached layers of COPY app /app.
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`, `LABEL case=rm`)})
	tag := repoPrefix + "-rm:1"
	res := h.Do(t, fmt.Sprintf(`
		local b = docker.build{context = ".", tags = {%q}}
		docker.tag(%[1]q, %q)
		local img = docker.inspect(%[1]q)
		local removed = docker.remove_image(%[2]q)
		local again = docker.remove_image(%[2]q)
		return #img.repo_tags, removed, again, docker.inspect(%[2]q), docker.image_digest(%[2]q),
			docker.inspect(%[1]q) ~= nil, img.size > 0, img.created`, tag, repoPrefix+"-rm:2"))
	if res[0].String() != "2" || res[1] != lua.LTrue || res[2] != lua.LFalse || res[3] != lua.LNil || res[4] != lua.LNil || res[5] != lua.LTrue || res[6] != lua.LTrue {
		t.Errorf("got %v", res)
	}
	if _, err := time.Parse(time.RFC3339Nano, res[7].String()); err != nil {
		t.Errorf("created %q: %v", res[7], err)
	}
	e := engineError(t, h.Err(`docker.tag("agentcore-test-no-such-image:1", "x:1")`))
	if !strings.Contains(e.Msg, "tagging image agentcore-test-no-such-image:1 as x:1: No such image") || e.Hint == "" {
		t.Errorf("tag of a missing image: %q (hint %q)", e.Msg, e.Hint)
	}
}

func TestInfo(t *testing.T) {
	h := newHarness(t)
	res := h.Do(t, `local i = docker.info(); return i.server_version, i.os, i.arch, i.api_version, i.host`)
	for i, name := range []string{"server_version", "os", "arch", "api_version", "host"} {
		if res[i].String() == "" {
			t.Errorf("%s is empty", name)
		}
	}
}

func TestEngineNotRunning(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`)})
	for _, src := range []string{`docker.info()`, `docker.build{context = "."}`, `docker.inspect("x")`} {
		e := engineError(t, h.Err(src))
		if !strings.Contains(e.Msg, "the Docker engine is not running or not reachable at unix:///nonexistent.sock") ||
			!strings.Contains(e.Hint, "docker context ls") {
			t.Errorf("%s: %q (hint %q)", src, e.Msg, e.Hint)
		}
	}
	// Scripts see the hint through pcall.
	res := h.Do(t, `local ok, err = pcall(function() return docker.info() end); return ok, err.hint, tostring(err)`)
	if res[0] != lua.LFalse || !strings.Contains(res[1].String(), "start Docker") || !strings.HasPrefix(res[2].String(), "test.lua:1:") {
		t.Errorf("pcall: %v", res)
	}
}

func TestCancelAbortsBuild(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"app": "", "Dockerfile": dockerfile(`COPY app /app`, `RUN ["/app", "sleep", "120"]`),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.VM.L.SetContext(ctx)
	// Cancel once the slow step runs (its container exists), however long the steps before
	// it take on a busy machine.
	go func() {
		defer cancel()
		for end := time.Now().Add(90 * time.Second); time.Now().Before(end) && ctx.Err() == nil; time.Sleep(200 * time.Millisecond) {
			if n, err := countTestContainers(); err == nil && n > 0 {
				time.Sleep(time.Second)
				return
			}
		}
	}()
	start := time.Now()
	err := h.Err(fmt.Sprintf(`docker.build{context = ".", tags = %q, no_cache = true}`, repoPrefix+"-cancel:1"))
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("cancelled build took %s", took)
	}
	if err == nil {
		t.Fatal("cancelled build succeeded")
	}
	if !strings.Contains(err.Error(), "interrupted") && !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error: %v", err)
	}
	if engine.ExitCode(err) != engine.ExitInterrupted {
		t.Errorf("exit code %d, want %d", engine.ExitCode(err), engine.ExitInterrupted)
	}
	if !strings.Contains(h.Stdout.String(), `RUN ["/app", "sleep", "120"]`) {
		t.Errorf("the build never reached the slow step:\n%s", h.Stdout)
	}
	// The engine stops the build's container once the request is gone.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := runningTestContainers(t)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d build containers still running after the cancel", n)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestParallelBuilds(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"a/app": "", "a/Dockerfile": dockerfile(`COPY app /app`, `RUN ["/app", "say", "building-a"]`),
		"b/app": "", "b/Dockerfile": dockerfile(`COPY app /app`, `RUN ["/app", "say", "building-b"]`),
	})
	res := h.Do(t, fmt.Sprintf(`
		local a, b = parallel(
			function() return docker.build{context = "a", tags = {%q}, no_cache = true} end,
			function() return docker.build{context = "b", tags = {%q}, no_cache = true} end)
		return a.id, b.id`, repoPrefix+"-par-a:1", repoPrefix+"-par-b:1"))
	if !strings.HasPrefix(res[0].String(), "sha256:") || !strings.HasPrefix(res[1].String(), "sha256:") || res[0].String() == res[1].String() {
		t.Errorf("ids %v", res)
	}
	out := h.Stdout.String()
	for _, want := range []string{"[1]     docker │ building-a", "[2]     docker │ building-b", "[1] ok: built", "[2] ok: built"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
