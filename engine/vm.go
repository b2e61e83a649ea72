package engine

import (
	"context"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/state"
)

// VM is one Lua state for one run, with the safe standard libraries, every registered module
// and the engine's globals (parallel, recipe, stock, ...). The interpreter lock is held while
// Lua runs; builtins release it with Unlocked.
type VM struct {
	L   *lua.LState
	run *Run
	reg *Registry
	// Recipes resolves recipe names for stock()/load_recipe(); nil outside a project.
	Recipes *Resolver
}

// NewVM builds the Lua state for run with the modules of reg.
func NewVM(run *Run, reg *Registry) *VM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, IncludeGoStackTrace: false})
	openSafeLibs(L)
	ud := L.NewUserData()
	ud.Value = run
	L.G.Registry.RawSetString(runKey, ud)
	installErrorMeta(L)
	installError(L)
	vm := &VM{L: L, run: run, reg: reg}
	vud := L.NewUserData()
	vud.Value = vm
	L.G.Registry.RawSetString(vmKey, vud)
	reg.install(L)
	installEngineGlobals(L)
	if run.Ctx == nil {
		run.Ctx = context.Background()
	}
	// the locks the run holds, which the state store reads to save only what they cover
	run.Ctx = state.WithHoldings(run.Ctx)
	L.SetContext(run.Ctx)
	run.gil.Lock()
	return vm
}

// Close releases the Lua state and the run's per-run values.
func (vm *VM) Close() {
	vm.L.Close()
	vm.run.gil.Unlock()
	vm.run.Close()
}

// Run returns the run this VM belongs to.
func (vm *VM) Run() *Run { return vm.run }

// DoString runs src as a chunk named name, with args as its ..., and returns its results.
func (vm *VM) DoString(name, src string, args ...lua.LValue) ([]lua.LValue, error) {
	fn, err := vm.L.Load(strings.NewReader(src), name)
	if err != nil {
		return nil, syntaxError(err)
	}
	return vm.Call(fn, args...)
}

// Call calls fn with args under the run's context and returns its results, or an *Error
// with the script position.
func (vm *VM) Call(fn lua.LValue, args ...lua.LValue) ([]lua.LValue, error) {
	L := vm.L
	top := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), lua.MultRet, nil); err != nil {
		L.SetTop(top)
		return nil, vm.interrupted(fromLua(err))
	}
	n := L.GetTop() - top
	out := make([]lua.LValue, n)
	for i := 0; i < n; i++ {
		out[i] = L.Get(top + 1 + i)
	}
	L.SetTop(top)
	return out, nil
}

func (vm *VM) interrupted(e *Error) *Error {
	if e != nil && vm.run.Ctx.Err() != nil {
		e.Code = ExitInterrupted
		if !strings.Contains(e.Msg, "interrupted") {
			e.Msg = "interrupted: " + e.Msg
		}
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// openSafeLibs opens base (without dofile, loadfile, load from files), table, string, math and
// coroutine, plus a safe os with only time, clock, date and getenv. Files and processes are
// reached through the fs and exec builtins.
func openSafeLibs(L *lua.LState) {
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range []string{"dofile", "loadfile", "module"} {
		L.SetGlobal(name, lua.LNil)
	}
	// require may only load preloaded modules (builtins, recipe libraries): no file searchers.
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		loaders := L.NewTable()
		if old, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
			loaders.Append(old.RawGetInt(1)) // the preload searcher
		}
		pkg.RawSetString("loaders", loaders)
		L.G.Registry.RawSetString("_LOADERS", loaders) // require reads the registry's copy
		pkg.RawSetString("path", lua.LString(""))
		pkg.RawSetString("cpath", lua.LString(""))
		pkg.RawSetString("loadlib", lua.LNil)
	}
	osT := L.NewTable()
	L.SetFuncs(osT, map[string]lua.LGFunction{
		"time":   osTime,
		"clock":  osClock,
		"date":   osDate,
		"getenv": osGetenv,
	})
	L.SetGlobal("os", osT)
}
