package agentcore_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/local/auth"
)

// wsServer serves /runtimes/ARN/ws like AgentCore: SigV4 checked (awstest's keys), then
// every message echoed, "close CODE" closing with that code. It records what it was sent.
type wsServer struct {
	mu       sync.Mutex
	session  string
	received []string
}

func (s *wsServer) handler(t *testing.T) http.HandlerFunc {
	v := &auth.Verifier{Creds: auth.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}}
	return func(w http.ResponseWriter, r *http.Request) {
		if id, f := v.Verify(r); f != nil || id.Service != "bedrock-agentcore" {
			http.Error(w, "not signed", http.StatusForbidden)
			return
		}
		if !strings.HasSuffix(r.URL.EscapedPath(), "/ws") || !strings.HasPrefix(r.URL.EscapedPath(), "/runtimes/"+url.PathEscape(runtimeArn)) {
			http.Error(w, "unexpected "+r.URL.String(), http.StatusNotFound)
			return
		}
		s.mu.Lock()
		s.session = r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
		s.mu.Unlock()
		w.Header().Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "ws-session-0123456789012345678901234567")
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			s.mu.Lock()
			s.received = append(s.received, string(msg))
			s.mu.Unlock()
			if text := string(msg); strings.HasPrefix(text, "close ") {
				c.Close(4001, strings.TrimPrefix(text, "close "))
				return
			}
			if c.Write(r.Context(), typ, msg) != nil {
				return
			}
		}
	}
}

func TestWebSocketEchoUntilIdle(t *testing.T) {
	s := &wsServer{}
	h := harness(t, fakeServer(t, s.handler(t)))
	h.Run.Out.AddSecret("sekrit-value")
	res := h.Do(t, `
		local r = agentcore.websocket{arn = "`+runtimeArn+`", session_id = "s-0123456789012345678901234567890123",
			payload = "hello sekrit-value", idle = 0.3}
		return r.messages, r.sent, r.closeCode, r.runtimeSessionId`)
	if res[0].String() != "1" || res[1].String() != "1" || res[2] != lua.LNil || res[3].String() != "ws-session-0123456789012345678901234567" {
		t.Fatalf("result %v", res)
	}
	if out := h.Stdout.String(); out != "hello ****\n" {
		t.Fatalf("stdout %q (secrets masked, one line per message)", out)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session != "s-0123456789012345678901234567890123" {
		t.Errorf("session header %q", s.session)
	}
}

func TestWebSocketInteractiveAndClose(t *testing.T) {
	s := &wsServer{}
	h := harness(t, fakeServer(t, s.handler(t)))
	h.Run.Stdin = strings.NewReader("one\ntwo\nclose bye\n")
	res := h.Do(t, `
		local r = agentcore.websocket{arn = "`+runtimeArn+`", interactive = true, idle = "5s"}
		return r.messages, r.sent, r.closeCode, r.closeReason`)
	// the agent's close ends it at once, whatever the idle time
	if res[0].String() != "2" || res[1].String() != "3" || res[2].String() != "4001" || res[3].String() != "bye" {
		t.Fatalf("result %v", res)
	}
	if out := h.Stdout.String(); out != "one\ntwo\n" {
		t.Fatalf("stdout %q", out)
	}
}

func TestWebSocketRefused(t *testing.T) {
	h := harness(t, fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ValidationException")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message": "WebSocket streaming is part of the HTTP and AGUI contracts only"}`))
	}))
	err := h.Err(`agentcore.websocket{arn = "` + runtimeArn + `", payload = "x"}`)
	if err == nil || !strings.Contains(err.Error(), "ValidationException") || !strings.Contains(err.Error(), "HTTP and AGUI contracts only") {
		t.Fatalf("err = %v", err)
	}
	if err := h.Err(`agentcore.websocket{arn = "` + runtimeArn + `", session_id = "short"}`); err == nil || !strings.Contains(err.Error(), "33 to 256") {
		t.Fatalf("a bad session id: %v", err)
	}
}

func TestAgentCardAndInvocationURL(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.EscapedPath(), "/invocations/.well-known/agent-card.json") ||
			r.URL.Query().Get("qualifier") != "stable" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "card-session-0123456789012345678901234567")
		_, _ = w.Write([]byte(`{"name": "helper", "capabilities": {"streaming": true}, "skills": [{"id": "echo"}]}`))
	})
	h := harness(t, srv)
	res := h.Do(t, `
		local c = agentcore.agent_card("`+runtimeArn+`", {qualifier = "stable"})
		return c.agentCard.name, c.agentCard.capabilities.streaming, c.agentCard.skills[1].id, c.runtimeSessionId,
			agentcore.invocation_url("`+runtimeArn+`", {qualifier = "stable"})`)
	if res[0].String() != "helper" || res[1] != lua.LTrue || res[2].String() != "echo" || res[3].String() != "card-session-0123456789012345678901234567" {
		t.Fatalf("card %v", res)
	}
	want := srv + "/runtimes/" + url.PathEscape(runtimeArn) + "/invocations?qualifier=stable"
	if res[4].String() != want {
		t.Fatalf("url %q, want %q", res[4], want)
	}
}
