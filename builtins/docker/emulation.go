package docker

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/system"

	"github.com/agentcore/agentcore/engine"
)

// Building for another platform needs no emulation as long as nothing runs inside the image
// being built: FROM, COPY, ENV, LABEL... only assemble files and configuration. A RUN step
// executes the target platform's binaries, which the engine's kernel can do only with an
// emulator (QEMU) registered with binfmt_misc. This file finds such steps before the build,
// checks for the emulator where it can, and words the error the user gets without one.

// foreignRun is the first RUN instruction of a Dockerfile that would execute on the target
// platform, for the error message.
type foreignRun struct {
	line  int
	instr string
}

// dfStage is one FROM ... stage of a Dockerfile as far as emulation is concerned.
type dfStage struct {
	name        string
	native      bool     // FROM --platform=$BUILDPLATFORM (or the build host's platform)
	platformSet bool     // FROM has --platform
	base        string   // the image or stage it starts from
	deps        []string // stages it copies or mounts from (--from=)
	runs        []foreignRun
}

// runsOnTarget returns the first RUN the build would execute for the target platform, or nil.
// It reads the Dockerfile the way the frontend does as far as it matters here: the escape
// directive, comments, continuation lines, stages, FROM --platform, and which stages the
// target stage (the last one, or target) needs. hostPlatform is the engine's ("linux/amd64").
func runsOnTarget(dockerfile []byte, target, hostPlatform string) *foreignRun {
	stages := parseStages(dockerfile, hostPlatform)
	if len(stages) == 0 {
		return nil
	}
	byName := map[string]int{}
	for i, s := range stages {
		if s.name != "" {
			byName[s.name] = i
		}
		byName[strconv.Itoa(i)] = i
	}
	root := len(stages) - 1
	if target != "" {
		if i, ok := byName[strings.ToLower(target)]; ok {
			root = i
		}
	}
	// A stage FROM an earlier stage, without --platform of its own, runs on that stage's
	// platform.
	for i := range stages {
		if b, ok := byName[strings.ToLower(stages[i].base)]; ok && b < i && !stages[i].platformSet {
			stages[i].native = stages[b].native
		}
	}
	// Only the stages the target needs are built.
	seen := map[int]bool{}
	var first *foreignRun
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		s := stages[i]
		if b, ok := byName[strings.ToLower(s.base)]; ok && b < i {
			visit(b)
		}
		for _, d := range s.deps {
			if j, ok := byName[strings.ToLower(d)]; ok && j != i {
				visit(j)
			}
		}
		if !s.native && len(s.runs) > 0 && (first == nil || s.runs[0].line < first.line) {
			r := s.runs[0]
			first = &r
		}
	}
	visit(root)
	return first
}

// parseStages splits a Dockerfile into stages with their RUN instructions and dependencies.
func parseStages(dockerfile []byte, hostPlatform string) []dfStage {
	escape := byte('\\')
	var (
		stages  []dfStage
		cont    bool // the previous line ended with the escape character
		start   int  // line where the current instruction started
		instr   strings.Builder
		inDirec = true // parser directives come first, before any other line
	)
	finish := func() {
		text := strings.TrimSpace(instr.String())
		instr.Reset()
		if text == "" {
			return
		}
		fields := strings.Fields(text)
		keyword := strings.ToUpper(fields[0])
		args := fields[1:]
		switch keyword {
		case "FROM":
			st := dfStage{}
			var rest []string
			for _, a := range args {
				if p, ok := strings.CutPrefix(strings.ToLower(a), "--platform="); ok {
					st.platformSet = true
					st.native = p == "$buildplatform" || p == "${buildplatform}" || p == hostPlatform
					continue
				}
				rest = append(rest, a)
			}
			if len(rest) > 0 {
				st.base = rest[0]
			}
			if len(rest) >= 3 && strings.EqualFold(rest[1], "as") {
				st.name = strings.ToLower(rest[2])
			}
			stages = append(stages, st)
		case "RUN", "COPY", "ADD":
			if len(stages) == 0 {
				return
			}
			s := &stages[len(stages)-1]
			for _, a := range args {
				if !strings.HasPrefix(a, "--") {
					break
				}
				// COPY --from=build, RUN --mount=type=cache,from=build,...
				if v, ok := strings.CutPrefix(a, "--from="); ok {
					s.deps = append(s.deps, v)
				}
				for _, kv := range strings.Split(strings.TrimPrefix(a, "--mount="), ",") {
					if v, ok := strings.CutPrefix(kv, "from="); ok && strings.HasPrefix(a, "--mount=") {
						s.deps = append(s.deps, v)
					}
				}
			}
			if keyword == "RUN" {
				s.runs = append(s.runs, foreignRun{line: start, instr: oneLine(text)})
			}
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		if inDirec {
			if d, ok := strings.CutPrefix(trimmed, "#"); ok {
				k, v, isDirective := strings.Cut(d, "=")
				if isDirective && strings.EqualFold(strings.TrimSpace(k), "escape") {
					if v = strings.TrimSpace(v); v == "`" {
						escape = '`'
					}
					continue
				}
			}
			inDirec = false
		}
		if strings.HasPrefix(trimmed, "#") { // comments, also inside a continued instruction
			continue
		}
		if !cont {
			if trimmed == "" {
				continue
			}
			start = n
		}
		cont = len(line) > 0 && line[len(line)-1] == escape
		if cont {
			line = line[:len(line)-1]
		}
		instr.WriteString(line + " ")
		if !cont {
			finish()
		}
	}
	finish()
	return stages
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// emulationStatus says whether the engine's kernel can run binaries for arch. known is false
// when this process cannot tell: a remote engine, an engine in a VM (Docker Desktop), or an
// engine in another PID namespace than this process (this process in a container, with the
// engine's socket mounted, sees its own /proc, not the engine's). where says what was found.
type emulationStatus struct {
	known, ok bool
	where     string
}

// binfmtRoot is where the kernel lists registered binary formats.
const binfmtRoot = "/proc/sys/fs/binfmt_misc"

// checkEmulation looks, for an engine on this machine, for a binfmt_misc registration that
// runs arch's binaries (QEMU's are named qemu-<machine>, e.g. qemu-aarch64, whether they come
// from tonistiigi/binfmt or the distribution's qemu-user-static).
func checkEmulation(info system.Info, daemonHost, arch string) emulationStatus {
	socket, ok := strings.CutPrefix(daemonHost, "unix://")
	if runtime.GOOS != "linux" || !ok || strings.Contains(info.OperatingSystem, "Docker Desktop") {
		return emulationStatus{}
	}
	// The engine's process, seen from here: 0 when it is not in this PID namespace.
	pid := socketPeer(socket)
	if pid <= 0 {
		return emulationStatus{}
	}
	// The same kernel as the engine's: not a socket forwarded from another machine.
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err != nil || strings.TrimSpace(string(rel)) != info.KernelVersion {
		return emulationStatus{}
	}
	// binfmt_misc as the engine sees it when we may look (its mount namespace may differ),
	// else as this process sees it.
	root := binfmtRoot
	if engineView := fmt.Sprintf("/proc/%d/root%s", pid, binfmtRoot); isDir(engineView) {
		root = engineView
	}
	machine := qemuMachine(arch)
	if _, err := os.Stat(filepath.Join(root, "register")); err != nil {
		return emulationStatus{known: true, where: "binfmt_misc is not mounted on the engine's host (" + binfmtRoot + " is empty), so no emulator is registered"}
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if !strings.Contains(e.Name(), machine) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, e.Name()))
		if err == nil && strings.HasPrefix(string(b), "enabled") {
			return emulationStatus{known: true, ok: true, where: filepath.Join(binfmtRoot, e.Name())}
		}
	}
	return emulationStatus{known: true, where: "no QEMU emulator for " + machine + " is registered (there is no enabled " + filepath.Join(binfmtRoot, "qemu-"+machine) + ")"}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// qemuMachine is QEMU's (and uname's) name for a Go/OCI architecture.
func qemuMachine(arch string) string {
	switch arch {
	case "arm64":
		return "aarch64"
	case "amd64":
		return "x86_64"
	case "386":
		return "i386"
	case "mips64le":
		return "mips64el"
	case "loong64":
		return "loongarch64"
	}
	return arch
}

// mayRunNatively reports whether a host's kernel may run target's programs without an
// emulator (an x86_64 kernel with IA32 emulation runs 386 ones), so that looking for QEMU
// first could refuse a build that works; a failure then shows as "exec format error".
func mayRunNatively(host, target string) bool {
	return host == target || (host == "linux/amd64" && target == "linux/386")
}

// emulationError is the error for a build that needs an emulator the engine does not have:
// run names the RUN instruction ("line 3: RUN make"), why says what was found missing or
// what failed.
func emulationError(platform, host, run, why string) *engine.Error {
	arch := strings.Split(platform, "/")[1]
	return &engine.Error{Code: engine.ExitUsage,
		Msg: fmt.Sprintf("the Dockerfile runs a command in the %s image (%s), and the Docker engine's host (%s) cannot run %s programs without an emulator: %s",
			platform, run, host, platform, why),
		Hint: fmt.Sprintf("register QEMU with binfmt_misc on the engine's host: `docker run --privileged --rm tonistiigi/binfmt --install %s` "+
			"(or `sudo apt install qemu-user-static binfmt-support`); or avoid emulation: build = \"go\" or build = \"zip\" "+
			"in agentcore.toml builds the agent without running anything for %s", arch, platform)}
}
