package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/coder/websocket"
)

// lastClose is how a client last closed a WebSocket ("CODE REASON").
var lastClose atomic.Value

// serveWS is the WebSocket of the HTTP contract (GET /ws on port 8080): every message is sent
// back as it came (text or binary), except three texts: "whoami" answers
// {"sessionId": ..., "headers": {...}} (the runtime session and X-Amzn-Bedrock-AgentCore-*
// headers of the upgrade request), "close CODE [REASON]" closes with that code, and
// "lastclose" answers how a client last closed a connection ("CODE REASON", "" for none).
func serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 20)
	fmt.Printf("testagent websocket opened: session %s\n", r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"))
	ctx := r.Context()
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				lastClose.Store(fmt.Sprintf("%d %s", ce.Code, ce.Reason))
			}
			return
		}
		text := string(msg)
		switch {
		case typ == websocket.MessageText && text == "whoami":
			headers := map[string]string{}
			for k, v := range r.Header {
				if strings.HasPrefix(strings.ToLower(k), "x-amzn-bedrock-agentcore-") {
					headers[k] = strings.Join(v, ",")
				}
			}
			msg, _ = json.Marshal(map[string]any{"sessionId": r.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"), "headers": headers})
		case typ == websocket.MessageText && text == "lastclose":
			last, _ := lastClose.Load().(string)
			msg = []byte(last)
		case typ == websocket.MessageText && strings.HasPrefix(text, "close "):
			f := strings.SplitN(text, " ", 3)
			code, _ := strconv.Atoi(f[1])
			reason := ""
			if len(f) == 3 {
				reason = f[2]
			}
			conn.Close(websocket.StatusCode(code), reason)
			return
		}
		if err := conn.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}
