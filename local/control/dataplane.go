package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Data plane headers (bedrock-agentcore model).
const (
	headerSessionID  = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
	headerUserID     = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"
	headerCustom     = "X-Amzn-Bedrock-Agentcore-Runtime-Custom-" // canonical form
	headerMcpSession = "Mcp-Session-Id"
)

// maxPayload is the model's limit on the invocation payload (Body: max 100000000).
const maxPayload = 100_000_000

// MaxInvokePayload is maxPayload for the guard, which bounds the body it hashes by it.
const MaxInvokePayload = maxPayload

// Headers passed through to the agent as they are, besides the session, user and custom ones.
var passHeaders = []string{"Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "X-Amzn-Trace-Id", "Traceparent", "Tracestate", "Baggage"}

// Headers of the agent's answer returned to the caller.
var returnHeaders = []string{"Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "X-Amzn-Trace-Id", "Traceparent", "Tracestate", "Baggage", "Cache-Control"}

// invokeAgentRuntime answers InvokeAgentRuntime and records the invocation (logs, metrics)
// whatever its outcome; it writes its own errors, so that the record has the status sent. The
// record is written in the background (records.go): a chunked answer ends for the caller only
// when the handler returns.
func (s *Service) invokeAgentRuntime(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		// An MCP client's GET (its server-to-client stream) or DELETE (the end of its MCP
		// session) on the same URL: passed to the server, not counted as invocations.
		var inv Invocation
		return s.invoke(w, r, r.PathValue("agentRuntimeArn"), &inv, false)
	}
	inv := Invocation{Start: time.Now()}
	sw := &statusWriter{ResponseWriter: w, left: -1, lastByte: s.reserveRecord}
	if err := s.invoke(sw, r, r.PathValue("agentRuntimeArn"), &inv, false); err != nil {
		writeError(sw, err)
		inv.ErrorType = "InternalServerException"
		if code := awsproto.CodeOf(err); code != "" {
			inv.ErrorType = code
		}
	}
	inv.End, inv.Status, inv.FirstByte = time.Now(), sw.status, sw.firstByte
	s.queueRecord(inv, sw.reserved)
	return nil
}

// runtimeForArn resolves the agentRuntimeArn member: a full runtime ARN, or a runtime id with
// the accountId query parameter.
func (s *Service) runtimeForArn(arn, accountID string) (*runtimeRec, error) {
	id := arn
	if strings.HasPrefix(arn, "arn:") {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) != 6 || parts[2] != "bedrock-agentcore" || !strings.HasPrefix(parts[5], "runtime/") {
			return nil, validationf("invalid agentRuntimeArn %q: expected arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/ID", arn)
		}
		if parts[3] != s.cfg.Region || parts[4] != s.cfg.Account {
			return nil, notFoundf("No agent runtime found for %s (this endpoint serves account %s in %s)", arn, s.cfg.Account, s.cfg.Region)
		}
		id = strings.TrimPrefix(parts[5], "runtime/")
	} else if accountID != "" && accountID != s.cfg.Account {
		return nil, notFoundf("No agent runtime found for %s in account %s", arn, accountID)
	}
	if !runtimeIDPattern().MatchString(id) {
		return nil, validationf("invalid agentRuntimeArn %q", arn)
	}
	rt, err := s.store.cachedRuntime(id)
	if errors.Is(err, errNotFound) || (err == nil && rt.Status == statusDeleting) {
		return nil, notFoundf("No agent runtime found for %s", arn)
	}
	return rt, err
}

func validSessionID(id string) error {
	if len(id) < 33 || len(id) > 256 {
		return fieldInvalid("runtimeSessionId", id, "Member must have length between 33 and 256")
	}
	return nil
}

// getAgentCard answers GetAgentCard: the A2A agent card the runtime's container serves at
// /.well-known/agent-card.json, read in the caller's runtime session as AgentCore does.
func (s *Service) getAgentCard(w http.ResponseWriter, r *http.Request) error {
	var inv Invocation
	return s.invoke(w, r, r.PathValue("agentRuntimeArn"), &inv, true)
}

// invoke forwards a data plane request to the agent serving its runtime session: the payload
// of InvokeAgentRuntime to its protocol's path (contract.go), an MCP client's GET or DELETE
// to /mcp, or (card) GetAgentCard to the A2A agent card.
func (s *Service) invoke(w http.ResponseWriter, r *http.Request, arn string, inv *Invocation, card bool) error {
	q := r.URL.Query()
	rt, err := s.runtimeForArn(arn, q.Get("accountId"))
	if err != nil {
		return err
	}
	qualifier := q.Get("qualifier")
	if qualifier == "" {
		qualifier = defaultEndpoint
	}
	inv.RuntimeID, inv.RuntimeName, inv.RuntimeArn = rt.ID, rt.Name, rt.Arn
	ep, err := s.store.cachedEndpoint(rt.ID, qualifier)
	if errors.Is(err, errNotFound) || (err == nil && ep.Status == statusDeleting) {
		return notFoundf("No endpoint named '%s' found for agent runtime %s", qualifier, rt.Arn)
	}
	if err != nil {
		return err
	}
	inv.Endpoint = qualifier
	if ep.LiveVersion == "" {
		msg := fmt.Sprintf("endpoint %s of agent runtime %s is %s and serves no version yet", qualifier, rt.ID, ep.Status)
		if ep.FailureReason != "" {
			msg += ": " + ep.FailureReason
		} else {
			msg += "; wait until it is READY"
		}
		return validationf("%s", msg)
	}
	// The protocol of the version the endpoint serves decides what the call may do (a session
	// kept on an older version keeps its own container, of the same runtime).
	ct := contract{protocol: protocolHTTP, port: 8080, path: "/invocations"}
	if live, err := strconv.Atoi(ep.LiveVersion); err == nil && rt.Versions[live] != nil {
		ct = contractOf(rt.Versions[live].Config)
	}
	method, path := r.Method, ct.path
	switch {
	case card && ct.protocol != protocolA2A:
		return validationf("agent runtime %s serves protocol %s, not A2A: only an A2A server has an agent card (GetAgentCard reads GET %s of an A2A container)", rt.Arn, ct.protocol, agentCardPath)
	case card:
		method, path = http.MethodGet, agentCardPath
	case method != http.MethodPost && ct.protocol != protocolMCP:
		return awsproto.Errorf(http.StatusMethodNotAllowed, "UnknownOperationException",
			"%s on /invocations is MCP's streamable HTTP: agent runtime %s serves protocol %s, which takes POST only (InvokeAgentRuntime)", method, rt.Arn, ct.protocol)
	}
	sessionID := r.Header.Get(headerSessionID)
	if sessionID == "" && ct.protocol == protocolMCP && validSessionID(r.Header.Get(headerMcpSession)) == nil {
		// The Mcp-Session-Id AgentCore gave this MCP client (the runtime session's id, see
		// below) keeps it in that session when it sends no runtime session id of its own.
		sessionID = r.Header.Get(headerMcpSession)
	}
	if sessionID == "" && method != http.MethodPost && !card {
		// A GET or DELETE belongs to an MCP session the client already has: no sandbox is
		// started for one that names none.
		return validationf("%s of an MCP server's URL needs the session it belongs to: an Mcp-Session-Id (the one an earlier answer gave) or an %s header", method, headerSessionID)
	}
	if sessionID == "" {
		sessionID = newUUID()
	} else if err := validSessionID(sessionID); err != nil {
		return err
	}
	sb, isNew, err := s.sessionSandbox(r.Context(), rt, qualifier, sessionID)
	if err != nil {
		if r.Context().Err() != nil {
			return nil // the caller went away
		}
		return err
	}
	v := sb.version
	ver := rt.Versions[v]
	if ver == nil {
		return internalf("session %s is on missing version %d", sessionID, v)
	}
	inv.SessionID = sessionID
	inv.NewSession = isNew
	if !isNew {
		if err := s.touchSession(sb); err != nil {
			return err
		}
	}
	done := s.use(sb)
	defer func() { done() }()
	defer s.activityOf(rt.ID, v).begin(sessionID)()

	// A refused connection to a sandbox that went away is retried with the same body when
	// none of it was sent. A payload the auth check already holds in memory (a known length
	// up to memBody) goes as a bytes.Reader, which the transport writes with the request's
	// headers in one write (its Len tells what was sent); a larger or unsized one through the
	// counting wrapper, which also keeps the caller's body open (the transport closes a
	// request body even on a failed dial).
	body, err := upstreamBody(w, r)
	if err != nil {
		return err
	}
	up, err := http.NewRequestWithContext(r.Context(), method, "http://"+sb.addr+path, body.reader())
	if err != nil {
		return internalf("%v", err)
	}
	up.ContentLength = r.ContentLength
	up.GetBody = body.again // a kept connection the agent closed: the proxy sends it again
	for _, h := range passHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			up.Header[h] = v
		}
	}
	if up.Header.Get("Content-Type") == "" && method == http.MethodPost {
		up.Header.Set("Content-Type", "application/json")
	}
	if ct.protocol == protocolMCP && !card {
		// AgentCore adds the session to an MCP request that has none (stateless servers
		// ignore it), and streamable HTTP's Accept, which boto3's invoke_agent_runtime does
		// not send: a server would refuse the request without both types.
		if up.Header.Get(headerMcpSession) == "" {
			up.Header.Set(headerMcpSession, sessionID)
		}
		if method == http.MethodPost {
			if a := strings.Join(up.Header.Values("Accept"), ","); !strings.Contains(a, "application/json") || !strings.Contains(a, "text/event-stream") {
				up.Header.Set("Accept", "application/json, text/event-stream")
			}
		}
	}
	for k, v := range r.Header {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), headerCustom) {
			up.Header[k] = v
		}
	}
	for _, h := range allowlist(ver.Config) {
		if v := r.Header.Values(h); len(v) > 0 {
			up.Header[http.CanonicalHeaderKey(h)] = v
		}
	}
	up.Header.Set(headerSessionID, sessionID)
	if u := r.Header.Get(headerUserID); u != "" {
		up.Header.Set(headerUserID, u)
	}
	resp, err := s.run.proxy.Do(up)
	// Nothing of the body was sent: a pooled connection the agent had closed, or a sandbox that
	// went away (removed by hand, engine restarted): its session has ended, as a microVM's does,
	// and a fresh one serves the request (a pooled one may have gone too: up to 3 tries).
	for try := 0; try < 3 && err != nil && body.unsent() && r.Context().Err() == nil; try++ {
		if isRefused(err) && !s.run.alive(r.Context(), sb) {
			s.endSandbox(context.WithoutCancel(r.Context()), sb, "its sandbox stopped answering")
			done()
			if sb, _, err = s.sessionSandbox(r.Context(), rt, qualifier, sessionID); err != nil {
				if r.Context().Err() != nil {
					return nil
				}
				return err
			}
			done = s.use(sb)
		} else if try > 0 {
			break
		}
		retry := up.Clone(r.Context())
		retry.URL.Host = sb.addr
		retry.Host = sb.addr
		retry.Body = body.reader()
		resp, err = s.run.proxy.Do(retry)
	}
	if err != nil {
		if r.Context().Err() != nil {
			return nil
		}
		return runtimeClientErrorf("calling the agent (session %s, version %d of %s) failed: %v", sessionID, v, rt.ID, err)
	}
	defer resp.Body.Close()
	if method != http.MethodPost && !card && resp.StatusCode >= 400 {
		// An MCP server's refusal of GET or DELETE (405 from a stateless one) is an answer
		// the client acts on (no server stream; nothing to end): passed as it is.
		for _, h := range returnHeaders {
			if v := resp.Header.Values(h); len(v) > 0 {
				w.Header()[h] = v
			}
		}
		if a := resp.Header.Get("Allow"); a != "" {
			w.Header().Set("Allow", a)
		}
		w.Header().Set(headerSessionID, sessionID)
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if resp.StatusCode >= 400 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return runtimeClientErrorf("Received error (%d) from runtime. Please check your CloudWatch logs for more information. (local: the agent answered %s)", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	for _, h := range returnHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			w.Header()[h] = v
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set(headerSessionID, sessionID)
	if ct.protocol == protocolMCP && !card && w.Header().Get(headerMcpSession) == "" {
		// A stateless server sets no session: the client is given the runtime session's id,
		// which brings its next requests back to this session (above).
		w.Header().Set(headerMcpSession, sessionID)
	}
	// A sized answer keeps its Content-Length: the caller is done once its body is written,
	// not when the handler returns (after the invocation's record), as a chunked answer is.
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
		if sw, ok := w.(*statusWriter); ok {
			sw.sized(resp.ContentLength)
		}
	}
	w.WriteHeader(resp.StatusCode)
	stream(w, resp.Body)
	return nil
}

// memBody is the largest payload sent to the agent from memory: what the auth check keeps in
// memory after hashing it (larger ones it spools to a file).
const memBody = 256 << 10

// invokeBody is the request body sent to a sandbox, and whether a retry may send it again.
type invokeBody interface {
	io.Reader
	unsent() bool          // nothing of it was read yet
	reader() io.ReadCloser // the request's body (again for a retry, when unsent)
	// again is the whole body once more, for a request the agent never received (nil when
	// it cannot be sent again).
	again() (io.ReadCloser, error)
}

// upstreamBody is the body of an invocation for the agent: the payload as a bytes.Reader when
// its length is known and at most memBody, the caller's stream otherwise.
func upstreamBody(w http.ResponseWriter, r *http.Request) (invokeBody, error) {
	if r.ContentLength >= 0 && r.ContentLength <= memBody {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, validationf("reading the payload: %v", err)
		}
		return &memReader{Reader: bytes.NewReader(buf), size: r.ContentLength}, nil
	}
	return &countingReader{r: http.MaxBytesReader(w, r.Body, maxPayload)}, nil
}

// memReader is an in-memory payload; the transport knows *bytes.Reader (it writes it with the
// headers), so the request gets the reader itself and Len tells what was sent.
type memReader struct {
	*bytes.Reader
	size int64
}

func (m *memReader) unsent() bool { return int64(m.Len()) == m.size }

func (m *memReader) again() (io.ReadCloser, error) {
	m.Seek(0, io.SeekStart)
	return m.reader(), nil
}

// reader is the bytes.Reader itself (io.NopCloser of it is still known to the transport); an
// empty payload is http.NoBody, which the transport sends with Content-Length 0, not chunked.
func (m *memReader) reader() io.ReadCloser {
	if m.size == 0 {
		return http.NoBody
	}
	return io.NopCloser(m.Reader)
}

// countingReader counts what was read and ignores Close (the server closes the caller's body).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return nil }

func (c *countingReader) unsent() bool { return c.n == 0 }

func (c *countingReader) reader() io.ReadCloser { return c }

func (c *countingReader) again() (io.ReadCloser, error) {
	return nil, errors.New("a streamed payload cannot be sent again")
}

func isRefused(err error) bool {
	// A container gone from the agents' network leaves an address with no host behind it.
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused") ||
		errors.Is(err, syscall.EHOSTUNREACH) || strings.Contains(err.Error(), "no route to host")
}

// touchSession records a session's use, at most once a minute per session: a database write
// (with its disk sync) on every invocation would cost more than the proxying.
func (s *Service) touchSession(sb *sandbox) error {
	now := time.Now()
	s.sessMu.Lock()
	last, seen := s.sessSeen[sb.key()]
	if seen && now.Sub(last) < time.Minute {
		s.sessMu.Unlock()
		return nil
	}
	s.sessSeen[sb.key()] = now
	sb.lastUsed = now
	rec := sb.record()
	s.sessMu.Unlock()
	return s.store.touchSession(rec)
}

// streamBufs holds stream's copy buffers (a fresh 32 KiB per invocation was a measurable share
// of the endpoint's CPU: its zeroing and page faults).
var streamBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// stream copies the agent's answer to the caller, flushing every chunk as it arrives so
// event streams are not held back. The headers go with the first chunk (a flush of the
// headers alone costs the caller a second write and wake-up before its first byte), or when
// the handler returns for an empty answer.
func stream(w http.ResponseWriter, body io.Reader) {
	rc := http.NewResponseController(w)
	bp := streamBufs.Get().(*[]byte)
	defer streamBufs.Put(bp)
	buf := *bp
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// allowlist is the requestHeaderConfiguration.requestHeaderAllowlist of a version.
func allowlist(cfg runtimeConfig) []string {
	if cfg.RequestHeaderConfiguration == nil {
		return nil
	}
	var c struct {
		RequestHeaderAllowlist []string `json:"requestHeaderAllowlist"`
	}
	json.Unmarshal(cfg.RequestHeaderConfiguration, &c)
	return c.RequestHeaderAllowlist
}

func (s *Service) stopSession(w http.ResponseWriter, r *http.Request) error {
	arn := r.PathValue("agentRuntimeArn")
	rt, err := s.runtimeForArn(arn, r.URL.Query().Get("accountId"))
	if err != nil {
		return err
	}
	sessionID := r.Header.Get(headerSessionID)
	if sessionID == "" {
		return fieldMissing("runtimeSessionId")
	}
	if err := validSessionID(sessionID); err != nil {
		return err
	}
	s.sessMu.Lock()
	sb := s.sessions[rt.ID+"/"+sessionID]
	s.sessMu.Unlock()
	found := sb != nil
	if sb != nil {
		s.endSandbox(r.Context(), sb, "StopRuntimeSession")
	} else {
		// A recorded session with no sandbox here (none should be left after Start).
		f, err := s.store.stopSession(rt.ID, sessionID)
		if err != nil {
			return err
		}
		found = f
	}
	if !found {
		return notFoundf("Session %s not found for agent runtime %s", sessionID, rt.Arn)
	}
	w.Header().Set(headerSessionID, sessionID)
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}
