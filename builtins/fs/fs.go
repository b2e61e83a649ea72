// Package fs is the Lua fs module: file access relative to the project root, refusing paths
// that leave it. Writes are atomic.
package fs

import (
	"context"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/state"
)

// Module is the fs module.
var Module = &engine.Module{
	Name: "fs",
	Doc:  "Files inside the project. Paths are relative to the project root; paths that leave it are refused.",
	Funcs: []engine.Func{
		{Name: "read", Params: "path: string", Returns: "string?", Doc: "Reads a file; nil when it does not exist.", Fn: read},
		{Name: "write", Params: "path: string, text: string", Doc: "Writes a file atomically, creating folders.", Fn: write},
		{Name: "append", Params: "path: string, text: string", Doc: "Appends text to a file (one write: lines from parallel branches do not interleave), creating it and its folders.", Fn: luaAppend},
		{Name: "exists", Params: "path: string", Returns: "boolean", Doc: "Whether the path exists.", Fn: exists},
		{Name: "list", Params: "dir: string", Returns: "string[]", Doc: "Names in a folder, sorted.", Fn: list},
		{Name: "mkdir", Params: "path: string", Doc: "Creates a folder and its parents.", Fn: mkdir},
		{Name: "remove", Params: "path: string", Doc: "Removes a file or an empty folder; no error when missing.", Fn: remove},
		{Name: "abs", Params: "path: string", Returns: "string", Doc: "The absolute path.", Fn: abs},
		{Name: "rel", Params: "path: string", Returns: "string", Doc: "The path relative to the project root, for messages.", Fn: rel},
	},
}

// resolve maps a project-relative (or absolute, inside the project) path to an absolute one.
func resolve(L *lua.LState, n int) string {
	r := engine.FromL(L)
	p := L.CheckString(n)
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(r.Dir, p)
	}
	full = filepath.Clean(full)
	root := filepath.Clean(r.Dir)
	if full != root && !strings.HasPrefix(full, root+string(filepath.Separator)) {
		engine.RaiseUsage(L, "use a path inside the project, or the exec builtin for other places",
			"fs: %q is outside the project (%s)", p, root)
	}
	return full
}

func io[T any](L *lua.LState, fn func() (T, error)) T {
	v, err := engine.Unlocked(L, func(context.Context) (T, error) { return fn() })
	if err != nil {
		engine.Raise(L, err)
	}
	return v
}

func read(L *lua.LState) int {
	p := resolve(L, 1)
	b := io(L, func() ([]byte, error) {
		b, err := os.ReadFile(p)
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, nil
		}
		return b, err
	})
	if b == nil {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(b))
	}
	return 1
}

func write(L *lua.LState) int {
	p := resolve(L, 1)
	data := L.CheckString(2)
	io(L, func() (struct{}, error) { return struct{}{}, state.WriteFileAtomic(p, []byte(data), 0o644) })
	return 0
}

func exists(L *lua.LState) int {
	p := resolve(L, 1)
	_, err := os.Stat(p)
	L.Push(lua.LBool(err == nil))
	return 1
}

func list(L *lua.LState) int {
	p := resolve(L, 1)
	names := io(L, func() ([]string, error) {
		es, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		out := []string{} // an empty folder is an empty list, not nil
		for _, e := range es {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out, nil
	})
	L.Push(engine.ToLua(L, names))
	return 1
}

func mkdir(L *lua.LState) int {
	p := resolve(L, 1)
	io(L, func() (struct{}, error) { return struct{}{}, os.MkdirAll(p, 0o755) })
	return 0
}

func remove(L *lua.LState) int {
	p := resolve(L, 1)
	io(L, func() (struct{}, error) {
		err := os.Remove(p)
		if errors.Is(err, iofs.ErrNotExist) {
			err = nil
		}
		return struct{}{}, err
	})
	return 0
}

func abs(L *lua.LState) int {
	L.Push(lua.LString(resolve(L, 1)))
	return 1
}

func rel(L *lua.LState) int {
	p := resolve(L, 1)
	r, err := filepath.Rel(engine.FromL(L).Dir, p)
	if err != nil {
		r = p
	}
	L.Push(lua.LString(r))
	return 1
}
