package oci

import (
	"context"
	"os"
	"path/filepath"

	"github.com/agentcore/agentcore/internal/filehash"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

type compileResult struct {
	Path      string `json:"path"`
	Sha256    string `json:"sha256"`
	ImagePath string `json:"image_path"` // where oci.build_go's images have the program
}

// luaCompileGo is build_go's compile alone, for agentcore dev: the program is written to a new
// file of OUT.bin/ (a running sandbox may have the previous one mounted, and a program being
// run cannot be written over), and the dev files of earlier calls are removed but the latest.
func luaCompileGo(L *lua.LState, o buildGoOpts) (compileResult, error) {
	b, err := prepareBuild(engine.FromL(L).Dir, o)
	if err != nil {
		return compileResult{}, err
	}
	return engine.Unlocked(L, b.compileDev)
}

func (b *goBuild) compileDev(ctx context.Context) (compileResult, error) {
	binDir := b.out + ".bin"
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return compileResult{}, b.fail("creating %s: %v", binDir, err)
	}
	old, _ := filepath.Glob(filepath.Join(binDir, "dev-*"))
	f, err := os.CreateTemp(binDir, "dev-*")
	if err != nil {
		return compileResult{}, b.fail("creating a file in %s: %v", binDir, err)
	}
	bin := f.Name()
	f.Close()
	if err := b.compile(ctx, bin); err != nil {
		os.Remove(bin)
		return compileResult{}, err
	}
	sum, err := filehash.SHA256(bin)
	if err != nil {
		os.Remove(bin)
		return compileResult{}, b.fail("reading %s: %v", bin, err)
	}
	// Keep the newest earlier one: the sandboxes being replaced may still run it.
	if len(old) > 1 {
		newest, newestT := "", int64(0)
		for _, p := range old {
			if st, err := os.Stat(p); err == nil && st.ModTime().UnixNano() >= newestT {
				newest, newestT = p, st.ModTime().UnixNano()
			}
		}
		for _, p := range old {
			if p != newest {
				os.Remove(p)
			}
		}
	}
	return compileResult{Path: bin, Sha256: sum, ImagePath: agentPath}, nil
}
