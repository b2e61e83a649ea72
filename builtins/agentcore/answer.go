package agentcore

import (
	"bytes"
	"encoding/json"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// MaxAnswer bounds the answer kept in results (invoke's answer, agentcore.answer): a recipe
// checks an answer in a table, and -o json prints it; beyond this many bytes the body is cut
// and truncated is set. What invoke prints as it streams is never cut.
const MaxAnswer = 1 << 20

// textFields are the keys that hold an answer's text: a JSON body that has exactly one of
// them, a string, is shown as that text.
var textFields = []string{"response", "answer", "output", "text", "result"}

// eventFields are the keys of a server-sent event's JSON that hold a piece of the text.
var eventFields = []string{"delta", "text", "content", "response", "answer", "output", "result"}

// Answer is an agent's answer as a recipe uses it: the body as received (bounded), its text
// for people, and its JSON document when it has one.
type Answer struct {
	Body      string `json:"body"`
	Text      string `json:"text"`
	JSON      any    `json:"json,omitempty"`
	Truncated bool   `json:"truncated"`
	// Shape says what the body was: "json" (a document), "events" (text/event-stream) or "text".
	Shape string `json:"shape"`
}

// ParseAnswer reads body (cut to MaxAnswer when longer; truncated says it already was):
//   - server-sent events: the text is each event's text piece (delta, text, content...) or
//     its data, joined; json is the last event that is JSON;
//   - a JSON document: json is the document; the text is its one obvious text field
//     (response, answer, output, text, result) when it has exactly one, else the document
//     pretty-printed (keys in the order the agent sent them);
//   - anything else: the text is the body.
func ParseAnswer(body string, truncated bool) Answer {
	if len(body) > MaxAnswer {
		body, truncated = body[:MaxAnswer], true
	}
	a := Answer{Body: body, Text: body, Truncated: truncated, Shape: "text"}
	trimmed := strings.TrimLeft(body, " \t\r\n")
	if strings.HasPrefix(trimmed, "data:") || strings.HasPrefix(trimmed, "event:") {
		a.Shape = "events"
		var parts []string
		for _, line := range strings.Split(body, "\n") {
			line = strings.TrimSuffix(line, "\r")
			data, ok := strings.CutPrefix(line, "data:")
			if !ok {
				continue
			}
			data = strings.TrimPrefix(data, " ")
			var ev any
			if json.Unmarshal([]byte(data), &ev) != nil {
				parts = append(parts, data)
				continue
			}
			a.JSON = ev
			if m, ok := ev.(map[string]any); ok {
				if s, ok := firstString(m, eventFields); ok {
					parts = append(parts, s)
					continue
				}
			}
			if s, ok := ev.(string); ok {
				parts = append(parts, s)
				continue
			}
			parts = append(parts, data)
		}
		a.Text = strings.Join(parts, "")
		return a
	}
	var doc any
	if trimmed == "" || json.Unmarshal([]byte(body), &doc) != nil {
		return a
	}
	a.Shape, a.JSON = "json", doc
	switch d := doc.(type) {
	case string:
		a.Text = d
		return a
	case map[string]any:
		if s, ok := onlyString(d); ok {
			a.Text = s
			return a
		}
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(strings.TrimSpace(body)), "", "  ") == nil {
		a.Text = pretty.String()
	}
	return a
}

// onlyString returns the value of m's one text field, when exactly one is present and a string.
func onlyString(m map[string]any) (string, bool) {
	var found []string
	for _, k := range textFields {
		if v, ok := m[k]; ok {
			s, isStr := v.(string)
			if !isStr {
				return "", false
			}
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

func firstString(m map[string]any, keys []string) (string, bool) {
	for _, k := range keys {
		if s, ok := m[k].(string); ok {
			return s, true
		}
	}
	return "", false
}

// answerTable renders an Answer as Lua sees it: json is a table (or scalar) when present.
func answerTable(L *lua.LState, a Answer) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("body", lua.LString(a.Body))
	t.RawSetString("text", lua.LString(a.Text))
	if a.JSON != nil {
		t.RawSetString("json", engine.ToLua(L, a.JSON))
	}
	t.RawSetString("truncated", lua.LBool(a.Truncated))
	t.RawSetString("shape", lua.LString(a.Shape))
	return t
}

func luaAnswer(L *lua.LState, body string) (lua.LValue, error) {
	return answerTable(L, ParseAnswer(body, false)), nil
}
