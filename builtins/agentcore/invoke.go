package agentcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// readPayload reads an invocation payload from a file, or from the run's stdin ("-"), at most
// one byte more than AgentCore accepts (so that too large is told apart).
func readPayload(run *engine.Run, from string, checkJSON bool) ([]byte, error) {
	var r io.Reader
	name := from
	if from == "-" {
		if run.Stdin == nil {
			return nil, engine.Usagef("", "payload from stdin: there is no stdin")
		}
		r, name = run.Stdin, "stdin"
	} else {
		f, err := os.Open(from)
		if err != nil {
			return nil, engine.Usagef("give the path of a JSON file: --payload @FILE", "payload file: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(proj.MaxPayload)+1))
	if err != nil {
		return nil, fmt.Errorf("reading the payload from %s: %w", name, err)
	}
	if len(b) > proj.MaxPayload {
		return nil, engine.Usagef("send less: AgentCore takes at most 100 MB per invocation", "the payload from %s is larger than %d bytes, the most AgentCore accepts", name, proj.MaxPayload)
	}
	if checkJSON {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, engine.Usagef("", "the payload from %s is not valid JSON: %v", name, err)
		}
	}
	return b, nil
}

// chunkSize bounds one read of a streamed response; a chunk is handed on as soon as it
// arrives, whatever its size.
const chunkSize = 32 * 1024

type invokeOpts struct {
	Arn         string           `json:"arn"`
	Qualifier   string           `json:"qualifier,omitempty"`
	Payload     any              `json:"payload,omitempty" lua:"string|table"`
	PayloadFile string           `json:"payload_file,omitempty"` // "-": stdin
	CheckJSON   bool             `json:"check_json,omitempty"`   // refuse a payload_file that is not JSON
	SessionID   string           `json:"session_id,omitempty"`
	UserID      string           `json:"user_id,omitempty"`
	Headers     engine.StringMap `json:"headers,omitempty"`
	ContentType string           `json:"content_type,omitempty"`
	Accept      string           `json:"accept,omitempty"`
	OnChunk     any              `json:"on_chunk,omitempty" lua:"fun(text: string)"` // read from the table itself: a function
	Timeout     *Seconds         `json:"timeout,omitempty" lua:"number|string"`      // the whole answer within this time
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type stopOpts struct {
	Qualifier   string `json:"qualifier,omitempty"`
	ClientToken string `json:"client_token,omitempty"`
}

// luaInvoke is raw (Fn): on_chunk is a Lua function it calls while the answer streams.
func (m *module) luaInvoke(L *lua.LState) int {
	const fn = "agentcore.invoke"
	tbl := L.CheckTable(1)
	var o invokeOpts
	engine.OptionsArg(L, 1, fn, &o)
	var onChunk *lua.LFunction
	switch v := tbl.RawGetString("on_chunk").(type) {
	case *lua.LNilType:
	case *lua.LFunction:
		onChunk = v
	default:
		engine.RaiseUsage(L, "", "%s: on_chunk must be a function, got a %s", fn, v.Type())
	}
	run := engine.FromL(L)
	if o.SessionID != "" {
		if err := proj.CheckSessionID(o.SessionID); err != nil {
			engine.RaiseUsage(L, "start a new one with --new-session, or pass --session ID", "%s: %v", fn, err)
		}
	}
	if o.UserID != "" {
		if err := proj.CheckUserID(o.UserID); err != nil {
			engine.RaiseUsage(L, "", "%s: %v", fn, err)
		}
	}
	var payload []byte
	switch p := o.Payload.(type) {
	case string:
		payload = []byte(p)
	case nil:
		if o.PayloadFile == "" {
			engine.RaiseUsage(L, "", "%s: payload is required (a string, or a table sent as JSON), or payload_file", fn)
		}
		b, err := engine.Unlocked(L, func(context.Context) ([]byte, error) { return readPayload(run, o.PayloadFile, o.CheckJSON) })
		if err != nil {
			engine.Raise(L, err)
		}
		payload = b
	default:
		b, err := json.Marshal(p)
		if err != nil {
			engine.RaiseUsage(L, "", "%s: payload: %v", fn, err)
		}
		payload = b
	}
	if len(payload) > proj.MaxPayload {
		engine.RaiseUsage(L, "send less: AgentCore takes at most 100 MB per invocation", "%s: the payload is %d bytes; AgentCore accepts at most %d", fn, len(payload), proj.MaxPayload)
	}
	in := &bedrockagentcore.InvokeAgentRuntimeInput{
		AgentRuntimeArn:  &o.Arn,
		Qualifier:        strPtr(orDefault(o.Qualifier, "DEFAULT")),
		Payload:          payload,
		RuntimeSessionId: strPtr(o.SessionID),
		RuntimeUserId:    strPtr(o.UserID),
		ContentType:      strPtr(orDefault(o.ContentType, "application/json")),
		Accept:           strPtr(o.Accept),
	}
	// (The session's HTTP client guards the streamed answer against smithy-go's closed
	// request body: see awscall.HTTPClient.)
	var optFns []func(*bedrockagentcore.Options)
	for k, v := range o.Headers {
		k, v := k, v
		optFns = append(optFns, func(opts *bedrockagentcore.Options) {
			opts.APIOptions = append(opts.APIOptions, smithyhttp.SetHeaderValue(k, v))
		})
	}
	doing := "invoking agent runtime " + o.Arn
	// A timeout bounds the call and the reading of its answer: the response body ends when
	// the request's context does.
	cancel := context.CancelFunc(func() {})
	defer func() { cancel() }()
	timedOut := func(err error) error {
		if o.Timeout != nil && errors.Is(err, context.DeadlineExceeded) && engine.Ctx(L).Err() == nil {
			return engine.Failf("", "%s: no complete answer within %s (timeout)", doing, time.Duration(*o.Timeout))
		}
		return nil
	}
	out, err := awscall.Try(L, m.dataPlane, func(ctx context.Context, c dataAPI) (*bedrockagentcore.InvokeAgentRuntimeOutput, error) {
		if o.Timeout != nil && *o.Timeout > 0 {
			cancel()
			ctx, cancel = context.WithTimeout(ctx, time.Duration(*o.Timeout))
		}
		return c.InvokeAgentRuntime(ctx, in, optFns...)
	})
	if err != nil {
		if te := timedOut(err); te != nil {
			engine.Raise(L, te)
		}
		engine.Raise(L, m.dataPlane.Error(doing, err))
	}
	body := out.Response
	out.Response = nil
	if body == nil {
		body = io.NopCloser(strings.NewReader(""))
	}
	defer body.Close() // also when on_chunk raises

	branch := run.Branch(L)
	// all keeps the answer for the result, at most MaxAnswer bytes (what streams to on_chunk
	// or the output is never cut)
	var all strings.Builder
	truncated := false
	keep := func(text string) {
		if room := MaxAnswer - all.Len(); room < len(text) {
			text, truncated = text[:max(room, 0)], true
		}
		all.WriteString(text)
	}
	buf := make([]byte, chunkSize)
	// Everything the agent answers is masked before Lua or the output sees it, across chunk
	// boundaries: an agent may echo its environment.
	masker := run.Out.StreamMasker()
	for {
		// Read with the lock released so that parallel branches run while the agent thinks;
		// hand each chunk to Lua (lock held) as soon as it arrives.
		chunk, err := engine.Unlocked(L, func(ctx context.Context) ([]byte, error) {
			n, err := body.Read(buf)
			return buf[:n], err
		})
		text := masker.Write(string(chunk))
		if err != nil {
			text += masker.Flush()
		}
		if len(text) > 0 {
			switch {
			case onChunk != nil:
				L.CallByParam(lua.P{Fn: onChunk, NRet: 0, Protect: false}, lua.LString(text))
			case run.Out.JSON:
				run.Out.Log(branch, "agent", strings.TrimRight(text, "\n"))
			default:
				_, _ = io.WriteString(run.Out.Stdout, text)
			}
			keep(text)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if te := timedOut(err); te != nil {
				engine.Raise(L, te)
			}
			engine.Raise(L, m.dataPlane.Error(doing+": reading the response", err))
		}
	}
	t := engine.ToLua(L, out).(*lua.LTable)
	if onChunk == nil {
		t.RawSetString("body", lua.LString(all.String()))
	}
	t.RawSetString("answer", answerTable(L, ParseAnswer(all.String(), truncated)))
	L.Push(t)
	return 1
}

func (m *module) luaStopSession(L *lua.LState, arn, session string, o stopOpts) (*bedrockagentcore.StopRuntimeSessionOutput, error) {
	return awscall.Call(L, m.dataPlane, fmt.Sprintf("stopping session %s of agent runtime %s", session, arn), func(ctx context.Context, c dataAPI) (*bedrockagentcore.StopRuntimeSessionOutput, error) {
		return c.StopRuntimeSession(ctx, &bedrockagentcore.StopRuntimeSessionInput{AgentRuntimeArn: &arn,
			RuntimeSessionId: &session, Qualifier: strPtr(orDefault(o.Qualifier, "DEFAULT")), ClientToken: strPtr(o.ClientToken)})
	})
}
