package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// sleepMod is a builtin that waits off the Lua thread, like a network call.
var sleepMod = &engine.Module{Name: "slow", Funcs: []engine.Func{
	{Name: "sleep", Fn: func(L *lua.LState) int {
		d := time.Duration(L.CheckNumber(1)) * time.Millisecond
		_, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			select {
			case <-time.After(d):
				return struct{}{}, nil
			case <-ctx.Done():
				return struct{}{}, ctx.Err()
			}
		})
		if err != nil {
			engine.Raise(L, err)
		}
		return 0
	}},
	{Name: "fail", Fn: func(L *lua.LState) int {
		engine.Raise(L, errors.New("boom"))
		return 0
	}},
}}

func TestParallelOverlapsSlowBuiltins(t *testing.T) {
	h := enginetest.New(t, sleepMod)
	start := time.Now()
	res := h.Do(t, `
		local a, b, c = parallel(
			function() slow.sleep(200) return "a" end,
			function() slow.sleep(200) return "b" end,
			function() slow.sleep(200) return "c" end)
		local n = parallel{ x = function() return 1 end, y = function() slow.sleep(10) return 2 end }
		return a .. b .. c .. n.x .. n.y`)
	if got := res[0].String(); got != "abc12" {
		t.Fatalf("results = %q", got)
	}
	// Serial would take 600ms; overlapping branches take about 200ms.
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("branches did not overlap: %v", el)
	}
}

func TestParallelFailureCancelsSiblingsAndKeepsPosition(t *testing.T) {
	h := enginetest.New(t, sleepMod)
	start := time.Now()
	err := h.Err(`
		parallel{
			slowpoke = function() slow.sleep(5000) end,
			broken = function()
				slow.sleep(10)
				slow.fail()
			end,
		}`)
	if err == nil {
		t.Fatal("expected an error")
	}
	if !strings.Contains(err.Error(), "test.lua:6:") || !strings.Contains(err.Error(), "[broken]") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error lacks branch or position: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("sibling not cancelled: %v", el)
	}
	// The VM is still usable after a failed parallel.
	if res := h.Do(t, `return 1 + 1`); res[0].String() != "2" {
		t.Fatal("VM unusable")
	}
}

func TestPcallCatchesBuiltinErrorInsideBranch(t *testing.T) {
	h := enginetest.New(t, sleepMod)
	res := h.Do(t, `
		local r = parallel(function()
			local ok, e = pcall(slow.fail)
			slow.sleep(1)
			return tostring(ok) .. " " .. e.message
		end)
		return r`)
	if got := res[0].String(); got != "false boom" {
		t.Fatalf("got %q", got)
	}
}

func TestErrorPositionThroughPcall(t *testing.T) {
	h := enginetest.New(t, sleepMod)
	res := h.Do(t, "local ok, e = pcall(slow.fail)\nreturn tostring(e)")
	if got := res[0].String(); !strings.HasPrefix(got, "test.lua:1:") {
		t.Fatalf("position = %q, want test.lua:1:", got)
	}
}
