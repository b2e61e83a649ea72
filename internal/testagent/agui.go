package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveAGUI is TESTAGENT_MODE=agui: an AG-UI agent on 0.0.0.0:8080 (AgentCore's AGUI contract:
// the HTTP paths), GET /ping, GET /ws (ws.go) and POST /invocations taking a RunAgentInput
// ({threadId, runId, messages: [{role, content}]}) and answering its event stream as
// server-sent events: RUN_STARTED, TEXT_MESSAGE_START, one TEXT_MESSAGE_CONTENT per word of
// "You said: TEXT" (TEXT: the last user message), TEXT_MESSAGE_END, TOOL_CALL_START,
// TOOL_CALL_ARGS, TOOL_CALL_END (a call of tool "echo"), STATE_SNAPSHOT (the session and the
// number of runs it served) and RUN_FINISHED.
func serveAGUI() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"status": "Healthy", "time_of_last_update": time.Now().Unix()})
	})
	mux.HandleFunc("GET /ws", serveWS)
	mux.HandleFunc("POST /invocations", aguiRun)
	listen("0.0.0.0:8080", "AG-UI", logged(mux))
}

func aguiRun(w http.ResponseWriter, r *http.Request) {
	runs := invocations.Add(1)
	body, _ := io.ReadAll(r.Body)
	var in struct {
		ThreadID string `json:"threadId"`
		RunID    string `json:"runId"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"a RunAgentInput (JSON) is expected: %s"}`, strings.ReplaceAll(err.Error(), `"`, `'`))
		return
	}
	if in.ThreadID == "" {
		in.ThreadID = newID()
	}
	if in.RunID == "" {
		in.RunID = newID()
	}
	said := ""
	for _, m := range in.Messages {
		if m.Role == "user" {
			said = m.Content
		}
	}
	msgID, callID := newID(), newID()
	events := []map[string]any{
		{"type": "RUN_STARTED", "threadId": in.ThreadID, "runId": in.RunID},
		{"type": "TEXT_MESSAGE_START", "messageId": msgID, "role": "assistant"},
	}
	words := strings.Fields("You said: " + said)
	for i, word := range words {
		if i < len(words)-1 {
			word += " "
		}
		events = append(events, map[string]any{"type": "TEXT_MESSAGE_CONTENT", "messageId": msgID, "delta": word})
	}
	args, _ := json.Marshal(map[string]any{"text": said})
	events = append(events,
		map[string]any{"type": "TEXT_MESSAGE_END", "messageId": msgID},
		map[string]any{"type": "TOOL_CALL_START", "toolCallId": callID, "toolCallName": "echo", "parentMessageId": msgID},
		map[string]any{"type": "TOOL_CALL_ARGS", "toolCallId": callID, "delta": string(args)},
		map[string]any{"type": "TOOL_CALL_END", "toolCallId": callID},
		map[string]any{"type": "STATE_SNAPSHOT", "snapshot": map[string]any{
			"sessionId": r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"), "runs": strconv.FormatInt(runs, 10)}},
		map[string]any{"type": "RUN_FINISHED", "threadId": in.ThreadID, "runId": in.RunID},
	)
	writeEvents(w, events)
}
