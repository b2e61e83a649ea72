// Package codezip is the `zip` Lua module: an agent's direct code deployment package for
// AgentCore Runtime (build = "zip"). It stages the agent's folder and its dependencies,
// installed for linux/arm64 (pip wheels, npm packages) and cached by what decides them, into
// one deterministic zip within AgentCore's size limits.
package codezip

import (
	"context"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Module is the zip Lua module.
var Module = &engine.Module{
	Name: "zip",
	Doc: "Direct code deployment packages for AgentCore Runtime: the agent's folder and its " +
		"dependencies, installed for the runtime's platform, in one zip.",
	Classes: []*engine.Class{
		{Name: "zip.PackageOpts", Of: packageOpts{}},
		{Name: "zip.Package", Of: Result{}},
	},
	Funcs: []engine.Func{
		{Name: "package", Go: luaPackage,
			Params:  "opts: zip.PackageOpts",
			Returns: "zip.Package",
			Doc: "Packages the agent's folder (dir, relative to the project) into out. runtime is an AgentCore " +
				"runtime (PYTHON_3_10..PYTHON_3_14, NODE_22). Python dependencies (requirements.txt, else " +
				"[project].dependencies of pyproject.toml) are installed flat at the zip's root with pip: for " +
				"target \"aarch64\" (the default, what AgentCore runs) only manylinux2014/2_28/2_34 aarch64 or " +
				"pure-Python wheels for the runtime's CPython, and a package with no such wheel is an error (exit " +
				"2) naming it; for \"host\" a plain install. pip's own configuration (PIP_INDEX_URL, " +
				"PIP_FIND_LINKS, PIP_NO_INDEX, pip.conf) applies. Node.js dependencies (package.json " +
				"dependencies) are installed with npm install --omit=dev into node_modules/ (names as " +
				"\"name@version\"). Left out of dir: .git, .venv, __pycache__, node_modules, .agentcore, *.pyc. " +
				"The zip is deterministic (sorted entries, fixed timestamps, modes 644/755), written atomically, " +
				"and refused (exit 2) above AgentCore's limits, 250 MB zipped or 750 MB unzipped. With cache " +
				"(default true) the installed dependencies are kept in $AGENTCORE_HOME/cache/zipdeps, keyed by " +
				"the dependency files, the runtime, the target and pip's index variables; cache = false " +
				"reinstalls them (unpinned requirements then pick up new releases)."},
	},
}

type packageOpts struct {
	Dir        string            `json:"dir"`
	Runtime    string            `json:"runtime"`
	Entrypoint engine.StringList `json:"entrypoint,omitempty"`
	Target     string            `json:"target,omitempty" lua:"\"aarch64\"|\"host\""`
	Out        string            `json:"out,omitempty"`
	Cache      *bool             `json:"cache,omitempty"`
}

// CacheDir is where dependency layers are kept.
func CacheDir() string { return filepath.Join(engine.Home(), "cache", "zipdeps") }

func luaPackage(L *lua.LState, a packageOpts) (*Result, error) {
	run := engine.FromL(L)
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(run.Dir, p)
	}
	dir := abs(a.Dir)
	out := a.Out
	if out == "" {
		out = filepath.Join(".agentcore", "build", filepath.Base(dir)+".zip")
	}
	branch := run.Branch(L)
	o := Options{
		Dir: dir, Runtime: a.Runtime, Entrypoint: a.Entrypoint, Target: strings.ToLower(a.Target),
		Out: abs(out), Cache: a.Cache == nil || *a.Cache, CacheDir: CacheDir(),
		Step: func(s string) { run.Out.Step(branch, s) },
		Log:  func(s string) { run.Out.Debug(branch, s) },
	}
	return engine.Unlocked(L, func(ctx context.Context) (*Result, error) { return Package(ctx, o) })
}
