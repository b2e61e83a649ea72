package control

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/coder/websocket"
)

// Interactive shells (InvokeAgentRuntimeCommandShell): a WebSocket at
// GET /runtimes/{agentRuntimeArn}/ws/shells?qualifier=Q, signed with SigV4 like every other
// call, the session in X-Amzn-Bedrock-AgentCore-Runtime-Session-Id. Every binary message is
// one channel byte and its payload, as AgentCore's SDKs frame them (the Kubernetes
// v5.channel.k8s.io layout):
//
//	0x00 STDIN     client → shell: raw bytes typed (Ctrl-C is byte 0x03: the terminal signals)
//	0x01 STDOUT    shell → client: raw terminal output
//	0x02 STDERR    shell → client: diagnostics of the platform (not the shell's stderr)
//	0x03 STATUS    shell → client: JSON; first {"metadata":{"shellId":…,"reconnected":false},
//	               "status":"Success"}, last the exit: "Success", or "Failure" with reason
//	               NonZeroExitCode and details.causes [{"reason":"ExitCode","message":"N"}]
//	0x04 RESIZE    client → shell: JSON {"width":COLS,"height":ROWS}
//	0x05 HEARTBEAT both ways: echoed
//	0xFF CLOSE     client → shell: end the shell
//
// The shell is /bin/sh on a terminal (a PTY) in the session's sandbox. Locally a shell lives
// as long as its connection: reconnecting to a shell by its id is not offered.
const (
	chStdin     = 0x00
	chStdout    = 0x01
	chStderr    = 0x02
	chStatus    = 0x03
	chResize    = 0x04
	chHeartbeat = 0x05
	chClose     = 0xFF

	headerShellID = "X-Amzn-Bedrock-Agentcore-Shell-Id"
	maxShellFrame = 64 << 10
)

// shellCommand is what a shell runs.
var shellCommand = []string{"/bin/sh"}

func (s *Service) openShell(w http.ResponseWriter, r *http.Request) error {
	rt, qualifier, version, sessionID, err := s.sessionOf(r)
	if err != nil {
		return err
	}
	shellID := r.Header.Get(headerShellID)
	if shellID == "" {
		shellID = newUUID()
	}
	target, release, err := s.execTargetFor(r.Context(), rt, qualifier, sessionID, version)
	if err != nil {
		return answered(err)
	}
	defer release()
	version = target.version
	w.Header().Set(headerSessionID, sessionID)
	w.Header().Set(headerShellID, shellID)
	// The guard has already refused requests with an Origin header: no page reaches this.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept answered the caller
	}
	conn.SetReadLimit(maxShellFrame)
	defer conn.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer s.activityOf(rt.ID, version).begin(sessionID)()

	var wmu sync.Mutex
	send := func(ch byte, payload []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.Write(ctx, websocket.MessageBinary, append([]byte{ch}, payload...))
	}
	status := func(v map[string]any) error {
		v["kind"], v["apiVersion"] = "Status", "v1"
		b, _ := json.Marshal(v)
		return send(chStatus, b)
	}
	p, err := s.startProc(ctx, target, procSpec{argv: shellCommand, tty: true, rows: 24, cols: 80,
		env: []string{"TERM=xterm-256color"}})
	if err != nil {
		send(chStderr, []byte("agentcore local: starting the shell: "+err.Error()+"\n"))
		status(map[string]any{"metadata": map[string]any{}, "status": "Failure", "reason": "InternalError", "message": err.Error(), "code": 500})
		conn.Close(websocket.StatusInternalError, "the shell could not start")
		return nil
	}
	defer p.kill()
	if err := status(map[string]any{"metadata": map[string]any{"shellId": shellID, "reconnected": false}, "status": "Success"}); err != nil {
		return nil
	}

	// Client → shell.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			typ, msg, err := conn.Read(ctx)
			if err != nil {
				p.kill() // the client went away: the shell ends with its connection
				return
			}
			if typ != websocket.MessageBinary || len(msg) == 0 {
				continue
			}
			switch msg[0] {
			case chStdin:
				if _, err := p.stdin.Write(msg[1:]); err != nil {
					return
				}
			case chResize:
				var sz struct{ Width, Height int }
				if json.Unmarshal(msg[1:], &sz) == nil && sz.Width > 0 && sz.Height > 0 && sz.Width < 1<<16 && sz.Height < 1<<16 {
					p.resize(uint16(sz.Height), uint16(sz.Width))
				}
			case chHeartbeat:
				send(chHeartbeat, nil)
			case chClose:
				p.kill()
				return
			}
		}
	}()

	// Shell → client, until the terminal closes (the shell exited, or was killed).
	buf := make([]byte, 32<<10)
	for {
		n, err := p.stdout.Read(buf)
		if n > 0 {
			if send(chStdout, buf[:n]) != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	code, err := p.wait(ctx)
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil:
		status(map[string]any{"metadata": map[string]any{}, "status": "Failure", "reason": "InternalError", "message": err.Error(), "code": 500})
	case code == 0:
		status(map[string]any{"metadata": map[string]any{}, "status": "Success"})
	default:
		status(map[string]any{"metadata": map[string]any{}, "status": "Failure", "reason": "NonZeroExitCode",
			"message": "command terminated with exit code " + strconv.Itoa(code),
			"details": map[string]any{"causes": []map[string]string{{"reason": "ExitCode", "message": strconv.Itoa(code)}}}})
	}
	conn.Close(websocket.StatusNormalClosure, "")
	select {
	case <-closed:
	default:
	}
	return nil
}
