package engine

import (
	"context"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

const vmKey = "agentcore.vm"

// vmFor returns the VM a Lua state (or any of its threads) belongs to, so engine globals
// reach the recipe resolver.
func vmFor(L *lua.LState) *VM {
	ud, ok := L.G.Registry.RawGetString(vmKey).(*lua.LUserData)
	if !ok {
		panic("engine: Lua state has no VM")
	}
	return ud.Value.(*VM)
}

func installEngineGlobals(L *lua.LState) {
	L.SetGlobal("parallel", L.NewFunction(parallel))
	L.SetGlobal("recipe", L.NewFunction(recipeDecl))
	L.SetGlobal("stock", L.NewFunction(stockRecipe))
	L.SetGlobal("load_recipe", L.NewFunction(loadRecipe))
	L.SetGlobal("sleep", L.NewFunction(sleep))
	L.SetGlobal("with_env", L.NewFunction(withEnv))
	L.SetGlobal("print", L.NewFunction(luaPrint))
	L.SetGlobal("inspect", L.NewFunction(luaInspect))
	// require("NAME") also finds recipe libraries: recipes/lib/NAME.lua, then the stock lib.
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
			loaders.Append(L.NewFunction(libSearcher))
		}
	}
}

// EngineGlobals documents the globals the engine installs, for the reference docs.
var EngineGlobals = []Func{
	{Name: "parallel", Args: "(fn, fn, ...) | ({name = fn, ...})", Returns: "each branch's result (or a table by name)",
		Doc: "Runs independent steps at the same time. Output lines carry the branch name. The first branch to fail cancels the others and its error is raised here."},
	{Name: "recipe", Args: "(decl: table)", Returns: "decl",
		Doc: "Declares a recipe: description, usage, args (name, type string|int|bool|list, required, default, help, positional, short, choices), lock (default true) and run(args)."},
	{Name: "stock", Args: "(name: string)", Returns: "recipe table",
		Doc: "Loads the stock recipe NAME (ignoring project overrides), so a project recipe can wrap it. r.call{agent = \"my-bot\", new_session = true} binds, defaults and checks the arguments exactly as the command line does (names with - or _; a mistake is an exit-2 error at the caller's line, with a did-you-mean); r.run(args) passes a table that is already bound (a wrapper's own args, with the same declarations) as is."},
	{Name: "sleep", Args: "(seconds: number)", Returns: "nothing",
		Doc: "Waits, with the interpreter lock released (other parallel branches go on); Ctrl-C interrupts it."},
	{Name: "with_env", Args: "(name: string, fn: function)", Returns: "fn's results",
		Doc: "Runs fn with another environment of the project selected: env, project.agent, state, store and the AWS builtins act on it, under its lock. The previous environment is selected again afterwards, also when fn fails. Not inside parallel branches."},
	{Name: "print", Args: "(...)", Returns: "nothing",
		Doc: "Lua's print, through the run's output: secrets are masked, and with -o json each call is a log event (source \"print\") instead of a bare line."},
	{Name: "inspect", Args: "(value)", Returns: "string",
		Doc: "The value as indented JSON for reading (keys sorted, a table 1..n as a list); functions, cycles and what JSON cannot hold are shown as \"<function: file.lua:12>\", \"<cycle>\"... print(inspect(t)) to look at a result."},
	{Name: "load_recipe", Args: "(name: string)", Returns: "recipe table",
		Doc: "Loads the recipe NAME as the command line would (project override first, then stock). Call it with .call{...} (arguments bound as on the command line) or .run(args) (as is), like stock()."},
}

func stockRecipe(L *lua.LState) int {
	vm := vmFor(L)
	name := L.CheckString(1)
	if vm.Recipes == nil {
		RaiseUsage(L, "", "stock(%q): no recipes are available here", name)
	}
	src, err := vm.Recipes.StockSource(name)
	if err != nil {
		RaiseUsage(L, "agentcore recipes lists them", "%v", err)
	}
	return pushRecipe(L, src)
}

func loadRecipe(L *lua.LState) int {
	vm := vmFor(L)
	name := L.CheckString(1)
	if vm.Recipes == nil {
		RaiseUsage(L, "", "load_recipe(%q): no recipes are available here", name)
	}
	src, err := vm.Recipes.Find(name)
	if err != nil {
		Raise(L, err)
	}
	return pushRecipe(L, src)
}

func pushRecipe(L *lua.LState, src Source) int {
	fn, err := loadChunk(L, src.Code, src.Chunk)
	if err != nil {
		Raise(L, syntaxError(err))
	}
	L.Push(fn)
	L.Call(0, 1)
	t, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		RaiseUsage(L, "", "%s does not return a recipe table", src.Chunk)
	}
	rc, err := declFromTable(t, src)
	if err != nil {
		Raise(L, err)
	}
	addCall(L, t, rc)
	return 1
}

func libSearcher(L *lua.LState) int {
	vm := vmFor(L)
	name := L.CheckString(1)
	if vm.Recipes == nil {
		L.Push(lua.LString("\n\tno recipe libraries here"))
		return 1
	}
	src, ok := vm.Recipes.Library(name)
	if !ok {
		L.Push(lua.LString("\n\tno recipes/lib/" + name + ".lua and no stock library " + name))
		return 1
	}
	fn, err := loadChunk(L, src.Code, src.Chunk)
	if err != nil {
		Raise(L, syntaxError(err))
	}
	L.Push(fn)
	return 1
}

func sleep(L *lua.LState) int {
	d := time.Duration(float64(L.CheckNumber(1)) * float64(time.Second))
	if d < 0 || d > 24*time.Hour {
		RaiseUsage(L, "", "sleep(%v): use 0 to 86400 seconds", L.Get(1))
	}
	if _, err := Unlocked(L, func(ctx context.Context) (struct{}, error) { return struct{}{}, Sleep(ctx, d) }); err != nil {
		Raise(L, err)
	}
	return 0
}

func withEnv(L *lua.LState) int {
	r := FromL(L)
	name := L.CheckString(1)
	fn := L.CheckFunction(2)
	if r.Branch(L) != "" {
		RaiseUsage(L, "call with_env outside parallel(...)", "with_env(%q) cannot be used inside a parallel branch: the environment is the run's", name)
	}
	if r.Project == nil {
		RaiseUsage(L, "", "with_env(%q): no project here", name)
	}
	if _, ok := r.Project.Environments[name]; !ok {
		RaiseUsage(L, "agentcore env list shows them", "environment %q is not defined in agentcore.toml", name)
	}
	prevEnv, prevStore := r.EnvName, r.Store
	r.EnvName = name
	if r.StoreFor != nil {
		r.Store = r.StoreFor(name)
	}
	restore := func() { r.EnvName, r.Store = prevEnv, prevStore }
	if r.Store != nil && name != prevEnv {
		unlock, err := lockEnv(L, r, name, false)
		if err != nil {
			restore()
			Raise(L, err)
		}
		defer unlock()
	}
	top := L.GetTop()
	L.Push(fn)
	err := L.PCall(0, lua.MultRet, nil)
	restore()
	if err != nil {
		if api, ok := err.(*lua.ApiError); ok {
			L.Error(api.Object, 0)
		}
		Raise(L, err)
	}
	return L.GetTop() - top
}

// luaPrint replaces Lua's print, which writes straight to the process's stdout: through
// Output, its text is masked like every ui call, and -o json stays one JSON event per line.
func luaPrint(L *lua.LState) int {
	r := FromL(L)
	n := L.GetTop()
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = L.ToStringMeta(L.Get(i)).String()
	}
	msg := strings.Join(parts, "\t")
	if r.Out.JSON {
		r.Out.Emit(Event{Type: "log", Branch: r.Branch(L), Source: "print", Message: msg})
		return 0
	}
	r.Out.Emit(Event{Type: "print", Branch: r.Branch(L), Message: msg})
	return 0
}
