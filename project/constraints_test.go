package project

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// modelShapes reads the shapes of an AWS service model from botocore's data, or skips.
func modelShapes(t *testing.T, service string) map[string]map[string]any {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("botocore is not installed")
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data", service)
	versions, _ := filepath.Glob(filepath.Join(dir, "*", "service-2.json*"))
	if len(versions) == 0 {
		t.Skipf("no model for %s in botocore", service)
	}
	sort.Strings(versions)
	f, err := os.Open(versions[len(versions)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(f.Name(), ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	var m struct {
		Shapes map[string]map[string]any `json:"shapes"`
	}
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m.Shapes
}

// TestConstraintsMatchModel checks the hand-copied limits against the service models.
func TestConstraintsMatchModel(t *testing.T) {
	models := map[string]map[string]map[string]any{}
	for _, c := range Constraints {
		if models[c.Service] == nil {
			models[c.Service] = modelShapes(t, c.Service)
		}
		shape, ok := models[c.Service][c.Shape]
		if !ok {
			t.Errorf("%s: no shape %s in the model", c.Service, c.Shape)
			continue
		}
		num := func(k string) int {
			if f, ok := shape[k].(float64); ok {
				return int(f)
			}
			return -1
		}
		if num("min") != c.Min || num("max") != c.Max {
			t.Errorf("%s: min/max %d/%d, the model says %d/%d", c.Shape, c.Min, c.Max, num("min"), num("max"))
		}
		if p, _ := shape["pattern"].(string); p != c.Pattern {
			t.Errorf("%s: pattern %q, the model says %q", c.Shape, c.Pattern, p)
		}
		var enum []string
		if e, ok := shape["enum"].([]any); ok {
			for _, x := range e {
				enum = append(enum, x.(string))
			}
			sort.Strings(enum)
		}
		if !reflect.DeepEqual(enum, c.Enum) {
			t.Errorf("%s: enum %q, the model says %q", c.Shape, c.Enum, enum)
		}
	}
}

func TestConstraintErrors(t *testing.T) {
	base := "[agents.a]\ndockerfile = \"D\"\n"
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("V" + strings.Repeat("X", i%3) + string(rune('A'+i/26)) + string(rune('A'+i%26)) + " = \"x\"")
		}
		return b.String() + " }"
	}
	for _, c := range []struct{ name, src, want string }{
		{"huge description", base + "description = \"" + strings.Repeat("d", 5<<20) + "\"\n",
			"agentcore.toml:3:1: description is 5242880 characters long; AgentCore accepts at most 4096"},
		{"number value", base + "environment = { LOG_LEVEL = 1 }\n", `LOG_LEVEL = 1 is a number, but values must be strings: quote it: LOG_LEVEL = "1"`},
		{"float value", base + "environment = { RATE = 1.5 }\n", `quote it: RATE = "1.5"`},
		{"bool variable", base + "[environments.dev]\nprovider = \"local\"\nvariables = { DEBUG = true }\n", `agentcore.toml:5:15: DEBUG = true is a boolean, but values must be strings: quote it: DEBUG = "true"`},
		{"long value", base + "environment = { K = \"" + strings.Repeat("v", 5001) + "\" }\n", "K is 5001 characters long; AgentCore accepts at most 5000 per value"},
		{"long key", base + "environment = { " + strings.Repeat("K", 101) + " = \"v\" }\n", "variable name is 101 characters long; AgentCore accepts at most 100"},
		{"too many variables", base + "environment = " + many(51) + "\n", "environment has 51 variables; AgentCore accepts at most 50"},
		{"too many merged", base + "environment = " + many(30) + "\n[environments.dev]\nprovider = \"local\"\nvariables = " + strings.ReplaceAll(many(30), "V", "W") + "\n",
			`agent "a" gets 60 environment variables in environment "dev"`},
		{"protocol", base + "protocol = \"SOAP\"\n", `protocol "SOAP" is not one of A2A, AGUI, HTTP, MCP`},
		{"lifecycle", base + "lifecycle = { idle_timeout = 30 }\n", "idle_timeout = 30s is out of range: AgentCore accepts 60s to 8h (28800s)"},
		{"long role", base + "execution_role = \"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 2048) + "\"\n", "execution_role is 2079 characters long; AgentCore accepts at most 2048"},
		{"empty client", base + "[agents.a.auth]\ntype = \"jwt\"\ndiscovery_url = \"https://x/.well-known/openid-configuration\"\nallowed_clients = [\"\"]\n", "allowed_clients[1] is empty"},
		{"secret build arg", base + "build_args = { TOKEN = { env = \"NPM_TOKEN\" } }\n", "agentcore.toml:3:16: build_args.TOKEN is a secret; build args end up in image history and labels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				msg := "<nil>"
				if err != nil {
					msg = err.Error()
				}
				if len(msg) > 500 {
					msg = msg[:500]
				}
				t.Fatalf("want %q in:\n%s", c.want, msg)
			}
			if len(err.Error()) > 2000 {
				t.Fatalf("the message repeats the value: %d bytes", len(err.Error()))
			}
		})
	}
	if _, err := parse(t, "[project]\nname = \"p\"\n"+base+"protocol = \"agui\"\ndescription = \""+strings.Repeat("d", 4096)+"\"\n"); err != nil {
		t.Fatal(err)
	}
}

func TestSessionAndUserIDs(t *testing.T) {
	ok := strings.Repeat("a", 33)
	if err := CheckSessionID(ok); err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]string{
		"short":                          "has 5 characters; AgentCore needs 33 to 256",
		strings.Repeat("a", 257):         "has 257 characters",
		ok + "\r\n":                      "a carriage return (CR) at position 34",
		strings.Repeat("a", 40) + " b":   "a space at position 41",
		strings.Repeat("a", 40) + "\x00": "a control character",
	} {
		if err := CheckSessionID(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
	if err := CheckUserID("alice\n"); err == nil || !strings.Contains(err.Error(), "line feed") {
		t.Fatal(err)
	}
	if m := endpointNameRE.MatchString; !m("stable") || m("1x") || m("a-b") {
		t.Fatal("endpoint names")
	}
}
