package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
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
	{Name: "meet", Fn: func(L *lua.LState) int {
		// meet(n) returns once n callers are inside it at the same time: only branches that
		// really run concurrently get through; serial ones time out.
		n := L.CheckInt(1)
		_, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			meetMu.Lock()
			meetCount++
			if meetCount == n {
				close(meetAll)
			}
			meetMu.Unlock()
			select {
			case <-meetAll:
				return struct{}{}, nil
			case <-time.After(10 * time.Second):
				return struct{}{}, errors.New("the other branches never arrived: branches did not run concurrently")
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

var (
	meetMu    sync.Mutex
	meetCount int
	meetAll   = make(chan struct{})
)

func TestParallelOverlapsSlowBuiltins(t *testing.T) {
	h := enginetest.New(t, sleepMod)
	res := h.Do(t, `
		local a, b, c = parallel(
			function() slow.meet(3) return "a" end,
			function() slow.meet(3) return "b" end,
			function() slow.meet(3) return "c" end)
		local n = parallel{ x = function() return 1 end, y = function() slow.sleep(10) return 2 end }
		return a .. b .. c .. n.x .. n.y`)
	if got := res[0].String(); got != "abc12" {
		t.Fatalf("results = %q", got)
	}
}

func TestParallelFailureCancelsSiblingsAndKeepsPosition(t *testing.T) {
	h := enginetest.New(t, sleepMod)
	start := time.Now()
	err := h.Err(`
		parallel{
			slowpoke = function() slow.sleep(60000) end,
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
	if el := time.Since(start); el > 30*time.Second {
		t.Fatalf("sibling not cancelled: %v", el) // it would sleep 60 s
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
