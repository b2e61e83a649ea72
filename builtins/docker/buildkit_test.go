package docker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/engine"
)

// foreignArch is an architecture the engine (this machine) does not run natively.
func foreignArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// The point of BuildKit here: an image for another platform, built on this engine without
// emulation (nothing runs in it), tagged in the engine's store and pushable.
func TestBuildKitForeignPlatform(t *testing.T) {
	h := newHarness(t)
	arch := foreignArch()
	reg := startRegistry(t, nil)
	writeFiles(t, h.Run.Dir, map[string]string{
		"agent/app-" + arch:   "",
		"agent/notes.txt":     "left out",
		"agent/.dockerignore": "notes.txt\n",
		"agent/Dockerfile": dockerfile(
			`ARG GREETING`,
			`COPY app-`+arch+` /app`,
			`ENV GREETING=$GREETING MODE=agent`,
			`LABEL from.dockerfile=yes`,
			`CMD ["/app"]`,
		),
	})
	tag := repoPrefix + "-bk-foreign:1"
	ref := reg.Host + "/" + repoPrefix + "/bk:1"
	res := h.Do(t, fmt.Sprintf(`
		local r = docker.build{context = "agent", tags = {%q}, platform = "linux/%s",
			labels = {team = "agents"}, build_args = {GREETING = "hello"}}
		local img = docker.inspect(%[1]q)
		docker.tag(r.id, %[3]q)
		local p = docker.push(%[3]q)
		return r.builder, r.id, img.id, img.os .. "/" .. img.architecture, img.labels.team,
			img.labels["from.dockerfile"], p.digest`, tag, arch, ref))
	if res[0].String() != "buildkit" {
		t.Errorf("builder %s, want buildkit", res[0])
	}
	if !strings.HasPrefix(res[1].String(), "sha256:") || res[1].String() != res[2].String() {
		t.Errorf("build id %s, inspect id %s", res[1], res[2])
	}
	if res[3].String() != "linux/"+arch {
		t.Errorf("platform %s, want linux/%s", res[3], arch)
	}
	if res[4].String() != "agents" || res[5].String() != "yes" {
		t.Errorf("labels team=%s from.dockerfile=%s", res[4], res[5])
	}
	if !strings.HasPrefix(res[6].String(), "sha256:") {
		t.Errorf("push digest %s", res[6])
	}
	env := imageEnv(t, tag)
	for _, want := range []string{"GREETING=hello", "MODE=agent"} {
		if !strings.Contains(env, want) {
			t.Errorf("image env %s lacks %s", env, want)
		}
	}
	out := h.Stdout.String()
	for _, want := range []string{
		"==> building image " + tag + " from agent for linux/" + arch,
		"docker │ [1/1] COPY app-" + arch + " /app",
		"ok: built " + tag + " (", "with BuildKit in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "/app: done in ") && !strings.Contains(out, "/app: cached") {
		t.Errorf("output does not say the COPY step finished:\n%s", out)
	}
	if strings.Contains(out, "[internal]") {
		t.Errorf("BuildKit's internal steps are shown without --verbose:\n%s", out)
	}

	// The same build again: cached, and the same image.
	h.Stdout.Reset()
	again := h.Do(t, fmt.Sprintf(`return docker.build{context = "agent", tags = {%q}, platform = "linux/%s",
		labels = {team = "agents"}, build_args = {GREETING = "hello"}}.id`, tag, arch))
	if again[0].String() != res[1].String() {
		t.Errorf("rebuild gave %s, first build %s", again[0], res[1])
	}
	if !strings.Contains(h.Stdout.String(), "/app: cached") {
		t.Errorf("rebuild output does not say cached:\n%s", h.Stdout)
	}
}

// -o json: BuildKit's steps are log events from docker like the classic builder's lines.
func TestBuildKitJSONOutput(t *testing.T) {
	h := newHarness(t)
	h.Run.Out.JSON = true
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`, `RUN ["/app", "say", "hello-from-run"]`)})
	h.Do(t, `docker.build{context = ".", builder = "buildkit", no_cache = true}`)
	var steps, outputs int
	for _, line := range strings.Split(strings.TrimSpace(h.Stdout.String()), "\n") {
		var ev engine.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if ev.Type == "log" && ev.Source == "docker" {
			switch {
			case ev.Message == `[2/2] RUN ["/app", "say", "hello-from-run"]`:
				steps++
			case ev.Message == "  hello-from-run":
				outputs++
			}
		}
	}
	if steps != 1 || outputs != 1 {
		t.Errorf("step lines %d, output lines %d, want 1 and 1:\n%s", steps, outputs, h.Stdout)
	}
}

func TestBuildSamePlatformStaysClassic(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`)})
	res := h.Do(t, fmt.Sprintf(`local r = docker.build{context = ".", platform = "linux/%s", tags = %q}
		return r.builder, docker.inspect(r.id).architecture`, runtime.GOARCH, repoPrefix+"-same:1"))
	if res[0].String() != "classic" || res[1].String() != runtime.GOARCH {
		t.Errorf("builder %s, architecture %s", res[0], res[1])
	}
	if out := h.Stdout.String(); !strings.Contains(out, "docker │ Step 1/") || !strings.Contains(out, "with the classic builder") {
		t.Errorf("output:\n%s", out)
	}
	// Without a platform too.
	res = h.Do(t, `return docker.build{context = "."}.builder`)
	if res[0].String() != "classic" {
		t.Errorf("builder %s without a platform", res[0])
	}
}

// builder = "buildkit" on the engine's own platform runs everything BuildKit can, RUN included:
// the .dockerignore rules and the failing-step error hold as with the classic builder.
func TestBuildKitNativeRunAndFailingStep(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"agent/app":            "",
		"agent/keep.txt":       "kept",
		"agent/secret.env":     "TOKEN=1",
		"agent/logs/debug.log": "noise",
		"agent/.dockerignore":  "secret.env\n**/*.log\n.dockerignore\n",
		"agent/Dockerfile": dockerfile(
			`COPY . /`,
			`RUN ["/app", "present", "/keep.txt"]`,
			`RUN ["/app", "absent", "/secret.env"]`,
			`RUN ["/app", "absent", "/logs/debug.log"]`,
			`RUN ["/app", "absent", "/.dockerignore"]`,
		),
		"failing/app":        "",
		"failing/Dockerfile": dockerfile(`COPY app /app`, `RUN ["/app", "fail"]`),
	})
	res := h.Do(t, `return docker.build{context = "agent", builder = "buildkit"}.builder`)
	if res[0].String() != "buildkit" {
		t.Errorf("builder %s", res[0])
	}
	h.Stdout.Reset()
	e := engineError(t, h.Err(`docker.build{context = "failing", builder = "buildkit", no_cache = true}`))
	for _, want := range []string{
		`building an image from failing: step 2/2 (RUN ["/app", "fail"]): `, "exit code: 3",
		"last output of the step:", "checking the agent", "boom: the agent failed its self-check",
	} {
		if !strings.Contains(e.Msg, want) {
			t.Errorf("error lacks %q:\n%s", want, e.Msg)
		}
	}
	if e.Code != engine.ExitFailure {
		t.Errorf("code %d", e.Code)
	}
	if out := h.Stdout.String(); !strings.Contains(out, "  boom: the agent failed its self-check") || !strings.Contains(out, `RUN ["/app", "fail"]: failed`) {
		t.Errorf("output lacks the live step output or the failed line:\n%s", out)
	}
}

// A RUN step for a foreign platform on an engine without QEMU: refused before building, with
// what is missing and how to get it (this machine has no binfmt_misc mounted).
func TestBuildKitRunNeedsEmulation(t *testing.T) {
	if b, err := readBinfmt(foreignArch()); err == nil && strings.HasPrefix(b, "enabled") {
		t.Skip("QEMU is registered here: the build would succeed")
	}
	h := newHarness(t)
	arch := foreignArch()
	writeFiles(t, h.Run.Dir, map[string]string{
		"app-" + arch: "",
		"Dockerfile":  dockerfile(`COPY app-`+arch+` /app`, `RUN ["/app", "say", "hi"]`),
	})
	e := engineError(t, h.Err(fmt.Sprintf(`docker.build{context = ".", platform = "linux/%s", tags = %q}`, arch, repoPrefix+"-qemu:1")))
	checkEmulationError(t, e, arch, `Dockerfile line 4: RUN ["/app", "say", "hi"]`)
	if strings.Contains(h.Stdout.String(), "[1/2]") {
		t.Errorf("the build started although it could not succeed:\n%s", h.Stdout)
	}

	// A stage built for the engine's platform (FROM --platform=$BUILDPLATFORM) runs natively:
	// no emulation needed, the build goes through.
	writeFiles(t, h.Run.Dir, map[string]string{
		"app":       "",
		"cross/app": "", "cross/app-" + arch: "",
		"cross/Dockerfile": "FROM --platform=$BUILDPLATFORM scratch AS build\n" + labelDoc +
			"COPY app /app\nRUN [\"/app\", \"say\", \"native\"]\n" +
			"FROM scratch\n" + labelDoc + "COPY --from=build /app /native\nCOPY app-" + arch + " /app\n",
	})
	res := h.Do(t, fmt.Sprintf(`local r = docker.build{context = "cross", platform = "linux/%s"}
		return docker.inspect(r.id).architecture`, arch))
	if res[0].String() != arch {
		t.Errorf("architecture %s", res[0])
	}
}

// An engine this process cannot look into (here: the same engine behind a TCP proxy) gets the
// build, which fails on the foreign binary; the failure is worded like the check's.
func TestBuildKitExecFormatErrorOnRemoteEngine(t *testing.T) {
	if b, err := readBinfmt(foreignArch()); err == nil && strings.HasPrefix(b, "enabled") {
		t.Skip("QEMU is registered here: the build would succeed")
	}
	t.Setenv("DOCKER_HOST", "tcp://"+proxyEngine(t))
	h := newHarness(t)
	arch := foreignArch()
	writeFiles(t, h.Run.Dir, map[string]string{
		"app-" + arch: "",
		"Dockerfile":  dockerfile(`COPY app-`+arch+` /app`, `RUN ["/app", "say", "hi"]`),
	})
	e := engineError(t, h.Err(fmt.Sprintf(`docker.build{context = ".", platform = "linux/%s", no_cache = true}`, arch)))
	checkEmulationError(t, e, arch, `step 2/2 (RUN ["/app", "say", "hi"])`)
	if !strings.Contains(e.Msg, "exec format error") {
		t.Errorf("error does not say what failed: %s", e.Msg)
	}
}

func checkEmulationError(t *testing.T, e *engine.Error, arch, run string) {
	t.Helper()
	if e.Code != engine.ExitUsage {
		t.Errorf("code %d, want %d", e.Code, engine.ExitUsage)
	}
	for _, want := range []string{"runs a command in the linux/" + arch + " image (" + run + ")", "cannot run linux/" + arch + " programs without an emulator"} {
		if !strings.Contains(e.Msg, want) {
			t.Errorf("error lacks %q:\n%s", want, e.Msg)
		}
	}
	for _, want := range []string{"tonistiigi/binfmt --install " + arch, "qemu-user-static", `build = "go"`, `build = "zip"`} {
		if !strings.Contains(e.Hint, want) {
			t.Errorf("hint lacks %q:\n%s", want, e.Hint)
		}
	}
}

func TestBuildDockerfileSyntaxError(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{
		"app":              "",
		"agent/Dockerfile": "FROM scratch\nCOPY app /app\nFROBNICATE --hard\n",
		"agent/app":        "",
	})
	for _, builder := range []string{"buildkit", "classic"} {
		e := engineError(t, h.Err(fmt.Sprintf(`docker.build{context = "agent", builder = %q}`, builder)))
		want := "the Dockerfile does not parse: agent/Dockerfile, line 3: unknown instruction: FROBNICATE\n  3 | FROBNICATE --hard"
		if !strings.Contains(e.Msg, want) || e.Code != engine.ExitUsage || !strings.Contains(e.Hint, "fix line 3 of agent/Dockerfile") {
			t.Errorf("%s: code %d %q (hint %q), want %q", builder, e.Code, e.Msg, e.Hint, want)
		}
	}
}

func TestBuildRefusesSecretBuildArgs(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`ARG TOKEN`, `COPY app /app`)})
	h.Run.Out.AddSecret("tok-0123456789")
	for _, builder := range []string{"auto", "buildkit", "classic"} {
		e := engineError(t, h.Err(fmt.Sprintf(`docker.build{context = ".", builder = %q, build_args = {A = "plain", TOKEN = "tok-0123456789"}}`, builder)))
		if e.Code != engine.ExitUsage || !strings.Contains(e.Msg, "build arg TOKEN holds a secret") ||
			!strings.Contains(e.Hint, "RUN --mount=type=secret") {
			t.Errorf("%s: code %d %q (hint %q)", builder, e.Code, e.Msg, e.Hint)
		}
		if strings.Contains(e.Error(), "tok-0123456789") {
			t.Errorf("the error shows the secret: %s", e.Error())
		}
	}
	e := engineError(t, h.Err(`docker.build{context = ".", builder = "kaniko"}`))
	if e.Code != engine.ExitUsage || !strings.Contains(e.Msg, `field builder must be "auto", "buildkit" or "classic", got "kaniko"`) {
		t.Errorf("unknown builder: %d %q", e.Code, e.Msg)
	}
}

// imageEnv returns the image's configured environment, as one string.
func imageEnv(t *testing.T, ref string) string {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	img, err := c.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if img.Config == nil {
		return ""
	}
	return strings.Join(img.Config.Env, " ")
}

// proxyEngine forwards a loopback TCP port to the engine's unix socket, so that the engine
// looks remote; it returns host:port.
func proxyEngine(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer in.Close()
				out, err := net.Dial("unix", "/var/run/docker.sock")
				if err != nil {
					return
				}
				defer out.Close()
				go func() { _, _ = io.Copy(out, in) }()
				_, _ = io.Copy(in, out)
			}()
		}
	}()
	return ln.Addr().String()
}

// readBinfmt returns the binfmt_misc registration of QEMU for a Go architecture.
func readBinfmt(goarch string) (string, error) {
	machine := map[string]string{"arm64": "aarch64", "amd64": "x86_64"}[goarch]
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-" + machine)
	return string(b), err
}

// A COPY of a file that is not in the context fails its step with a hint about the context,
// not with a registry explanation (the message says "does not exist").
func TestBuildCopyMissingFile(t *testing.T) {
	h := newHarness(t)
	writeFiles(t, h.Run.Dir, map[string]string{"app": "", "Dockerfile": dockerfile(`COPY app /app`, `COPY nowhere.txt /x`)})
	for _, builder := range []string{"buildkit", "classic"} {
		e := engineError(t, h.Err(fmt.Sprintf(`docker.build{context = ".", builder = %q}`, builder)))
		if e.Code != engine.ExitFailure || !strings.Contains(e.Msg, "(COPY nowhere.txt /x)") || !strings.Contains(e.Msg, "not found") ||
			!strings.Contains(e.Hint, "inside the build context") || strings.Contains(e.Msg, "registry") {
			t.Errorf("%s: code %d %q (hint %q)", builder, e.Code, e.Msg, e.Hint)
		}
	}
}
