package agentcore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/coder/websocket"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// The protocols other than HTTP request/response: the URL an MCP client speaks to (MCP's
// streamable HTTP over InvokeAgentRuntime's path), A2A's agent card (GetAgentCard), and the
// runtime's WebSocket (/runtimes/ARN/ws, the HTTP and AG-UI contracts).

type urlOpts struct {
	Qualifier string `json:"qualifier,omitempty"`
}

// luaInvocationURL is the data plane URL of a runtime's invocations: what an MCP client
// posts to, SigV4-signed with service bedrock-agentcore.
func (m *module) luaInvocationURL(L *lua.LState, arn string, o urlOpts) (string, error) {
	if arn == "" {
		return "", engine.Usagef("", "agentcore.invocation_url: arn is required")
	}
	run := engine.FromL(L)
	return engine.Unlocked(L, func(ctx context.Context) (string, error) {
		s, err := m.dataPlane.AWS.Session(ctx, run)
		if err != nil {
			return "", err
		}
		return dataPlaneURL(s, arn, "/invocations", url.Values{"qualifier": {orDefault(o.Qualifier, "DEFAULT")}}).String(), nil
	})
}

type cardOpts struct {
	Qualifier string `json:"qualifier,omitempty"`
	SessionID string `json:"session_id,omitempty"`
}

type cardResult struct {
	AgentCard        any    `json:"agentCard" lua:"table"`
	RuntimeSessionID string `json:"runtimeSessionId,omitempty"`
}

// luaAgentCard asks an A2A runtime for its agent card (GetAgentCard).
func (m *module) luaAgentCard(L *lua.LState, arn string, o cardOpts) (*cardResult, error) {
	if o.SessionID != "" {
		if err := proj.CheckSessionID(o.SessionID); err != nil {
			return nil, engine.Usagef("", "agentcore.agent_card: %v", err)
		}
	}
	return awscall.Call(L, m.dataPlane, "getting the agent card of agent runtime "+arn, func(ctx context.Context, c dataAPI) (*cardResult, error) {
		out, err := c.GetAgentCard(ctx, &bedrockagentcore.GetAgentCardInput{AgentRuntimeArn: &arn,
			Qualifier: strPtr(orDefault(o.Qualifier, "DEFAULT")), RuntimeSessionId: strPtr(o.SessionID)})
		if err != nil {
			return nil, err
		}
		res := &cardResult{AgentCard: map[string]any{}}
		if out.RuntimeSessionId != nil {
			res.RuntimeSessionID = *out.RuntimeSessionId
		}
		if out.AgentCard != nil {
			var card any
			if err := out.AgentCard.UnmarshalSmithyDocument(&card); err != nil {
				return nil, fmt.Errorf("reading the agent card: %w", err)
			}
			if card != nil {
				res.AgentCard = card
			}
		}
		return res, nil
	})
}

type wsOpts struct {
	Arn         string   `json:"arn"`
	Qualifier   string   `json:"qualifier,omitempty"`
	SessionID   string   `json:"session_id,omitempty"`
	Payload     string   `json:"payload,omitempty"`
	Interactive bool     `json:"interactive,omitempty"`              // send each line of stdin as a text message
	Idle        *Seconds `json:"idle,omitempty" lua:"number|string"` // end after this long without a message (default 3s)
}

type wsResult struct {
	Messages         int    `json:"messages"`
	Sent             int    `json:"sent"`
	CloseCode        int    `json:"closeCode,omitempty"` // the agent's close code, when it closed
	CloseReason      string `json:"closeReason,omitempty"`
	RuntimeSessionID string `json:"runtimeSessionId,omitempty"`
}

// maxWSMessage bounds one message read from the agent.
const maxWSMessage = 32 << 20

// luaWebSocket opens the runtime's WebSocket (SigV4 in the upgrade request's headers), sends
// the payload and, with interactive, each line of stdin, and prints the agent's messages as
// they arrive: until the agent closes, or nothing came for idle after the last thing sent.
func (m *module) luaWebSocket(L *lua.LState, o wsOpts) (*wsResult, error) {
	const fn = "agentcore.websocket"
	if o.Arn == "" {
		return nil, engine.Usagef("", "%s: arn is required", fn)
	}
	if o.SessionID != "" {
		if err := proj.CheckSessionID(o.SessionID); err != nil {
			return nil, engine.Usagef("start a new one with --new-session, or pass --session ID", "%s: %v", fn, err)
		}
	}
	idle := 3 * time.Second
	if o.Idle != nil && *o.Idle > 0 {
		idle = time.Duration(*o.Idle)
	}
	run := engine.FromL(L)
	branch := run.Branch(L)
	doing := "opening the WebSocket of agent runtime " + o.Arn
	return engine.Unlocked(L, func(ctx context.Context) (*wsResult, error) {
		conn, resp, err := m.dialWebSocket(ctx, run, o.Arn, "/ws", o.Qualifier, o.SessionID, doing)
		if err != nil {
			return nil, err
		}
		defer conn.CloseNow()
		conn.SetReadLimit(maxWSMessage)
		res := &wsResult{RuntimeSessionID: orDefault(resp.Header.Get(headerSessionID), o.SessionID)}
		masker := run.Out
		show := func(typ websocket.MessageType, msg []byte) {
			text := string(msg)
			if typ == websocket.MessageBinary {
				text = fmt.Sprintf("(binary message, %d bytes)", len(msg))
			}
			text = masker.Mask(text)
			if run.Out.JSON {
				run.Out.Log(branch, "websocket", text)
				return
			}
			if !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			_, _ = io.WriteString(run.Out.Stdout, text)
		}

		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wmu sync.Mutex
		// activity is signalled on every message sent or received: idle counts from the last.
		activity := make(chan struct{}, 1)
		poke := func() {
			select {
			case activity <- struct{}{}:
			default:
			}
		}
		send := func(text string) error {
			wmu.Lock()
			defer wmu.Unlock()
			res.Sent++
			poke()
			return conn.Write(ctx, websocket.MessageText, []byte(text))
		}
		if o.Payload != "" {
			if err := send(o.Payload); err != nil {
				return nil, fmt.Errorf("%s: sending the payload: %w", doing, err)
			}
		}
		inputDone := make(chan struct{})
		if o.Interactive && run.Stdin != nil {
			go func() {
				defer close(inputDone)
				sc := bufio.NewScanner(run.Stdin)
				sc.Buffer(make([]byte, 64<<10), maxWSMessage)
				for sc.Scan() {
					if send(sc.Text()) != nil {
						return
					}
				}
			}()
		} else {
			close(inputDone)
		}
		type frame struct {
			typ websocket.MessageType
			msg []byte
			err error
		}
		frames := make(chan frame)
		go func() {
			for {
				typ, msg, err := conn.Read(ctx)
				select {
				case frames <- frame{typ, msg, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
		timer := time.NewTimer(idle)
		defer timer.Stop()
		reset := func() {
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(idle)
		}
		for {
			select {
			case f := <-frames:
				if f.err != nil {
					if st := websocket.CloseStatus(f.err); st != -1 {
						res.CloseCode = int(st)
						var ce websocket.CloseError
						if errors.As(f.err, &ce) {
							res.CloseReason = ce.Reason
						}
						return res, nil
					}
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					return nil, fmt.Errorf("%s: the connection ended: %w", doing, f.err)
				}
				res.Messages++
				show(f.typ, f.msg)
				reset()
			case <-activity:
				reset()
			case <-timer.C:
				select {
				case <-inputDone:
					// Nothing more to send and nothing came for idle: the exchange is over.
					conn.Close(websocket.StatusNormalClosure, "")
					return res, nil
				default:
					timer.Reset(idle) // still reading stdin: a person typing
				}
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	})
}
