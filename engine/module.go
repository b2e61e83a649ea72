// Package engine owns the Lua side of agentcore: the VM, the module registry that builtins
// register into, recipe loading and override resolution, argument binding, concurrency
// (parallel branches behind a global interpreter lock) and errors that carry script positions.
// It never imports a builtin: cmd hands it a Registry.
package engine

import (
	"fmt"
	"os"
	"sort"

	lua "github.com/yuin/gopher-lua"
)

// Func is one Lua-callable function of a module, documented once, here. The docs generator
// (agentcore docs) and the reference in docs/ are produced from these fields.
type Func struct {
	Name    string         // Lua name, snake_case
	Args    string         // signature as shown in docs, e.g. "(opts: table)"
	Returns string         // e.g. "table {digest, tags}"
	Doc     string         // one paragraph
	Fn      lua.LGFunction // the implementation
}

// Module is one Lua module (one Go package under builtins/). It is exposed both as a global
// table (docker.build) and through require("docker").
type Module struct {
	Name  string
	Doc   string
	Funcs []Func
	// Fields, when set, is called after the function table is built, to add constants or
	// sub-tables (for example ui's colour names). Optional.
	Fields func(L *lua.LState, mod *lua.LTable)
}

// Registry holds the modules that a run loads. cmd builds it from builtins/registry.go.
type Registry struct {
	mods map[string]*Module
	// Globals are functions installed as plain globals (parallel, recipe, stock...).
	globals []Func
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

// AddGlobal registers a plain global function.
func (r *Registry) AddGlobal(f Func) { r.globals = append(r.globals, f) }

// Modules returns the registered modules sorted by name.
func (r *Registry) Modules() []*Module {
	out := make([]*Module, 0, len(r.mods))
	for _, m := range r.mods {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Globals returns the registered global functions.
func (r *Registry) Globals() []Func { return r.globals }

func (r *Registry) install(L *lua.LState) {
	fault := os.Getenv(FaultAfterEnv)
	for _, m := range r.Modules() {
		m := m
		build := func(L *lua.LState) *lua.LTable {
			t := L.NewTable()
			for _, f := range m.Funcs {
				t.RawSetString(f.Name, L.NewFunction(faultAfter(fault, m.Name+"."+f.Name, f.Fn)))
			}
			if m.Fields != nil {
				m.Fields(L, t)
			}
			return t
		}
		tbl := build(L)
		L.SetGlobal(m.Name, tbl)
		L.PreloadModule(m.Name, func(L *lua.LState) int {
			L.Push(tbl)
			return 1
		})
	}
	for _, f := range r.globals {
		L.SetGlobal(f.Name, L.NewFunction(f.Fn))
	}
}
