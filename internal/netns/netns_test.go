//go:build linux

package netns_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentcore/agentcore/internal/netns"
)

// The test binary is also the agent of the sandboxes it starts (NETNS_TEST_AGENT says how to
// behave), and a parent to kill -9 (mode "starter").
func TestMain(m *testing.M) {
	netns.Init()
	switch os.Getenv("NETNS_TEST_AGENT") {
	case "":
		os.Exit(m.Run())
	case "serve":
		serve()
	case "exit":
		fmt.Println("exiting with 7")
		os.Exit(7)
	case "idle":
		time.Sleep(time.Hour)
	case "probe":
		url := os.Getenv("NETNS_TEST_URL")
		if url == "" {
			url = "http://127.0.0.1:8080/"
		}
		client := &http.Client{Timeout: 10 * time.Second}
		if p := os.Getenv("NETNS_TEST_PROXY"); p != "" { // explicit: Go skips proxies for loopback addresses
			proxy, _ := neturl.Parse(p)
			client.Transport = &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
		}
		resp, err := client.Get(url)
		if err != nil {
			fmt.Println("no answer:", err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("answer: %s\n", body)
	case "starter":
		starter()
	}
	os.Exit(0)
}

// serve answers GET / with $WHO, on $PORT; SIGTERM ends it with a word.
func serve() {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		fmt.Println("terminated gracefully")
		os.Exit(0)
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, os.Getenv("WHO")) })
	fmt.Println("serving on", os.Getenv("PORT"))
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// starter starts a sandbox in $NETNS_TEST_STATE, says so, and waits to be killed; with
// NETNS_TEST_STALL=1 it says so and waits before giving the init its go-ahead.
func starter() {
	if os.Getenv("NETNS_TEST_STALL") == "1" {
		netns.SetBeforeGoAhead(func() {
			fmt.Println("stalled")
			time.Sleep(time.Hour)
		})
	}
	b, err := netns.Start(context.Background(), agentSpec(os.Getenv("NETNS_TEST_STATE"), "survivor", os.Getenv("NETNS_TEST_TOKEN")))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("started", b.Pid())
	time.Sleep(time.Hour)
}

func agentSpec(dir, who, token string) netns.Spec {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return netns.Spec{
		Argv:     []string{exe},
		Env:      []string{"NETNS_TEST_AGENT=serve", "WHO=" + who, "PORT=8080", "NETNS_TEST_TOKEN=" + token, "PATH=/usr/bin:/bin"},
		Port:     8080,
		StateDir: filepath.Join(dir, "state"),
		LogPath:  filepath.Join(dir, "agent.log"),
	}
}

func needSandboxes(t testing.TB) {
	t.Helper()
	if err := netns.Unsupported(); err != nil {
		t.Skip(err)
	}
}

// start starts a sandbox running the test server answering who, stopped at the end of the
// test; its processes carry a token in their environment (see processesWith).
func start(t testing.TB, who string) (*netns.Sandbox, string) {
	t.Helper()
	needSandboxes(t)
	token := fmt.Sprintf("%s-%d-%d", who, os.Getpid(), time.Now().UnixNano())
	s := agentSpec(t.TempDir(), who, token)
	b, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			log, _ := os.ReadFile(s.LogPath)
			t.Logf("sandbox log:\n%s", log)
		}
	})
	return b, token
}

// get asks the sandbox's agent for / once it listens.
func get(t testing.TB, b *netns.Sandbox) string {
	t.Helper()
	return getOver(t, func(ctx context.Context) (net.Conn, error) { return b.Dial(ctx) })
}

// getOver GETs / over a new connection from dial, retrying while the agent does not listen yet.
func getOver(t testing.TB, dial func(context.Context) (net.Conn, error)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		DisableKeepAlives: true,
	}}
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://agent/", nil)
		resp, err := client.Do(req)
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			return string(body)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || ctx.Err() != nil {
			t.Fatalf("GET / in the sandbox: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// processesWith lists the pids of processes whose environment holds NETNS_TEST_TOKEN=token.
func processesWith(t testing.TB, token string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("NETNS_TEST_TOKEN=" + token + "\x00")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(env, want) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Two sandboxes listen on 8080 at once, each reached through its own Dial; neither holds the
// host's 127.0.0.1:8080.
func TestTwoSandboxesOnOnePort(t *testing.T) {
	a, _ := start(t, "alpha")
	b, _ := start(t, "beta")
	if got := get(t, a); got != "alpha" {
		t.Fatalf("sandbox a answered %q", got)
	}
	if got := get(t, b); got != "beta" {
		t.Fatalf("sandbox b answered %q", got)
	}
	// The host's port is not theirs: refused, or answered by someone else.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://127.0.0.1:8080/")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if s := string(body); s == "alpha" || s == "beta" {
			t.Fatalf("the host's 127.0.0.1:8080 reached a sandbox (%q)", s)
		}
	}
}

// Before the agent listens, Dial says connection refused.
func TestDialBeforeListen(t *testing.T) {
	needSandboxes(t)
	s := agentSpec(t.TempDir(), "idle", "idle")
	s.Env[0] = "NETNS_TEST_AGENT=idle"
	b, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	_, err = b.Dial(context.Background())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial before listening: %v, want connection refused", err)
	}
}

// Exec passes stdin, stdout, stderr and the exit code through, runs in the agent's
// environment and network namespace.
func TestExec(t *testing.T) {
	b, _ := start(t, "gamma")
	get(t, b) // listening
	ctx := context.Background()
	var out, errOut bytes.Buffer
	code, err := b.Exec(ctx, netns.ExecSpec{
		Argv:  []string{"sh", "-c", `cat; echo "to stderr $WHO $EXTRA" >&2; exit 3`},
		Env:   []string{"EXTRA=added"},
		Stdin: strings.NewReader("from stdin"), Stdout: &out, Stderr: &errOut,
	})
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 || out.String() != "from stdin" || errOut.String() != "to stderr gamma added\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	// The agent's 127.0.0.1:8080 is the command's too.
	out.Reset()
	exe, _ := os.Executable()
	code, err = b.Exec(ctx, netns.ExecSpec{Argv: []string{exe}, Env: []string{"NETNS_TEST_AGENT=probe"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 0 || out.String() != "answer: gamma\n" {
		t.Fatalf("probe of 127.0.0.1:8080 from exec: exit %d, %v, output %q", code, err, out.String())
	}
	// A command that does not exist is an error, not an exit code.
	_, err = b.Exec(ctx, netns.ExecSpec{Argv: []string{"no-such-command-here"}})
	if err == nil || !strings.Contains(err.Error(), "no such command") {
		t.Fatalf("exec of a missing command: %v", err)
	}
	// Killed by a signal: 128+N.
	code, err = b.Exec(ctx, netns.ExecSpec{Argv: []string{"sh", "-c", "kill -TERM $$"}})
	if err != nil || code != 128+int(syscall.SIGTERM) {
		t.Fatalf("exec killed by SIGTERM: exit %d, %v", code, err)
	}
}

// Terminate lets the agent end on SIGTERM.
func TestTerminate(t *testing.T) {
	needSandboxes(t)
	s := agentSpec(t.TempDir(), "eta", "eta")
	b, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	get(t, b) // its SIGTERM handler is set
	if err := b.Terminate(time.Minute); err != nil {
		t.Fatal(err)
	}
	if b.Alive() {
		t.Fatal("Alive after Terminate")
	}
	if log, _ := os.ReadFile(s.LogPath); !bytes.Contains(log, []byte("terminated gracefully\n")) {
		t.Fatalf("the agent did not get SIGTERM; its log:\n%s", log)
	}
	if _, err := os.Stat(s.StateDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the state directory is still there: %v", err)
	}
}

// A cancelled Exec kills its command.
func TestExecCancel(t *testing.T) {
	b, token := start(t, "zeta")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := writerFunc(func(p []byte) (int, error) { cancel(); return len(p), nil })
	_, err := b.Exec(ctx, netns.ExecSpec{Argv: []string{"sh", "-c", "echo started; exec sleep 300"}, Stdout: started})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled exec returned %v", err)
	}
	// The agent stays; the sleep goes (the init kills it when it sees the connection end).
	deadline := time.Now().Add(30 * time.Second)
	for len(processesWith(t, token)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("processes of the sandbox after the cancel: %v, want the agent alone", processesWith(t, token))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A state directory too long for a socket address still works (through /proc/self/fd).
func TestLongStateDir(t *testing.T) {
	needSandboxes(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	s := agentSpec(dir, "long", "long")
	b, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	if got := get(t, b); got != "long" {
		t.Fatalf("answered %q", got)
	}
	if code, err := b.Exec(context.Background(), netns.ExecSpec{Argv: []string{"true"}}); err != nil || code != 0 {
		t.Fatalf("exec: %d, %v", code, err)
	}
}

// With TTY the command sees a terminal, and resizes reach it.
func TestExecTTY(t *testing.T) {
	b, _ := start(t, "delta")
	ctx := context.Background()
	var out bytes.Buffer
	code, err := b.Exec(ctx, netns.ExecSpec{Argv: []string{"sh", "-c", "test -t 0 && test -t 1 && echo terminal"}, TTY: true, Stdout: &out})
	if err != nil || code != 0 || !strings.Contains(out.String(), "terminal") {
		t.Fatalf("with TTY: exit %d, %v, output %q", code, err, out.String())
	}
	out.Reset()
	code, _ = b.Exec(ctx, netns.ExecSpec{Argv: []string{"sh", "-c", "test -t 0"}, Stdout: &out})
	if code != 1 {
		t.Fatalf("without TTY, test -t 0 exited %d", code)
	}

	// stty size after every line read; lines are sent until the new size shows.
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	resize := make(chan [2]uint16, 1)
	resize <- [2]uint16{33, 101}
	result := make(chan error, 1)
	go func() {
		code, err := b.Exec(ctx, netns.ExecSpec{Argv: []string{"sh", "-c", "while read l; do stty size; done; echo bye"},
			TTY: true, Stdin: stdinR, Stdout: outW, Resize: resize})
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d", code)
		}
		outW.Close()
		result <- err
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	io.WriteString(stdinW, "\n")
	for l := range lines {
		if l == "33 101" {
			break
		}
		if l == "24 80" {
			io.WriteString(stdinW, "\n")
		}
	}
	stdinW.Close() // ^D: read fails, the loop ends
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if err := <-result; err != nil {
		t.Fatalf("the resize loop: %v (output after the resize: %q)", err, rest)
	}

	// Ctrl-C typed on the terminal interrupts the command.
	stdinR, stdinW = io.Pipe()
	outR, outW = io.Pipe()
	codes := make(chan int, 1)
	go func() {
		code, err := b.Exec(ctx, netns.ExecSpec{Argv: []string{"sh", "-c", `trap "echo interrupted; exit 5" INT; echo ready; while :; do sleep 0.1; done`},
			TTY: true, Stdin: stdinR, Stdout: outW})
		if err != nil {
			t.Error(err)
		}
		outW.Close()
		codes <- code
	}()
	sc := bufio.NewScanner(outR)
	var seen []string
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		seen = append(seen, l)
		if l == "ready" {
			io.WriteString(stdinW, "\x03")
		}
	}
	stdinW.Close()
	if code := <-codes; code != 5 || !slices.ContainsFunc(seen, func(l string) bool { return strings.HasSuffix(l, "interrupted") }) {
		t.Fatalf("Ctrl-C: exit %d, output %q", code, seen)
	}
}

// A sandbox outlives its parent killed with -9; Attach finds it, Stop leaves nothing running
// (not even a process that left the agent's process group), and the sandbox is then gone.
func TestAttachAfterParentKilled(t *testing.T) {
	needSandboxes(t)
	dir := t.TempDir()
	token := fmt.Sprintf("survivor-%d", time.Now().UnixNano())
	exe, _ := os.Executable()
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), "NETNS_TEST_AGENT=starter", "NETNS_TEST_STATE="+dir, "NETNS_TEST_TOKEN="+token)
	stdout, _ := parent.StdoutPipe()
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	t.Cleanup(func() { // a failed test leaves nothing running either
		if b, err := netns.Attach(state); err == nil {
			b.Stop()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "started ") {
		parent.Process.Kill()
		parent.Wait()
		t.Fatalf("the parent said %q (%v)", line, err)
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()

	b, err := netns.Attach(state)
	if err != nil {
		t.Fatal(err)
	}
	if want := "started " + strconv.Itoa(b.Pid()) + "\n"; line != want {
		t.Fatalf("attached to pid %d, the parent started %q", b.Pid(), line)
	}
	if got := get(t, b); got != "survivor" {
		t.Fatalf("the attached sandbox answered %q", got)
	}
	// A daemon started by exec leaves the agent's process group and session.
	var out bytes.Buffer
	if code, err := b.Exec(context.Background(), netns.ExecSpec{Argv: []string{"sh", "-c", "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo started"}, Stdout: &out}); err != nil || code != 0 {
		t.Fatalf("exec: exit %d, %v, %q", code, err, out.String())
	}
	if pids := processesWith(t, token); len(pids) < 2 { // the agent and the sleep (the init has no token)
		t.Fatalf("processes with the token before Stop: %v, want the agent and sleep", pids)
	}
	if !b.Alive() {
		t.Fatal("Alive is false for a running sandbox")
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	if pids := processesWith(t, token); len(pids) != 0 {
		t.Fatalf("processes left after Stop: %v", pids)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(b.Pid())); err == nil {
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(b.Pid()) + "/stat"); strings.Contains(string(st), "agentcore-netns") {
			t.Fatalf("the init is still there: %s", st)
		}
	}
	if b.Alive() {
		t.Fatal("Alive after Stop")
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the state directory is still there: %v", err)
	}
	if _, err := netns.Attach(state); !errors.Is(err, netns.ErrGone) {
		t.Fatalf("Attach after Stop: %v", err)
	}
}

// A parent killed during Start, before the init's go-ahead, leaves nothing running.
func TestParentKilledDuringStart(t *testing.T) {
	needSandboxes(t)
	dir := t.TempDir()
	token := fmt.Sprintf("stalled-%d", time.Now().UnixNano())
	exe, _ := os.Executable()
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), "NETNS_TEST_AGENT=starter", "NETNS_TEST_STALL=1", "NETNS_TEST_STATE="+dir, "NETNS_TEST_TOKEN="+token)
	stdout, _ := parent.StdoutPipe()
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := netns.Attach(filepath.Join(dir, "state")); err == nil {
			b.Stop()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()
	if err != nil || line != "stalled\n" {
		t.Fatalf("the parent said %q (%v)", line, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(processesWith(t, token)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the agent of a sandbox whose Start never returned still runs: %v", processesWith(t, token))
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, err := netns.Attach(filepath.Join(dir, "state"))
	for err == nil && b.Alive() { // the init may take a moment more than its agent
		time.Sleep(10 * time.Millisecond)
		if time.Now().After(deadline) {
			t.Fatal("the init of a sandbox whose Start never returned still runs")
		}
	}
	if err == nil {
		b.Stop()
	}
}

// An agent that exits ends its sandbox: Alive turns false, the exit is recorded, Attach says
// how it ended.
func TestAgentExit(t *testing.T) {
	needSandboxes(t)
	s := agentSpec(t.TempDir(), "exit", "exit")
	s.Env[0] = "NETNS_TEST_AGENT=exit"
	b, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	<-b.Done()
	if b.Alive() {
		t.Fatal("Alive after the agent exited")
	}
	st, ok := b.ExitStatus()
	if !ok || st.Code != 7 {
		t.Fatalf("exit status %+v, %v; want code 7", st, ok)
	}
	_, err = netns.Attach(s.StateDir)
	if !errors.Is(err, netns.ErrGone) || !strings.Contains(err.Error(), "exited with code 7") || !strings.Contains(err.Error(), s.LogPath) {
		t.Fatalf("Attach to an ended sandbox: %v", err)
	}
	if _, err := b.Dial(context.Background()); !errors.Is(err, netns.ErrGone) {
		t.Fatalf("Dial to an ended sandbox: %v", err)
	}
	log, _ := os.ReadFile(s.LogPath)
	if !bytes.Contains(log, []byte("exiting with 7\n")) {
		t.Fatalf("the agent's output is not in its log:\n%s", log)
	}
	// A new sandbox can start in the same directory.
	s.Env[0] = "NETNS_TEST_AGENT=serve"
	b2, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Stop()
	if err := startErr(s); err == nil || !strings.Contains(err.Error(), "already runs") {
		t.Fatalf("a second Start in a running sandbox's directory: %v", err)
	}
}

// startErr is the error of a Start expected to fail; a sandbox that started is stopped.
func startErr(s netns.Spec) error {
	b, err := netns.Start(context.Background(), s)
	if err == nil {
		b.Stop()
	}
	return err
}

// A command that does not exist fails Start clearly and leaves nothing.
func TestStartMissingCommand(t *testing.T) {
	needSandboxes(t)
	s := agentSpec(t.TempDir(), "missing", "missing")
	s.Argv = []string{"no-such-agent-command"}
	err := startErr(s)
	if err == nil || !strings.Contains(err.Error(), `"no-such-agent-command": no such command in PATH (/usr/bin:/bin)`) {
		t.Fatalf("Start of a missing command: %v", err)
	}
	if _, err := os.Stat(s.StateDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the state directory was left: %v", err)
	}
	s.Argv = []string{os.Args[0]}
	s.Dir = "/no/such/dir"
	if err := startErr(s); err == nil || !strings.Contains(err.Error(), "/no/such/dir") {
		t.Fatalf("Start in a missing directory: %v", err)
	}
}

// With AGENTCORE_NETNS=off, as on a machine that refuses namespaces, Supported is false and
// Start says why.
func TestDisabled(t *testing.T) {
	t.Setenv(netns.DisableEnv, "off")
	if netns.Supported() {
		t.Fatal("Supported with AGENTCORE_NETNS=off")
	}
	err := startErr(agentSpec(t.TempDir(), "off", "off"))
	if err == nil || !strings.Contains(err.Error(), "AGENTCORE_NETNS=off") {
		t.Fatalf("Start when turned off: %v", err)
	}
}

// The agent reaches the host addresses of Spec.Forward at the same address, others only
// through the sandbox's HTTP proxy.
func TestForward(t *testing.T) {
	needSandboxes(t)
	host := func(who string, tls bool) string {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, who) })
		srv := httptest.NewServer(h)
		if tls {
			srv.Close()
			srv = httptest.NewTLSServer(h)
		}
		t.Cleanup(srv.Close)
		return srv.URL
	}
	forwarded, other, secure := host("the host", false), host("not forwarded", false), host("over https", true)
	s := agentSpec(t.TempDir(), "epsilon", "epsilon")
	s.Forward = []string{strings.TrimPrefix(forwarded, "http://")}
	s.ProxyPort = 3128
	b, err := netns.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	exe, _ := os.Executable()
	probe := func(url string, env ...string) (int, string) {
		var out bytes.Buffer
		env = append(env, "NETNS_TEST_AGENT=probe", "NETNS_TEST_URL="+url)
		code, err := b.Exec(context.Background(), netns.ExecSpec{Argv: []string{exe}, Env: env, Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatal(err)
		}
		return code, out.String()
	}
	if code, out := probe(forwarded + "/x"); code != 0 || out != "answer: the host\n" {
		t.Fatalf("the forwarded address: exit %d, %q", code, out)
	}
	if code, out := probe(other); code == 0 {
		t.Fatalf("an address not forwarded was reached: %q", out)
	}
	if code, out := probe(other, "NETNS_TEST_PROXY=http://127.0.0.1:3128"); code != 0 || out != "answer: not forwarded\n" {
		t.Fatalf("through the sandbox's proxy: exit %d, %q", code, out)
	}
	if code, out := probe(secure, "NETNS_TEST_PROXY=http://127.0.0.1:3128"); code != 0 || out != "answer: over https\n" {
		t.Fatalf("through the sandbox's proxy with CONNECT: exit %d, %q", code, out)
	}
	for _, f := range []string{"localhost:80", "10.1.2.3:80", "127.0.0.1:8080"} {
		s.Forward = []string{f}
		if err := startErr(s); err == nil || !strings.Contains(err.Error(), strconv.Quote(f)) {
			t.Fatalf("Start with the forward %s: %v", f, err)
		}
	}
}

// As a user who is not root, the sandbox adds a user namespace (in which it is root): run the
// main tests again as nobody.
func TestAsUnprivilegedUser(t *testing.T) {
	needSandboxes(t)
	if os.Geteuid() != 0 {
		t.Skip("already unprivileged: the other tests cover it")
	}
	dir, err := os.MkdirTemp("", "netns-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	exe, _ := os.Executable()
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bin, tmp := filepath.Join(dir, "netns.test"), filepath.Join(dir, "tmp")
	if err := errors.Join(os.Chmod(dir, 0o755), os.WriteFile(bin, data, 0o755), os.Mkdir(tmp, 0o700), os.Chown(tmp, 65534, 65534)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.count=1", "-test.run=^(TestTwoSandboxesOnOnePort|TestExec|TestExecTTY|TestAttachAfterParentKilled|TestForward)$", "-test.v")
	cmd.Dir = tmp
	cmd.Env = []string{"TMPDIR=" + tmp, "HOME=" + tmp, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestAttachAfterParentKilled")) {
		t.Fatalf("the tests as uid 65534: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("--- SKIP")) {
		t.Fatalf("the tests as uid 65534 were skipped:\n%s", out)
	}
}
