// Package duration is the Lua duration module: the durations users type (--hold 1h30m), read
// by the same parser as logs --since.
package duration

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/duration"
)

// Module is the duration module.
var Module = &engine.Module{
	Name: "duration",
	Doc:  "Durations as users type them on the command line.",
	Funcs: []engine.Func{
		{Name: "parse", Params: "text: string", Returns: "number?", Fn: luaParse,
			Doc: "The seconds text means: a number of seconds (90), or a sum of parts such as 90s, 10m, 1h30m, 1.5h, 2d, 1w, 250ms. nil when text is not a duration."},
	},
}

// Seconds reads text as Parse does, or as a plain number of seconds.
func Seconds(text string) (float64, bool) {
	s := strings.TrimSpace(text)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return n, true
	}
	d, ok := duration.Parse(s)
	return d.Seconds(), ok
}

func luaParse(L *lua.LState) int {
	if n, ok := Seconds(L.CheckString(1)); ok {
		L.Push(lua.LNumber(n))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}
