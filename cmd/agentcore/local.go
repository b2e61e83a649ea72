package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/state"
	"github.com/agentcore/agentcore/local"
	"github.com/agentcore/agentcore/local/auth"
)

const localUsage = `Usage:
  agentcore local start [--port N] [--foreground]   start the local AgentCore endpoint (background by default)
  agentcore local stop                              stop it (agent containers keep running and are found again)
  agentcore local status                            is it running, where, since when
  agentcore local logs [-f]                         its log
  agentcore local reset                             stop it and its agents (containers, host processes), remove images and state
  agentcore local env [--shell sh|fish|powershell]  print AWS_* variables for the AWS CLI and SDKs (-o json: an object)

The endpoint listens on 127.0.0.1 only (default port 4777, or AGENTCORE_LOCAL_PORT) and keeps
its data in $AGENTCORE_HOME/local (default ~/.agentcore/local). Commands that act on an
environment with provider = "local" start it when it is not running. It is its owner's alone:
every API call must be signed with the key pair generated at its first start (kept, mode 0600,
in credentials.json there); eval "$(agentcore local env)" lets the AWS CLI and SDKs use it.`

const defaultLocalPort = 4777

// serverInfo is written by a running server to DATA/server.json.
type serverInfo struct {
	PID     int       `json:"pid"`
	Addr    string    `json:"addr"`
	Started time.Time `json:"started"`
	Version string    `json:"version"`
}

func agentcoreHome() string { return engine.Home() }

func localDir() string { return filepath.Join(agentcoreHome(), "local") }

// localCredentials is the key pair the local endpoint accepts, generated (mode 0600) when there
// is none yet: the server, the CLI and `agentcore local env` all read the same file.
func localCredentials() (auth.Credentials, error) {
	c, err := auth.LoadOrCreate(filepath.Join(localDir(), auth.FileName))
	if err != nil {
		return c, fmt.Errorf("the local endpoint's credentials: %w", err)
	}
	return c, nil
}

func localPort() (int, error) {
	if p := os.Getenv("AGENTCORE_LOCAL_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return 0, usageErr("", "AGENTCORE_LOCAL_PORT=%q is not a port number", p)
		}
		return n, nil
	}
	return defaultLocalPort, nil
}

func readServerInfo() (*serverInfo, error) {
	b, err := os.ReadFile(filepath.Join(localDir(), "server.json"))
	if err != nil {
		return nil, err
	}
	var si serverInfo
	if err := json.Unmarshal(b, &si); err != nil {
		return nil, err
	}
	return &si, nil
}

// healthInfo is what GET /_agentcore/health answers.
type healthInfo struct {
	Status  string `json:"status"`
	PID     int    `json:"pid"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Version string `json:"version"`
}

// health asks a server at addr for its health, with a request signed like any other: the
// endpoint answers only its owner.
func health(ctx context.Context, addr string) (*healthInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/_agentcore/health", nil)
	if err != nil {
		return nil, err
	}
	if creds, err := localCredentials(); err == nil {
		if err := auth.Sign(req, creds, "us-east-1", "agentcore-local", time.Now()); err != nil {
			return nil, err
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	var h healthInfo
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return nil, err
	}
	return &h, nil
}

// healthy asks a server at addr for its health.
func healthy(ctx context.Context, addr string) bool {
	_, err := health(ctx, addr)
	return err == nil
}

// running returns the running server's info, or nil.
func running(ctx context.Context) *serverInfo {
	si, err := readServerInfo()
	if err != nil || !healthy(ctx, si.Addr) {
		return nil
	}
	return si
}

// ensureLocal is the engine's Run.LocalEndpoint: the URL of the local endpoint, started in the
// background when it is not running. AGENTCORE_LOCAL_ENDPOINT points at an existing one.
func (a *app) ensureLocal(ctx context.Context) (string, error) {
	if u := os.Getenv("AGENTCORE_LOCAL_ENDPOINT"); u != "" {
		return u, nil
	}
	if si := running(ctx); si != nil {
		return "http://" + si.Addr, nil
	}
	port, err := localPort()
	if err != nil {
		return "", err
	}
	a.out.Info("", fmt.Sprintf("starting the local AgentCore endpoint on 127.0.0.1:%d (agentcore local logs shows its log)", port))
	si, err := startDetached(ctx, port)
	if err != nil {
		return "", err
	}
	return "http://" + si.Addr, nil
}

func startDetached(ctx context.Context, port int) (*serverInfo, error) {
	exe, err := selfPath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(localDir(), 0o700); err != nil {
		return nil, err
	}
	logPath := filepath.Join(localDir(), "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(exe, "local", "start", "--foreground", "--port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = detachedEnv(os.Environ())
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the local endpoint: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		if si := running(ctx); si != nil && si.PID == cmd.Process.Pid {
			return si, nil
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("the local endpoint exited at start (%v); its log, %s, ends with:\n%s", err, logPath, tail(logPath, 8))
		case <-deadline:
			return nil, fmt.Errorf("the local endpoint did not answer within 30s; see %s", logPath)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// selfPath is the program to re-execute: the path this process was started as (so that a
// renamed or wrapped binary starts itself), else the executable's resolved path.
func selfPath() (string, error) {
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs, nil
		}
	}
	return os.Executable()
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := ""
	for _, l := range lines {
		out += "  " + l + "\n"
	}
	return out
}

func (a *app) cmdLocal(args []string) error {
	fs := pflag.NewFlagSet("local", pflag.ContinueOnError)
	port := fs.Int("port", 0, "port on 127.0.0.1 (default 4777, or AGENTCORE_LOCAL_PORT)")
	fg := fs.Bool("foreground", false, "serve in this process instead of in the background")
	follow := fs.BoolP("follow", "f", false, "logs: keep printing new lines")
	shell := fs.String("shell", "sh", "env: the shell to print variables for (sh, fish, powershell)")
	rest, err := a.parse(fs, args, localUsage)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) != 1 {
		return usageErr(localUsage, "local takes one of start, stop, status, logs, reset, env")
	}
	if *port == 0 {
		if *port, err = localPort(); err != nil {
			return err
		}
	}
	switch rest[0] {
	case "start":
		if si := running(a.ctx); si != nil {
			a.out.OK("", fmt.Sprintf("the local endpoint is already running at http://%s (pid %d)", si.Addr, si.PID))
			return nil
		}
		if *fg {
			return serveForeground(a.ctx, *port)
		}
		si, err := startDetached(a.ctx, *port)
		if err != nil {
			return err
		}
		a.out.OK("", fmt.Sprintf("local AgentCore endpoint running at http://%s (pid %d)", si.Addr, si.PID))
		a.out.Info("", "log: "+filepath.Join(localDir(), "server.log"))
		return nil
	case "stop":
		si, err := readServerInfo()
		if err != nil || !healthy(a.ctx, si.Addr) {
			a.out.OK("", "the local endpoint is not running")
			return nil
		}
		return stopServer(a.ctx, si, a)
	case "status":
		si := running(a.ctx)
		if a.out.JSON {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"running": si != nil, "server": si, "data_dir": localDir(),
				"credentials_file": filepath.Join(localDir(), auth.FileName)})
		}
		if si == nil {
			a.out.Info("", "the local endpoint is not running (it starts with the first command that needs it, or: agentcore local start)")
			return nil
		}
		a.out.OK("", fmt.Sprintf("running at http://%s, pid %d, since %s, version %s", si.Addr, si.PID, si.Started.Local().Format(time.DateTime), si.Version))
		a.out.Info("", "data: "+localDir())
		return nil
	case "logs":
		return a.localLogs(*follow)
	case "reset":
		if !a.g.yes {
			return usageErr("run again with --yes", "local reset deletes every local runtime, image and parameter; confirm with --yes")
		}
		if si, err := readServerInfo(); err == nil && healthy(a.ctx, si.Addr) {
			if err := stopServer(a.ctx, si, a); err != nil {
				return err
			}
		}
		if err := local.StopProcesses(localDir()); err != nil {
			return err
		}
		// The Docker engine's part (containers, image tags) does not hold back the rest: the
		// state goes whatever the engine says, and containers left behind carry labels by which
		// the next reset finds them. The agents' network stays: every endpoint on the engine
		// shares it.
		dockerErr := local.Reset(a.ctx, localDir())
		if dockerErr == nil {
			_, dockerErr = local.RemoveImageTags(a.ctx, *port)
		}
		if err := removeAllBut(localDir(), auth.FileName); err != nil {
			return err
		}
		if dockerErr != nil {
			return fmt.Errorf("the local endpoint's state is removed, but not what it left on the Docker engine: %w; run agentcore local reset --yes again once the engine answers (agent containers are found by their labels)", dockerErr)
		}
		a.out.OK("", "local endpoint reset: agent containers and host processes stopped, images and state removed (its credentials are kept: "+filepath.Join(localDir(), auth.FileName)+")")
		return nil
	case "env":
		return a.localEnv(*shell, *port)
	}
	return usageErr(localUsage, "unknown local subcommand %q", rest[0])
}

// removeAllBut empties dir except for the file keep.
func removeAllBut(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// localEnv prints the variables that point the AWS CLI and SDKs at the local endpoint, with
// its credentials, for eval. The endpoint is started when it is not running.
func (a *app) localEnv(shell string, port int) error {
	switch shell {
	case "sh", "bash", "zsh", "fish", "powershell", "pwsh":
	default:
		return usageErr("use --shell sh, fish or powershell", "local env: unknown shell %q", shell)
	}
	creds, err := localCredentials()
	if err != nil {
		return err
	}
	si := running(a.ctx)
	if si == nil {
		fmt.Fprintf(a.stderr, "starting the local AgentCore endpoint on 127.0.0.1:%d (agentcore local logs shows its log)\n", port)
		if si, err = startDetached(a.ctx, port); err != nil {
			return err
		}
	}
	region := "us-east-1"
	if h, err := health(a.ctx, si.Addr); err == nil && h.Region != "" {
		region = h.Region
	}
	vars := [][2]string{
		{"AWS_ACCESS_KEY_ID", creds.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey},
		{"AWS_ENDPOINT_URL", "http://" + si.Addr},
		{"AWS_REGION", region},         // the Go, Java and JavaScript SDKs
		{"AWS_DEFAULT_REGION", region}, // the AWS CLI and boto3
	}
	if a.out.JSON {
		m := map[string]string{}
		for _, v := range vars {
			m[v[0]] = v[1]
		}
		return json.NewEncoder(a.stdout).Encode(m)
	}
	a.out.AddSecret(creds.SecretAccessKey)
	var b strings.Builder
	for _, v := range vars {
		switch shell {
		case "fish":
			fmt.Fprintf(&b, "set -gx %s %s;\n", v[0], shQuote(v[1]))
		case "powershell", "pwsh":
			fmt.Fprintf(&b, "$Env:%s = \"%s\"\n", v[0], v[1])
		default:
			fmt.Fprintf(&b, "export %s=%s\n", v[0], shQuote(v[1]))
		}
	}
	// A session token left from an AWS login would be sent along and mean nothing here.
	switch shell {
	case "fish":
		b.WriteString("set -e AWS_SESSION_TOKEN;\n")
	case "powershell", "pwsh":
		b.WriteString("Remove-Item Env:AWS_SESSION_TOKEN -ErrorAction SilentlyContinue\n")
	default:
		b.WriteString("unset AWS_SESSION_TOKEN\n")
	}
	b.WriteString("# eval \"$(agentcore local env)\" points the AWS CLI and SDKs at the local endpoint\n")
	_, err = io.WriteString(a.stdout, b.String())
	return err
}

// shQuote quotes s for sh and fish when it holds anything but safe characters.
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func stopServer(ctx context.Context, si *serverInfo, a *app) error {
	p, err := os.FindProcess(si.PID)
	if err == nil {
		err = p.Signal(syscall.SIGTERM)
	}
	if err != nil {
		return fmt.Errorf("stopping pid %d: %w", si.PID, err)
	}
	for i := 0; i < 100; i++ {
		if syscall.Kill(si.PID, 0) != nil {
			a.out.OK("", fmt.Sprintf("stopped the local endpoint (pid %d); agent containers keep running and are found again at the next start", si.PID))
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("pid %d did not stop within 10s", si.PID)
}

func (a *app) localLogs(follow bool) error {
	path := filepath.Join(localDir(), "server.log")
	f, err := os.Open(path)
	if err != nil {
		return usageErr("agentcore local start", "no log yet at %s", path)
	}
	defer f.Close()
	if _, err := io.Copy(a.stdout, f); err != nil {
		return err
	}
	for follow {
		select {
		case <-a.ctx.Done():
			return nil
		case <-time.After(300 * time.Millisecond):
		}
		if _, err := io.Copy(a.stdout, f); err != nil {
			return err
		}
	}
	return nil
}

// serveForeground runs the server in this process until SIGINT/SIGTERM.
func serveForeground(ctx context.Context, port int) error {
	logger := log.New(os.Stderr, "", log.LstdFlags|log.Lmicroseconds)
	ln, err := local.Listen(port)
	if err != nil {
		return fmt.Errorf("listening on 127.0.0.1:%d: %w (another program uses the port? set AGENTCORE_LOCAL_PORT)", port, err)
	}
	local.Version = version
	cfg := local.Config{Dir: localDir(), Logf: logger.Printf}
	if v := os.Getenv("AGENTCORE_LOCAL_PING_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			ln.Close()
			return usageErr("for example AGENTCORE_LOCAL_PING_TIMEOUT=90s", "AGENTCORE_LOCAL_PING_TIMEOUT=%q is not a duration", v)
		}
		cfg.PingTimeout = d
	}
	srv, err := local.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	si := serverInfo{PID: os.Getpid(), Addr: ln.Addr().String(), Started: time.Now().UTC(), Version: version}
	b, _ := json.Marshal(si)
	infoPath := filepath.Join(localDir(), "server.json")
	if err := state.WriteFileAtomic(infoPath, b, 0o644); err != nil {
		return err
	}
	defer os.Remove(infoPath)
	logger.Printf("local AgentCore endpoint listening on http://%s (data %s)", si.Addr, localDir())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-sigs:
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
