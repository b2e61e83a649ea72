package builtins_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

// harness runs Lua with every builtin, in a project of its own.
func harness(t *testing.T, toml string) *enginetest.Harness {
	t.Helper()
	h := enginetest.NewWithRegistry(t, builtins.Registry(builtins.Deps{}))
	if toml != "" {
		path := filepath.Join(h.Run.Dir, project.FileName)
		if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := project.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		h.Run.Project, h.Run.EnvName = p, "dev"
		h.Run.Store = state.NewFileStore(filepath.Join(h.Run.Dir, ".agentcore", "state"))
	}
	return h
}

const toml = `
[project]
name = "t"
[agents.bot]
dockerfile = "Dockerfile"
environment = { KEY = { env = "BUILTINS_TEST_SECRET" }, PLAIN = "p" }
[environments.dev]
provider = "local"
`

func TestExec(t *testing.T) {
	h := harness(t, "")
	res := h.Do(t, `
		fs.mkdir("sub")
		local r = exec.run{"sh", "-c", "echo out; echo err >&2; echo $X; pwd", env = {X = "set"}, dir = "sub", check = false, stream = false}
		return r.code, r.stdout, r.stderr`)
	if res[0].String() != "0" || !strings.Contains(res[1].String(), "out\nset\n") || res[2].String() != "err\n" {
		t.Fatalf("got %v", res)
	}
	if !strings.HasSuffix(strings.TrimSpace(strings.Split(res[1].String(), "\n")[2]), "sub") {
		t.Fatalf("dir not used: %q", res[1])
	}
	if !strings.Contains(h.Stdout.String(), `$ sh -c "echo out;`) {
		t.Fatalf("command not echoed: %q", h.Stdout)
	}
	err := h.Err(`exec.run{"sh", "-c", "echo broken >&2; exit 3"}`)
	if engine.ExitCode(err) != engine.ExitFailure || !strings.Contains(err.Error(), "exited with code 3") || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v", err)
	}
	if err := h.Err(`exec.run{"no-such-program-here"}`); err == nil || !strings.Contains(err.Error(), "command not found") {
		t.Fatalf("err = %v", err)
	}
	// Numbers in the command and env are their text as Lua writes it (1000000, not 1e+06).
	res = h.Do(t, `return exec.run{"sh", "-c", "echo $1 $N", "x", 1000000, env = {N = 2500000}, echo = false, stream = false}.stdout`)
	if res[0].String() != "1000000 2500000\n" {
		t.Fatalf("numbers: %q", res[0])
	}
	for src, want := range map[string]string{
		`exec.run{}`:                      "exec.run: no command given",
		`exec.run{"true", dri = "x"}`:     `unknown option "dri" (did you mean "dir"?)`,
		`exec.run{"true", {"nested"}}`:    "argument #1 (cmd) field [2] must be a string",
		`exec.run{"true", check = "yes"}`: "field check must be a boolean",
	} {
		if err := h.Err(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

func TestFS(t *testing.T) {
	h := harness(t, "")
	res := h.Do(t, `
		fs.write("a/b.txt", "hello")
		return fs.read("a/b.txt"), tostring(fs.exists("a")), fs.list("a")[1], tostring(fs.read("missing")), #fs.list("a/..")`)
	if res[0].String() != "hello" || res[1].String() != "true" || res[2].String() != "b.txt" || res[3].String() != "nil" {
		t.Fatalf("got %v", res)
	}
	for _, src := range []string{`fs.read("../x")`, `fs.write("/etc/x", "y")`, `fs.list("a/../../")`} {
		err := h.Err(src)
		if engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "outside the project") {
			t.Errorf("%s: err = %v", src, err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	h := harness(t, "")
	res := h.Do(t, `
		local v = json.decode('{"n": 12345678901, "f": 1.5, "l": [1, "x", true], "o": {"k": null}}')
		return json.encode(v), json.encode({}), tostring(pcall(json.decode, "{bad"))`)
	if got := res[0].String(); got != `{"f":1.5,"l":[1,"x",true],"n":12345678901,"o":{}}` {
		t.Fatalf("encode = %s", got)
	}
	if res[1].String() != "{}" || res[2].String() != "false" {
		t.Fatalf("got %v", res)
	}
}

func TestUIJSONEventsAndConfirm(t *testing.T) {
	h := harness(t, "")
	h.Run.Out.JSON = true
	h.Do(t, `ui.step("s") ui.table({"A"}, {{"1"}}) ui.write("chunk")`)
	for _, want := range []string{`"type":"step","time":`, `"type":"table"`, `"rows":[["1"]]`, `"type":"chunk"`} {
		if !strings.Contains(h.Stdout.String(), want) {
			t.Errorf("no %s in %s", want, h.Stdout)
		}
	}
	err := h.Err(`ui.confirm("really?")`)
	if engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "confirmation needed") {
		t.Fatalf("non-interactive confirm: %v", err)
	}
	h.Run.Yes = true
	if res := h.Do(t, `return tostring(ui.confirm("really?"))`); res[0].String() != "true" {
		t.Fatal("--yes did not answer")
	}
	if err := h.Err(`ui.confirm("protected", {typed = "prod"})`); err == nil {
		t.Fatal("a typed confirmation passed with --yes alone")
	}
	h.Run.Confirm = "prod"
	if res := h.Do(t, `return tostring(ui.confirm("protected", {typed = "prod"}))`); res[0].String() != "true" {
		t.Fatal("--confirm prod did not answer")
	}
	if err := h.Err(`ui.error("stop", {code = 3})`); engine.ExitCode(err) != 3 {
		t.Fatalf("ui.error code: %v", err)
	}
}

func TestProjectAgentResolvesAndMasksSecrets(t *testing.T) {
	t.Setenv("BUILTINS_TEST_SECRET", "s3cr3t-value")
	h := harness(t, toml)
	res := h.Do(t, `
		local a = project.agent("bot")
		ui.info("key is " .. a.environment.KEY)
		local b = project.agent("bot", {resolve = false})
		return a.runtime_name, a.environment.PLAIN, b.environment.KEY, a.platform:match("^linux/") and "ok" or a.platform, a.config_hash`)
	if res[0].String() != "t_bot_dev" || res[1].String() != "p" || res[2].String() != "${BUILTINS_TEST_SECRET}" || res[3].String() != "ok" {
		t.Fatalf("got %v", res)
	}
	if strings.Contains(h.Stdout.String(), "s3cr3t-value") || !strings.Contains(h.Stdout.String(), "key is ****") {
		t.Fatalf("secret not masked: %q", h.Stdout)
	}
	err := h.Err(`project.agent("bto")`)
	if engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), `did you mean "bot"`) {
		t.Fatalf("err = %v", err)
	}
	os.Unsetenv("BUILTINS_TEST_SECRET")
	if err := h.Err(`project.agent("bot")`); err == nil || !strings.Contains(err.Error(), "BUILTINS_TEST_SECRET is not set") {
		t.Fatalf("missing secret: %v", err)
	}
}

func TestStateSaveValidates(t *testing.T) {
	h := harness(t, toml)
	h.Do(t, `
		local st = state.load()
		st.agents.bot = { runtime_name = "t_bot_dev", versions = {{number = 1, status = "READY"}}, endpoints = {}, resources = {} }
		state.save(st)
		assert(st.serial == 1, "serial not updated in the table")`)
	err := h.Err(`
		local st = state.load()
		st.agents.bot.versoins = {}
		state.save(st)`)
	if err == nil || !strings.Contains(err.Error(), "versoins") {
		t.Fatalf("misspelt field saved: %v", err)
	}
	if res := h.Do(t, `return state.load().agents.bot.versions[1].status`); res[0].String() != "READY" {
		t.Fatal("state lost after a refused save")
	}
}
