// Command agent is a minimal agent that follows the AgentCore runtime contract: it listens on
// port 8080, answers GET /ping with its health and POST /invocations with an answer. Replace
// answer() with your model calls.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

type request struct {
	Prompt string `json:"prompt"`
	Stream bool   `json:"stream"`
}

func answer(prompt string) string {
	if prompt == "" {
		return "Hello! Send {\"prompt\": \"...\"} and I will answer."
	}
	return "You said: " + prompt
}

func main() {
	http.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"Healthy","time_of_last_update":`, time.Now().Unix(), `}`)
	})
	http.HandleFunc("POST /invocations", func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":"the payload must be JSON: {\"prompt\": \"...\"}"}`, http.StatusBadRequest)
			return
		}
		session := r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
		text := answer(req.Prompt)
		if req.Stream {
			// Server-sent events: one word at a time, flushed as it is produced.
			w.Header().Set("Content-Type", "text/event-stream")
			flusher, _ := w.(http.Flusher)
			for _, word := range strings.Fields(text) {
				b, _ := json.Marshal(map[string]string{"delta": word + " "})
				fmt.Fprintf(w, "data: %s\n\n", b)
				if flusher != nil {
					flusher.Flush()
				}
				time.Sleep(50 * time.Millisecond)
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"response": text, "session_id": session})
	})
	port := os.Getenv("PORT") // set by the local endpoint for host processes; 8080 in AgentCore
	if port == "" {
		port = "8080"
	}
	log.Println("agent listening on :" + port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
