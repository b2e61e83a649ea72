package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// serveA2A is TESTAGENT_MODE=a2a: an A2A agent as AgentCore's A2A contract asks, on
// 0.0.0.0:9000: its agent card at GET /.well-known/agent-card.json, and JSON-RPC 2.0 at POST /
// with message/send (answers a Message "echo: TEXT") and message/stream (server-sent events: the
// task submitted, working, one artifact chunk per word of the answer, completed). Each result
// carries the runtime session id it was called in (metadata.sessionId).
func serveA2A() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/agent-card.json", func(w http.ResponseWriter, r *http.Request) {
		url := os.Getenv("AGENTCORE_RUNTIME_URL") // AgentCore's address of the agent, when set
		if url == "" {
			url = "http://127.0.0.1:9000/"
		}
		writeJSON(w, map[string]any{
			"protocolVersion": "0.3.0", "name": "testagent-a2a", "description": "Echoes what it is told, streamed word by word",
			"url": url, "preferredTransport": "JSONRPC", "version": "1.0.0",
			"capabilities":       map[string]any{"streaming": true},
			"defaultInputModes":  []string{"text/plain"},
			"defaultOutputModes": []string{"text/plain"},
			"skills":             []map[string]any{{"id": "echo", "name": "Echo", "description": "Answers echo: TEXT", "tags": []string{"echo", "test"}}},
		})
	})
	mux.HandleFunc("POST /", a2aRPC)
	listen("0.0.0.0:9000", "A2A", logged(mux))
}

func a2aRPC(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
		Params  struct {
			Message struct {
				ContextID string `json:"contextId"`
				Parts     []struct {
					Kind string `json:"kind"`
					Text string `json:"text"`
				} `json:"parts"`
			} `json:"message"`
		} `json:"params"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.JSONRPC != "2.0" {
		writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": -32700, "message": "Parse error: a JSON-RPC 2.0 request is expected"}})
		return
	}
	var text []string
	for _, p := range req.Params.Message.Parts {
		if p.Kind == "text" {
			text = append(text, p.Text)
		}
	}
	answer := "echo: " + strings.Join(text, " ")
	sessionID := r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
	contextID := req.Params.Message.ContextID
	if contextID == "" {
		contextID = newID()
	}
	meta := map[string]any{"sessionId": sessionID}
	result := func(v any) map[string]any { return map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": v} }
	switch req.Method {
	case "message/send":
		writeJSON(w, result(map[string]any{"kind": "message", "role": "agent", "messageId": newID(), "contextId": contextID,
			"parts": []map[string]any{{"kind": "text", "text": answer}}, "metadata": meta}))
	case "message/stream":
		taskID := newID()
		status := func(state string, final bool) map[string]any {
			return map[string]any{"kind": "status-update", "taskId": taskID, "contextId": contextID, "final": final,
				"status": map[string]any{"state": state, "timestamp": time.Now().UTC().Format(time.RFC3339Nano)}, "metadata": meta}
		}
		events := []any{
			map[string]any{"kind": "task", "id": taskID, "contextId": contextID, "status": map[string]any{"state": "submitted"}, "metadata": meta},
			status("working", false),
		}
		words := strings.Fields(answer)
		for i, word := range words {
			if i < len(words)-1 {
				word += " "
			}
			events = append(events, map[string]any{"kind": "artifact-update", "taskId": taskID, "contextId": contextID,
				"append": i > 0, "lastChunk": i == len(words)-1,
				"artifact": map[string]any{"artifactId": "answer", "parts": []map[string]any{{"kind": "text", "text": word}}}})
		}
		events = append(events, status("completed", true))
		for i, ev := range events {
			events[i] = result(ev)
		}
		writeEvents(w, events)
	default:
		writeJSON(w, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32601, "message": "Method not found: " + req.Method}})
	}
}

// writeEvents answers events as server-sent events, one data line each, flushed one at a time
// TESTAGENT_STREAM_DELAY apart (default 50ms).
func writeEvents[E any](w http.ResponseWriter, events []E) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	delay := streamDelay(50 * time.Millisecond)
	for i, ev := range events {
		if i > 0 {
			time.Sleep(delay)
		}
		b, _ := json.Marshal(ev)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
}

// streamDelay is TESTAGENT_STREAM_DELAY, or def.
func streamDelay(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv("TESTAGENT_STREAM_DELAY")); err == nil {
		return d
	}
	return def
}

// newID is a random UUID-shaped id.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
