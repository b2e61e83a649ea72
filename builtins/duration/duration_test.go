package duration

import (
	"testing"

	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestParse(t *testing.T) {
	h := enginetest.New(t, Module)
	h.Do(t, `
		assert(duration.parse("90") == 90, "plain seconds")
		assert(duration.parse("1h30m") == 5400, "1h30m")
		assert(duration.parse("1.5m") == 90, "1.5m")
		assert(duration.parse(" 10m ") == 600, "spaces")
		assert(duration.parse("0s") == 0, "0s")
		assert(duration.parse("10 minutes") == nil, "words")
		assert(duration.parse("") == nil, "empty")
	`)
}
