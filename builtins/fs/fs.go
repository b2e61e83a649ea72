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
	"github.com/agentcore/agentcore/state"
)

// Module is the fs module.
var Module = &engine.Module{
	Name: "fs",
	Doc:  "Files inside the project. Paths are relative to the project root; paths that leave it are refused.",
	Funcs: []engine.Func{
		{Name: "read", Params: "path: string", Returns: "string?", Doc: "Reads a file; nil when it does not exist.", Go: luaRead},
		{Name: "write", Params: "path: string, text: string", Doc: "Writes a file atomically, creating folders.", Go: luaWrite},
		{Name: "append", Params: "path: string, text: string", Doc: "Appends text to a file (one write: lines from parallel branches do not interleave), creating it and its folders.", Go: luaAppend},
		{Name: "exists", Params: "path: string", Returns: "boolean", Doc: "Whether the path exists.", Go: luaExists},
		{Name: "list", Params: "dir: string", Returns: "string[]", Doc: "Names in a folder, sorted.", Go: luaList},
		{Name: "mkdir", Params: "path: string", Doc: "Creates a folder and its parents.", Go: luaMkdir},
		{Name: "remove", Params: "path: string", Doc: "Removes a file or an empty folder; no error when missing.", Go: luaRemove},
		{Name: "abs", Params: "path: string", Returns: "string", Doc: "The absolute path.", Go: luaAbs},
		{Name: "rel", Params: "path: string", Returns: "string", Doc: "The path relative to the project root, for messages.", Go: luaRel},
	},
}

// resolve maps a project-relative (or absolute, inside the project) path to an absolute one.
func resolve(L *lua.LState, p string) (string, error) {
	r := engine.FromL(L)
	full := p
	switch {
	case filepath.IsAbs(p):
	case filepath.VolumeName(p) != "" || p != "" && os.IsPathSeparator(p[0]):
		// Windows: \x is on the current drive, C:x in drive C's current folder; joined to the
		// project they would name a file inside it, not the one Windows means.
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", engine.Usagef("use a path inside the project", "fs: %q: %v", p, err)
		}
		full = abs
	default:
		full = filepath.Join(r.Dir, p)
	}
	full = filepath.Clean(full)
	root := filepath.Clean(r.Dir)
	if full != root && !strings.HasPrefix(full, root+string(filepath.Separator)) {
		return "", engine.Usagef("use a path inside the project, or the exec builtin for other places",
			"fs: %q is outside the project (%s)", p, root)
	}
	return full, nil
}

// unlocked resolves path and runs fn on the result with the interpreter lock released.
func unlocked[T any](L *lua.LState, path string, fn func(p string) (T, error)) (T, error) {
	p, err := resolve(L, path)
	if err != nil {
		var zero T
		return zero, err
	}
	return engine.Unlocked(L, func(context.Context) (T, error) { return fn(p) })
}

func luaRead(L *lua.LState, path string) (*string, error) {
	return unlocked(L, path, func(p string) (*string, error) {
		b, err := os.ReadFile(p)
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, nil
		}
		s := string(b)
		return &s, err
	})
}

func luaWrite(L *lua.LState, path, text string) error {
	_, err := unlocked(L, path, func(p string) (struct{}, error) {
		return struct{}{}, state.WriteFileAtomic(p, []byte(text), 0o644)
	})
	return err
}

func luaExists(L *lua.LState, path string) (bool, error) {
	p, err := resolve(L, path)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	return err == nil, nil
}

func luaList(L *lua.LState, dir string) ([]string, error) {
	return unlocked(L, dir, func(p string) ([]string, error) {
		es, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out, nil
	})
}

func luaMkdir(L *lua.LState, path string) error {
	_, err := unlocked(L, path, func(p string) (struct{}, error) { return struct{}{}, os.MkdirAll(p, 0o755) })
	return err
}

func luaRemove(L *lua.LState, path string) error {
	_, err := unlocked(L, path, func(p string) (struct{}, error) {
		err := os.Remove(p)
		if errors.Is(err, iofs.ErrNotExist) {
			err = nil
		}
		return struct{}{}, err
	})
	return err
}

func luaAbs(L *lua.LState, path string) (string, error) { return resolve(L, path) }

func luaRel(L *lua.LState, path string) (string, error) {
	p, err := resolve(L, path)
	if err != nil {
		return "", err
	}
	r, err := filepath.Rel(engine.FromL(L).Dir, p)
	if err != nil {
		r = p
	}
	return r, nil
}
