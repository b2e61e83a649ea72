package codezip

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentcore/agentcore/engine"
)

// AgentCore's limits for a direct code deployment package ("Quotas for Amazon Bedrock
// AgentCore": 250 MB compressed, 750 MB uncompressed, not adjustable), read as MiB like
// Lambda's. Variables so that tests can lower them.
var (
	MaxZippedSize   int64 = 250 << 20
	MaxUnzippedSize int64 = 750 << 20
)

// Targets of the dependency layer.
const (
	TargetAarch64 = "aarch64" // AgentCore: linux/arm64 wheels and packages
	TargetHost    = "host"    // this machine, for running the package locally
)

// Options is one package request. Paths are absolute.
type Options struct {
	Dir        string   // the agent's folder
	Runtime    string   // AgentCore runtime: PYTHON_3_12, NODE_22...
	Entrypoint []string // AgentCore entryPoint: files relative to Dir, and perhaps a command before them
	Target     string   // TargetAarch64 (default) or TargetHost
	Out        string   // the zip to write
	Cache      bool     // reuse the dependency layer from CacheDir
	CacheDir   string   // $AGENTCORE_HOME/cache/zipdeps
	Env        []string // environment of pip and npm; os.Environ() when nil
	Python     string   // interpreter that runs pip; python3 when empty
	Step       func(string)
	Log        func(string) // each line of pip's or npm's output
}

// Result describes the written package.
type Result struct {
	Path         string   `json:"path"`
	SHA256       string   `json:"sha256"`
	Size         int64    `json:"size"`
	UnzippedSize int64    `json:"unzipped_size"`
	Files        int      `json:"files"`
	DepsCached   bool     `json:"deps_cached"`
	Deps         []string `json:"deps"`
}

type runtimeInfo struct {
	name    string
	node    bool
	version string // Python X.Y
}

// Runtimes are AgentCore's managed runtimes, as the SDK (and the service model) lists them.
func Runtimes() []string {
	var out []string
	for _, v := range types.AgentManagedRuntimeType("").Values() {
		out = append(out, string(v))
	}
	return out
}

func parseRuntime(name string) (runtimeInfo, error) {
	for _, v := range Runtimes() {
		if v != name {
			continue
		}
		if rest, ok := strings.CutPrefix(v, "PYTHON_"); ok {
			return runtimeInfo{name: v, version: strings.Replace(rest, "_", ".", 1)}, nil
		}
		if strings.HasPrefix(v, "NODE_") {
			return runtimeInfo{name: v, node: true}, nil
		}
	}
	return runtimeInfo{}, engine.Usagef("use one of "+strings.Join(Runtimes(), ", "),
		"zip.package: runtime %q is not an AgentCore runtime", name)
}

func (o *Options) step(s string) {
	if o.Step != nil {
		o.Step(s)
	}
}

func (o *Options) python() string {
	if o.Python != "" {
		return o.Python
	}
	return "python3"
}

func (o *Options) run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	if o.Log != nil {
		o.Log("$ " + name + " " + strings.Join(args, " "))
	}
	return runCmd(ctx, env, o.Log, dir, name, args...)
}

// looksLikeFile tells the files of an entryPoint from a command before them
// (["opentelemetry-instrument", "main.py"]).
func looksLikeFile(s string) bool {
	return strings.ContainsAny(s, "/.")
}

func (o *Options) validate() (runtimeInfo, error) {
	rt, err := parseRuntime(o.Runtime)
	if err != nil {
		return rt, err
	}
	switch o.Target {
	case "":
		o.Target = TargetAarch64
	case TargetAarch64, TargetHost:
	case "arm64":
		o.Target = TargetAarch64
	default:
		return rt, engine.Usagef(`use target = "aarch64" (AgentCore) or "host" (this machine)`,
			"zip.package: target %q is not known", o.Target)
	}
	info, err := os.Stat(o.Dir)
	if err != nil || !info.IsDir() {
		return rt, engine.Usagef("check dir: it is relative to the project root",
			"zip.package: agent folder %s does not exist", o.Dir)
	}
	if len(o.Entrypoint) == 0 {
		return rt, engine.Usagef(`entrypoint = {"main.py"}`, "zip.package: entrypoint is empty")
	}
	files := 0
	for _, e := range o.Entrypoint {
		if !looksLikeFile(e) {
			continue
		}
		files++
		p := filepath.Join(o.Dir, filepath.FromSlash(e))
		if !strings.HasPrefix(p, filepath.Clean(o.Dir)+string(filepath.Separator)) {
			return rt, engine.Usagef("name a file inside the agent's folder", "zip.package: entrypoint %s is outside %s", e, o.Dir)
		}
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return rt, engine.Usagef("create it, or fix entrypoint (paths are relative to the agent's folder)",
				"zip.package: entrypoint %s not found in %s", e, o.Dir)
		}
	}
	if files == 0 {
		return rt, engine.Usagef(`entrypoint = {"main.py"}`, "zip.package: entrypoint %q names no file", o.Entrypoint)
	}
	return rt, nil
}

// Package builds the agent's zip: the agent's folder plus its dependencies installed for the
// target at the archive's root, deterministic (sorted entries, fixed timestamps, normalised
// modes), written atomically, within AgentCore's size limits.
func Package(ctx context.Context, o Options) (*Result, error) {
	rt, err := o.validate()
	if err != nil {
		return nil, err
	}
	spec, err := findDeps(o.Dir, rt)
	if err != nil {
		return nil, err
	}
	res := &Result{Path: o.Out, Deps: []string{}}
	var lay *layer
	if spec.kind != "" {
		var done func()
		lay, res.DepsCached, done, err = dependencyLayer(ctx, &o, rt, spec)
		defer done()
		if err != nil {
			return nil, err
		}
		res.Deps = lay.Deps
	}
	own, err := collect(o.Dir, "", sourceExcludes, o.Out)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", o.Dir, err)
	}
	es := own
	if lay != nil {
		zr, err := openLayer(lay)
		if err != nil {
			return nil, fmt.Errorf("opening the dependency layer %s: %w (delete it to rebuild)", lay.Zip, err)
		}
		defer zr.Close()
		es = merge(own, zipEntries(&zr.Reader))
	}
	for _, e := range es {
		res.UnzippedSize += e.size
	}
	res.Files = len(es)
	tooBig := func(what string, size, limit int64) error {
		return &engine.Error{Code: engine.ExitUsage,
			Msg: fmt.Sprintf("zip.package: the package of %s is %s %s (%d bytes); AgentCore accepts at most %s %s",
				o.Dir, human(size), what, size, human(limit), what),
			Hint: "largest parts: " + strings.Join(topLevel(es, 5), ", ") +
				"; drop unused dependencies, or deploy as a container image (build = \"docker\" or \"go\")"}
	}
	if res.UnzippedSize > MaxUnzippedSize {
		return nil, tooBig("unzipped", res.UnzippedSize, MaxUnzippedSize)
	}
	o.step(fmt.Sprintf("packaging %d files (%s) into %s", res.Files, human(res.UnzippedSize), o.Out))
	res.SHA256, res.Size, err = writeZip(o.Out, es, func(size int64) error {
		if size > MaxZippedSize {
			return tooBig("zipped", size, MaxZippedSize)
		}
		return nil
	})
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) {
			return nil, err
		}
		return nil, fmt.Errorf("writing %s: %w", o.Out, err)
	}
	return res, nil
}

// dependencyLayer returns the layer for spec: from the cache when it holds one (and Cache is
// set), or built now. A layer built with Cache set is moved into the cache with a rename, so an
// interrupted build never leaves a half layer there; without Cache it is built in a temporary
// folder that done removes.
func dependencyLayer(ctx context.Context, o *Options, rt runtimeInfo, spec depsSpec) (l *layer, cached bool, done func(), err error) {
	done = func() {}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	useCache := o.Cache && o.CacheDir != ""
	final := filepath.Join(o.CacheDir, spec.cacheKey(rt, o.Target, env))
	if useCache {
		if l, ok := loadLayer(final); ok {
			o.step(fmt.Sprintf("dependencies from %s: cached (%d packages)", spec.file, len(l.Deps)))
			return l, true, done, nil
		}
	}
	parent := o.CacheDir
	if !useCache {
		parent = filepath.Join(os.TempDir(), "agentcore-zipdeps")
	}
	dir, l, err := buildLayer(ctx, o, rt, spec, parent)
	if err != nil {
		return nil, false, done, err
	}
	if !useCache {
		return l, false, func() { os.RemoveAll(dir) }, nil
	}
	if err := os.Rename(dir, final); err != nil {
		os.RemoveAll(dir)
		// Another run may have stored the same layer meanwhile: use theirs.
		if existing, ok := loadLayer(final); ok {
			return existing, false, done, nil
		}
		return nil, false, done, fmt.Errorf("storing the dependency layer in %s: %w", o.CacheDir, err)
	}
	l, ok := loadLayer(final)
	if !ok {
		return nil, false, done, fmt.Errorf("the dependency layer in %s cannot be read back", final)
	}
	return l, false, done, nil
}
