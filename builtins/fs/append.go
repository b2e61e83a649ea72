package fs

import (
	"os"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"
)

// luaAppend is fs.append(path, text): one write with O_APPEND, so lines appended by parallel
// branches (or two runs) do not interleave inside a line; the file and its folders are created
// when missing.
func luaAppend(L *lua.LState, path, text string) error {
	_, err := unlocked(L, path, func(p string) (struct{}, error) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return struct{}{}, err
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return struct{}{}, err
		}
		_, werr := f.WriteString(text)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		return struct{}{}, werr
	})
	return err
}
