// Package duration is the Lua duration module: the durations users type (--hold 1h30m), read
// by the same parser as logs --since.
package duration

import (
	"strconv"
	"strings"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/duration"
)

// Module is the duration module.
var Module = &engine.Module{
	Name: "duration",
	Doc:  "Durations as users type them on the command line.",
	Funcs: []engine.Func{
		{Name: "parse", Params: "text: string", Returns: "number?", Go: luaParse,
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

// luaParse gives nil (a nil pointer) when text is not a duration.
func luaParse(text string) *float64 {
	if n, ok := Seconds(text); ok {
		return &n
	}
	return nil
}
