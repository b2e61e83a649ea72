package agentcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"

	"github.com/coder/websocket"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/term"

	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// The interactive shell's WebSocket framing (InvokeAgentRuntimeCommandShell): a channel byte,
// then the payload. See docs/shell.md.
const (
	shStdin     = 0x00
	shStdout    = 0x01
	shStderr    = 0x02
	shStatus    = 0x03
	shResize    = 0x04
	shHeartbeat = 0x05
	shClose     = 0xFF

	headerSessionID = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
	headerShellID   = "X-Amzn-Bedrock-AgentCore-Shell-Id"
	maxShellFrame   = 64 << 10
)

type shellOpts struct {
	Arn       string `json:"arn"`
	Qualifier string `json:"qualifier,omitempty"`
	SessionID string `json:"session_id,omitempty"`
}

type shellResult struct {
	ExitCode         int    `json:"exitCode"` // the shell's, -1 when the platform ended it without one
	ShellID          string `json:"shellId,omitempty"`
	RuntimeSessionID string `json:"runtimeSessionId,omitempty"`
}

// shellStatus is a STATUS frame (a Kubernetes metav1.Status).
type shellStatus struct {
	Metadata struct {
		ShellID     string `json:"shellId"`
		Reconnected bool   `json:"reconnected"`
	} `json:"metadata"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Details struct {
		Causes []struct{ Reason, Message string } `json:"causes"`
	} `json:"details"`
}

// luaShell opens an interactive shell in a runtime session and connects it to this terminal:
// raw mode while it runs, the window size sent at start and on every SIGWINCH, every key
// (Ctrl-C included) passed through.
func (m *module) luaShell(L *lua.LState, o shellOpts) (*shellResult, error) {
	const fn = "agentcore.shell"
	if o.Arn == "" {
		return nil, engine.Usagef("", "%s: arn is required", fn)
	}
	if o.SessionID != "" {
		if err := proj.CheckSessionID(o.SessionID); err != nil {
			return nil, engine.Usagef("", "%s: %v", fn, err)
		}
	}
	run := engine.FromL(L)
	doing := "opening a shell in agent runtime " + o.Arn
	return engine.Unlocked(L, func(ctx context.Context) (*shellResult, error) {
		conn, resp, err := m.dialWebSocket(ctx, run, o.Arn, "/ws/shells", o.Qualifier, o.SessionID, doing)
		if err != nil {
			return nil, err
		}
		defer conn.CloseNow()
		conn.SetReadLimit(maxShellFrame + 1)
		res := &shellResult{ExitCode: -1, ShellID: resp.Header.Get(headerShellID), RuntimeSessionID: orDefault(resp.Header.Get(headerSessionID), o.SessionID)}
		return res, shellLoop(ctx, conn, run.Stdin, run.Out.Stdout, run.Out.Stderr, res)
	})
}

// dialWebSocket opens a WebSocket of a runtime's data plane (suffix: /ws, /ws/shells), SigV4
// in the upgrade request's headers, in session (none: the platform picks one). A refused
// upgrade is the service's error, with its code.
func (m *module) dialWebSocket(ctx context.Context, run *engine.Run, arn, suffix, qualifier, session, doing string) (*websocket.Conn, *http.Response, error) {
	s, err := m.dataPlane.AWS.Session(ctx, run)
	if err != nil {
		return nil, nil, err
	}
	u := dataPlaneURL(s, arn, suffix, url.Values{"qualifier": {orDefault(qualifier, "DEFAULT")}})
	h := http.Header{}
	if session != "" {
		h.Set(headerSessionID, session)
	}
	h, err = signedHeaders(ctx, s, http.MethodGet, u, h)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", doing, err)
	}
	h.Del("Host")
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return nil, nil, restError(doing, resp, body)
		}
		return nil, nil, fmt.Errorf("%s: %w", doing, err)
	}
	return conn, resp, nil
}

// shellLoop connects the WebSocket to the terminal until the shell ends.
func shellLoop(ctx context.Context, conn *websocket.Conn, stdin io.Reader, stdout, stderr io.Writer, res *shellResult) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wmu sync.Mutex
	send := func(ch byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.Write(ctx, websocket.MessageBinary, append([]byte{ch}, p...))
	}
	inFile, _ := stdin.(*os.File)
	outFile, _ := stdout.(*os.File)
	if inFile != nil && term.IsTerminal(int(inFile.Fd())) {
		old, err := term.MakeRaw(int(inFile.Fd()))
		if err != nil {
			return fmt.Errorf("putting the terminal in raw mode: %w", err)
		}
		defer term.Restore(int(inFile.Fd()), old)
	}
	resize := func() {
		f := outFile
		if f == nil || !term.IsTerminal(int(f.Fd())) {
			f = inFile
		}
		if f == nil {
			return
		}
		if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
			b, _ := json.Marshal(map[string]int{"width": w, "height": h})
			send(shResize, b)
		}
	}
	resize()
	winch := make(chan os.Signal, 1)
	notifyResize(winch)
	defer signal.Stop(winch)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				resize()
			}
		}
	}()
	if stdin != nil {
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := stdin.Read(buf)
				if n > 0 && send(shStdin, buf[:n]) != nil {
					return
				}
				if err != nil {
					// End of input (a pipe): Ctrl-D, so that the shell reads what came before,
					// then its end of input.
					send(shStdin, []byte{0x04})
					return
				}
			}
		}()
	}
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			if res.ExitCode >= 0 || websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("the shell's connection ended: %w", err)
		}
		if typ != websocket.MessageBinary || len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case shStdout:
			if _, err := stdout.Write(msg[1:]); err != nil {
				return err
			}
		case shStderr:
			stderr.Write(msg[1:])
		case shHeartbeat:
		case shClose:
			return errors.New("the platform ended the shell")
		case shStatus:
			var st shellStatus
			if json.Unmarshal(msg[1:], &st) != nil {
				continue
			}
			if st.Metadata.ShellID != "" {
				res.ShellID = st.Metadata.ShellID
				continue
			}
			switch {
			case st.Status == "Success":
				res.ExitCode = 0
			case st.Reason == "NonZeroExitCode":
				for _, c := range st.Details.Causes {
					if c.Reason == "ExitCode" {
						if n, err := strconv.Atoi(c.Message); err == nil {
							res.ExitCode = n
						}
					}
				}
			default:
				return fmt.Errorf("the shell failed: %s %s", st.Reason, st.Message)
			}
		}
	}
}
