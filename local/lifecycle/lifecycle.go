// Package lifecycle starts, finds, checks and stops the local AgentCore endpoint on this
// machine: a server started in the background (a re-execution of this program with
// `local start --foreground`) writes server.json in its folder, answers a signed health check,
// and stops on SIGTERM. cmd's `agentcore local` and every command that needs the endpoint go
// through here; the server itself is package local.
package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/proctree"
	"github.com/agentcore/agentcore/local/auth"
)

// DefaultPort is the endpoint's port on 127.0.0.1 unless AGENTCORE_LOCAL_PORT says another.
const DefaultPort = 4777

// Endpoint is the local endpoint kept under one folder ($AGENTCORE_HOME/local).
type Endpoint struct {
	Dir string // its data: state.db, credentials.json, server.json, server.log, images
}

// New returns the endpoint whose data is under home/local.
func New(home string) *Endpoint { return &Endpoint{Dir: filepath.Join(home, "local")} }

// ServerInfo is written by a running server to DIR/server.json.
type ServerInfo struct {
	PID     int       `json:"pid"`
	Addr    string    `json:"addr"`
	Started time.Time `json:"started"`
	Version string    `json:"version"`
}

// Health is what GET /_agentcore/health answers.
type Health struct {
	Status  string `json:"status"`
	PID     int    `json:"pid"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Version string `json:"version"`
}

// LogPath is the background server's log.
func (e *Endpoint) LogPath() string { return filepath.Join(e.Dir, "server.log") }

// InfoPath is where a running server says where it listens.
func (e *Endpoint) InfoPath() string { return filepath.Join(e.Dir, "server.json") }

// CredentialsPath is the key pair's file.
func (e *Endpoint) CredentialsPath() string { return filepath.Join(e.Dir, auth.FileName) }

// Credentials is the key pair the endpoint accepts, generated (mode 0600) when there is none
// yet: the server, the CLI and `agentcore local env` all read the same file.
func (e *Endpoint) Credentials() (auth.Credentials, error) {
	c, err := auth.LoadOrCreate(e.CredentialsPath())
	if err != nil {
		return c, fmt.Errorf("the local endpoint's credentials: %w", err)
	}
	return c, nil
}

// PortError is a bad AGENTCORE_LOCAL_PORT.
type PortError struct{ Value string }

func (e *PortError) Error() string {
	return fmt.Sprintf("AGENTCORE_LOCAL_PORT=%q is not a port number", e.Value)
}

// Port is the port to listen on: AGENTCORE_LOCAL_PORT, else DefaultPort.
func Port() (int, error) {
	if p := os.Getenv("AGENTCORE_LOCAL_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return 0, &PortError{Value: p}
		}
		return n, nil
	}
	return DefaultPort, nil
}

// ReadServerInfo reads server.json (a server that is not running may have left it).
func (e *Endpoint) ReadServerInfo() (*ServerInfo, error) {
	b, err := os.ReadFile(e.InfoPath())
	if err != nil {
		return nil, err
	}
	var si ServerInfo
	if err := json.Unmarshal(b, &si); err != nil {
		return nil, err
	}
	return &si, nil
}

// Health asks the server at addr for its health, with a request signed like any other: the
// endpoint answers only its owner.
func (e *Endpoint) Health(ctx context.Context, addr string) (*Health, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/_agentcore/health", nil)
	if err != nil {
		return nil, err
	}
	if creds, err := e.Credentials(); err == nil {
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
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Healthy reports whether the server at addr answers its health check.
func (e *Endpoint) Healthy(ctx context.Context, addr string) bool {
	_, err := e.Health(ctx, addr)
	return err == nil
}

// Running returns the running server's info, or nil.
func (e *Endpoint) Running(ctx context.Context) *ServerInfo {
	si, err := e.ReadServerInfo()
	if err != nil || !e.Healthy(ctx, si.Addr) {
		return nil
	}
	return si
}

// Ensure returns the URL of the endpoint, started in the background on Port() when it is not
// running (starting is called first, to tell the user). AGENTCORE_LOCAL_ENDPOINT points at
// an existing one.
func (e *Endpoint) Ensure(ctx context.Context, starting func(port int)) (string, error) {
	if u := os.Getenv("AGENTCORE_LOCAL_ENDPOINT"); u != "" {
		return u, nil
	}
	if si := e.Running(ctx); si != nil {
		return "http://" + si.Addr, nil
	}
	port, err := Port()
	if err != nil {
		return "", err
	}
	if starting != nil {
		starting(port)
	}
	si, err := e.Start(ctx, port)
	if err != nil {
		return "", err
	}
	return "http://" + si.Addr, nil
}

// Start starts the server in the background, in a session of its own, with only the
// environment it needs (ChildEnv), and waits until it answers (30 s at most).
func (e *Endpoint) Start(ctx context.Context, port int) (*ServerInfo, error) {
	exe, err := selfPath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.Dir, 0o700); err != nil {
		return nil, err
	}
	logPath := e.LogPath()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(exe, "local", "start", "--foreground", "--port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	proctree.Detach(cmd)
	cmd.Env = ChildEnv(os.Environ())
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the local endpoint: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		if si := e.Running(ctx); si != nil && si.PID == cmd.Process.Pid {
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

// Stop sends SIGTERM to the server and waits until it has exited (10 s at most).
func (e *Endpoint) Stop(ctx context.Context, si *ServerInfo) error {
	if err := proctree.Terminate(si.PID); err != nil {
		return fmt.Errorf("stopping pid %d: %w", si.PID, err)
	}
	for i := 0; i < 100; i++ {
		if proctree.Gone(si.PID) {
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

// RemoveAllBut empties the endpoint's folder except for the file keep.
func (e *Endpoint) RemoveAllBut(keep string) error {
	entries, err := os.ReadDir(e.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, d := range entries {
		if d.Name() == keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(e.Dir, d.Name())); err != nil {
			return err
		}
	}
	return nil
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

// tail is the last n lines of the file at path, indented.
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
