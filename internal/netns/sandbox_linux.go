package netns

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sandbox is a running sandbox, started by Start or found again by Attach.
type Sandbox struct {
	dir   string
	rec   record
	pidfd int // refers to the init for good: pids are reused, pidfds are not

	reaped chan struct{} // closed once this process reaped the init (Start only), else nil

	mu      sync.Mutex
	stopped bool
}

// testHookBeforeGoAhead runs in Start between the init's "ok" and the go-ahead (tests kill
// the parent there).
var testHookBeforeGoAhead func()

var (
	probeOnce sync.Once
	probeErr  error
)

// Supported reports whether sandboxes can run here: the kernel lets this process create the
// namespaces (probed once), and AGENTCORE_NETNS is not "off".
func Supported() bool { return Unsupported() == nil }

// Unsupported says why sandboxes cannot run here, or nil when they can.
func Unsupported() error {
	switch strings.ToLower(os.Getenv(DisableEnv)) {
	case "off", "0", "false", "no":
		return fmt.Errorf("sandboxes are turned off (%s=%s)", DisableEnv, os.Getenv(DisableEnv))
	}
	probeOnce.Do(func() { probeErr = probe() })
	return probeErr
}

// sysProcAttr makes the init's namespaces: PID and mount; the network namespace is made by
// the init itself, on one thread (see nsThread), so that the init keeps the host's network
// for Spec.Forward. A caller that is not root also needs a user namespace, in which it is root.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{
		Setsid:     true,
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
	}
	if os.Geteuid() != 0 {
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// probe creates the namespaces for a child that then fails to exec a path that does not
// exist: ENOENT means the namespaces were made (and no program ran), anything else is the
// kernel's refusal.
func probe() error {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return fmt.Errorf("this kernel has no pidfd_open (Linux 5.3 or later is needed): %w", err)
	}
	unix.Close(fd)
	attr := sysProcAttr()
	attr.Setsid = false
	attr.Cloneflags |= syscall.CLONE_NEWNET // what the init will unshare
	_, err = syscall.ForkExec("/nonexistent/agentcore-netns-probe", []string{"probe"}, &syscall.ProcAttr{Dir: "/", Sys: attr})
	if errors.Is(err, syscall.ENOENT) {
		return nil
	}
	if err == nil {
		err = errors.New("the probe ran a program that should not exist")
	}
	return fmt.Errorf("this machine refuses to create network namespaces (%w); when not root, user namespaces must be allowed: see /proc/sys/user/max_user_namespaces, /proc/sys/kernel/unprivileged_userns_clone and AppArmor's kernel.apparmor_restrict_unprivileged_userns", err)
}

// initSpec is what Start sends the init over its control socket.
type initSpec struct {
	Argv     []string `json:"argv"`
	Dir      string   `json:"dir"`
	Env      []string `json:"env"`
	Port     int      `json:"port"`
	StateDir string   `json:"state_dir"`
	Forward  []string `json:"forward,omitempty"`
	Proxy    int      `json:"proxy,omitempty"`
}

// Start starts s.Argv in a new sandbox and returns once the agent process runs (not once it
// listens: Dial answers connection refused until then). A command that cannot start is an
// error here, and leaves nothing running and no state directory.
func Start(ctx context.Context, s Spec) (*Sandbox, error) {
	if err := Unsupported(); err != nil {
		return nil, fmt.Errorf("cannot start a sandbox: %w", err)
	}
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return nil, errors.New("cannot start a sandbox: no command (Spec.Argv is empty)")
	}
	if s.Port <= 0 || s.Port > 65535 {
		return nil, fmt.Errorf("cannot start a sandbox for %s: port %d is not a TCP port", s.Argv[0], s.Port)
	}
	if s.StateDir == "" {
		return nil, fmt.Errorf("cannot start a sandbox for %s: no state directory (Spec.StateDir)", s.Argv[0])
	}
	if s.ProxyPort < 0 || s.ProxyPort > 65535 || (s.ProxyPort != 0 && s.ProxyPort == s.Port) {
		return nil, fmt.Errorf("cannot start a sandbox for %s: proxy port %d is not a free TCP port", s.Argv[0], s.ProxyPort)
	}
	for _, f := range s.Forward {
		ap, err := netip.ParseAddrPort(f)
		if err != nil || ap.Port() == 0 || !ap.Addr().IsLoopback() {
			return nil, fmt.Errorf("cannot start a sandbox for %s: Spec.Forward %q is not a loopback IP:PORT (the sandbox has no other address)", s.Argv[0], f)
		}
		if int(ap.Port()) == s.Port || int(ap.Port()) == s.ProxyPort {
			return nil, fmt.Errorf("cannot start a sandbox for %s: Spec.Forward %q takes the port of the agent or of the proxy", s.Argv[0], f)
		}
	}
	dir, err := filepath.Abs(s.StateDir)
	if err != nil {
		return nil, err
	}
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	b, err := start(ctx, s, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return b, nil
}

// prepareDir makes dir, 0700, and clears what a sandbox that ended there left; a sandbox
// still running there is an error.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the sandbox directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("creating the sandbox directory: %w", err)
	}
	if old, err := Attach(dir); err == nil {
		old.close()
		return fmt.Errorf("a sandbox already runs in %s (pid %d): attach to it or stop it first", dir, old.rec.Pid)
	}
	for _, name := range []string{recordFile, exitFile, dialSock, execSock} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("clearing the sandbox directory: %w", err)
		}
	}
	return nil
}

func start(ctx context.Context, s Spec, dir string) (*Sandbox, error) {
	logPath := s.LogPath
	if logPath == "" {
		logPath = os.DevNull
	}
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the sandbox log: %w", err)
	}
	defer log.Close()

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating the sandbox control socket: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "netns-control"), os.NewFile(uintptr(fds[1]), "netns-control")
	defer theirs.Close()
	ctl, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return nil, err
	}
	defer ctl.Close()

	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"agentcore-netns-init"}
	cmd.Env = []string{initEnv + "=1"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = log, log
	cmd.ExtraFiles = []*os.File{theirs} // fd 3
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the sandbox for %s: %w", s.Argv[0], err)
	}
	theirs.Close()
	b := &Sandbox{dir: dir, pidfd: -1, reaped: make(chan struct{})}
	pid := cmd.Process.Pid
	b.pidfd, err = unix.PidfdOpen(pid, 0) // before Wait can reap it
	go func() { cmd.Wait(); close(b.reaped) }()
	fail := func(err error) (*Sandbox, error) {
		b.kill()
		b.wait(10 * time.Second)
		b.close()
		<-b.reaped // gone before Start removes the directory
		return nil, err
	}
	if err != nil {
		return fail(fmt.Errorf("watching the sandbox init: %w", err))
	}
	st, err := startTime(pid)
	if err != nil {
		return fail(fmt.Errorf("the sandbox init ended at once: %w", err))
	}
	b.rec = record{Pid: pid, StartTime: st, Port: s.Port, Argv: s.Argv, LogPath: s.LogPath, Started: time.Now().UTC()}
	// Written ahead: a parent killed after this line leaves a sandbox that Attach finds; one
	// killed before it leaves an init that exits on its own (it never gets the go-ahead).
	if err := writeJSON(filepath.Join(dir, recordFile), b.rec); err != nil {
		return fail(fmt.Errorf("recording the sandbox: %w", err))
	}

	stop := context.AfterFunc(ctx, func() { ctl.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	env := s.Env
	if env == nil {
		env = os.Environ()
	}
	spec, _ := json.Marshal(initSpec{Argv: s.Argv, Dir: s.Dir, Env: env, Port: s.Port, StateDir: dir, Forward: s.Forward, Proxy: s.ProxyPort})
	if _, err := ctl.Write(append(spec, '\n')); err != nil {
		return fail(b.startError(ctx, s, err))
	}
	answer, err := bufio.NewReader(ctl).ReadString('\n')
	if err != nil {
		return fail(b.startError(ctx, s, err))
	}
	if msg, ok := strings.CutPrefix(answer, "error "); ok {
		return fail(errors.New(strings.TrimSpace(msg)))
	}
	if answer != "ok\n" {
		return fail(fmt.Errorf("the sandbox init for %s answered %q", s.Argv[0], answer))
	}
	if testHookBeforeGoAhead != nil {
		testHookBeforeGoAhead()
	}
	if _, err := ctl.Write([]byte{'c'}); err != nil {
		return fail(b.startError(ctx, s, err))
	}
	return b, nil
}

// startError explains a control socket that failed during Start.
func (b *Sandbox) startError(ctx context.Context, s Spec, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("starting the sandbox for %s: %w", s.Argv[0], ctx.Err())
	}
	where := ""
	if s.LogPath != "" {
		where = "; see " + s.LogPath
	}
	return fmt.Errorf("the sandbox init for %s ended before it was ready (%v)%s", s.Argv[0], err, where)
}

// Attach finds the sandbox that runs in stateDir, e.g. after the process that started it was
// restarted. A sandbox that ended is an error wrapping ErrGone, saying how its agent ended.
func Attach(stateDir string) (*Sandbox, error) {
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, recordFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no sandbox in %s (no %s): %w", dir, recordFile, ErrGone)
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil || rec.Pid <= 0 {
		return nil, fmt.Errorf("%s is not a sandbox record (%v); stop the sandbox's processes by hand if any run, and remove %s", filepath.Join(dir, recordFile), err, dir)
	}
	b := &Sandbox{dir: dir, rec: rec, pidfd: -1}
	fd, err := unix.PidfdOpen(rec.Pid, 0)
	if err == nil {
		b.pidfd = fd
		// Opened first, checked second: the pidfd cannot switch to a later process.
		if st, err := startTime(rec.Pid); err != nil || st != rec.StartTime || !b.Alive() {
			b.close()
			b.pidfd = -1
		}
	}
	if b.pidfd < 0 {
		return nil, b.goneError()
	}
	return b, nil
}

// goneError says that the sandbox ended and how.
func (b *Sandbox) goneError() error {
	how := "it was killed before its agent exited"
	if st, ok := b.ExitStatus(); ok {
		how = fmt.Sprintf("its agent exited with code %d at %s", st.Code, st.At.Format(time.RFC3339))
		if st.Signal != "" {
			how = fmt.Sprintf("its agent was killed by %s at %s", st.Signal, st.At.Format(time.RFC3339))
		}
	}
	if b.rec.LogPath != "" {
		how += "; its output is in " + b.rec.LogPath
	}
	return fmt.Errorf("the sandbox in %s (pid %d) ended: %s: %w", b.dir, b.rec.Pid, how, ErrGone)
}

// Pid is the sandbox init's pid (in this process's PID namespace).
func (b *Sandbox) Pid() int { return b.rec.Pid }

// Dir is the sandbox's state directory.
func (b *Sandbox) Dir() string { return b.dir }

// Alive reports whether the sandbox runs: false once its agent exited or it was stopped.
func (b *Sandbox) Alive() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pidfd < 0 {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(b.pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n == 0 // a pidfd polls readable once its process exited
	}
}

// Done is closed when the sandbox ends.
func (b *Sandbox) Done() <-chan struct{} {
	done := make(chan struct{})
	b.mu.Lock()
	fd := -1
	if b.pidfd >= 0 {
		fd, _ = unix.FcntlInt(uintptr(b.pidfd), unix.F_DUPFD_CLOEXEC, 0) // Stop may close b.pidfd meanwhile
	}
	b.mu.Unlock()
	if fd < 0 {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		defer unix.Close(fd)
		waitPidfd(fd, -1)
	}()
	return done
}

// wait waits until the init exited, at most timeout (<0: for ever); it reports whether it did.
func (b *Sandbox) wait(timeout time.Duration) bool {
	if b.pidfd < 0 {
		return true
	}
	return waitPidfd(b.pidfd, timeout)
}

func waitPidfd(pidfd int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		ms := -1
		if timeout >= 0 {
			ms = int(time.Until(deadline).Milliseconds())
			if ms < 0 {
				ms = 0
			}
		}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n > 0 {
			return true
		}
		if timeout >= 0 && time.Now().After(deadline) {
			return false
		}
	}
}

// ExitStatus is how the agent ended, once the init recorded it.
func (b *Sandbox) ExitStatus() (ExitStatus, bool) {
	var st ExitStatus
	data, err := os.ReadFile(filepath.Join(b.dir, exitFile))
	if err != nil || json.Unmarshal(data, &st) != nil {
		return ExitStatus{}, false
	}
	return st, true
}

// Stop kills the agent and every process of the sandbox, waits until they are gone, and
// removes the state directory. Stopping a sandbox that ended only removes the directory.
func (b *Sandbox) Stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped {
		b.kill()
		if !b.wait(10 * time.Second) {
			return fmt.Errorf("stopping the sandbox in %s: pid %d did not end after SIGKILL", b.dir, b.rec.Pid)
		}
		if b.reaped != nil {
			<-b.reaped
		}
		b.stopped = true
		b.close()
	}
	if err := os.RemoveAll(b.dir); err != nil {
		return fmt.Errorf("stopping the sandbox: %w", err)
	}
	return nil
}

// Terminate asks the agent to stop (SIGTERM to its process group, through the init), waits
// up to grace for it to exit, then stops the sandbox as Stop does.
func (b *Sandbox) Terminate(grace time.Duration) error {
	b.mu.Lock()
	if !b.stopped && b.pidfd >= 0 {
		unix.PidfdSendSignal(b.pidfd, unix.SIGTERM, nil, 0)
		b.wait(grace)
	}
	b.mu.Unlock()
	return b.Stop()
}

// kill sends SIGKILL to the init; the kernel then kills the rest of its PID namespace.
func (b *Sandbox) kill() {
	if b.pidfd >= 0 {
		unix.PidfdSendSignal(b.pidfd, unix.SIGKILL, nil, 0)
	}
}

func (b *Sandbox) close() {
	if b.pidfd >= 0 {
		unix.Close(b.pidfd)
		b.pidfd = -1
	}
}

// sockPath is the path to connect to or bind for a socket of the state directory. A path
// longer than a sockaddr_un holds goes through /proc/self/fd of the directory, opened by the
// caller (dirfd).
func sockPath(dir, name string, dirfd int) string {
	p := filepath.Join(dir, name)
	if len(p) < 100 || dirfd < 0 {
		return p
	}
	return "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + name
}

// connect connects to a socket of the state directory.
func (b *Sandbox) connect(ctx context.Context, name string) (*net.UnixConn, error) {
	dirfd := -1
	if len(filepath.Join(b.dir, name)) >= 100 {
		fd, err := unix.Open(b.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, b.connectError(err)
		}
		defer unix.Close(fd)
		dirfd = fd
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sockPath(b.dir, name, dirfd))
	if err != nil {
		return nil, b.connectError(err)
	}
	return c.(*net.UnixConn), nil
}

func (b *Sandbox) connectError(err error) error {
	if !b.Alive() {
		return b.goneError()
	}
	return fmt.Errorf("reaching the sandbox in %s: %w", b.dir, err)
}

// Dial connects to 127.0.0.1:Port inside the sandbox. The connection is a TCP socket of the
// sandbox's namespace handed over by its init: reads and writes go to the agent directly.
// Before the agent listens the error wraps syscall.ECONNREFUSED.
func (b *Sandbox) Dial(ctx context.Context) (net.Conn, error) {
	c, err := b.connect(ctx, dialSock)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 512)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, b.connectError(err)
	}
	var fd = -1
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if fds, err := unix.ParseUnixRights(&m); err == nil {
				for _, f := range fds {
					if fd < 0 {
						fd = f
					} else {
						unix.Close(f)
					}
				}
			}
		}
	}
	if n > 0 && buf[0] == 'o' && fd >= 0 {
		f := os.NewFile(uintptr(fd), "sandbox-tcp")
		defer f.Close()
		return net.FileConn(f)
	}
	if fd >= 0 {
		unix.Close(fd)
	}
	msg := string(buf[:n])
	if rest, ok := strings.CutPrefix(msg, "e"); ok {
		code, text, _ := strings.Cut(rest, " ")
		if errno, err := strconv.Atoi(code); err == nil && errno > 0 {
			return nil, fmt.Errorf("dialing 127.0.0.1:%d in the sandbox %s: %w", b.rec.Port, b.dir, syscall.Errno(errno))
		}
		msg = text
	}
	return nil, fmt.Errorf("dialing 127.0.0.1:%d in the sandbox %s: %s", b.rec.Port, b.dir, msg)
}

// startTime is field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
func startTime(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: count from the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64) // field 22 is the 20th after the name
}

// writeJSON writes v to path atomically (a temporary file renamed into place).
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
