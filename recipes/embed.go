// Package recipes holds the stock Lua recipes, embedded in the binary. A project overrides
// one with its own recipes/NAME.lua, or wraps it with stock("NAME").
package recipes

import "embed"

// FS holds NAME.lua recipes and lib/*.lua libraries.
//
//go:embed *.lua lib/*.lua
var FS embed.FS
