package engine

import (
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// vmOf maps a Lua global state to its VM, so engine globals reach the recipe resolver.
var vmOf sync.Map // *lua.Global -> *VM

func installEngineGlobals(L *lua.LState) {
	L.SetGlobal("parallel", L.NewFunction(parallel))
}
