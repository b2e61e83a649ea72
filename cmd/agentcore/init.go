package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

//go:embed scaffold
var scaffold embed.FS

const initUsage = `Usage: agentcore init [DIR] [--template go|python|mcp] [--agent NAME] [--name PROJECT]

Creates agentcore.toml (with a local environment as the default), a sample agent that follows
the AgentCore runtime contract, .gitignore, and editor support for recipes (LuaLS stubs in
.agentcore/types/ and .luarc.json; agentcore docs --install writes them again). Templates:
  go      a Go agent with build = "go": compiled and assembled into an image FROM scratch by
          agentcore itself (no Dockerfile, no Docker build, no image pull: works offline)
  python  a Python agent with build = "zip" (AgentCore direct code deployment), standard
          library only: runs locally with this machine's python3 (its version picks the
          runtime, PYTHON_3_12 when there is none), no pip install, no image
  mcp     an MCP server in Go (protocol = "MCP", build = "go") with the official MCP Go SDK:
          tools add and echo on 0.0.0.0:8000/mcp, and a smoke check calling add; it needs
          the SDK in the module cache (there when agentcore was built from source; else
          go mod download once while online)

The go and python samples listen on $PORT (default 8080), answer /ping and /invocations, print
a line and send one OpenTelemetry span per request, so agentcore logs and agentcore traces show
them. The MCP sample prints a line per tool call.`

var agentNameRE = lazyregexp.New(`^[a-z][a-z0-9_-]{0,39}$`)

func (a *app) cmdInit(args []string) error {
	flags := pflag.NewFlagSet("init", pflag.ContinueOnError)
	tmpl := flags.String("template", "go", "go, python or mcp")
	agent := flags.String("agent", "my-bot", "name of the sample agent")
	name := flags.String("name", "", "project name (default: the directory's name)")
	rest, err := a.parse(flags, args, initUsage)
	if err != nil {
		return helpOK(err)
	}
	dir := "."
	if len(rest) > 1 {
		return usageErr(initUsage, "init takes at most one directory")
	}
	if len(rest) == 1 {
		dir = rest[0]
	}
	root := "scaffold/" + *tmpl
	if _, err := fs0(root); err != nil {
		return usageErr(initUsage, "unknown template %q: use go, python or mcp", *tmpl)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if !agentNameRE.MatchString(*agent) {
		return usageErr("for example --agent my-bot", "agent name %q is invalid: lowercase letters, digits, '-' and '_', starting with a letter", *agent)
	}
	proj := *name
	if proj == "" {
		proj = sanitizeName(filepath.Base(abs))
	}
	if !agentNameRE.MatchString(proj) {
		return usageErr("pass --name my-project", "project name %q is invalid: lowercase letters, digits, '-' and '_', starting with a letter", proj)
	}
	if _, err := os.Stat(filepath.Join(abs, project.FileName)); err == nil {
		return usageErr("edit it, or run init in an empty directory", "%s already exists in %s; not overwriting it", project.FileName, abs)
	}
	id, err := newProjectID()
	if err != nil {
		return err
	}
	data := map[string]string{"Project": proj, "ProjectID": id, "Agent": *agent}
	if *tmpl == "python" {
		data["Runtime"], data["PythonVersion"] = hostPythonRuntime(a.ctx)
	}
	type file struct {
		path string
		body []byte
	}
	var files []file
	err = fs.WalkDir(scaffold, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		rel = strings.ReplaceAll(rel, "AGENT", *agent)
		switch path.Base(rel) {
		case "gitignore", "dockerignore":
			rel = path.Join(path.Dir(rel), "."+path.Base(rel))
		}
		files = append(files, file{filepath.Join(abs, filepath.FromSlash(rel)), buf.Bytes()})
		return nil
	})
	if err != nil {
		return err
	}
	// Refuse before writing anything if a file would be overwritten.
	for _, f := range files {
		if _, err := os.Stat(f.path); err == nil && filepath.Base(f.path) != ".gitignore" {
			return usageErr("run init in an empty directory", "%s already exists; not overwriting it", f.path)
		}
	}
	for _, f := range files {
		if filepath.Base(f.path) == ".gitignore" {
			if old, err := os.ReadFile(f.path); err == nil {
				f.body = append(append(old, '\n'), f.body...)
			}
		}
		if err := state.WriteFileAtomic(f.path, f.body, 0o644); err != nil {
			return err
		}
	}
	// Editor support: LuaLS stubs of the builtins and a .luarc.json (agentcore docs --install).
	if _, err := docGen().Install(relPath(abs)); err != nil {
		a.out.Warn("", fmt.Sprintf("editor types not installed: %v", err))
	}
	shown := dir
	if dir == "." {
		shown = "this directory"
	}
	a.out.OK("", fmt.Sprintf("created project %s in %s with agent %s (template %s)", proj, shown, *agent, *tmpl))
	a.out.Info("", "next:")
	cd := ""
	if dir != "." {
		cd = "cd " + shellQuote(dir) + " && "
	}
	steps := [][2]string{
		{cd + "agentcore create " + *agent, "build, push and start it on the local endpoint"},
		{"agentcore invoke " + *agent + " --prompt hi", "talk to it"},
		{"agentcore status", "versions and endpoints"},
	}
	if *tmpl == "mcp" {
		steps[1] = [2]string{"agentcore invoke " + *agent + " --tools", "list its tools (--call add --args '{\"a\":2,\"b\":2}' calls one)"}
	}
	width := 0
	for _, st := range steps {
		width = max(width, len(st[0]))
	}
	for _, st := range steps {
		a.out.Info("", fmt.Sprintf("  %-*s  # %s", width, st[0], st[1]))
	}
	return nil
}

// newProjectID is the project's identity written to [project] id: 12 random hex digits.
func newProjectID() (string, error) {
	return project.NewID(), nil
}

// hostPythonRuntime is the managed runtime matching this machine's python3 (so the local
// provider runs the sample as it is), PYTHON_3_12 when there is no python3 or AgentCore has no
// runtime for its version.
func hostPythonRuntime(ctx context.Context) (runtime, version string) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if v := strings.TrimSpace(string(out)); err == nil {
		rt := "PYTHON_" + strings.ReplaceAll(v, ".", "_")
		if slices.Contains(project.ManagedRuntimes, rt) {
			return rt, v
		}
	}
	return "PYTHON_3_12", "3.12"
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func fs0(root string) (fs.FileInfo, error) { return fs.Stat(scaffold, root) }

func sanitizeName(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-_")
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "agents-" + out
	}
	if len(out) > 40 {
		out = out[:40]
	}
	return out
}
