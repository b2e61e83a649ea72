// Package duration parses the durations users type on agentcore's command lines: --since 10m
// (logs, traces) and --hold 1h30m (release, rollout).
package duration

import (
	"strconv"
	"time"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

var partRE = lazyregexp.New(`^(\d+(?:\.\d*)?)(ms|s|m|h|d|w)`)

var units = map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

// Parse reads a sum of parts such as 90s, 10m, 1h30m, 1.5h, 2d or 1w (ms, s, m, h, d, w). ok
// is false for anything else, the empty string included, and for a part above 2^20 units.
func Parse(s string) (d time.Duration, ok bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		m := partRE.FindStringSubmatch(s)
		if m == nil {
			return 0, false
		}
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil || n > 1<<20 {
			return 0, false
		}
		total += time.Duration(n * float64(units[m[2]]))
		s = s[len(m[0]):]
	}
	return total, true
}
