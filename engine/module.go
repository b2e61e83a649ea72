// Package engine owns the Lua side of agentcore: the VM, the module registry that builtins
// register into, recipe loading and override resolution, argument binding, concurrency
// (parallel branches behind a global interpreter lock) and errors that carry script positions.
// It never imports a builtin: cmd hands it a Registry.
//
// A builtin is an engine.Func: a declaration (Params, Returns in LuaLS notation, Doc) and an
// implementation. The implementation is a typed Go function in Func.Go (see bind.go): its
// parameters are the declared arguments decoded into Go values, its results are converted to
// Lua as Returns declares, and a returned error is raised. Func.Fn, a raw lua.LGFunction, is
// only for what needs the Lua state itself: variadic printing, callbacks, values of any shape.
// A table's shape is declared once, by a Class: from Fields, or from the Go struct the
// function takes or returns (Class.Of); a struct field is required unless its json tag says
// omitempty, and that one mark drives the run-time check, the reference and the LuaLS stubs
// (and, in results, leaves a zero value out).
//
// Naming: the Go function implementing the Lua function mod.some_name is luaSomeName, in the
// module's package (Go or Fn alike).
package engine

import (
	"fmt"
	"os"
	"sort"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Func is one Lua-callable function of a module (or an engine global), declared once, here:
// the declaration validates every call (see decl.go) and generates the reference and the
// LuaLS stubs (agentcore docs).
type Func struct {
	Name    string // Lua name, snake_case
	Params  string // typed parameters, LuaLS notation: "name: string, opts?: ecr.RepoOpts"
	Returns string // typed results: "string?", "docker.BuildResult", "" for none
	Doc     string // reference text for recipe authors: what it does, its arguments, its errors
	// Go is the implementation, a typed Go function bound to the declaration (see bind.go):
	// it receives the checked arguments as Go values and returns Go results (converted as
	// Returns declares) and an error.
	Go any
	// Fn is a raw implementation, for the few functions that need the Lua state itself:
	// variadic printing (ui.*), callbacks (parallel, with_env), values of any shape
	// (json.decode, diff). It runs after the arguments were checked. Set Go or Fn, not both.
	Fn lua.LGFunction

	decl *decl
	bind *goBinding
}

// ParamList returns the parsed parameters (after the module or globals were prepared).
func (f *Func) ParamList() []Param { return f.decl.params }

// ResultList returns the parsed results.
func (f *Func) ResultList() []Param { return f.decl.results }

// Module is one Lua module (one Go package under builtins/). It is exposed both as a global
// table (docker.build) and through require("docker").
type Module struct {
	Name    string
	Doc     string
	Funcs   []Func
	Classes []*Class // option and result tables its functions name
	// Fields, when set, is called after the function table is built, to add constants or
	// sub-tables (for example ui's colour names). Optional.
	Fields func(L *lua.LState, mod *lua.LTable)

	once    sync.Once
	classes []*Class // Classes and the nested classes derived from them
}

// Prepare parses the module's declarations once; it panics on a malformed one (a
// programming error that the registry's tests catch).
func (m *Module) Prepare() {
	m.once.Do(func() {
		m.classes = prepareClasses(m.Classes)
		byName := map[string]*Class{}
		for _, c := range engineClasses() {
			byName[c.Name] = c
		}
		for _, c := range m.classes {
			byName[c.Name] = c
		}
		for _, c := range m.classes {
			for _, f := range c.fields {
				resolve(f.Type, byName, c.Name+"."+f.Name)
			}
			resolve(c.items, byName, c.Name+"[]")
		}
		for i := range m.Funcs {
			f := &m.Funcs[i]
			prepareFunc(f, m.Name+"."+f.Name, byName)
		}
	})
}

// AllClasses returns the module's classes, nested ones included.
func (m *Module) AllClasses() []*Class {
	m.Prepare()
	return m.classes
}

func prepareFunc(f *Func, name string, classes map[string]*Class) {
	f.decl = &decl{params: parseParams(f.Params, name, false), results: parseParams(f.Returns, name, true)}
	for _, p := range f.decl.params {
		resolve(p.Type, classes, name)
	}
	for _, p := range f.decl.results {
		resolve(p.Type, classes, name)
	}
	switch {
	case f.Go != nil && f.Fn != nil:
		panic(fmt.Sprintf("engine: %s: set Go or Fn, not both", name))
	case f.Go != nil:
		f.bind = bindGo(name, f)
	case f.Fn == nil:
		panic(fmt.Sprintf("engine: %s: no implementation (Go or Fn)", name))
	}
}

// checked wraps f so that its arguments are validated against its declaration first, then
// bound (Go) or passed as they are (Fn). The declarations are parsed on the first call
// (prepare), not when the Lua state is built: a run pays only for the modules it uses. With
// checkResults, the results are validated against the declared Returns too (see
// CheckResultsEnv).
func checked(name string, f *Func, prepare func(), checkResults bool) lua.LGFunction {
	return func(L *lua.LState) int {
		prepare()
		checkArgs(L, name, f.decl.params)
		var n int
		if f.bind != nil {
			n = f.bind.call(L, name, f.decl)
		} else {
			n = f.Fn(L)
		}
		if checkResults {
			checkReturns(L, name, f, n)
		}
		return n
	}
}

// Registry holds the modules that a run loads. cmd builds it from builtins/registry.go.
type Registry struct {
	mods map[string]*Module
	// CheckResults validates every builtin's results against its declared Returns, raising
	// an error on a mismatch; tests turn it on (enginetest does, and CheckResultsEnv).
	CheckResults bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{mods: map[string]*Module{}} }

// Add registers a module; registering two modules of one name is a programming error.
func (r *Registry) Add(m *Module) {
	if _, dup := r.mods[m.Name]; dup {
		panic(fmt.Sprintf("engine: module %q registered twice", m.Name))
	}
	r.mods[m.Name] = m
}

// Modules returns the registered modules sorted by name (their declarations parsed: see
// Prepare).
func (r *Registry) Modules() []*Module {
	out := make([]*Module, 0, len(r.mods))
	for _, m := range r.mods {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Check parses every registered declaration, panicking on a malformed one; the registry's
// tests call it.
func (r *Registry) Check() {
	for _, m := range r.mods {
		m.Prepare()
	}
	prepareGlobals()
}

func (r *Registry) install(L *lua.LState) {
	fault := os.Getenv(FaultAfterEnv)
	checkResults := r.CheckResults || os.Getenv(CheckResultsEnv) != ""
	for _, m := range r.Modules() {
		m := m
		build := func(L *lua.LState) *lua.LTable {
			t := L.NewTable()
			for i := range m.Funcs {
				f := &m.Funcs[i]
				name := m.Name + "." + f.Name
				t.RawSetString(f.Name, L.NewFunction(faultAfter(fault, name, checked(name, f, m.Prepare, checkResults))))
			}
			if m.Fields != nil {
				m.Fields(L, t)
			}
			L.SetMetatable(t, moduleMeta(L, m))
			return t
		}
		tbl := build(L)
		L.SetGlobal(m.Name, tbl)
		L.PreloadModule(m.Name, func(L *lua.LState) int {
			L.Push(tbl)
			return 1
		})
	}
}
