package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentcore/agentcore/internal/netns"
)

// A code version run on the host goes, where Linux lets this process make namespaces
// (netns.Supported), into a sandbox of internal/netns: a network namespace of its own, so it
// listens on 127.0.0.1:8080 as in AWS (PORT=8080) and no host process reaches it; the data
// plane reaches it through the sandbox's Dial only. The endpoint's loopback addresses found
// in the agent's environment (OTEL_EXPORTER_OTLP_ENDPOINT, an AWS_ENDPOINT_URL) lead to the
// same addresses on the host; an HTTP proxy in the sandbox (HTTPS_PROXY) is its way to the
// internet. Elsewhere (or with AGENTCORE_NETNS=off) it runs as a plain host process on a free
// loopback port given in PORT.

const (
	// sandboxPort is the agent's port inside its namespace for the HTTP contract (an MCP or
	// A2A server's is its protocol's: contract.go); it names sandboxes in the data plane's
	// addresses, which dialContext resolves to the sandbox's own port.
	sandboxPort = 8080
	// sandboxProxyPort serves the sandbox's HTTP proxy to the internet, inside its namespace.
	sandboxProxyPort = 3128
	// sandboxHostSuffix names a sandbox in the data plane's URLs: http://ID.sandbox:8080 is
	// dialled through the sandbox ID's Dial (dialContext), never resolved.
	sandboxHostSuffix = ".sandbox"
)

// nsSandboxes holds the netns sandboxes of the host processes this server started or found
// again, by sandbox id: what dialContext reaches.
type nsSandboxes struct {
	mu sync.Mutex
	m  map[string]*netns.Sandbox
}

func (n *nsSandboxes) get(id string) *netns.Sandbox {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[id]
}

func (n *nsSandboxes) put(id string, b *netns.Sandbox) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]*netns.Sandbox{}
	}
	n.m[id] = b
}

func (n *nsSandboxes) drop(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, id)
}

// sandboxAddr is the data plane's address of a netns sandbox: not a network address, a name
// dialContext knows (the HTTP client keeps its idle connections per sandbox by it).
func sandboxAddr(sandboxID string) string {
	return sandboxID + sandboxHostSuffix + ":" + strconv.Itoa(sandboxPort)
}

// useNetns reports whether host processes run in netns sandboxes here.
func useNetns() bool { return netns.Supported() }

// dialContext is the data plane's dialer: a sandbox's address goes through its Dial, any
// other through the network.
func (c *codeRunner) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err == nil && strings.HasSuffix(host, sandboxHostSuffix) {
		id := strings.TrimSuffix(host, sandboxHostSuffix)
		b := c.ns.get(id)
		if b == nil {
			return nil, fmt.Errorf("dial %s: no running sandbox %s: %w", addr, id, syscall.ECONNREFUSED)
		}
		conn, err := b.Dial(ctx)
		if errors.Is(err, netns.ErrGone) {
			// Refused, as a container that went away: the data plane then checks that the
			// sandbox is gone and starts a fresh one for the session.
			err = fmt.Errorf("%w: %w", err, syscall.ECONNREFUSED)
		}
		return conn, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// nsOf is the netns sandbox of a recorded process, found again (Attach) when this server did
// not start it; nil when it no longer runs.
func (c *codeRunner) nsOf(rec *procRec) *netns.Sandbox {
	if b := c.ns.get(rec.Sandbox); b != nil {
		return b
	}
	b, err := netns.Attach(rec.NetNS)
	if err != nil {
		return nil
	}
	c.ns.put(rec.Sandbox, b)
	return b
}

// loopbackForwards lists the loopback host:port addresses named by URLs in env (the local
// endpoint's, for OTLP and AWS calls): the sandbox forwards them to the host. The agent's port
// and the proxy's cannot be forwarded: the agent and the proxy have them.
func loopbackForwards(env []string, agentPort int) []string {
	seen := map[string]bool{}
	var out []string
	for _, kv := range env {
		_, v, _ := strings.Cut(kv, "=")
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			u, err := url.Parse(f)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Port() == "" {
				continue
			}
			host := u.Hostname()
			if host == "localhost" {
				host = "127.0.0.1"
			}
			ip := net.ParseIP(host)
			if ip == nil || !ip.IsLoopback() {
				continue
			}
			p, _ := strconv.Atoi(u.Port())
			if p == agentPort || p == sandboxProxyPort {
				continue
			}
			a := net.JoinHostPort(ip.String(), u.Port())
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// proxyEnv points the agent's HTTP clients at the sandbox's proxy for anything but loopback.
func proxyEnv() []string {
	p := "http://127.0.0.1:" + strconv.Itoa(sandboxProxyPort)
	return []string{"HTTPS_PROXY=" + p, "HTTP_PROXY=" + p, "https_proxy=" + p, "http_proxy=" + p,
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost"}
}

// startSandboxed starts the agent's command in a netns sandbox whose state directory is
// recorded (rec.NetNS, written ahead) before it starts: a server killed at any point leaves a
// record that a restart or `local reset` finds the sandbox by.
func (c *codeRunner) startSandboxed(ctx context.Context, rec *procRec, command, env []string, work, logPath string) (*netns.Sandbox, error) {
	rec.NetNS = work + ".ns"
	if err := c.store.putProcess(rec); err != nil {
		return nil, err
	}
	b, err := netns.Start(ctx, netns.Spec{
		Argv:      command,
		Dir:       work,
		Env:       append(env, proxyEnv()...),
		Port:      rec.Port,
		StateDir:  rec.NetNS,
		LogPath:   logPath,
		Forward:   loopbackForwards(env, rec.Port),
		ProxyPort: sandboxProxyPort,
	})
	if err != nil {
		c.store.deleteProcess(rec)
		return nil, err
	}
	rec.PID, rec.StartTicks = b.Pid(), startTicks(b.Pid())
	c.ns.put(rec.Sandbox, b)
	if err := c.store.putProcess(rec); err != nil {
		b.Stop()
		c.ns.drop(rec.Sandbox)
		c.store.deleteProcess(rec)
		return nil, err
	}
	return b, nil
}

// stopSandboxed ends a netns sandbox: SIGTERM to the agent, SIGKILL to all of it after 5 s,
// and its state directory removed.
func (c *codeRunner) stopSandboxed(rec *procRec) {
	b := c.nsOf(rec)
	c.ns.drop(rec.Sandbox)
	if b != nil {
		if err := b.Terminate(5 * time.Second); err != nil {
			c.logf("control: stopping the sandbox of runtime %s version %d: %v", rec.RuntimeID, rec.Version, err)
		}
		return
	}
	os.RemoveAll(rec.NetNS)
}

// startSandboxProc runs a command in a session's netns sandbox (InvokeAgentRuntimeCommand, the
// interactive shell): in its namespaces, with the agent's environment.
func startSandboxProc(ctx context.Context, t execTarget, spec procSpec) (*proc, error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	outR, outW := io.Pipe()
	p := &proc{stdout: outR}
	es := netns.ExecSpec{Argv: spec.argv, Env: append(append([]string{}, t.env...), spec.env...), Dir: t.dir, Stdout: outW, TTY: spec.tty}
	var inR *io.PipeReader
	var errW *io.PipeWriter
	resize := make(chan [2]uint16, 4)
	if spec.tty {
		var inW *io.PipeWriter
		inR, inW = io.Pipe()
		p.stdin, es.Stdin, es.Resize = inW, inR, resize
		if spec.rows > 0 && spec.cols > 0 {
			resize <- [2]uint16{spec.rows, spec.cols}
		}
		p.resize = func(rows, cols uint16) error {
			select {
			case resize <- [2]uint16{rows, cols}:
			default: // a burst of resizes: the next one wins
			}
			return nil
		}
	} else {
		var errR *io.PipeReader
		errR, errW = io.Pipe()
		p.stderr, es.Stderr = errR, errW
	}
	var code int
	var err error
	exited := make(chan struct{})
	go func() {
		code, err = t.sandbox.Exec(ctx, es)
		outW.CloseWithError(err) // nil: io.EOF
		if errW != nil {
			errW.CloseWithError(err)
		}
		if inR != nil {
			inR.Close()
		}
		close(exited)
		cancel()
	}()
	p.kill = func() { cancel() }
	p.wait = func(wctx context.Context) (int, error) {
		select {
		case <-exited:
		case <-wctx.Done():
			return -1, wctx.Err()
		}
		return code, err
	}
	return p, nil
}
