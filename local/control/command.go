package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"
	"github.com/creack/pty"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/agentcore/agentcore/internal/proctree"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Limits of InvokeAgentRuntimeCommand (bedrock-agentcore model: InvokeAgentRuntimeCommandRequestBody).
const (
	maxCommand            = 65536
	defaultCommandTimeout = 300
	maxCommandTimeout     = 3600
)

// commandShell runs a command string, as AgentCore does: the sandbox's /bin/sh -c.
var commandShell = []string{"/bin/sh", "-c"}

// execDocker is the part of the Docker engine API that runs commands in containers;
// *client.Client satisfies it.
type execDocker interface {
	ContainerExecCreate(ctx context.Context, id string, opts container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, opts container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	ContainerExecResize(ctx context.Context, execID string, opts container.ResizeOptions) error
}

// sessionOf resolves the agentRuntimeArn, qualifier and session id of a data plane request to
// the runtime, the version the endpoint serves and the session id (a new one when none is
// given), as InvokeAgentRuntime does.
func (s *Service) sessionOf(r *http.Request) (*runtimeRec, string, int, string, error) {
	q := r.URL.Query()
	rt, err := s.runtimeForArn(r.PathValue("agentRuntimeArn"), q.Get("accountId"))
	if err != nil {
		return nil, "", 0, "", err
	}
	qualifier := q.Get("qualifier")
	if qualifier == "" {
		qualifier = defaultEndpoint
	}
	ep, err := s.store.cachedEndpoint(rt.ID, qualifier)
	if errors.Is(err, errNotFound) || (err == nil && ep.Status == statusDeleting) {
		return nil, "", 0, "", notFoundf("No endpoint named '%s' found for agent runtime %s", qualifier, rt.Arn)
	}
	if err != nil {
		return nil, "", 0, "", err
	}
	if ep.LiveVersion == "" {
		return nil, "", 0, "", validationf("endpoint %s of agent runtime %s is %s and serves no version yet; wait until it is READY", qualifier, rt.ID, ep.Status)
	}
	v, _ := strconv.Atoi(ep.LiveVersion)
	sessionID := r.Header.Get(headerSessionID)
	if sessionID == "" {
		sessionID = newUUID()
	} else if err := validSessionID(sessionID); err != nil {
		return nil, "", 0, "", err
	}
	return rt, qualifier, v, sessionID, nil
}

type commandBody struct {
	Command *string `json:"command"`
	Timeout *int    `json:"timeout"`
}

// invokeCommand answers InvokeAgentRuntimeCommand: the command runs with /bin/sh -c in the
// session's sandbox, and the answer is an event stream of chunk events: contentStart, then
// contentDelta with stdout or stderr as they are written, then contentStop with the exit code
// and COMPLETED, or TIMED_OUT (exit code -1) when the timeout ran out first.
func (s *Service) invokeCommand(w http.ResponseWriter, r *http.Request) error {
	rt, qualifier, version, sessionID, err := s.sessionOf(r)
	if err != nil {
		return err
	}
	var body commandBody
	if err := awsproto.ReadJSON(r, &body); err != nil {
		return validationf("could not parse the request body: %v", err)
	}
	switch {
	case body.Command == nil:
		return fieldMissing("body.command")
	case len(*body.Command) < 1 || len(*body.Command) > maxCommand:
		return fieldInvalid("body.command", "", fmt.Sprintf("Member must have length between 1 and %d", maxCommand))
	}
	timeout := defaultCommandTimeout
	if body.Timeout != nil {
		timeout = *body.Timeout
		if timeout < 1 || timeout > maxCommandTimeout {
			return fieldInvalid("body.timeout", strconv.Itoa(timeout), fmt.Sprintf("Member must be between 1 and %d", maxCommandTimeout))
		}
	}
	target, release, err := s.execTargetFor(r.Context(), rt, qualifier, sessionID, version)
	if err != nil {
		return answered(err)
	}
	defer release()
	version = target.version
	defer s.activityOf(rt.ID, version).begin(sessionID)()

	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(timeout)*time.Second)
	defer cancel()
	p, err := s.startProc(ctx, target, procSpec{argv: append(append([]string{}, commandShell...), *body.Command)})
	if err != nil {
		return runtimeClientErrorf("running the command in session %s: %v", sessionID, err)
	}
	defer p.kill()

	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.Header().Set(headerSessionID, sessionID)
	w.WriteHeader(http.StatusOK)
	es := &eventWriter{w: w, enc: eventstream.NewEncoder()}
	es.chunk(map[string]any{"contentStart": struct{}{}})
	var wg sync.WaitGroup
	for name, rd := range map[string]io.Reader{"stdout": p.stdout, "stderr": p.stderr} {
		if rd == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 16<<10)
			for {
				n, err := rd.Read(buf)
				if n > 0 {
					es.chunk(map[string]any{"contentDelta": map[string]string{name: string(bytes.ToValidUTF8(buf[:n], []byte("\uFFFD")))}})
				}
				if err != nil {
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.kill()
	}
	switch {
	case r.Context().Err() != nil:
		return nil // the caller went away
	case ctx.Err() != nil:
		// Killed (where the host may signal it): its exit code is not waited for.
		es.chunk(map[string]any{"contentStop": map[string]any{"exitCode": -1, "status": "TIMED_OUT"}})
		return nil
	}
	code, err := p.wait(r.Context())
	status := "COMPLETED"
	switch {
	case r.Context().Err() != nil:
		return nil
	case err != nil:
		code = -1 // a platform error, as AgentCore reports it
		es.chunk(map[string]any{"contentDelta": map[string]string{"stderr": "agentcore local: " + err.Error() + "\n"}})
	}
	es.chunk(map[string]any{"contentStop": map[string]any{"exitCode": code, "status": status}})
	return nil
}

// eventWriter writes the events of an application/vnd.amazon.eventstream answer, one at a
// time, each flushed as it is written.
type eventWriter struct {
	mu  sync.Mutex
	w   http.ResponseWriter
	enc *eventstream.Encoder
}

func (e *eventWriter) chunk(v any) {
	payload, _ := json.Marshal(v)
	var msg eventstream.Message
	msg.Headers.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(eventstreamapi.EventMessageType))
	msg.Headers.Set(eventstreamapi.EventTypeHeader, eventstream.StringValue("chunk"))
	msg.Headers.Set(eventstreamapi.ContentTypeHeader, eventstream.StringValue("application/json"))
	msg.Payload = payload
	// The encoder reuses buffers of its own: one event is encoded at a time (stdout's and
	// stderr's readers call at once; encoded together, their frames failed the CRC check).
	e.mu.Lock()
	defer e.mu.Unlock()
	var buf bytes.Buffer
	if err := e.enc.Encode(&buf, msg); err != nil {
		return
	}
	e.w.Write(buf.Bytes())
	http.NewResponseController(e.w).Flush()
}

// procSpec is what to run in a sandbox: argv, and for an interactive shell a terminal of
// rows x cols (stdin attached, stdout and stderr merged by the terminal).
type procSpec struct {
	argv       []string
	tty        bool
	rows, cols uint16
	env        []string // added to the sandbox's environment
}

// proc is a process started in a sandbox.
type proc struct {
	stdin          io.WriteCloser // with tty only
	stdout, stderr io.Reader      // stderr is nil with tty
	resize         func(rows, cols uint16) error
	kill           func()
	wait           func(ctx context.Context) (int, error) // the exit code once it ended
}

// startProc starts spec in the target: docker exec in a container, a child process on the host.
func (s *Service) startProc(ctx context.Context, t execTarget, spec procSpec) (*proc, error) {
	if t.container != "" {
		d, ok := s.run.docker.(execDocker)
		if !ok {
			return nil, errors.New("this endpoint's Docker client cannot run commands in containers")
		}
		return startContainerProc(ctx, d, t.container, spec)
	}
	return startHostProc(ctx, t, spec)
}

func startContainerProc(ctx context.Context, d execDocker, id string, spec procSpec) (*proc, error) {
	opts := container.ExecOptions{Cmd: spec.argv, AttachStdout: true, AttachStderr: true, Env: spec.env,
		AttachStdin: spec.tty, Tty: spec.tty}
	if spec.tty {
		opts.ConsoleSize = &[2]uint{uint(spec.rows), uint(spec.cols)}
	}
	created, err := d.ContainerExecCreate(ctx, id, opts)
	if err != nil {
		return nil, fmt.Errorf("docker exec in container %.12s: %w", id, err)
	}
	att, err := d.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: spec.tty, ConsoleSize: opts.ConsoleSize})
	if err != nil {
		return nil, fmt.Errorf("docker exec in container %.12s: %w", id, err)
	}
	p := &proc{}
	var once sync.Once
	closeConn := func() { once.Do(func() { att.Close() }) }
	if spec.tty {
		p.stdin = att.Conn
		p.stdout = att.Reader
		p.resize = func(rows, cols uint16) error {
			return d.ContainerExecResize(context.WithoutCancel(ctx), created.ID, container.ResizeOptions{Height: uint(rows), Width: uint(cols)})
		}
	} else {
		outR, outW := io.Pipe()
		errR, errW := io.Pipe()
		p.stdout, p.stderr = outR, errR
		go func() {
			_, err := stdcopy.StdCopy(outW, errW, att.Reader)
			outW.CloseWithError(err)
			errW.CloseWithError(err)
		}()
	}
	p.kill = func() {
		// The engine has no call to signal an exec'd process; the host can, when the endpoint
		// runs as the engine's user (or root). Closing the stream ends what waits on it.
		if in, err := d.ContainerExecInspect(context.WithoutCancel(ctx), created.ID); err == nil && in.Running && in.Pid > 0 {
			proctree.Kill(in.Pid)
		}
		closeConn()
	}
	p.wait = func(ctx context.Context) (int, error) {
		defer closeConn()
		for {
			in, err := d.ContainerExecInspect(ctx, created.ID)
			if err != nil {
				return -1, err
			}
			if !in.Running {
				return in.ExitCode, nil
			}
			select {
			case <-ctx.Done():
				return -1, ctx.Err()
			case <-time.After(20 * time.Millisecond): // the stream ended just before the process did
			}
		}
	}
	return p, nil
}

func startHostProc(ctx context.Context, t execTarget, spec procSpec) (*proc, error) {
	if t.sandbox != nil {
		return startSandboxProc(ctx, t, spec)
	}
	cmd := exec.Command(spec.argv[0], spec.argv[1:]...)
	cmd.Dir = t.dir
	cmd.Env = append(append([]string{}, t.env...), spec.env...)
	p := &proc{}
	var killOnce sync.Once
	if spec.tty {
		// pty starts it in a session of its own with the terminal as its controlling one: Ctrl-C
		// typed there reaches its foreground job.
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: spec.rows, Cols: spec.cols})
		if err != nil {
			return nil, err
		}
		p.stdin, p.stdout = f, f
		p.resize = func(rows, cols uint16) error { return pty.Setsize(f, &pty.Winsize{Rows: rows, Cols: cols}) }
		p.kill = func() {
			killOnce.Do(func() {
				proctree.KillGroup(cmd.Process.Pid)
				f.Close()
			})
		}
	} else {
		proctree.NewGroup(cmd)
		outR, outW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = outW, errW
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		outW.Close()
		errW.Close()
		p.stdout, p.stderr = outR, errR
		p.kill = func() { killOnce.Do(func() { proctree.KillGroup(cmd.Process.Pid) }) }
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	p.wait = func(ctx context.Context) (int, error) {
		select {
		case <-exited:
		case <-ctx.Done():
			return -1, ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal()), nil
			}
			return ee.ExitCode(), nil
		}
		if waitErr != nil {
			return -1, waitErr
		}
		return 0, nil
	}
	return p, nil
}
