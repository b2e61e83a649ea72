package mcp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentcore/agentcore/engine"
)

const (
	// sessionHeader is the streamable HTTP transport's session header; AgentCore Runtime routes
	// it to the session's microVM (adding one when the client sends none).
	sessionHeader = "Mcp-Session-Id"
	// defaultService is AgentCore's SigV4 signing name (runtimes and gateways alike).
	defaultService = "bedrock-agentcore"
	defaultTimeout = 120 * time.Second
	// maxBody bounds a request body read to be hashed for its signature: MCP requests are
	// small JSON-RPC messages; AgentCore takes 100 MB at most.
	maxBody = 100 << 20
	// maxItems bounds the items gathered from a paginated list, against a server that pages
	// forever.
	maxItems = 10000
)

// conn is one MCP session opened for a call.
type conn struct {
	cs        *sdk.ClientSession
	transport *authTransport
}

// sessionID is the session the server answered in (what a caller passes back to resume it).
func (c *conn) sessionID() string {
	if id := c.cs.ID(); id != "" {
		return id
	}
	return c.transport.lastSession()
}

// close ends the client side only: the session stays the server's (see authTransport.RoundTrip).
func (c *conn) close() { _ = c.cs.Close() }

// connect opens an MCP session with url as o says. It resolves the SigV4 credentials of the
// run's environment first; call it with the interpreter lock released.
func (m *module) connect(ctx context.Context, run *engine.Run, rawURL string, o Opts) (*conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, engine.Usagef("give the server's http(s) URL, e.g. https://HOST/mcp", "mcp: %q is not an http(s) URL", rawURL)
	}
	// Header values are checked before anything is sent: a line break would end the header.
	for k, v := range o.Headers {
		if i := strings.IndexFunc(k+v, func(r rune) bool { return r < ' ' || r == 0x7f }); i >= 0 || k == "" {
			return nil, engine.Usagef("", "mcp: header %q has a control character or an empty name (headers are sent as HTTP headers)", k)
		}
	}
	t := &authTransport{base: http.DefaultTransport, bearer: o.Bearer, headers: o.Headers}
	if o.Bearer != "" && o.SigV4 != nil {
		return nil, engine.Usagef("use one of them", "mcp: sigv4 and bearer both given")
	}
	if o.SigV4 != nil {
		s, err := m.aws.Session(ctx, run)
		if err != nil {
			return nil, err
		}
		t.creds = s.Config.Credentials
		t.service = orDefault(o.SigV4.Service, defaultService)
		t.region = orDefault(o.SigV4.Region, s.Config.Region)
		t.signer = v4.NewSigner()
	}
	c, err := t.open(ctx, u.String(), o.SessionID)
	if err != nil && o.SessionID != "" && ctx.Err() == nil {
		// The session may have ended (idle timeout, StopRuntimeSession, a restarted server):
		// a new one is what the caller wants, as invoke starts a new runtime session.
		t.session = ""
		c, err = t.open(ctx, u.String(), "")
	}
	if err != nil {
		return nil, callError("connecting to MCP server "+o.name(rawURL), err)
	}
	return c, nil
}

func (t *authTransport) open(ctx context.Context, endpoint, session string) (*conn, error) {
	t.mu.Lock()
	t.session = session
	t.mu.Unlock()
	client := sdk.NewClient(&sdk.Implementation{Name: "agentcore", Version: "1"}, nil)
	tr := &sdk.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: t},
		// AgentCore's data plane takes POST only: no standalone GET stream, and a failed
		// request is reported, not retried with backoff behind the user's back.
		DisableStandaloneSSE: true,
		MaxRetries:           -1,
	}
	cs, err := client.Connect(ctx, tr, nil)
	if err != nil {
		return nil, err
	}
	return &conn{cs: cs, transport: t}, nil
}

// authTransport authenticates every request of an MCP session: SigV4 over the body's hash, or a
// bearer token, plus the caller's headers, and the session to resume on the first request.
type authTransport struct {
	base    http.RoundTripper
	creds   awssdk.CredentialsProvider // nil: no SigV4
	signer  *v4.Signer
	service string
	region  string
	bearer  string
	headers map[string]string

	mu      sync.Mutex
	session string // sent when the SDK has no session yet (resuming one), and the last one answered
}

func (t *authTransport) lastSession() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.session
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodDelete {
		// The SDK ends its session with a DELETE when it closes. AgentCore's data plane has no
		// DELETE (a runtime session ends with StopRuntimeSession or its idle timeout), and the
		// session is kept for the next call on purpose, so the DELETE is answered here.
		return &http.Response{StatusCode: http.StatusNoContent, Status: "204 No Content", Proto: "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	}
	req = req.Clone(req.Context())
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	t.mu.Lock()
	if req.Header.Get(sessionHeader) == "" && t.session != "" {
		req.Header.Set(sessionHeader, t.session)
	}
	t.mu.Unlock()
	if t.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+t.bearer)
	}
	if t.creds != nil {
		if err := t.sign(req); err != nil {
			return nil, err
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if id := resp.Header.Get(sessionHeader); id != "" {
			t.mu.Lock()
			t.session = id
			t.mu.Unlock()
		}
		resp.Body = &capped{ReadCloser: resp.Body, left: maxAnswer}
	}
	return resp, err
}

// maxAnswer bounds what one response may send (a JSON answer, or all of an SSE stream): a
// server gone wrong cannot fill memory. AgentCore bounds payloads to 100 MB.
const maxAnswer = 100 << 20

// capped ends a response body with an error past its limit.
type capped struct {
	io.ReadCloser
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("the server's answer is larger than %d bytes", maxAnswer)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}

// sign signs req with SigV4 in headers, as the AWS SDKs sign AgentCore's requests: the body
// is read (bounded) to hash it and replaced.
func (t *authTransport) sign(req *http.Request) error {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
		req.Body.Close()
		if err != nil {
			return fmt.Errorf("reading the request body to sign it: %w", err)
		}
		if len(b) > maxBody {
			return fmt.Errorf("the request body is larger than %d bytes, the most AgentCore accepts", maxBody)
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	creds, err := t.creds.Retrieve(req.Context())
	if err != nil {
		return fmt.Errorf("getting AWS credentials: %w", err)
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := t.signer.SignHTTP(req.Context(), creds, req, hash, t.service, t.region, time.Now()); err != nil {
		return fmt.Errorf("signing the request: %w", err)
	}
	return nil
}

// callError explains an MCP failure: a server's JSON-RPC error keeps its code and message; an
// HTTP refusal says the status; the rest is what the SDK said.
func callError(doing string, err error) error {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	msg := err.Error()
	hint := ""
	switch {
	case strings.Contains(msg, "Forbidden") || strings.Contains(msg, "403"):
		hint = "the server refused the credentials: check the environment's credentials (sigv4) or the token (bearer)"
	case strings.Contains(msg, "Unauthorized") || strings.Contains(msg, "401"):
		hint = "the server wants authentication: pass sigv4 = true (IAM) or bearer = TOKEN (JWT)"
	case strings.Contains(msg, "connection refused"):
		hint = "nothing listens there: check the URL, and that the server runs"
	}
	return &engine.Error{Code: engine.ExitFailure, Err: err, Msg: fmt.Sprintf("%s: %s", doing, msg), Hint: hint}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
