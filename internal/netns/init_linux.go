package netns

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/agentcore/agentcore/internal/startgc"
)

// Init runs the sandbox init and exits when this process was re-executed as one by Start;
// otherwise it returns at once. Call it first in main, and in TestMain of any package whose
// tests start sandboxes.
func Init() {
	if os.Getenv(initEnv) != "1" {
		return
	}
	closeInherited()
	// The init lives as long as its agent: drop the start-up ballast and collect now, or the
	// collector's first target would stay past 64 MiB (see internal/startgc).
	startgc.Release()
	runtime.GC()
	os.Exit(runInit())
}

// closeInherited closes the descriptors the init inherited by accident: any of its parent's
// that lacked close-on-exec (a lock a shell's flock gave the endpoint, say), which the init,
// living as long as its agent, would otherwise hold for good. fd 3 is the control socket; the
// Go runtime opens its own close-on-exec.
func closeInherited() {
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 3 {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

// logf writes the init's own messages to the sandbox log (its stderr).
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "agentcore sandbox: "+format+"\n", args...)
}

// runInit is the sandbox init: PID 1 of the sandbox's namespaces.
func runInit() int {
	f := os.NewFile(3, "netns-control")
	c, err := net.FileConn(f) // a close-on-exec copy: the agent must not hold it
	f.Close()
	if err != nil {
		logf("no control socket: %v", err)
		return 2
	}
	ctl := c.(*net.UnixConn)
	defer ctl.Close()
	line, err := bufio.NewReader(ctl).ReadBytes('\n')
	if err != nil {
		logf("reading the sandbox spec: %v", err)
		return 2
	}
	var spec initSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		logf("reading the sandbox spec: %v", err)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(ctl, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}

	in := &sandboxInit{spec: spec, waiting: map[int]chan unix.WaitStatus{}, sockets: make(chan int, 4)}
	sigchld := make(chan os.Signal, 16)
	signal.Notify(sigchld, unix.SIGCHLD)
	go in.reap(sigchld)
	terms := make(chan os.Signal, 4)
	signal.Notify(terms, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)

	if in.ns, err = newNSThread(); err != nil {
		return fail(fmt.Errorf("creating the sandbox's network namespace: %w", err))
	}
	if err := in.inNS(loUp); err != nil {
		return fail(fmt.Errorf("bringing up the loopback interface of the sandbox: %w", err))
	}
	for _, addr := range spec.Forward {
		var l net.Listener
		if err := in.inNS(func() (err error) { l, err = net.Listen("tcp", addr); return err }); err != nil {
			return fail(fmt.Errorf("forwarding %s into the sandbox: %w", addr, err))
		}
		go forward(l, addr)
	}
	if spec.Proxy != 0 {
		var l net.Listener
		if err := in.inNS(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(spec.Proxy)); return err }); err != nil {
			return fail(fmt.Errorf("serving the sandbox's HTTP proxy: %w", err))
		}
		go serveProxy(l)
	}
	if err := mountProc(); err != nil {
		logf("/proc shows the host's processes: mounting the sandbox's own failed: %v", err)
	}
	dirfd, err := unix.Open(spec.StateDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("opening the sandbox directory: %w", err))
	}
	dial, err := listen(spec.StateDir, dialSock, dirfd)
	if err != nil {
		return fail(err)
	}
	exe, err := listen(spec.StateDir, execSock, dirfd)
	if err != nil {
		return fail(err)
	}
	unix.Close(dirfd)

	agent, exited, err := in.startAgent()
	if err != nil {
		return fail(fmt.Errorf("starting %s in the sandbox: %w", spec.Argv[0], err))
	}
	// Ready. The parent recorded the sandbox before it sent the spec; its go-ahead says that
	// Start returned it. A parent that died meanwhile closed its end: stop (the kernel kills
	// the agent with this PID namespace).
	if _, err := io.WriteString(ctl, "ok\n"); err != nil {
		return 1
	}
	var goAhead [1]byte
	if n, _ := ctl.Read(goAhead[:]); n != 1 || goAhead[0] != 'c' {
		return 1
	}
	ctl.Close()

	go in.makeSockets()
	go serve(dial, dialSock, in.dial)
	go serve(exe, execSock, in.exec)
	for {
		select {
		case sig := <-terms:
			if sig == unix.SIGHUP {
				continue
			}
			in.signalGroup(agent, sig.(syscall.Signal)) // a graceful stop: the agent's exit ends the init
		case ws := <-exited:
			st := exitStatus(ws)
			if err := writeJSON(filepath.Join(spec.StateDir, exitFile), st); err != nil {
				logf("recording the agent's exit: %v", err)
			}
			return 0
		}
	}
}

func exitStatus(ws unix.WaitStatus) ExitStatus {
	st := ExitStatus{Code: ws.ExitStatus(), At: time.Now().UTC()}
	if ws.Signaled() {
		st.Code = 128 + int(ws.Signal())
		st.Signal = unix.SignalName(ws.Signal())
	}
	return st
}

// loUp brings the namespace's loopback interface up (it starts down): SIOCSIFFLAGS, so no
// `ip` binary is needed.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// mountProc mounts a /proc of the sandbox's PID namespace, so that a process that reads
// /proc/<its pid> (psutil, OpenTelemetry's process metrics) finds itself. Mounts of the host
// still reach the sandbox; none of the sandbox's reach the host.
func mountProc() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return err
	}
	return unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}

// listen binds a socket of the state directory, for its owner only.
func listen(dir, name string, dirfd int) (*net.UnixListener, error) {
	path := sockPath(dir, name, dirfd)
	os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", filepath.Join(dir, name), err)
	}
	l.SetUnlinkOnClose(false) // the parent removes the directory
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, err
	}
	return l, nil
}

// sandboxInit is the init's state: the spec and the children it waits for.
type sandboxInit struct {
	spec    initSpec
	ns      *nsThread
	sockets chan int // see makeSockets

	mu      sync.Mutex // held while starting a child and while reaping: a child is registered before it can be reaped
	waiting map[int]chan unix.WaitStatus
}

// reap waits for every child that exits, started by the init or orphaned into it.
func (in *sandboxInit) reap(sigchld <-chan os.Signal) {
	for range sigchld {
		in.mu.Lock()
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if pid <= 0 {
				break
			}
			if ch, ok := in.waiting[pid]; ok {
				ch <- ws
				delete(in.waiting, pid)
			}
		}
		in.mu.Unlock()
	}
}

// spawn starts a child and registers it for reaping.
func (in *sandboxInit) spawn(argv []string, attr *os.ProcAttr) (int, <-chan unix.WaitStatus, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var p *os.Process
	err := in.inNS(func() (err error) { p, err = os.StartProcess(argv[0], argv, attr); return err })
	if err != nil {
		return 0, nil, err
	}
	pid := p.Pid
	p.Release() // reaped by reap, not by os.Process
	ch := make(chan unix.WaitStatus, 1)
	in.waiting[pid] = ch
	return pid, ch, nil
}

// signalGroup signals the process group of a child that has not been reaped (so its pid is
// still its own).
func (in *sandboxInit) signalGroup(pid int, sig unix.Signal) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if _, ok := in.waiting[pid]; ok {
		unix.Kill(-pid, sig)
	}
}

// startAgent starts the agent, in a process group of its own, writing to the init's output.
func (in *sandboxInit) startAgent() (int, <-chan unix.WaitStatus, error) {
	s := in.spec
	dir := s.Dir
	if dir == "" {
		dir = "/"
	}
	path, err := lookPath(s.Argv[0], s.Env, dir)
	if err != nil {
		return 0, nil, err
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, nil, err
	}
	defer null.Close()
	argv := append([]string{path}, s.Argv[1:]...)
	pid, ch, err := in.spawn(argv, &os.ProcAttr{
		Dir:   dir,
		Env:   s.Env,
		Files: []*os.File{null, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 0, nil, err
	}
	return pid, ch, nil
}

// lookPath finds file in the PATH of env, as the shell would; a name with a slash is taken
// as it is (relative to dir).
func lookPath(file string, env []string, dir string) (string, error) {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s is not a directory", dir)
	}
	if err != nil {
		return "", fmt.Errorf("its working directory: %w", err)
	}
	if strings.Contains(file, "/") {
		p := file
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", err
		}
		return file, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, file)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q: no such command in PATH (%s)", file, path)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s: not an executable file", p)
	}
	return nil
}

// serve handles each connection accepted on l in a goroutine of its own, until l is closed.
func serve(l net.Listener, what string, handle func(net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			logf("%s: %v", what, err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go handle(c)
	}
}

// dial answers a connection of dial.sock with a TCP connection to the agent's port, made in
// the sandbox's namespace and handed over as a file descriptor.
func (in *sandboxInit) dial(conn net.Conn) {
	c := conn.(*net.UnixConn)
	defer c.Close()
	fd := <-in.sockets
	defer unix.Close(fd)
	if err := connectLoopback(fd, in.spec.Port); err != nil {
		code := 0
		if errno, ok := err.(syscall.Errno); ok {
			code = int(errno)
		}
		c.Write([]byte(fmt.Sprintf("e%d dial tcp 127.0.0.1:%d: connect: %v", code, in.spec.Port, err)))
		return
	}
	if _, _, err := c.WriteMsgUnix([]byte("o"), unix.UnixRights(fd), nil); err != nil {
		logf("dial.sock: handing over a connection: %v", err)
	}
}

// makeSockets keeps in.sockets holding a few TCP sockets made in the sandbox's namespace, so
// that a dial does not wait for the namespace's thread: a socket stays in the namespace it
// was made in, whichever thread connects it.
func (in *sandboxInit) makeSockets() {
	for {
		var fd int
		err := in.inNS(func() (err error) {
			fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			return err
		})
		if err != nil {
			logf("making a socket in the sandbox: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		in.sockets <- fd
	}
}

// connectLoopback connects the non-blocking socket fd to 127.0.0.1:port.
func connectLoopback(fd, port int) error {
	err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if err != unix.EINPROGRESS {
		return err
	}
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(pfd, 10_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return unix.ETIMEDOUT
		}
		break
	}
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if soerr != 0 {
		return unix.Errno(soerr)
	}
	return nil
}

// mergeEnv is base with the variables of extra added, extra winning on a name in both.
func mergeEnv(base, extra []string) []string {
	out := make([]string, 0, len(base)+len(extra))
	override := map[string]bool{}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		override[k] = true
	}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !override[k] {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// exec runs a command per connection of exec.sock (see the package doc for the framing).
func (in *sandboxInit) exec(c net.Conn) {
	defer c.Close()
	fw := &frameWriter{w: c}
	typ, payload, err := readFrame(c, nil)
	if err != nil {
		return
	}
	var req execRequest
	if typ != frameRequest || json.Unmarshal(payload, &req) != nil || len(req.Argv) == 0 || req.Argv[0] == "" {
		fw.write(frameFail, []byte("the first exec frame is not a request with a command"))
		return
	}
	dir := req.Dir
	if dir == "" {
		dir = in.spec.Dir
	}
	if dir == "" {
		dir = "/"
	}
	env := mergeEnv(in.spec.Env, req.Env)
	path, err := lookPath(req.Argv[0], env, dir)
	if err != nil {
		fw.write(frameFail, []byte(err.Error()))
		return
	}
	argv := append([]string{path}, req.Argv[1:]...)

	var (
		stdin   io.WriteCloser
		outputs []io.Reader // stdout, then stderr
		term    *os.File
		pid     int
		exited  <-chan unix.WaitStatus
	)
	if req.TTY {
		master, slave, err := pty.Open()
		if err != nil {
			fw.write(frameFail, []byte("opening a terminal: "+err.Error()))
			return
		}
		defer master.Close()
		pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80})
		pid, exited, err = in.spawn(argv, &os.ProcAttr{Dir: dir, Env: env, Files: []*os.File{slave, slave, slave},
			Sys: &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}})
		slave.Close()
		if err != nil {
			fw.write(frameFail, []byte(err.Error()))
			return
		}
		term, stdin, outputs = master, master, []io.Reader{master}
	} else {
		inR, inW, err1 := os.Pipe()
		outR, outW, err2 := os.Pipe()
		errR, errW, err3 := os.Pipe()
		if err := errors.Join(err1, err2, err3); err != nil {
			fw.write(frameFail, []byte(err.Error()))
			return
		}
		pid, exited, err = in.spawn(argv, &os.ProcAttr{Dir: dir, Env: env, Files: []*os.File{inR, outW, errW},
			Sys: &syscall.SysProcAttr{Setpgid: true}})
		inR.Close()
		outW.Close()
		errW.Close()
		defer inW.Close()
		defer outR.Close()
		defer errR.Close()
		if err != nil {
			fw.write(frameFail, []byte(err.Error()))
			return
		}
		stdin, outputs = inW, []io.Reader{outR, errR}
	}

	// Client → command: stdin, end of stdin, resizes. A client gone before the command
	// exited kills it (its process group; not after: the pid may be another's by then).
	go func() {
		buf := make([]byte, 32<<10)
		for {
			typ, payload, err := readFrame(c, buf)
			if err != nil {
				in.signalGroup(pid, unix.SIGKILL)
				return
			}
			switch typ {
			case frameStdin:
				stdin.Write(payload)
			case frameEOF:
				if term == nil {
					stdin.Close()
				} else {
					term.Write([]byte{4}) // ^D: end of input for a terminal's reader
				}
			case frameResize:
				if term != nil && len(payload) == 4 {
					pty.Setsize(term, &pty.Winsize{Rows: binary.BigEndian.Uint16(payload), Cols: binary.BigEndian.Uint16(payload[2:])})
				}
			}
		}
	}()
	// Command → client: its output until it closed it (or, once it exited, for at most
	// drainAfterExit: a process it left behind may hold it open).
	drained := make(chan struct{}, len(outputs))
	for i, r := range outputs {
		typ := byte(frameStdout)
		if i == 1 {
			typ = frameStderr
		}
		go func() {
			defer func() { drained <- struct{}{} }()
			buf := make([]byte, 32<<10)
			for {
				n, err := r.Read(buf)
				if n > 0 {
					if fw.write(typ, buf[:n]) != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
	ws := <-exited
	timeout := time.After(drainAfterExit)
	for range outputs {
		select {
		case <-drained:
		case <-timeout:
		}
	}
	var code [4]byte
	binary.BigEndian.PutUint32(code[:], uint32(int32(exitStatus(ws).Code)))
	fw.write(frameExit, code[:])
}

// drainAfterExit bounds how long an exec'd command's output is read once it exited.
const drainAfterExit = 2 * time.Second

// nsThread is an OS thread of the init that lives in the sandbox's network namespace, made by
// unshare(CLONE_NEWNET) on it alone; the rest of the init stays in the host's. What must be
// made in the sandbox's namespace (the agent and exec'd processes, which inherit the forking
// thread's; sockets, which keep the namespace they were made in) is made on it. The Go
// runtime never clones new threads from a locked one, and the thread is never unlocked: it
// ends with the init.
type nsThread struct{ calls chan func() }

func newNSThread() (*nsThread, error) {
	t := &nsThread{calls: make(chan func())}
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for f := range t.calls {
			f()
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return t, nil
}

// inNS runs f on the sandbox's network namespace thread.
func (in *sandboxInit) inNS(f func() error) error {
	errc := make(chan error, 1)
	in.ns.calls <- func() { errc <- f() }
	return <-errc
}

// serveProxy serves an HTTP proxy in the sandbox that connects from the host's network.
func serveProxy(l net.Listener) {
	transport := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext, MaxIdleConnsPerHost: 4}
	srv := &http.Server{ReadHeaderTimeout: time.Minute, ErrorLog: nil, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			h, err := net.DialTimeout("tcp", r.Host, 30*time.Second)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer h.Close()
			c, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			if n := rw.Reader.Buffered(); n > 0 { // bytes the client sent after its CONNECT
				b, _ := rw.Reader.Peek(n)
				h.Write(b)
			}
			splice(c, h)
			return
		}
		if !r.URL.IsAbs() {
			http.Error(w, "this is the sandbox's HTTP proxy: it takes CONNECT or absolute URLs", http.StatusBadRequest)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		for _, h := range []string{"Proxy-Connection", "Proxy-Authorization", "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
			out.Header.Del(h)
		}
		resp, err := transport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		rc := http.NewResponseController(w)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				rc.Flush() // streamed answers stay streamed
			}
			if err != nil {
				return
			}
		}
	})}
	srv.Serve(l)
}

// splice copies both ways until both directions ended.
func splice(a, b net.Conn) {
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(a, b)
	go pipe(b, a)
	<-done
	<-done
}

// forward accepts connections in the sandbox on l and connects each to the same address on
// the host.
func forward(l net.Listener, addr string) {
	serve(l, "forwarding "+addr, func(c net.Conn) {
		defer c.Close()
		h, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return // the sandboxed client sees its connection closed
		}
		defer h.Close()
		splice(c, h)
	})
}
