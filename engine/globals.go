package engine

import (
	"context"
	"strings"
	"sync"
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
	for i := range engineGlobals {
		f := &engineGlobals[i]
		L.SetGlobal(f.Name, L.NewFunction(checked(f.Name, f, prepareGlobals, false)))
	}
	// require("NAME") also finds recipe libraries: recipes/lib/NAME.lua, then the stock lib.
	if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
		if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
			loaders.Append(L.NewFunction(libSearcher))
		}
	}
	installGlobalsMeta(L)
}

var (
	globalsOnce sync.Once
	globalFuncs []*Func
	engClasses  []*Class
)

// Globals returns the engine's global functions, declared (and validated, and documented)
// like a module's functions.
func Globals() []*Func {
	prepareGlobals()
	return globalFuncs
}

// EngineClasses returns the tables the engine's globals take and return (recipe{} and its
// arguments), for the docs.
func EngineClasses() []*Class {
	prepareGlobals()
	return engClasses
}

func engineClasses() []*Class { return EngineClasses() }

func prepareGlobals() {
	globalsOnce.Do(func() {
		engClasses = prepareClasses(engineClassDecls)
		byName := map[string]*Class{}
		for _, c := range engClasses {
			byName[c.Name] = c
		}
		for _, c := range engClasses {
			for _, f := range c.fields {
				resolve(f.Type, byName, c.Name+"."+f.Name)
			}
			resolve(c.items, byName, c.Name+"[]")
		}
		for i := range engineGlobals {
			f := &engineGlobals[i]
			prepareFunc(f, f.Name, byName)
			globalFuncs = append(globalFuncs, f)
		}
	})
}

var engineClassDecls = []*Class{
	{Name: "Recipe", Open: true, Doc: "A recipe declaration, as recipe{} takes it and a recipe file returns it.",
		Fields: "description: string, usage?: string, args?: RecipeArg[], lock?: boolean|\"agent\", changes?: boolean|fun(args: table): boolean, run: fun(args: table): any, call?: fun(args: table): any"},
	{Name: "RecipeArg", Doc: "One argument of a recipe: --name on the command line, args.name (dashes as underscores) in run.",
		Fields: `name: string, type?: "string"|"int"|"bool"|"list", required?: boolean, default?: any, help?: string, ` +
			`positional?: boolean, short?: string, choices?: string[], after_dash?: boolean`},
	{Name: "Error", Open: true, Doc: "An error raised by a builtin (or ui.error), as pcall returns it; tostring(err) gives \"file:line: message\".",
		Fields: "message?: string, hint?: string, code?: integer, where?: string, aws_code?: string"},
}

var engineGlobals = []Func{
	{Name: "parallel", Params: "...: function|table<string, function>", Returns: "any",
		Doc: "Runs independent steps at the same time: parallel(fn, fn, ...) returns each branch's result, parallel{name = fn, ...} a table of them by name. Output lines carry the branch name. The first branch to fail cancels the others and its error is raised here.",
		Fn:  luaParallel},
	{Name: "recipe", Params: "decl: Recipe", Returns: "Recipe",
		Doc: "Declares a recipe: description, usage, args (name, type string|int|bool|list, required, default, help, positional, short, choices, after_dash: a list positional taking only what follows --), lock (default true: the environment's lock while it runs; \"agent\": the lock of the agent args.agent names, so runs on different agents go at once; false: none), changes (true, or a function(args) returning whether this run changes the environment: the engine then writes its history entry ahead and completes it at the end) and run(args).",
		Fn:  luaRecipe},
	{Name: "stock", Params: "name: string", Returns: "Recipe",
		Doc: "Loads the stock recipe NAME (ignoring project overrides), so a project recipe can wrap it. r.call{agent = \"my-bot\", new_session = true} binds, defaults and checks the arguments exactly as the command line does (names with - or _; a mistake is an exit-2 error at the caller's line, with a did-you-mean); r.run(args) passes a table that is already bound (a wrapper's own args, with the same declarations) as is.",
		Fn:  luaStock},
	{Name: "load_recipe", Params: "name: string", Returns: "Recipe",
		Doc: "Loads the recipe NAME as the command line would (project override first, then stock). Call it with .call{...} (arguments bound as on the command line) or .run(args) (as is), like stock().",
		Fn:  luaLoadRecipe},
	{Name: "sleep", Params: "seconds: number",
		Doc: "Waits, with the interpreter lock released (other parallel branches go on); Ctrl-C interrupts it.",
		Fn:  luaSleep},
	{Name: "with_env", Params: "name: string, fn: fun(): any", Returns: "any",
		Doc: "Runs fn with another environment of the project selected: env, project.agent, state, store and the AWS builtins act on it, under its lock. The previous environment is selected again afterwards, also when fn fails. Inside a parallel branch it selects the environment for that branch (and the branches it starts) only, so that branches can act on different environments at once, each under its own lock. Returns fn's results.",
		Fn:  luaWithEnv},
	{Name: "print", Params: "...: any",
		Doc: "Lua's print, through the run's output: secrets are masked, and with -o json each call is a log event (source \"print\") instead of a bare line.",
		Fn:  luaPrint},
	{Name: "inspect", Params: "value: any", Returns: "string",
		Doc: "The value as indented JSON for reading (keys sorted, a table 1..n as a list); functions, cycles and what JSON cannot hold are shown as \"<function: file.lua:12>\", \"<cycle>\"... print(inspect(t)) to look at a result.",
		Fn:  luaInspect},
}

func luaStock(L *lua.LState) int {
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

func luaLoadRecipe(L *lua.LState) int {
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

func luaSleep(L *lua.LState) int {
	d := time.Duration(float64(L.CheckNumber(1)) * float64(time.Second))
	if d < 0 || d > 24*time.Hour {
		RaiseUsage(L, "", "sleep(%v): use 0 to 86400 seconds", L.Get(1))
	}
	if _, err := Unlocked(L, func(ctx context.Context) (struct{}, error) { return struct{}{}, Sleep(ctx, d) }); err != nil {
		Raise(L, err)
	}
	return 0
}

func luaWithEnv(L *lua.LState) int {
	r := FromL(L)
	name := L.CheckString(1)
	fn := L.CheckFunction(2)
	if r.Project == nil {
		RaiseUsage(L, "", "with_env(%q): no project here", name)
	}
	if _, ok := r.Project.Environments[name]; !ok {
		RaiseUsage(L, "agentcore env list shows them", "environment %q is not defined in agentcore.toml", name)
	}
	store := r.Store
	if s, ok := r.Stores[name]; ok {
		store = s
	}
	target := r
	var restore func()
	if r.Branch(L) != "" {
		// Inside a parallel branch the environment is the branch's own: a view of the run,
		// seen by this thread (and the branches it starts) only.
		root := r.root()
		target = r.view(name, store)
		prev, had := root.views.Load(L)
		root.views.Store(L, target)
		restore = func() {
			if had {
				root.views.Store(L, prev)
			} else {
				root.views.Delete(L)
			}
			if target.ExitCode != 0 {
				r.ExitCode = target.ExitCode
			}
		}
	} else {
		prevEnv, prevStore := r.EnvName, r.Store
		r.EnvName, r.Store = name, store
		restore = func() { r.EnvName, r.Store = prevEnv, prevStore }
	}
	if store != nil && !r.holds(name) {
		unlock, err := lockEnv(L, target, name, false)
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
