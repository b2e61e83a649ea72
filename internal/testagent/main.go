// Command testagent is a tiny agent that follows the AgentCore runtime contract: it listens on
// 0.0.0.0:8080, answers GET /ping with {"status":"Healthy"}, echoes POST /invocations and the
// messages of a WebSocket at GET /ws (ws.go). Other modes serve the other protocols. It is
// built into FROM-scratch images by tests (see package build) and misbehaves on demand so that
// failure paths can be exercised.
//
// Environment:
//
//	TESTAGENT_MODE         "" (normal), "exit" (exit at once with TESTAGENT_EXIT_CODE, default 3),
//	                       "never-healthy" (/ping answers 503 Unhealthy), "no-listen" (never listens),
//	                       "probe" (a client: GET TESTAGENT_PROBE_URL, exit 0 on any answer, 1 on none),
//	                       "mcp" (an MCP server on 8000/mcp with tools add and echo: mcp.go),
//	                       "a2a" (an A2A agent on 9000: a2a.go), "agui" (an AG-UI agent on 8080:
//	                       agui.go)
//	TESTAGENT_PROBE_URL    the URL mode "probe" tries
//	TESTAGENT_EXIT_CODE    exit code for mode "exit"
//	TESTAGENT_STREAM_DELAY delay between streamed events (Go duration, default 200ms)
//
// An invocation payload {"stream": N} answers text/event-stream with N `data:` events (N<=0 means
// 3), each flushed on its own; {"status": 500} answers that HTTP status. Any other payload is
// echoed as {"echo": payload, "sessionId": ..., "userId": ..., "headers": {...}, "env": {...},
// "count": N, "file": ...}: count is how many invocations this process served (a global, in
// memory), file what session.txt in the working directory holds ("" when there is none). A
// payload {"write": TEXT} writes TEXT to session.txt first; {"sleep": "2s"} answers after that
// long (a busy session); {"identity": {...}} calls AgentCore Identity with the agent's own AWS
// credentials (identity.go); {"remember": TEXT} writes an event to its memory and answers the
// session's earlier turns (memory.go).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	mode := os.Getenv("TESTAGENT_MODE")
	fmt.Printf("testagent starting, mode=%q\n", mode)
	switch mode {
	case "exit":
		code, err := strconv.Atoi(os.Getenv("TESTAGENT_EXIT_CODE"))
		if err != nil {
			code = 3
		}
		fmt.Fprintln(os.Stderr, "testagent: exiting on purpose (TESTAGENT_MODE=exit)")
		os.Exit(code)
	case "probe":
		// A client, not an agent: GET TESTAGENT_PROBE_URL; exit 0 if anything answered, 1 if not.
		c := &http.Client{Timeout: 3 * time.Second}
		resp, err := c.Get(os.Getenv("TESTAGENT_PROBE_URL"))
		if err != nil {
			fmt.Println("testagent probe: no answer:", err)
			os.Exit(1)
		}
		resp.Body.Close()
		fmt.Println("testagent probe: answered", resp.Status)
		os.Exit(0)
	case "mcp":
		serveMCP()
		return
	case "a2a":
		serveA2A()
		return
	case "agui":
		serveAGUI()
		return
	case "no-listen":
		fmt.Println("testagent: not listening on purpose (TESTAGENT_MODE=no-listen)")
		for {
			time.Sleep(time.Hour)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if mode == "never-healthy" {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"Unhealthy"}`)
			return
		}
		io.WriteString(w, `{"status":"Healthy","time_of_last_update":`+strconv.FormatInt(time.Now().Unix(), 10)+`}`)
	})
	mux.HandleFunc("POST /invocations", invoke)
	mux.HandleFunc("GET /ws", serveWS)
	fmt.Println("testagent listening on 0.0.0.0:8080")
	if err := http.ListenAndServe("0.0.0.0:8080", mux); err != nil {
		fmt.Fprintln(os.Stderr, "testagent:", err)
		os.Exit(1)
	}
}

var invocations atomic.Int64

func invoke(w http.ResponseWriter, r *http.Request) {
	count := invocations.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var payload any
	if err := json.Unmarshal(body, &payload); err != nil {
		payload = string(body)
	}
	obj, _ := payload.(map[string]any)
	if s, ok := obj["status"].(float64); ok && s >= 400 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s))
		fmt.Fprintf(w, `{"error":"status %d requested"}`, int(s))
		return
	}
	if text, ok := obj["write"].(string); ok {
		if err := os.WriteFile("session.txt", []byte(text), 0o644); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if d, ok := obj["sleep"].(string); ok {
		if dur, err := time.ParseDuration(d); err == nil {
			select {
			case <-time.After(dur):
			case <-r.Context().Done():
				return
			}
		}
	}
	file, _ := os.ReadFile("session.txt")
	sessionID := r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
	fmt.Printf("testagent invoked: %s\n", body) // one line per invocation, for the logs tests
	if n, ok := obj["stream"]; ok {
		stream(w, n, sessionID)
		return
	}
	if req, ok := obj["identity"].(map[string]any); ok {
		writeIdentity(w, r, req) // identity.go
		return
	}
	if _, ok := obj["remember"].(string); ok {
		writeMemory(w, r, obj, sessionID) // memory.go
		return
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amzn-bedrock-agentcore-runtime-") {
			headers[k] = strings.Join(v, ",")
		}
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"echo":      payload,
		"sessionId": sessionID,
		"userId":    r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-User-Id"),
		"headers":   headers,
		"env":       env,
		"count":     count,
		"file":      string(file),
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func stream(w http.ResponseWriter, n any, sessionID string) {
	count, _ := n.(float64)
	if count <= 0 {
		count = 3
	}
	delay, err := time.ParseDuration(os.Getenv("TESTAGENT_STREAM_DELAY"))
	if err != nil {
		delay = 200 * time.Millisecond
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	for i := 0; i < int(count); i++ {
		if i > 0 {
			time.Sleep(delay)
		}
		fmt.Fprintf(w, "data: {\"index\":%d,\"sessionId\":%q}\n\n", i, sessionID)
		if f != nil {
			f.Flush()
		}
	}
}
