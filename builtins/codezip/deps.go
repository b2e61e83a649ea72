package codezip

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/internal/proctree"
)

// The dependency layer: the agent's third-party packages, installed for the target into a
// staging folder and kept as a zip of its own (deps.zip) in the cache, keyed by what decides
// its content. Packaging copies that zip's entries into the agent's archive without
// recompressing them, which is what makes a warm package fast whatever the size of the
// dependencies.

// depsSpec is what the dependencies of an agent are installed from.
type depsSpec struct {
	kind string // "pip", "npm" or "" (no dependencies)
	file string // the file they come from, for messages: requirements.txt, pyproject.toml, package.json
	// requirements is the pip requirements text (requirements.txt as is, or [project].dependencies
	// of pyproject.toml one a line); for npm, package.json (and lock) content.
	requirements []byte
	lock         []byte // package-lock.json, when there is one
}

// pipEnv are the variables that change what pip resolves: part of the cache key, so that
// pointing pip at another index does not reuse a layer resolved from the old one. pip.conf
// itself is not read; `cache = false` rebuilds.
var pipEnv = []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT"}

// findDeps reads the dependency declaration of an agent folder. For Python, requirements.txt
// wins over pyproject.toml (a requirements file is usually the exported, pinned list).
func findDeps(dir string, rt runtimeInfo) (depsSpec, error) {
	read := func(name string) ([]byte, bool, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return b, err == nil, err
	}
	if rt.node {
		b, ok, err := read("package.json")
		if err != nil || !ok {
			return depsSpec{}, err
		}
		var pj struct {
			Dependencies map[string]string `json:"dependencies"`
		}
		if err := json.Unmarshal(b, &pj); err != nil {
			return depsSpec{}, engine.Usagef("fix the JSON syntax of package.json", "%s: %v", filepath.Join(dir, "package.json"), err)
		}
		if len(pj.Dependencies) == 0 {
			return depsSpec{}, nil // nothing to install: npm is not run at all
		}
		lock, _, err := read("package-lock.json")
		if err != nil {
			return depsSpec{}, err
		}
		return depsSpec{kind: "npm", file: "package.json", requirements: b, lock: lock}, nil
	}
	if b, ok, err := read("requirements.txt"); err != nil || ok {
		if len(bytes.TrimSpace(stripComments(b))) == 0 {
			return depsSpec{}, err
		}
		return depsSpec{kind: "pip", file: "requirements.txt", requirements: b}, err
	}
	b, ok, err := read("pyproject.toml")
	if err != nil || !ok {
		return depsSpec{}, err
	}
	var pp struct {
		Project struct {
			Dependencies []string `toml:"dependencies"`
		} `toml:"project"`
	}
	if err := toml.Unmarshal(b, &pp); err != nil {
		return depsSpec{}, engine.Usagef("fix the TOML syntax of pyproject.toml", "%s: %v", filepath.Join(dir, "pyproject.toml"), err)
	}
	if len(pp.Project.Dependencies) == 0 {
		return depsSpec{}, nil
	}
	return depsSpec{kind: "pip", file: "pyproject.toml", requirements: []byte(strings.Join(pp.Project.Dependencies, "\n") + "\n")}, nil
}

func stripComments(b []byte) []byte {
	var out []byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if i := bytes.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		out = append(append(out, l...), '\n')
	}
	return out
}

// cacheKey hashes everything that decides the layer's content.
func (d depsSpec) cacheKey(rt runtimeInfo, target string, env []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "agentcore-zipdeps-v1\x00%s\x00%s\x00%s\x00", d.kind, rt.name, target)
	fmt.Fprintf(h, "%d\x00", len(d.requirements))
	h.Write(d.requirements)
	fmt.Fprintf(h, "%d\x00", len(d.lock))
	h.Write(d.lock)
	if d.kind == "pip" {
		for _, k := range pipEnv {
			fmt.Fprintf(h, "%s=%s\x00", k, getenv(env, k))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func getenv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one wins, as in os/exec
		}
	}
	return v
}

// layer is a built dependency layer: its zip and what it holds.
type layer struct {
	Zip  string   `json:"-"`
	Deps []string `json:"deps"` // "name==version" (pip) or "name@version" (npm), sorted
}

const (
	layerZip  = "deps.zip"
	layerMeta = "deps.json"
)

// loadLayer returns the cached layer in dir, or false when there is none (or it is damaged).
func loadLayer(dir string) (*layer, bool) {
	b, err := os.ReadFile(filepath.Join(dir, layerMeta))
	if err != nil {
		return nil, false
	}
	var l layer
	if json.Unmarshal(b, &l) != nil {
		return nil, false
	}
	l.Zip = filepath.Join(dir, layerZip)
	if _, err := os.Stat(l.Zip); err != nil {
		return nil, false
	}
	return &l, true
}

// buildLayer installs the dependencies into a fresh folder under parent and returns it as a
// layer: deps.zip and deps.json written inside a temporary folder, which the caller renames
// into place (the cache) or removes.
func buildLayer(ctx context.Context, o *Options, rt runtimeInfo, d depsSpec, parent string) (dir string, l *layer, err error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", nil, err
	}
	work, err := os.MkdirTemp(parent, ".build-*")
	if err != nil {
		return "", nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(work) // not dir: a failing return has set it to ""
		}
	}()
	dir = work
	stage := filepath.Join(dir, "stage")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return "", nil, err
	}
	var root, prefix string
	switch d.kind {
	case "pip":
		if err := pipInstall(ctx, o, rt, d, dir, stage); err != nil {
			return "", nil, err
		}
		root = stage
	case "npm":
		if err := npmInstall(ctx, o, d, stage); err != nil {
			return "", nil, err
		}
		root, prefix = filepath.Join(stage, "node_modules"), "node_modules/"
	}
	es, err := collect(root, prefix, depsExcludes, "")
	if err != nil {
		return "", nil, fmt.Errorf("reading the installed dependencies: %w", err)
	}
	l = &layer{Zip: filepath.Join(dir, layerZip), Deps: installed(root, d.kind)}
	if _, _, err := writeZip(l.Zip, es, nil); err != nil {
		return "", nil, err
	}
	meta, _ := json.Marshal(l)
	if err := os.WriteFile(filepath.Join(dir, layerMeta), meta, 0o644); err != nil {
		return "", nil, err
	}
	if err := os.RemoveAll(stage); err != nil {
		return "", nil, err
	}
	return dir, l, nil
}

// The platforms of aarch64 wheels pip may pick, most compatible first: pip ranks earlier
// --platform values higher, so a manylinux2014 (glibc 2.17) wheel is preferred and the newer
// tags are the fallback for packages that publish only those. AgentCore's Python runtimes run
// on Amazon Linux 2023 (glibc 2.34).
var aarch64Platforms = []string{"manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"}

// noMatch is pip's line for a requirement it could not satisfy.
var noMatch = lazyregexp.New(`No matching distribution found for (\S+)`)

func pipInstall(ctx context.Context, o *Options, rt runtimeInfo, d depsSpec, work, stage string) error {
	req := filepath.Join(work, "requirements.txt")
	if err := os.WriteFile(req, d.requirements, 0o644); err != nil {
		return err
	}
	// --no-compile: bytecode compiled by the host's Python is of no use to the runtime's.
	// pip's own configuration (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, pip.conf) applies
	// untouched: the environment is passed through and no index option is given here.
	args := []string{"-m", "pip", "install", "--no-compile", "--disable-pip-version-check", "--target", stage}
	what := "the host"
	if o.Target == TargetAarch64 {
		for _, p := range aarch64Platforms {
			args = append(args, "--platform", p)
		}
		args = append(args, "--only-binary=:all:", "--python-version", rt.version, "--implementation", "cp")
		what = fmt.Sprintf("linux/aarch64, CPython %s", rt.version)
	}
	args = append(args, "-r", req)
	o.step(fmt.Sprintf("installing Python dependencies from %s for %s (pip)", d.file, what))
	out, err := o.run(ctx, stage, o.python(), args...)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// pip tells a requirement it could not reach an index for the same way as one that does not
	// exist ("No matching distribution"): its retry warnings say which it was.
	if why := pipNetworkError(out); why != "" {
		return &engine.Error{Code: engine.ExitFailure, Err: err,
			Msg: fmt.Sprintf("installing Python dependencies from %s: pip could not reach its package index (%s): %s",
				filepath.Join(o.Dir, d.file), why, lastLines(out, 2)),
			Hint: "with no network, give pip wheels on disk: PIP_NO_INDEX=1 PIP_FIND_LINKS=/path/to/wheels (make them where there is a network " +
				"with pip download -r requirements.txt -d wheels --only-binary=:all:, plus --platform manylinux2014_aarch64 --python-version X.Y for AWS), " +
				"or point PIP_INDEX_URL at an index you can reach (README: Offline)"}
	}
	if m := noMatch.FindSubmatch(out); m != nil && o.Target == TargetAarch64 {
		pkg := string(m[1])
		return &engine.Error{Code: engine.ExitUsage, Err: err,
			Msg: fmt.Sprintf("dependency %s (from %s) has no wheel for linux/aarch64 and CPython %s (tried %s, and py3-none-any); pip: %s",
				pkg, filepath.Join(o.Dir, d.file), rt.version, strings.Join(aarch64Platforms, ", "), lastLines(out, 3)),
			Hint: fmt.Sprintf("AgentCore runs code on arm64 and cannot build packages from source: pin a version of %s that publishes "+
				"manylinux aarch64 wheels (check pypi.org/project/NAME/#files), replace it, or deploy this agent as a container image (build = \"docker\" or \"go\"); "+
				"if the name is wrong or your index (PIP_INDEX_URL, pip.conf) lacks it, fix that", pkgName(pkg))}
	}
	if m := noMatch.FindSubmatch(out); m != nil {
		return &engine.Error{Code: engine.ExitUsage, Err: err,
			Msg:  fmt.Sprintf("dependency %s (from %s) was not found by pip: %s", m[1], filepath.Join(o.Dir, d.file), lastLines(out, 3)),
			Hint: "check its name and version, and the index pip uses (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf)"}
	}
	return &engine.Error{Code: engine.ExitFailure, Err: err,
		Msg:  fmt.Sprintf("installing Python dependencies from %s: pip failed: %v: %s", filepath.Join(o.Dir, d.file), err, lastLines(out, 5)),
		Hint: "run the same pip command by hand to see the whole output (agentcore -v shows it)"}
}

// pipNetworkPatterns are what pip (urllib3, requests) prints when an index or a download cannot
// be reached, each with the words it is reported as.
var pipNetworkPatterns = []struct{ text, why string }{
	{"Failed to establish a new connection", "connection failed"},
	{"Connection refused", "connection refused"},
	{"Temporary failure in name resolution", "name resolution failed"},
	{"Name or service not known", "name resolution failed"},
	{"nodename nor servname provided", "name resolution failed"},
	{"getaddrinfo failed", "name resolution failed"},
	{"Network is unreachable", "network unreachable"},
	{"No route to host", "no route to host"},
	{"ConnectTimeoutError", "connection timed out"},
	{"ReadTimeoutError", "read timed out"},
	{"ProxyError", "proxy error"},
	{"after connection broken by", "connection broken"},
	{"Max retries exceeded", "connection failed"},
}

// pipNetworkError says why pip could not reach the network, "" when its output shows nothing
// of the kind.
func pipNetworkError(out []byte) string {
	for _, p := range pipNetworkPatterns {
		if bytes.Contains(out, []byte(p.text)) {
			return p.why
		}
	}
	return ""
}

// pkgName is the project name of a requirement: "numpy>=2; python_version>'3'" → numpy.
func pkgName(req string) string {
	if i := strings.IndexAny(req, "<>=!~;[ @"); i > 0 {
		return req[:i]
	}
	return req
}

func npmInstall(ctx context.Context, o *Options, d depsSpec, stage string) error {
	if err := os.WriteFile(filepath.Join(stage, "package.json"), d.requirements, 0o644); err != nil {
		return err
	}
	if d.lock != nil {
		if err := os.WriteFile(filepath.Join(stage, "package-lock.json"), d.lock, 0o644); err != nil {
			return err
		}
	}
	args := []string{"install", "--omit=dev", "--no-audit", "--no-fund"}
	what := "the host"
	if o.Target == TargetAarch64 {
		// Picks the linux/arm64 variant of packages that ship prebuilt binaries as optional
		// dependencies (npm 10+). Packages that compile native code at install time still
		// build for the host: those need build = "container".
		args = append(args, "--os=linux", "--cpu=arm64")
		what = "linux/arm64"
	}
	o.step(fmt.Sprintf("installing Node.js dependencies from %s for %s (npm)", d.file, what))
	out, err := o.run(ctx, stage, "npm", args...)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &engine.Error{Code: engine.ExitFailure, Err: err,
			Msg:  fmt.Sprintf("installing Node.js dependencies from %s: npm install failed: %v: %s", filepath.Join(o.Dir, d.file), err, lastLines(out, 5)),
			Hint: "run `npm install --omit=dev` in the agent's folder to see the whole output"}
	}
	return nil
}

// installed lists the installed distributions: NAME==VERSION from *.dist-info/METADATA for
// pip, NAME@VERSION from node_modules/**/package.json for npm.
func installed(root, kind string) []string {
	out := []string{}
	switch kind {
	case "pip":
		metas, _ := filepath.Glob(filepath.Join(root, "*.dist-info", "METADATA"))
		for _, m := range metas {
			name, ver := metadataNameVersion(m)
			if name != "" {
				out = append(out, name+"=="+ver)
			}
		}
	case "npm":
		pkgs, _ := filepath.Glob(filepath.Join(root, "*", "package.json"))
		scoped, _ := filepath.Glob(filepath.Join(root, "@*", "*", "package.json"))
		for _, p := range append(pkgs, scoped...) {
			var pj struct{ Name, Version string }
			if b, err := os.ReadFile(p); err == nil && json.Unmarshal(b, &pj) == nil && pj.Name != "" {
				out = append(out, pj.Name+"@"+pj.Version)
			}
		}
	}
	sort.Strings(out)
	return out
}

func metadataNameVersion(path string) (name, ver string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the headers end; the description follows
		}
		if v, ok := strings.CutPrefix(line, "Name: "); ok {
			name = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "Version: "); ok {
			ver = strings.TrimSpace(v)
		}
	}
	return name, ver
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var keep []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.Contains(l, "Running pip as the 'root' user") {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, " / ")
}

// openLayer opens a layer's zip for copying.
func openLayer(l *layer) (*zip.ReadCloser, error) {
	if l == nil {
		return nil, nil
	}
	return zip.OpenReader(l.Zip)
}

// runCmd runs name with args in dir and the given environment, returning its combined output.
// Each line also goes to log (shown with -v).
func runCmd(ctx context.Context, env []string, log func(string), dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	proctree.Bind(cmd) // pip and npm start processes of their own
	cmd.Dir, cmd.Env = dir, env
	var buf bytes.Buffer
	w := &lineWriter{buf: &buf, log: log}
	cmd.Stdout, cmd.Stderr = w, w // one writer: os/exec then never calls it from two goroutines at once
	err := proctree.Ignore(cmd.Run())
	return buf.Bytes(), err
}

// lineWriter keeps everything written and passes each complete line to log.
type lineWriter struct {
	buf     *bytes.Buffer
	log     func(string)
	pending []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.pending = append(w.pending, p...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			break
		}
		if w.log != nil {
			w.log(string(w.pending[:i]))
		}
		w.pending = w.pending[i+1:]
	}
	return len(p), nil
}
