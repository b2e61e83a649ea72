package control

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// WebSocket streaming (AgentCore's HTTP and AG-UI contracts): GET /runtimes/{agentRuntimeArn}/ws
// ?qualifier=Q, authenticated like every call (SigV4 in headers, or a presigned URL whose query
// carries the signature; the guard checks both), the session in the
// X-Amzn-Bedrock-AgentCore-Runtime-Session-Id header or, for a presigned URL, the query
// parameter of that name. The connection is proxied to GET /ws on the session's sandbox (port
// 8080): messages both ways as they come, text or binary, and the close code and reason of
// whichever side closes first passed to the other. The sandbox is the session's, as for
// InvokeAgentRuntime, and the session counts as busy while the connection is open.

// maxWSMessage bounds one message read from either side (AgentCore does not state a limit;
// this keeps a runaway peer from filling the endpoint's memory).
const maxWSMessage = 32 << 20

func (s *Service) openWebSocket(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get(headerSessionID) == "" {
		if id := r.URL.Query().Get(headerSessionID); id != "" {
			r.Header.Set(headerSessionID, id) // a presigned URL cannot carry headers
		}
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Header.Get("Sec-WebSocket-Key") == "" {
		return validationf("GET /runtimes/{agentRuntimeArn}/ws is a WebSocket: the request must ask for the upgrade (Upgrade: websocket, Sec-WebSocket-Key)")
	}
	rt, qualifier, live, sessionID, err := s.sessionOf(r)
	if err != nil {
		return err
	}
	if ver := rt.Versions[live]; ver != nil {
		if c := contractOf(ver.Config); c.port != 8080 {
			return validationf("agent runtime %s serves protocol %s on port %d: WebSocket streaming (GET /ws) is part of the HTTP and AGUI contracts only", rt.Arn, c.protocol, c.port)
		}
	}
	ctx := r.Context()
	sb, isNew, err := s.sessionSandbox(ctx, rt, qualifier, sessionID)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if !isNew {
		if err := s.touchSession(sb); err != nil {
			return err
		}
	}
	done := s.use(sb)
	defer func() { done() }()
	defer s.activityOf(rt.ID, sb.version).begin(sessionID)()

	// The agent's side first: a sandbox that refuses the upgrade is the caller's error, said
	// before its own connection is upgraded.
	hdr := wsHeaders(r, rt, sb, sessionID)
	dial := func() (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, "ws://"+sb.addr+"/ws", &websocket.DialOptions{
			HTTPClient: s.run.http, HTTPHeader: hdr, Subprotocols: subprotocols(r),
		})
	}
	agent, resp, err := dial()
	if err != nil && ctx.Err() == nil && isRefused(err) && !s.run.alive(ctx, sb) {
		// A sandbox that went away: its session has ended, a fresh one serves it.
		s.endSandbox(context.WithoutCancel(ctx), sb, "its sandbox stopped answering")
		done()
		if sb, _, err = s.sessionSandbox(ctx, rt, qualifier, sessionID); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		done = s.use(sb)
		agent, resp, err = dial()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if resp != nil {
			return runtimeClientErrorf("Received error (%d) from runtime on the WebSocket upgrade. (local: GET /ws of session %s, version %d of %s: %v; an agent serves WebSocket streaming at GET /ws on port 8080)", resp.StatusCode, sessionID, sb.version, rt.ID, err)
		}
		return runtimeClientErrorf("opening the agent's WebSocket (GET /ws of session %s, version %d of %s) failed: %v", sessionID, sb.version, rt.ID, err)
	}
	defer agent.CloseNow()
	agent.SetReadLimit(maxWSMessage)

	w.Header().Set(headerSessionID, sessionID)
	var protos []string
	if p := agent.Subprotocol(); p != "" {
		protos = []string{p}
	}
	// The guard has already refused requests with an Origin header: no page reaches this.
	client, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, Subprotocols: protos})
	if err != nil {
		agent.Close(websocket.StatusGoingAway, "the client's upgrade failed")
		return nil // Accept answered the caller
	}
	defer client.CloseNow()
	client.SetReadLimit(maxWSMessage)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- pipeWS(ctx, agent, client) }()
	go func() { errc <- pipeWS(ctx, client, agent) }()
	<-errc
	cancel()
	<-errc
	return nil
}

// pipeWS copies messages from src to dst until src closes, then closes dst the same way (its
// close code and reason; an abnormal end of src drops dst too).
func pipeWS(ctx context.Context, dst, src *websocket.Conn) error {
	for {
		typ, msg, err := src.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code != websocket.StatusNoStatusRcvd:
				dst.Close(ce.Code, ce.Reason)
			case errors.As(err, &ce):
				dst.Close(websocket.StatusNormalClosure, "")
			default:
				dst.CloseNow()
			}
			return err
		}
		if err := dst.Write(ctx, typ, msg); err != nil {
			src.CloseNow()
			return err
		}
	}
}

// wsHeaders are the upgrade request's headers the agent sees: the session and user, the
// custom and allowlisted headers and the trace context, as for an invocation; never the
// caller's credentials.
func wsHeaders(r *http.Request, rt *runtimeRec, sb *sandbox, sessionID string) http.Header {
	h := http.Header{}
	for _, k := range []string{"X-Amzn-Trace-Id", "Traceparent", "Tracestate", "Baggage"} {
		if v := r.Header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	for k, v := range r.Header {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), headerCustom) {
			h[k] = v
		}
	}
	if ver := rt.Versions[sb.version]; ver != nil {
		for _, k := range allowlist(ver.Config) {
			if v := r.Header.Values(k); len(v) > 0 && !strings.HasPrefix(strings.ToLower(k), "sec-websocket") {
				h[http.CanonicalHeaderKey(k)] = v
			}
		}
	}
	h.Set(headerSessionID, sessionID)
	if u := r.Header.Get(headerUserID); u != "" {
		h.Set(headerUserID, u)
	}
	return h
}

// subprotocols are the WebSocket subprotocols the client asked for, offered to the agent.
func subprotocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
