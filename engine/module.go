// Package engine owns the Lua side of agentcore: the VM, the module registry that builtins
// register into, recipe loading and override resolution, argument binding, concurrency
// (parallel branches behind a global interpreter lock) and errors that carry script positions.
// It never imports a builtin: cmd hands it a Registry.
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
	Name    string         // Lua name, snake_case
	Params  string         // typed parameters, LuaLS notation: "name: string, opts?: ecr.RepoOpts"
	Returns string         // typed results: "string?", "docker.BuildResult", "" for none
	Doc     string         // one paragraph
	Fn      lua.LGFunction // the implementation; it runs after the arguments were checked

	decl *decl
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
}

// checked wraps fn so that its arguments are validated against its declaration first. The
// declarations are parsed on the first call (prepare), not when the Lua state is built: a run
// pays only for the modules it uses.
func checked(name string, f *Func, prepare func()) lua.LGFunction {
	impl := f.Fn
	return func(L *lua.LState) int {
		prepare()
		checkArgs(L, name, f.decl.params)
		return impl(L)
	}
}

// Registry holds the modules that a run loads. cmd builds it from builtins/registry.go.
type Registry struct {
	mods map[string]*Module
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
	for _, m := range r.Modules() {
		m := m
		build := func(L *lua.LState) *lua.LTable {
			t := L.NewTable()
			for i := range m.Funcs {
				f := &m.Funcs[i]
				name := m.Name + "." + f.Name
				t.RawSetString(f.Name, L.NewFunction(faultAfter(fault, name, checked(name, f, m.Prepare))))
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
