package project

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// slowDecode is the one-decoder path of decodeRaw.
func slowDecode(data []byte) (rawFile, error) {
	var raw rawFile
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&raw)
	return raw, err
}

var chunkedSeeds = []string{
	good,
	"[project]\nname = \"p\"\n[agents.a]\ndockerfile = \"D\"\n[environments.local]\nprovider = \"local\"\n[agents.b]\ndockerfile = \"E\"\n[agents.a.lifecycle]\nidle_timeout = \"1m\"\n",
	"[agents.a]\ndockerfile = \"D\"\n[agents.a]\ndockerfile = \"E\"\n",
	"agents.a.dockerfile = \"D\"\n[agents.b]\ndockerfile = \"E\"\n",
	"[agents]\na = { dockerfile = \"D\" }\n[agents.b]\ndockerfile = \"E\"\n",
	"[agents.a]\nlifecycle = { idle_timeout = \"1m\" }\n[agents.a.lifecycle]\nmax_lifetime = \"2h\"\n",
	"[agents.\"a\"]\ndockerfile = \"D\"\n[agents.'a']\ndockerfile = \"E\"\n",
	"[agents.a]\ndockerfile = \"\"\"\n[agents.b]\n\"\"\"\n[agents.b]\ndockerfile = \"x\"",
	"[agents.a]\nnope = 1\n",
	"[[agents.a]]\n",
}

// checkSame fails when decodeRaw's fast path accepts what one decoder refuses, or decodes it
// otherwise.
func checkSame(t *testing.T, data []byte) {
	t.Helper()
	var fast rawFile
	ok := decodeChunked(data, &fast)
	slow, err := slowDecode(data)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("the chunked decode accepted what one decoder refuses (%v):\n%s", err, data)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("the chunked decode differs:\n%+v\n%+v\n%s", fast, slow, data)
	}
}

// TestChunkedDecodeMatches: the fast path decodes as one decoder does, or steps aside.
func TestChunkedDecodeMatches(t *testing.T) {
	for _, s := range chunkedSeeds {
		checkSame(t, []byte(s))
	}
	big := manyAgents(300)
	var fast rawFile
	if !decodeChunked(big, &fast) {
		t.Fatal("300 agents did not take the fast path")
	}
	checkSame(t, big)
	files, _ := filepath.Glob("../agentcore.toml")
	more, _ := filepath.Glob("../examples/*/agentcore.toml")
	if len(files) == 0 {
		t.Fatal("the repository's agentcore.toml is not at ../agentcore.toml")
	}
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, data)
	}
}

// FuzzChunkedDecode: whatever the file, the fast path agrees with one decoder.
func FuzzChunkedDecode(f *testing.F) {
	for _, s := range chunkedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkSame(t, data) })
}
