package agentcore

import (
	"strings"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	for _, c := range []struct{ name, body, text, shape string }{
		{"one text field", `{"response": "You said: hi", "latency_ms": 3}`, "You said: hi", "json"},
		{"answer field", `{"answer": "4"}`, "4", "json"},
		{"two text fields: pretty", `{"text": "a", "output": "b"}`, "{\n  \"text\": \"a\",\n  \"output\": \"b\"\n}", "json"},
		{"not a string: pretty", `{"result": {"n": 1}}`, "{\n  \"result\": {\n    \"n\": 1\n  }\n}", "json"},
		{"no text field: pretty, key order kept", `{"z": 1, "a": 2}`, "{\n  \"z\": 1,\n  \"a\": 2\n}", "json"},
		{"a JSON string", `"hello"`, "hello", "json"},
		{"plain text", "hello there\n", "hello there\n", "text"},
		{"events", "data: {\"delta\": \"You \"}\n\ndata: {\"delta\": \"said\"}\n\ndata: [DONE]\n\n", "You said[DONE]", "events"},
		{"empty", "", "", "text"},
	} {
		a := ParseAnswer(c.body, false)
		if a.Text != c.text || a.Shape != c.shape || a.Body != c.body || a.Truncated {
			t.Errorf("%s: got text %q shape %s truncated %v; want %q %s", c.name, a.Text, a.Shape, a.Truncated, c.text, c.shape)
		}
	}
	if a := ParseAnswer(`{"response": "x"}`, false); a.JSON.(map[string]any)["response"] != "x" {
		t.Errorf("json: %#v", a.JSON)
	}
	big := `{"response": "` + strings.Repeat("x", MaxAnswer) + `"}`
	a := ParseAnswer(big, false)
	if !a.Truncated || len(a.Body) != MaxAnswer || a.JSON != nil || a.Shape != "text" {
		t.Errorf("a body over MaxAnswer: truncated %v, %d bytes, json %v", a.Truncated, len(a.Body), a.JSON != nil)
	}
}
