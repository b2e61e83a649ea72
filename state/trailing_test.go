package state

import (
	"strings"
	"testing"
)

// TestDecodeRefusesTrailingBytes: a state file is one JSON document; anything after it (a
// second document, a half-written copy) is an error naming the file, not silently dropped.
func TestDecodeRefusesTrailingBytes(t *testing.T) {
	doc := `{"schema":1,"environment":"dev"}`
	if _, err := Decode([]byte(doc+"\n"), "dev.json"); err != nil {
		t.Fatalf("a document and a newline: %v", err)
	}
	for _, tail := range []string{`{"schema":1}`, "garbage", `}`, "\x00\x00"} {
		_, err := Decode([]byte(doc+"\n"+tail), "dev.json")
		if err == nil || !strings.Contains(err.Error(), "dev.json") {
			t.Errorf("trailing %q: %v, want an error naming the file", tail, err)
		}
	}
}
