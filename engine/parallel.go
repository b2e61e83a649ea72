package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// luaParallel is the global parallel: it runs independent steps at the same time:
//
//	parallel(function() ... end, function() ... end)          -- returns each branch's result
//	parallel{ build = function() ... end, repo = function() ... end } -- returns {build=..., repo=...}
//
// Every branch is a Lua thread of the same state, run by its own goroutine. Only the holder of
// the run's interpreter lock executes Lua, so the VM is never touched by two goroutines at
// once; builtins release the lock while they wait (Unlocked), which is where branches overlap.
// The first branch to fail cancels the others' context; its error, with its script position,
// is raised from parallel.
func luaParallel(L *lua.LState) int {
	type branch struct {
		label string
		fn    *lua.LFunction
		key   lua.LValue
		res   lua.LValue
	}
	var branches []*branch
	named := false
	if L.GetTop() == 1 {
		if t, ok := L.Get(1).(*lua.LTable); ok {
			named = true
			var keys []string
			t.ForEach(func(k, v lua.LValue) {
				keys = append(keys, k.String())
			})
			sort.Strings(keys)
			for _, k := range keys {
				fn, ok := t.RawGetString(k).(*lua.LFunction)
				if !ok {
					RaiseUsage(L, "", "parallel: branch %q is a %s, not a function", k, t.RawGetString(k).Type())
				}
				branches = append(branches, &branch{label: k, fn: fn, key: lua.LString(k)})
			}
		}
	}
	if !named {
		for i := 1; i <= L.GetTop(); i++ {
			fn, ok := L.Get(i).(*lua.LFunction)
			if !ok {
				RaiseUsage(L, "", "parallel: argument %d is a %s, not a function", i, L.Get(i).Type())
			}
			branches = append(branches, &branch{label: fmt.Sprint(i), fn: fn})
		}
	}
	if len(branches) == 0 {
		L.Push(L.NewTable())
		return 1
	}
	r := FromL(L).root()
	parentLabel := r.Branch(L)
	view, inView := r.views.Load(L) // a branch's environment (with_env) carries into its branches
	ctx, cancel := context.WithCancel(Ctx(L))
	defer cancel()

	var wg sync.WaitGroup
	var firstErr *Error
	var errOnce sync.Once
	for _, b := range branches {
		th, thCancel := L.NewThread()
		th.SetContext(ctx)
		label := b.label
		if parentLabel != "" {
			label = parentLabel + "/" + label
		}
		r.branches.Store(th, label)
		if inView {
			r.views.Store(th, view)
		}
		wg.Add(1)
		go func(b *branch, th *lua.LState) {
			defer wg.Done()
			r.gil.Lock()
			defer r.gil.Unlock()
			defer r.branches.Delete(th)
			defer r.views.Delete(th)
			if thCancel != nil {
				defer thCancel()
			}
			th.Push(b.fn)
			if err := th.PCall(0, 1, nil); err != nil {
				// Branches run one at a time under the lock, so the first to fail is the cause;
				// the others fail only after it cancelled them.
				errOnce.Do(func() {
					firstErr = fromLua(err)
					firstErr.Msg = fmt.Sprintf("[%s] %s", label, firstErr.Msg)
					firstErr.branch = label
				})
				cancel()
				return
			}
			b.res = th.Get(-1)
			th.Pop(1)
		}(b, th)
	}
	r.gil.Unlock()
	wg.Wait()
	r.gil.Lock()

	if firstErr != nil {
		if Ctx(L).Err() != nil {
			firstErr.Code = ExitInterrupted
		}
		Raise(L, firstErr)
	}
	if named {
		out := L.NewTable()
		for _, b := range branches {
			out.RawSet(b.key, b.res)
		}
		L.Push(out)
		return 1
	}
	for _, b := range branches {
		L.Push(b.res)
	}
	return len(branches)
}
