package control

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/proctree"
)

// CodeSource is where code versions' packages are read from: the local endpoint's S3
// (*s3.Service satisfies it).
type CodeSource interface {
	Open(bucket, key, versionID string) (io.ReadCloser, int64, error)
	Keys(bucket, prefix string, max int) ([]string, error)
}

// RuntimeImageEnv prefixes the environment variables that name a local Docker image to run a
// code runtime in, e.g. AGENTCORE_LOCAL_RUNTIME_IMAGE_PYTHON_3_12=python:3.12-slim. When the
// image is on the engine, versions of that runtime run in a container from it (the package
// mounted read-only at /var/task); otherwise they run as host processes.
const RuntimeImageEnv = "AGENTCORE_LOCAL_RUNTIME_IMAGE_"

const containerCodeDir = "/var/task"

// codeRunner fetches and extracts code packages and runs them as host processes, one per
// version, each on its own loopback port (passed as PORT: several agents cannot all have
// 8080 on the host).
type codeRunner struct {
	source CodeSource
	dir    string // DATA/code: RUNTIME_ID/vN/ (the package), RUNTIME_ID/vN.log
	store  *store
	logf   func(format string, args ...any)

	mu     sync.Mutex
	exited map[int]chan struct{} // pid → closed when a process this server started ends

	ns nsSandboxes // the netns sandboxes of host processes, by sandbox id (codens.go)
}

// runtimeImage is the runtime image configured for a code runtime and present on the engine,
// "" when none is (the version then runs as host processes).
func (r *runner) runtimeImage(ctx context.Context, cfg runtimeConfig) string {
	image := os.Getenv(RuntimeImageEnv + cfg.Code.Runtime)
	if image == "" {
		return ""
	}
	if _, err := r.docker.ImageInspect(ctx, image); err != nil {
		return ""
	}
	return image
}

// verifyCode unpacks a code version's package (checking its entry point) and checks that
// what runs it is here: the runtime image, or the interpreter on this machine.
func (r *runner) verifyCode(ctx context.Context, runtimeID string, version int, cfg runtimeConfig) error {
	c := r.code
	if c.source == nil || c.dir == "" {
		return deployErrorf("this endpoint has no S3 to read code packages from")
	}
	if _, err := c.extract(runtimeID, version, cfg); err != nil {
		return err
	}
	if image := os.Getenv(RuntimeImageEnv + cfg.Code.Runtime); image != "" {
		if r.runtimeImage(ctx, cfg) != "" {
			return nil
		}
		r.logf("control: %s%s=%s: no such image on the Docker engine; runtime %s version %d runs as host processes", RuntimeImageEnv, cfg.Code.Runtime, image, runtimeID, version)
	}
	_, _, err := c.interpreterFor(ctx, cfg)
	return err
}

// startCode starts a sandbox of a code version: a container from the runtime image when one is
// configured and present on the engine (its own filesystem, the package mounted read-only at
// /var/task), a host process otherwise.
func (r *runner) startCode(ctx context.Context, sb *sandbox, cfg runtimeConfig) error {
	c := r.code
	if c.source == nil || c.dir == "" {
		return deployErrorf("this endpoint has no S3 to read code packages from")
	}
	dir, err := c.extract(sb.runtimeID, sb.version, cfg)
	if err != nil {
		return err
	}
	if image := r.runtimeImage(ctx, cfg); image != "" {
		interp := "python3"
		if strings.HasPrefix(cfg.Code.Runtime, "NODE_") {
			interp = "node"
		}
		err := r.create(ctx, sb, cfg, containerSpec{
			image:   image,
			cmd:     entryCommand(interp, cfg.Code.EntryPoint),
			workdir: containerCodeDir,
			binds:   []string{dir + ":" + containerCodeDir + ":ro"},
			env:     []string{"PORT=" + strconv.Itoa(contractOf(cfg).port), "PYTHONPATH=" + containerCodeDir, "PYTHONUNBUFFERED=1"},
		})
		if err == nil {
			r.logf("control: runtime %s version %d (%s): sandbox %s runs in a container from the runtime image %s on %s", sb.runtimeID, sb.version, cfg.Code.Runtime, sb.id, image, sb.addr)
		}
		return err
	}
	return c.startProcess(ctx, r, sb, cfg, dir)
}

// entryCommand is the command for an entryPoint: [script] runs INTERPRETER script;
// [wrapper, script] (e.g. opentelemetry-instrument main.py) runs wrapper INTERPRETER script.
func entryCommand(interp string, entry []string) []string {
	if len(entry) == 2 {
		return []string{entry[0], interp, entry[1]}
	}
	return []string{interp, entry[0]}
}

func (c *codeRunner) versionDir(runtimeID string, version int) string {
	return filepath.Join(c.dir, runtimeID, "v"+itoa(version))
}

// extract fetches the version's package from S3 and unpacks it into its own directory, once:
// the directory appears complete (it is renamed into place) or not at all.
func (c *codeRunner) extract(runtimeID string, version int, cfg runtimeConfig) (string, error) {
	dst := c.versionDir(runtimeID, version)
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	loc := cfg.Code.Code.S3
	if loc == nil {
		return "", deployErrorf("codeConfiguration.code has no s3 location")
	}
	where := fmt.Sprintf("s3://%s/%s", loc.Bucket, loc.Prefix)
	rc, _, err := c.source.Open(loc.Bucket, loc.Prefix, loc.VersionID)
	if err != nil && loc.VersionID == "" {
		// The prefix may name a folder holding one .zip.
		if keys, kerr := c.source.Keys(loc.Bucket, loc.Prefix, 1000); kerr == nil {
			var zips []string
			for _, k := range keys {
				if strings.HasSuffix(k, ".zip") {
					zips = append(zips, k)
				}
			}
			if len(zips) == 1 {
				where = fmt.Sprintf("s3://%s/%s", loc.Bucket, zips[0])
				rc, _, err = c.source.Open(loc.Bucket, zips[0], "")
			}
		}
	}
	if err != nil {
		version := ""
		if loc.VersionID != "" {
			version = " (versionId " + loc.VersionID + ")"
		}
		return "", deployErrorf("the code package %s%s could not be read from the local endpoint's S3: %v; upload it first, e.g. aws s3 cp agent.zip %s --endpoint-url http://THIS_ENDPOINT", where, version, err, where)
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	tmpZip, err := os.CreateTemp(filepath.Dir(dst), ".zip-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmpZip.Name())
	_, err = io.Copy(tmpZip, rc)
	tmpZip.Close()
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", where, err)
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(dst), ".v"+itoa(version)+"-*")
	if err != nil {
		return "", err
	}
	if err := unzip(tmpZip.Name(), tmpDir); err != nil {
		os.RemoveAll(tmpDir)
		return "", deployErrorf("the code package %s is not a usable .zip file: %v", where, err)
	}
	script := cfg.Code.EntryPoint[len(cfg.Code.EntryPoint)-1]
	if _, err := os.Stat(filepath.Join(tmpDir, script)); err != nil {
		listing := listFiles(tmpDir, 10)
		os.RemoveAll(tmpDir)
		return "", deployErrorf("entryPoint %q is not in the code package %s (it holds: %s); the entry point is a path relative to the root of the .zip", script, where, listing)
	}
	if err := os.Rename(tmpDir, dst); err != nil {
		os.RemoveAll(tmpDir)
		if _, serr := os.Stat(dst); serr == nil {
			return dst, nil // extracted concurrently
		}
		return "", err
	}
	return dst, nil
}

func listFiles(dir string, max int) string {
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || len(names) > max {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(names)
	if len(names) == 0 {
		return "no files"
	}
	if len(names) > max {
		names = append(names[:max], "…")
	}
	return strings.Join(names, ", ")
}

// interpreter finds the host interpreter of a managed runtime: python3.X for PYTHON_3_X
// (asked for its version: a pyenv shim exists for versions it cannot run), node for NODE_22.
func interpreter(ctx context.Context, runtime string) (path, version string, err error) {
	name, want := "", ""
	if v, ok := strings.CutPrefix(runtime, "PYTHON_"); ok {
		want = strings.ReplaceAll(v, "_", ".")
		name = "python" + want
	} else if strings.HasPrefix(runtime, "NODE_") {
		name = "node"
	} else {
		return "", "", fmt.Errorf("unknown runtime %s", runtime)
	}
	if _, err := exec.LookPath(name); err != nil {
		return "", "", fmt.Errorf("%s is not on PATH", name)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var probe *exec.Cmd
	if want != "" {
		probe = exec.CommandContext(ctx, name, "-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])")
	} else {
		probe = exec.CommandContext(ctx, name, "-p", "process.execPath + '\\n' + process.versions.node")
	}
	out, err := probe.Output()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 {
		return "", "", fmt.Errorf("%s does not run (%v)", name, err)
	}
	if want != "" && lines[1] != want {
		return "", "", fmt.Errorf("%s is Python %s", name, lines[1])
	}
	return lines[0], lines[1], nil
}

// installedRuntimes lists the managed runtimes of the same language as runtime whose
// interpreter this machine has.
func installedRuntimes(ctx context.Context, runtime string) []string {
	lang, _, _ := strings.Cut(runtime, "_")
	var out []string
	for _, r := range managedRuntimes {
		if !strings.HasPrefix(r, lang+"_") {
			continue
		}
		if _, _, err := interpreter(ctx, r); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// interpreterFor finds the interpreter of a code version's runtime on this machine, or says
// what to install or configure.
func (c *codeRunner) interpreterFor(ctx context.Context, cfg runtimeConfig) (path, version string, err error) {
	path, ver, err := interpreter(ctx, cfg.Code.Runtime)
	if err == nil {
		return path, ver, nil
	}
	want := "node"
	if v, ok := strings.CutPrefix(cfg.Code.Runtime, "PYTHON_"); ok {
		want = "python" + strings.ReplaceAll(v, "_", ".")
	}
	have := installedRuntimes(ctx, cfg.Code.Runtime)
	suggestion := "no other version of it is installed on this machine either"
	if len(have) > 0 {
		suggestion = "set codeConfiguration.runtime to one whose interpreter is installed here: " + strings.Join(have, ", ")
	}
	return "", "", deployErrorf("runtime %s needs the %s interpreter, which this machine does not have (%v); %s, install %s, or set %s%s to a local Docker image that has it",
		cfg.Code.Runtime, want, err, suggestion, want, RuntimeImageEnv, cfg.Code.Runtime)
}

// sessionDir is a host-process sandbox's working directory: DATA/code/RUNTIME_ID/sessions/SANDBOX.
func (c *codeRunner) sessionDir(runtimeID, sandboxID string) string {
	return filepath.Join(c.dir, runtimeID, "sessions", sandboxID)
}

// startProcess starts a sandbox of a code version as a host process on a free loopback port
// (PORT), in a working directory of its own: the package's top-level entries linked into it
// (the package itself stays shared and is never written through the links by us), its own
// TMPDIR, so that the files one session writes are not seen by another.
func (c *codeRunner) startProcess(ctx context.Context, r *runner, sb *sandbox, cfg runtimeConfig, dir string) error {
	runtimeID, version := sb.runtimeID, sb.version
	path, ver, err := c.interpreterFor(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.Code.Runtime == "NODE_22" && !strings.HasPrefix(ver, "22.") {
		c.logf("control: runtime %s version %d asks for NODE_22; this machine's node is %s", runtimeID, version, ver)
	}
	work := c.sessionDir(runtimeID, sb.id)
	if err := c.workingCopy(dir, work); err != nil {
		os.RemoveAll(work)
		return fmt.Errorf("preparing the session directory %s: %w", work, err)
	}
	sandboxed := useNetns()
	port := contractOf(cfg).port // its own namespace: the protocol's port, as in AWS
	if !sandboxed {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	command := entryCommand(path, cfg.Code.EntryPoint)
	if len(cfg.Code.EntryPoint) == 2 {
		// A wrapper shipped in the package (pip install --target puts scripts in bin/).
		if p := filepath.Join(dir, "bin", command[0]); fileExists(p) {
			command[0] = p
		}
	}
	logPath := work + ".log"
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "--- %s starting: %s (PORT=%d)\n", time.Now().UTC().Format(time.RFC3339), strings.Join(command, " "), port)
	if sandboxed {
		return c.startInSandbox(ctx, r, sb, cfg, dir, work, logPath, command)
	}
	keepInheritedFromChildren()
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = work
	cmd.Env = c.env(r, cfg, runtimeID, version, dir, work, port)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: a terminal's Ctrl-C to the server does not reach it, and stop
	// kills whatever it started too.
	proctree.NewGroup(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(work)
		return deployErrorf("starting %s for %s: %v", strings.Join(command, " "), cfg.describe(), err)
	}
	exited := make(chan struct{})
	c.mu.Lock()
	if c.exited == nil {
		c.exited = map[int]chan struct{}{}
	}
	c.exited[cmd.Process.Pid] = exited
	c.mu.Unlock()
	go func() {
		cmd.Wait()
		close(exited)
		c.mu.Lock()
		delete(c.exited, cmd.Process.Pid)
		c.mu.Unlock()
	}()
	rec := &procRec{RuntimeID: runtimeID, Version: version, Sandbox: sb.id, Session: sb.session, PID: cmd.Process.Pid,
		StartTicks: startTicks(cmd.Process.Pid), Port: port, Dir: work, Log: logPath, Command: command, Started: time.Now().UTC()}
	if err := c.store.putProcess(rec); err != nil {
		c.end(rec)
		return err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if r.onProcess != nil {
		r.onProcess(logPath, runtimeID, version, rec.PID)
	}
	if err := c.waitHealthy(ctx, r, rec, addr, exited, cfg, logPath); err != nil {
		c.end(rec)
		return err
	}
	c.logf("control: runtime %s version %d (%s): sandbox %s runs as a host process: pid %d, %s, on %s, in %s, log %s",
		runtimeID, version, cfg.Code.Runtime, sb.id, rec.PID, strings.Join(command, " "), addr, work, logPath)
	sb.proc, sb.addr = rec, addr
	return nil
}

// startInSandbox is startProcess in a netns sandbox (codens.go): the protocol's port (8080,
// 8000 or 9000) of its own.
func (c *codeRunner) startInSandbox(ctx context.Context, r *runner, sb *sandbox, cfg runtimeConfig, dir, work, logPath string, command []string) error {
	runtimeID, version := sb.runtimeID, sb.version
	rec := &procRec{RuntimeID: runtimeID, Version: version, Sandbox: sb.id, Session: sb.session,
		Port: contractOf(cfg).port, Dir: work, Log: logPath, Command: command, Started: time.Now().UTC()}
	env := c.env(r, cfg, runtimeID, version, dir, work, rec.Port)
	b, err := c.startSandboxed(ctx, rec, command, env, work, logPath)
	if err != nil {
		os.RemoveAll(work)
		return deployErrorf("starting %s for %s in a sandbox: %v", strings.Join(command, " "), cfg.describe(), err)
	}
	addr := sandboxAddr(sb.id)
	if r.onProcess != nil {
		r.onProcess(logPath, runtimeID, version, rec.PID)
	}
	if err := c.waitHealthy(ctx, r, rec, addr, b.Done(), cfg, logPath); err != nil {
		c.end(rec)
		return err
	}
	c.logf("control: runtime %s version %d (%s): sandbox %s runs as a host process in a network namespace of its own: init pid %d, %s, on its 127.0.0.1:%d, in %s, log %s",
		runtimeID, version, cfg.Code.Runtime, sb.id, rec.PID, strings.Join(command, " "), rec.Port, work, logPath)
	sb.proc, sb.addr = rec, addr
	return nil
}

// procAddr is where the data plane reaches a recorded process.
func procAddr(rec *procRec) string {
	if rec.NetNS != "" {
		return sandboxAddr(rec.Sandbox)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(rec.Port))
}

// workingCopy makes work a session's working directory over the package in dir: each top-level
// entry of the package is a symbolic link in it, so the agent reads its files where it expects
// them and whatever it creates stays in its own directory. tmp/ is its TMPDIR.
func (c *codeRunner) workingCopy(dir, work string) error {
	if err := os.MkdirAll(filepath.Join(work, "tmp"), 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "tmp" {
			continue
		}
		if err := os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(work, e.Name())); err != nil && !os.IsExist(err) {
			return err
		}
	}
	return nil
}

// end stops a sandbox's host process, forgets it and removes its working directory.
func (c *codeRunner) end(rec *procRec) {
	c.stop(rec)
	if err := c.store.deleteProcess(rec); err != nil {
		c.logf("control: forgetting process %d: %v", rec.PID, err)
	}
	if rec.Sandbox != "" && rec.Dir != "" && filepath.Base(filepath.Dir(rec.Dir)) == "sessions" {
		os.RemoveAll(rec.Dir)
		os.Remove(rec.Dir + ".log")
	}
}

// env is what a host process gets: the container's variables (region, environmentVariables),
// PORT, PYTHONPATH with the package, and from the server's own environment only what finding
// programs and files needs (no credentials: containers get none either).
func (c *codeRunner) env(r *runner, cfg runtimeConfig, runtimeID string, version int, dir, work string, port int) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "SYSTEMROOT"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	pythonPath := dir
	if p := cfg.EnvironmentVariables["PYTHONPATH"]; p != "" {
		pythonPath = dir + string(os.PathListSeparator) + p
	}
	env = append(env, r.baseEnv(cfg, runtimeID, version, false)...)
	return append(env, "PORT="+strconv.Itoa(port), "PYTHONPATH="+pythonPath, "PYTHONUNBUFFERED=1", "TMPDIR="+filepath.Join(work, "tmp"))
}

func (c *codeRunner) waitHealthy(ctx context.Context, r *runner, rec *procRec, addr string, exited <-chan struct{}, cfg runtimeConfig, logPath string) error {
	deadline := time.Now().Add(r.pingTimeout)
	wait := 5 * time.Millisecond // doubling to 100 ms, as for a container (runner.waitHealthy)
	var lastAnswer string
	var lastErr error
	for {
		healthy, answer, err := contractOf(cfg).healthy(ctx, r.http, addr)
		if healthy {
			return nil
		}
		if err != nil {
			lastErr = err
		} else {
			lastAnswer = answer
		}
		select {
		case <-exited:
			return deployErrorf("%s: the agent process (%s) exited before it was ready (it must %s)%s", cfg.describe(), strings.Join(rec.Command, " "), contractOf(cfg).probe(), tailFile(logPath, 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
		if time.Now().After(deadline) {
			if lastAnswer == "" {
				c := contractOf(cfg)
				return deployErrorf("Runtime initialization failed: the agent %s did not serve its port within %s (last error: %v): run as a host process, it must listen on the port in the PORT environment variable (%d here; %d in AWS for protocol %s) and %s%s", cfg.describe(), r.pingTimeout, lastErr, rec.Port, c.port, c.protocol, c.probe(), tailFile(logPath, 10))
			}
			return deployErrorf("Runtime initialization failed: the agent %s never reported healthy within %s: %s; it must %s%s", cfg.describe(), r.pingTimeout, lastAnswer, contractOf(cfg).probe(), tailFile(logPath, 10))
		}
	}
}

// tailFile returns the last n lines of a log formatted for a failure reason.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--- ") {
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return ""
	}
	return "; last log lines: " + strings.Join(lines, " | ")
}

// alive reports whether the recorded process still runs and is the one recorded (same start
// time: pids are reused).
func (c *codeRunner) alive(rec *procRec) bool {
	if rec.NetNS != "" {
		b := c.nsOf(rec)
		return b != nil && b.Alive()
	}
	c.mu.Lock()
	ch, ours := c.exited[rec.PID]
	c.mu.Unlock()
	if ours {
		select {
		case <-ch:
			return false
		default:
		}
	}
	if !proctree.Signalable(rec.PID) {
		return false
	}
	if t := startTicks(rec.PID); t != 0 && rec.StartTicks != 0 && t != rec.StartTicks {
		return false
	}
	return !zombie(rec.PID)
}

// stop ends a recorded process and its process group: SIGTERM, then SIGKILL after 5s.
func (c *codeRunner) stop(rec *procRec) {
	if rec.NetNS != "" {
		c.stopSandboxed(rec)
		return
	}
	if !c.alive(rec) {
		return
	}
	_ = proctree.TerminateGroup(rec.PID)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !c.alive(rec) {
			return
		}
	}
	_ = proctree.KillGroup(rec.PID)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && c.alive(rec); time.Sleep(20 * time.Millisecond) {
	}
}

// removeAll stops every process of a runtime and deletes its packages and session directories.
func (c *codeRunner) removeAll(runtimeID string) error {
	if c == nil || c.store == nil {
		return nil
	}
	recs, err := c.store.processes(runtimeID)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		c.end(rec)
		c.logf("control: runtime %s version %d: stopped its host process pid %d", rec.RuntimeID, rec.Version, rec.PID)
	}
	if c.dir == "" || runtimeID == "" {
		return nil
	}
	return os.RemoveAll(filepath.Join(c.dir, runtimeID))
}

// removeVersions deletes the extracted packages of a runtime's versions not in keep.
func (c *codeRunner) removeVersions(runtimeID string, keep map[int]bool) {
	if c == nil || c.dir == "" || runtimeID == "" {
		return
	}
	entries, _ := os.ReadDir(filepath.Join(c.dir, runtimeID))
	for _, e := range entries {
		v, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "v"))
		if e.IsDir() && strings.HasPrefix(e.Name(), "v") && err == nil && !keep[v] {
			os.RemoveAll(filepath.Join(c.dir, runtimeID, e.Name()))
			os.Remove(filepath.Join(c.dir, runtimeID, e.Name()+".log"))
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// procStat returns the fields of /proc/PID/stat after the command name (state first); nil
// where there is no /proc.
func procStat(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(data[i+1:]))
}

// startTicks is the process's start time in clock ticks since boot (field 22 of
// /proc/PID/stat), 0 when unknown.
func startTicks(pid int) uint64 {
	f := procStat(pid)
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}

func zombie(pid int) bool {
	f := procStat(pid)
	return len(f) > 0 && f[0] == "Z"
}

// StopProcesses stops every host process the local endpoint whose database is db started for
// code versions (recorded in its store), and forgets them: what `agentcore local reset` does
// once the endpoint itself has stopped, since host processes, unlike containers, carry no
// label to find them by. It returns how many it stopped.
func StopProcesses(db *bolt.DB, logf func(format string, args ...any)) (int, error) {
	st, err := newStore(db)
	if err != nil {
		return 0, err
	}
	c := &codeRunner{store: st, logf: logf, exited: map[int]chan struct{}{}}
	recs, err := st.processes("")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range recs {
		if c.alive(rec) {
			n++
		}
		c.stop(rec)
		if err := st.deleteProcess(rec); err != nil {
			return n, err
		}
	}
	return n, nil
}
