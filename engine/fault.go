package engine

import (
	"os"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// FaultAfterEnv names a test hook of the crash-safety tests (cmd/agentcore/crash_test.go):
// AGENTCORE_FAULT_AFTER=module.func[#n] makes the process kill itself (SIGKILL) right after
// the n-th call (default: the first) of that builtin returns, before the recipe records its
// result. That is the window a kill from outside rarely hits: the cloud call made, the state
// not saved. Unset, builtins are installed as they are.
const FaultAfterEnv = "AGENTCORE_FAULT_AFTER"

// faultAfter wraps fn when the hook names it.
func faultAfter(spec, name string, fn lua.LGFunction) lua.LGFunction {
	target, nth, _ := strings.Cut(spec, "#")
	if target != name {
		return fn
	}
	n, err := strconv.Atoi(nth)
	if err != nil || n < 1 {
		n = 1
	}
	calls := 0
	return func(L *lua.LState) int {
		ret := fn(L)
		if calls++; calls == n {
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Kill() // SIGKILL on Unix, TerminateProcess on Windows: no deferred code runs
			}
			select {} // the signal is on its way
		}
		return ret
	}
}
