package agentcore_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

const runtimeArn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc123"

// fakeServer serves handler on loopback and returns its URL (the data plane cannot be run on
// moto: see docs/moto-differences.md).
func fakeServer(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// invocationPath is where InvokeAgentRuntime posts: /runtimes/{url-escaped arn}/invocations.
func invocationPath(r *http.Request) (arn string, ok bool) {
	p := r.URL.EscapedPath()
	rest, found := strings.CutPrefix(p, "/runtimes/")
	if !found {
		return "", false
	}
	rest, found = strings.CutSuffix(rest, "/invocations")
	if !found {
		return "", false
	}
	arn, err := url.PathUnescape(rest)
	return arn, err == nil && r.Method == http.MethodPost
}

// TestInvokeStreamsChunks checks that each chunk reaches on_chunk while the response is still
// open: the server sends the second chunk only once the first has been seen by Lua.
func TestInvokeStreamsChunks(t *testing.T) {
	seen := make(chan string, 10)
	var got struct {
		sync.Mutex
		arn, qualifier, session, user, custom, payload, contentType string
	}
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		arn, ok := invocationPath(r)
		if !ok {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		got.Lock()
		got.arn, got.qualifier, got.payload = arn, r.URL.Query().Get("qualifier"), string(body)
		got.session = r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
		got.user = r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-User-Id")
		got.custom = r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant")
		got.contentType = r.Header.Get("Content-Type")
		got.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "session-from-server-0123456789abcdef0123")
		w.WriteHeader(http.StatusOK)
		flusher := w.(http.Flusher)
		for i, chunk := range []string{"data: hel", "data: lo\n", "data: done\n"} {
			if i > 0 {
				select {
				case <-seen: // Lua saw the previous chunk while this response is still open
				case <-time.After(5 * time.Second):
					_, _ = io.WriteString(w, "data: LATE\n")
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			_, _ = io.WriteString(w, chunk)
			flusher.Flush()
		}
	})
	h := harness(t, srv)
	h.VM.L.SetGlobal("seen", h.VM.L.NewFunction(func(L *lua.LState) int {
		seen <- L.CheckString(1)
		return 0
	}))
	res := h.Do(t, `
		local chunks = {}
		local r = agentcore.invoke{arn = "`+runtimeArn+`", payload = {prompt = "hi"}, session_id = "s-0123456789012345678901234567890123",
			user_id = "alice", headers = {["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"] = "acme"},
			on_chunk = function(text) chunks[#chunks + 1] = text; seen(text) end}
		assert(r.body == nil, "no body with on_chunk")
		return table.concat(chunks, "|"), #chunks, r.statusCode, r.contentType, r.runtimeSessionId`)
	if res[0].String() != "data: hel|data: lo\n|data: done\n" || res[1].String() != "3" {
		t.Fatalf("chunks = %q (%v)", res[0], res[1])
	}
	if res[2].String() != "200" || res[3].String() != "text/event-stream" || res[4].String() != "session-from-server-0123456789abcdef0123" {
		t.Fatalf("result = %v", res[2:])
	}
	got.Lock()
	defer got.Unlock()
	if got.arn != runtimeArn || got.qualifier != "DEFAULT" || got.session != "s-0123456789012345678901234567890123" ||
		got.user != "alice" || got.custom != "acme" || got.payload != `{"prompt":"hi"}` || got.contentType != "application/json" {
		t.Fatalf("request: arn %q qualifier %q session %q user %q custom %q payload %q content type %q",
			got.arn, got.qualifier, got.session, got.user, got.custom, got.payload, got.contentType)
	}
}

func TestInvokeWritesToOutputAndReturnsBody(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := invocationPath(r); !ok || r.URL.Query().Get("qualifier") != "prod" {
			http.Error(w, "unexpected "+r.URL.String(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		for _, chunk := range []string{`{"answer": "the sekrit-value`, ` is safe"}`} {
			_, _ = io.WriteString(w, chunk)
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	})
	h := harness(t, srv)
	h.Run.Out.AddSecret("sekrit-value")
	res := h.Do(t, `
		local r = agentcore.invoke{arn = "`+runtimeArn+`", qualifier = "prod", payload = '{"prompt": "x"}'}
		return r.body, r.statusCode`)
	if res[0].String() != `{"answer": "the **** is safe"}` || res[1].String() != "200" {
		t.Fatalf("result = %v", res)
	}
	if out := h.Stdout.String(); out != `{"answer": "the **** is safe"}` {
		t.Fatalf("stdout = %q", out)
	}
}

func TestInvokeErrorKeepsCode(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message": "No endpoint or agent found with qualifier 'DEFAULT'"}`)
	})
	h := harness(t, srv)
	res := h.Do(t, `
		local ok, err = pcall(agentcore.invoke, {arn = "`+runtimeArn+`", payload = "{}"})
		return ok, aws.error_code(err), err.message`)
	if res[0] != lua.LFalse || res[1].String() != "ResourceNotFoundException" ||
		!strings.Contains(res[2].String(), "invoking agent runtime "+runtimeArn) || !strings.Contains(res[2].String(), "No endpoint") {
		t.Fatalf("got %v", res)
	}
}

func TestInvokeCallbackErrorStops(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "one")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the client must close the response when the callback fails
	})
	h := harness(t, srv)
	done := make(chan error, 1)
	go func() {
		done <- h.Err(`agentcore.invoke{arn = "` + runtimeArn + `", payload = "{}", on_chunk = function(t) error("stop here") end}`)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "stop here") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("invoke did not return after on_chunk raised")
	}
}

func TestStopSession(t *testing.T) {
	var path, session, qualifier string
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		path, session, qualifier = r.URL.EscapedPath(), r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"), r.URL.Query().Get("qualifier")
		w.Header().Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	})
	h := harness(t, srv)
	res := h.Do(t, `local r = agentcore.stop_session("`+runtimeArn+`", "sess-1", {qualifier = "prod"}) return r.runtimeSessionId, r.statusCode`)
	if res[0].String() != "sess-1" || res[1].String() != "200" || qualifier != "prod" || session != "sess-1" ||
		!strings.HasSuffix(path, "/stopruntimesession") {
		t.Fatalf("got %v; request %s %s %s", res, path, session, qualifier)
	}
}

// TestInvokeInParallelReleasesTheLock: each request is answered only once both have arrived,
// which can only happen if the first invoke waits with the interpreter lock released.
func TestInvokeInParallelReleasesTheLock(t *testing.T) {
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
		case <-time.After(5 * time.Second):
			http.Error(w, "the other branch never called", http.StatusGatewayTimeout)
			return
		}
		_, _ = io.WriteString(w, "answer for "+r.URL.Query().Get("qualifier"))
	})
	h := harness(t, srv)
	res := h.Do(t, `
		local r = parallel{
			a = function() return agentcore.invoke{arn = "`+runtimeArn+`", qualifier = "a", payload = "{}", on_chunk = function() end} end,
			b = function() return agentcore.invoke{arn = "`+runtimeArn+`", qualifier = "b", payload = "{}"} end,
		}
		return r.a.statusCode, r.b.body`)
	if res[0].String() != "200" || res[1].String() != "answer for b" {
		t.Fatalf("got %v", res)
	}
}

func TestInvokeJSONOutputEmitsLogEvents(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "line one\n")
		w.(http.Flusher).Flush()
		time.Sleep(10 * time.Millisecond)
		_, _ = io.WriteString(w, "line two\n")
	})
	h := harness(t, srv)
	h.Run.Out.JSON = true
	res := h.Do(t, `return agentcore.invoke{arn = "`+runtimeArn+`", payload = "{}"}.body`)
	if res[0].String() != "line one\nline two\n" {
		t.Fatalf("body = %q", res[0])
	}
	out := h.Stdout.String()
	if !strings.Contains(out, `"type":"log"`) || !strings.Contains(out, `"message":"line one"`) || !strings.Contains(out, `"source":"agent"`) {
		t.Fatalf("stdout is not JSON events:\n%s", out)
	}
}

func TestInvokeRefusesBadSessionIDsBeforeSending(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) { mu.Lock(); calls++; mu.Unlock() })
	h := harness(t, srv)
	for _, s := range []string{"s-0123456789012345678901234567890123\\r\\n", "short", "s 0123456789012345678901234567890123"} {
		err := h.Err(`agentcore.invoke{arn = "` + runtimeArn + `", payload = "{}", session_id = "` + s + `"}`)
		if err == nil || !strings.Contains(err.Error(), "session id") {
			t.Fatalf("%q: %v", s, err)
		}
		if code := exitCode(err); code != 2 {
			t.Fatalf("%q: exit code %d", s, code)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 0 {
		t.Fatalf("%d requests sent", calls)
	}
}

func TestInvokePayloadFromStdinAndFile(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	h := harness(t, srv)
	big := `{"prompt": "` + strings.Repeat("x", 3<<20) + `"}`
	h.Run.Stdin = strings.NewReader(big)
	h.Do(t, `agentcore.invoke{arn = "`+runtimeArn+`", payload_file = "-"}`)
	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, []byte(`{"from": "file"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Do(t, `agentcore.invoke{arn = "`+runtimeArn+`", payload_file = `+strconv.Quote(file)+`}`) // a Windows path's \ escaped
	mu.Lock()
	if len(got) != 2 || got[0] != big || got[1] != `{"from": "file"}` {
		t.Fatalf("sent %d payloads", len(got))
	}
	mu.Unlock()
	if err := h.Err(`agentcore.invoke{arn = "` + runtimeArn + `", payload_file = "/nonexistent/p.json"}`); err == nil || exitCode(err) != 2 {
		t.Fatalf("missing file: %v", err)
	}
	// More than the API's 100 MB: refused before sending.
	h.Run.Stdin = io.LimitReader(zeros{}, 100_000_001)
	if err := h.Err(`agentcore.invoke{arn = "` + runtimeArn + `", payload_file = "-"}`); err == nil || exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "larger than 100000000 bytes") {
		t.Fatalf("too large: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func exitCode(err error) int { return engine.ExitCode(err) }
