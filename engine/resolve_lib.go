package engine

import (
	"io/fs"
	"strings"
)

// StockLibrary returns the embedded library lib/NAME.lua, ignoring the project's
// recipes/lib/NAME.lua (agentcore recipes show --stock lib/NAME).
func (r *Resolver) StockLibrary(name string) (Source, bool) {
	rel := strings.ReplaceAll(name, ".", "/") + ".lua"
	if strings.Contains(rel, "..") {
		return Source{}, false
	}
	code, err := fs.ReadFile(r.Stock, "lib/"+rel)
	if err != nil {
		return Source{}, false
	}
	return Source{Name: "lib/" + name, Origin: "stock", Chunk: "stock:lib/" + rel, Code: code}, true
}
