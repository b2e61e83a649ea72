package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/coder/websocket"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentcore/agentcore/internal/netns"
	"github.com/agentcore/agentcore/local/auth"
)

// TestProtocols runs each protocol of AgentCore's service contract through the local
// endpoint, against the test agent (internal/testagent) in real containers, with real
// clients: the official MCP Go SDK's streamable client and boto3 for MCP, SigV4 throughout.
func TestProtocols(t *testing.T) {
	cli := dockerEngine(t)
	dir := t.TempDir()
	t.Cleanup(func() { Reset(context.Background(), dir) })
	r := start(t, dir)
	t.Cleanup(func() { r.stop(t) })
	uri := pushTestAgent(t, r, cli, "proto-agent")
	ctlc, _ := r.clients(r.cfg)

	t.Run("MCP", func(t *testing.T) {
		id, arn := createRuntime(t, r, "mcpTools", uri, types.ServerProtocolMcp, map[string]string{"TESTAGENT_MODE": "mcp"})
		waitReady(t, ctlc, id)
		endpoint := r.url + "/runtimes/" + url.PathEscape(arn) + "/invocations?qualifier=DEFAULT"
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		client := mcp.NewClient(&mcp.Implementation{Name: "agentcore-test", Version: "1.0.0"}, nil)
		sess, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: r.signingClient()}, nil)
		if err != nil {
			t.Fatalf("connecting the MCP client through the endpoint: %v", err)
		}
		defer sess.Close()
		list, err := sess.ListTools(ctx, nil)
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		var names []string
		for _, tool := range list.Tools {
			names = append(names, tool.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"add", "echo"}) {
			t.Fatalf("tools: %v", names)
		}
		res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": 2, "b": 3}})
		if err != nil || res.IsError || len(res.Content) != 1 {
			t.Fatalf("tools/call add: %v %+v", err, res)
		}
		if text := res.Content[0].(*mcp.TextContent).Text; text != "5" {
			t.Fatalf("add 2 3 = %q", text)
		}
		// The platform's session headers: Mcp-Session-Id added as the runtime session's id,
		// which the client then keeps, so every call lands in the same session.
		var seen []string
		for _, text := range []string{"one", "two"} {
			res, err = sess.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
			if err != nil || res.IsError {
				t.Fatalf("tools/call echo: %v %+v", err, res)
			}
			b, _ := json.Marshal(res.StructuredContent)
			var out struct{ Text, McpSessionID, RuntimeSessionID string }
			json.Unmarshal(b, &out)
			if out.Text != text || out.RuntimeSessionID == "" || out.McpSessionID != out.RuntimeSessionID {
				t.Fatalf("echo: %s", b)
			}
			seen = append(seen, out.RuntimeSessionID)
		}
		if seen[0] != seen[1] || sess.ID() != seen[0] {
			t.Fatalf("the MCP client's calls went to sessions %v (its session id %q)", seen, sess.ID())
		}

		t.Run("boto3", func(t *testing.T) {
			if exec.Command("python3", "-c", "import boto3").Run() != nil {
				t.Skip("no boto3")
			}
			// invoke_agent_runtime with an MCP JSON-RPC payload, no Accept: the endpoint adds
			// streamable HTTP's, as AgentCore does.
			script := `
import boto3, json, sys
c = boto3.client("bedrock-agentcore", endpoint_url=sys.argv[1], region_name="us-east-1")
out = c.invoke_agent_runtime(agentRuntimeArn=sys.argv[2], qualifier="DEFAULT",
    runtimeSessionId="boto3-mcp-session-0000000000000000000001", contentType="application/json",
    payload=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
body = out["response"].read().decode()
for line in body.splitlines():
    if line.startswith("data:"):
        body = line[5:]
msg = json.loads(body)
print(json.dumps({"tools": sorted(t["name"] for t in msg["result"]["tools"]), "mcpSessionId": out.get("mcpSessionId"), "runtimeSessionId": out.get("runtimeSessionId")}))
`
			cmd := exec.Command("python3", "-c", script, r.url, arn)
			cmd.Env = r.cliEnv()
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("boto3: %v\n%s", err, b)
			}
			var got struct {
				Tools            []string
				McpSessionID     string `json:"mcpSessionId"`
				RuntimeSessionID string `json:"runtimeSessionId"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("boto3 printed %s", b)
			}
			if !slices.Equal(got.Tools, names) || got.RuntimeSessionID != "boto3-mcp-session-0000000000000000000001" || got.McpSessionID != got.RuntimeSessionID {
				t.Fatalf("boto3: %s", b)
			}
		})

		t.Run("GET and DELETE", func(t *testing.T) {
			// A stateless server offers no server stream and no session to end: its 405 is
			// passed to the client, which reads it as "not offered".
			for _, method := range []string{http.MethodGet, http.MethodDelete} {
				status, _, hdr := r.signed(t, method, endpoint, "", map[string]string{"Accept": "text/event-stream", "Mcp-Session-Id": seen[0]})
				if status != http.StatusMethodNotAllowed || hdr.Get("Allow") != "POST" {
					t.Fatalf("%s: %d %v", method, status, hdr)
				}
				// Without a session: refused before any sandbox starts.
				status, body, _ := r.signed(t, method, endpoint, "", map[string]string{"Accept": "text/event-stream"})
				if status != http.StatusBadRequest || !strings.Contains(body, "needs the session it belongs to") {
					t.Fatalf("%s without a session: %d %s", method, status, body)
				}
			}
		})

		t.Run("no WebSocket", func(t *testing.T) {
			// /ws is the HTTP and AGUI contracts' (port 8080), not an MCP server's.
			wsURL := r.url + "/runtimes/" + url.PathEscape(arn) + "/ws"
			req, _ := http.NewRequest(http.MethodGet, wsURL, nil)
			auth.Sign(req, r.srv.Credentials(), "us-east-1", "bedrock-agentcore", time.Now())
			_, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: req.Header})
			if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("WebSocket to an MCP runtime: %v %v", err, resp)
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), "serves protocol MCP on port 8000") {
				t.Fatalf("WebSocket to an MCP runtime: %s", b)
			}
		})
	})

	t.Run("A2A", func(t *testing.T) {
		id, arn := createRuntime(t, r, "a2aEcho", uri, types.ServerProtocolA2a, map[string]string{"TESTAGENT_MODE": "a2a", "TESTAGENT_STREAM_DELAY": "20ms"})
		waitReady(t, ctlc, id)
		_, dp := r.clients(r.cfg)
		ctx := context.Background()
		const session = "a2a-session-000000000000000000000000001"
		card, err := dp.GetAgentCard(ctx, &bedrockagentcore.GetAgentCardInput{AgentRuntimeArn: aws.String(arn), RuntimeSessionId: aws.String(session)})
		if err != nil {
			t.Fatalf("GetAgentCard: %v", err)
		}
		var c struct {
			Name         string
			Capabilities struct{ Streaming bool }
			Skills       []struct{ ID string }
		}
		if err := card.AgentCard.UnmarshalSmithyDocument(&c); err != nil || c.Name != "testagent-a2a" || !c.Capabilities.Streaming || len(c.Skills) != 1 {
			t.Fatalf("agent card: %+v %v", c, err)
		}
		if aws.ToString(card.RuntimeSessionId) != session {
			t.Fatalf("GetAgentCard's session: %q", aws.ToString(card.RuntimeSessionId))
		}

		send := func(method string) (string, []json.RawMessage) {
			payload := `{"jsonrpc":"2.0","id":"req-1","method":"` + method + `","params":{"message":{"role":"user","messageId":"m1","parts":[{"kind":"text","text":"hello over a2a"}]}}}`
			out, err := dp.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn),
				RuntimeSessionId: aws.String(session), ContentType: aws.String("application/json"), Accept: aws.String("application/json, text/event-stream"), Payload: []byte(payload)})
			if err != nil {
				t.Fatalf("%s: %v", method, err)
			}
			defer out.Response.Close()
			return aws.ToString(out.ContentType), sseData(t, out.Response)
		}
		ct, msgs := send("message/send")
		if !strings.HasPrefix(ct, "application/json") || len(msgs) != 1 || !strings.Contains(string(msgs[0]), `"text":"echo: hello over a2a"`) || !strings.Contains(string(msgs[0]), session) {
			t.Fatalf("message/send: %s %s", ct, msgs)
		}
		ct, events := send("message/stream")
		var kinds, words []string
		for _, ev := range events {
			var e struct {
				ID     string
				Result struct {
					Kind     string
					Status   struct{ State string }
					Artifact struct{ Parts []struct{ Text string } }
				}
			}
			json.Unmarshal(ev, &e)
			kinds = append(kinds, e.Result.Kind+":"+e.Result.Status.State)
			for _, p := range e.Result.Artifact.Parts {
				words = append(words, p.Text)
			}
		}
		if ct != "text/event-stream" || strings.Join(words, "") != "echo: hello over a2a" ||
			kinds[0] != "task:submitted" || kinds[1] != "status-update:working" || kinds[len(kinds)-1] != "status-update:completed" {
			t.Fatalf("message/stream: %s %v %q", ct, kinds, words)
		}

		t.Run("boto3 get_agent_card", func(t *testing.T) {
			if exec.Command("python3", "-c", "import boto3").Run() != nil {
				t.Skip("no boto3")
			}
			script := `
import boto3, json, sys
c = boto3.client("bedrock-agentcore", endpoint_url=sys.argv[1], region_name="us-east-1")
out = c.get_agent_card(agentRuntimeArn=sys.argv[2], runtimeSessionId="boto3-a2a-session-0000000000000000000001")
print(json.dumps({"name": out["agentCard"]["name"], "session": out["runtimeSessionId"], "status": out["statusCode"]}))
`
			cmd := exec.Command("python3", "-c", script, r.url, arn)
			cmd.Env = r.cliEnv()
			b, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(b)) != `{"name": "testagent-a2a", "session": "boto3-a2a-session-0000000000000000000001", "status": 200}` {
				t.Fatalf("boto3 get_agent_card: %v\n%s", err, b)
			}
		})

		// GetAgentCard of a runtime that is no A2A server says so.
		httpID, httpArn := createRuntime(t, r, "notA2a", uri, types.ServerProtocolHttp, nil)
		waitReady(t, ctlc, httpID)
		if _, err := dp.GetAgentCard(ctx, &bedrockagentcore.GetAgentCardInput{AgentRuntimeArn: aws.String(httpArn)}); err == nil || !strings.Contains(err.Error(), "serves protocol HTTP, not A2A") {
			t.Fatalf("GetAgentCard of an HTTP runtime: %v", err)
		}
	})

	t.Run("AGUI", func(t *testing.T) {
		id, arn := createRuntime(t, r, "aguiAgent", uri, types.ServerProtocolAgui, map[string]string{"TESTAGENT_MODE": "agui", "TESTAGENT_STREAM_DELAY": "20ms"})
		waitReady(t, ctlc, id)
		_, dp := r.clients(r.cfg)
		out, err := dp.InvokeAgentRuntime(context.Background(), &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn),
			ContentType: aws.String("application/json"), Accept: aws.String("text/event-stream"),
			Payload: []byte(`{"threadId":"t1","runId":"r1","messages":[{"id":"u1","role":"user","content":"hi there"}],"tools":[],"context":[],"state":{},"forwardedProps":{}}`)})
		if err != nil {
			t.Fatal(err)
		}
		defer out.Response.Close()
		var kinds, text []string
		for _, ev := range sseData(t, out.Response) {
			var e struct{ Type, Delta string }
			json.Unmarshal(ev, &e)
			kinds = append(kinds, e.Type)
			if e.Type == "TEXT_MESSAGE_CONTENT" {
				text = append(text, e.Delta)
			}
		}
		want := []string{"RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "STATE_SNAPSHOT", "RUN_FINISHED"}
		if got := slices.Compact(slices.Clone(kinds)); !slices.Equal(got, want) || strings.Join(text, "") != "You said: hi there" {
			t.Fatalf("AG-UI events: %v, text %q", kinds, text)
		}
	})

	t.Run("WebSocket", func(t *testing.T) {
		id, arn := createRuntime(t, r, "wsEcho", uri, types.ServerProtocolHttp, nil)
		waitReady(t, ctlc, id)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		wsURL := r.url + "/runtimes/" + url.PathEscape(arn) + "/ws?qualifier=DEFAULT"
		creds := r.srv.Credentials()

		// echo checks a connection: text and binary come back, whoami names the session, and
		// the agent's close code and reason reach the client.
		echo := func(t *testing.T, c *websocket.Conn, session string) {
			t.Helper()
			for _, m := range []struct {
				typ websocket.MessageType
				msg string
			}{{websocket.MessageText, "hello over ws"}, {websocket.MessageBinary, "\x00\x01binary"}} {
				if err := c.Write(ctx, m.typ, []byte(m.msg)); err != nil {
					t.Fatal(err)
				}
				typ, got, err := c.Read(ctx)
				if err != nil || typ != m.typ || string(got) != m.msg {
					t.Fatalf("echo of %q: %v %q %v", m.msg, typ, got, err)
				}
			}
			c.Write(ctx, websocket.MessageText, []byte("whoami"))
			_, got, err := c.Read(ctx)
			var who struct{ SessionID string }
			if err != nil || json.Unmarshal(got, &who) != nil || who.SessionID != session {
				t.Fatalf("whoami: %s %v (want session %s)", got, err, session)
			}
			c.Write(ctx, websocket.MessageText, []byte("close 4001 done here"))
			_, _, err = c.Read(ctx)
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "done here" {
				t.Fatalf("the agent's close: %v", err)
			}
		}

		t.Run("SigV4 headers", func(t *testing.T) {
			const session = "ws-headers-session-00000000000000000000001"
			req, _ := http.NewRequest(http.MethodGet, wsURL, nil)
			req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
			if err := auth.Sign(req, creds, "us-east-1", "bedrock-agentcore", time.Now()); err != nil {
				t.Fatal(err)
			}
			c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: req.Header})
			if err != nil {
				t.Fatalf("dial: %v %v", err, resp)
			}
			defer c.CloseNow()
			if got := resp.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"); got != session {
				t.Fatalf("upgrade's session header %q", got)
			}
			echo(t, c, session)

			// The client's close code and reason reach the agent: a second connection of the
			// session (the same container) asks it how the first was closed.
			dial := func() *websocket.Conn {
				req, _ := http.NewRequest(http.MethodGet, wsURL, nil)
				req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
				auth.Sign(req, creds, "us-east-1", "bedrock-agentcore", time.Now())
				c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: req.Header})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			first := dial()
			first.Close(4002, "client leaves")
			second := dial()
			defer second.CloseNow()
			for last := ""; last != "4002 client leaves"; {
				if ctx.Err() != nil {
					t.Fatalf("the agent saw the client's close as %q", last)
				}
				second.Write(ctx, websocket.MessageText, []byte("lastclose"))
				_, b, err := second.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				last = string(b)
			}
		})

		t.Run("presigned", func(t *testing.T) {
			const session = "ws-presigned-session-000000000000000000001"
			signed := presign(t, creds, wsURL+"&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id="+session, 5*time.Minute)
			c, resp, err := websocket.Dial(ctx, signed, nil)
			if err != nil {
				t.Fatalf("dial: %v %v", err, resp)
			}
			defer c.CloseNow()
			echo(t, c, session)
			// The session id is part of what was signed.
			tampered := strings.Replace(signed, session, "ws-presigned-session-000000000000000000002", 1)
			if _, resp, err := websocket.Dial(ctx, tampered, nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("a tampered presigned URL: %v %v", err, resp)
			}
		})

		t.Run("refused", func(t *testing.T) {
			if _, resp, err := websocket.Dial(ctx, wsURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("unsigned: %v %v", err, resp)
			}
			// A signed plain GET is no upgrade: refused before any sandbox starts.
			if status, body, _ := r.signed(t, http.MethodGet, wsURL, "", nil); status != http.StatusBadRequest || !strings.Contains(body, "must ask for the upgrade") {
				t.Fatalf("a plain GET of /ws: %d %s", status, body)
			}
			bad := creds
			bad.SecretAccessKey = "not-the-secret-key-of-this-endpoint"
			req, _ := http.NewRequest(http.MethodGet, wsURL, nil)
			auth.Sign(req, bad, "us-east-1", "bedrock-agentcore", time.Now())
			if _, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: req.Header}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("badly signed: %v %v", err, resp)
			}
		})
	})
}

// presign returns u presigned with SigV4 query parameters (service bedrock-agentcore), as
// the AgentCore SDKs' generate_presigned_url does, valid for expires.
func presign(t testing.TB, creds auth.Credentials, u string, expires time.Duration) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	req.URL.RawQuery = q.Encode()
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds.AWS(), req,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bedrock-agentcore", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// sseData is the data of each server-sent event of body, or the whole body as one item when
// it is not an event stream.
func sseData(t *testing.T, body io.Reader) []json.RawMessage {
	t.Helper()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "data:") && !strings.HasPrefix(string(b), "event:") {
		return []json.RawMessage{b}
	}
	var out []json.RawMessage
	for _, line := range strings.Split(string(b), "\n") {
		if d, ok := strings.CutPrefix(line, "data:"); ok {
			out = append(out, json.RawMessage(strings.TrimSpace(d)))
		}
	}
	return out
}

// signingClient is an http.Client that signs every request with the endpoint's key pair, as
// an MCP client wrapped for AgentCore does (SigV4, service bedrock-agentcore).
func (r *running) signingClient() *http.Client {
	creds := r.srv.Credentials()
	return &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		req = req.Clone(req.Context())
		if err := auth.Sign(req, creds, "us-east-1", "bedrock-agentcore", time.Now()); err != nil {
			return nil, err
		}
		return http.DefaultTransport.RoundTrip(req)
	})}
}


// signed sends a signed request and returns the status, body and headers answered.
func (r *running) signed(t *testing.T, method, u, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body == "" {
		req.Body = http.NoBody
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := r.signingClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// A code version of an MCP server (stdlib Python, JSON-RPC by hand): it listens on $PORT, which
// is the MCP contract's 8000 in its own network namespace, as in AWS.
var codeMCPAgent = map[string]string{
	"server.py": `import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/mcp":
            return self.send_error(404)
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        result = {}
        if req.get("method") == "tools/list":
            result = {"tools": [{"name": "port", "inputSchema": {"type": "object"}}], "port": os.environ["PORT"],
                      "mcpSessionId": self.headers.get("Mcp-Session-Id")}
        data = json.dumps({"jsonrpc": "2.0", "id": req.get("id"), "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
`,
}

func TestCodeRuntimeMCP(t *testing.T) {
	needDocker(t)
	if err := exec.Command("python3.11", "-c", "pass").Run(); err != nil {
		t.Skip("python3.11 is not installed")
	}
	dir := t.TempDir()
	t.Cleanup(func() { stopSandboxes(dir) })
	r := start(t, dir)
	defer r.stop(t)
	ctx := context.Background()
	s3c := s3Client(r)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mcp-code")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("mcp-code"), Key: aws.String("mcp/deployment.zip"), Body: bytes.NewReader(zipOf(t, codeMCPAgent))}); err != nil {
		t.Fatal(err)
	}
	ctlc, dp := r.clients(r.cfg)
	created, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{
		AgentRuntimeName:      aws.String("code_mcp"),
		AgentRuntimeArtifact:  codeArtifact("mcp-code", "mcp/deployment.zip", "PYTHON_3_11", "server.py"),
		RoleArn:               aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration:  &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		ProtocolConfiguration: &types.ProtocolConfiguration{ServerProtocol: types.ServerProtocolMcp},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctlc, *created.AgentRuntimeId)
	out, err := dp.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: created.AgentRuntimeArn,
		ContentType: aws.String("application/json"), Payload: []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/list"}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Response.Close()
	var ans struct {
		ID     int
		Result struct {
			Tools        []struct{ Name string }
			Port         string
			McpSessionID string `json:"mcpSessionId"`
		}
	}
	b, _ := io.ReadAll(out.Response)
	if err := json.Unmarshal(b, &ans); err != nil || ans.ID != 7 || len(ans.Result.Tools) != 1 || ans.Result.McpSessionID != aws.ToString(out.RuntimeSessionId) {
		t.Fatalf("tools/list: %s (%v)", b, err)
	}
	if netns.Supported() && ans.Result.Port != "8000" {
		t.Fatalf("in its own namespace the MCP server has port %s, want 8000", ans.Result.Port)
	}
}
