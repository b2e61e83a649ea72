package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/agentcore/agentcore/project"
)

// Source is one recipe's code and where it comes from.
type Source struct {
	Name     string
	Origin   string // "stock", or the project file that defines it ("recipes/create.lua")
	Chunk    string // chunk name used in error positions
	Code     []byte
	Override bool // a project recipe that replaces a stock recipe of the same name
}

// Resolver finds recipes with a fixed lookup order: the project's recipes/NAME.lua first,
// then the stock recipe embedded in the binary. It is the only place that decides which
// source wins (agentcore recipes shows the winner).
type Resolver struct {
	Stock      fs.FS  // stock recipes: NAME.lua and lib/*.lua
	ProjectDir string // project root; "" outside a project
}

// RecipesDir is the project folder that holds recipe overrides.
const RecipesDir = "recipes"

func (r *Resolver) projectFile(name string) string {
	if r.ProjectDir == "" {
		return ""
	}
	return filepath.Join(r.ProjectDir, RecipesDir, name+".lua")
}

// Find returns the recipe that runs for name.
func (r *Resolver) Find(name string) (Source, error) {
	if !validRecipeName(name) {
		return Source{}, r.notFound(name)
	}
	if p := r.projectFile(name); p != "" {
		code, err := os.ReadFile(p)
		if err == nil {
			rel := path.Join(RecipesDir, name+".lua")
			src := Source{Name: name, Origin: rel, Chunk: rel, Code: code}
			if stock, err := fs.ReadFile(r.Stock, name+".lua"); err == nil {
				// An unchanged copy (an eject never edited) is reported as what it is.
				if bytes.Equal(stock, code) {
					src.Origin = rel + " (same as stock)"
				} else {
					src.Override = true
				}
			}
			return src, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return Source{}, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	src, err := r.StockSource(name)
	if err != nil {
		return Source{}, r.notFound(name)
	}
	return src, nil
}

// StockSource returns the embedded recipe name, ignoring project overrides.
func (r *Resolver) StockSource(name string) (Source, error) {
	if !validRecipeName(name) {
		return Source{}, fmt.Errorf("no stock recipe %q", name)
	}
	code, err := fs.ReadFile(r.Stock, name+".lua")
	if err != nil {
		return Source{}, fmt.Errorf("no stock recipe %q", name)
	}
	return Source{Name: name, Origin: "stock", Chunk: "stock:" + name + ".lua", Code: code}, nil
}

// List returns every recipe that can run, sorted by name, project overrides winning.
func (r *Resolver) List() ([]Source, error) {
	byName := map[string]Source{}
	entries, err := fs.ReadDir(r.Stock, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".lua"); ok && !e.IsDir() {
			if src, err := r.StockSource(n); err == nil {
				byName[n] = src
			}
		}
	}
	if r.ProjectDir != "" {
		files, err := os.ReadDir(filepath.Join(r.ProjectDir, RecipesDir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, f := range files {
			if n, ok := strings.CutSuffix(f.Name(), ".lua"); ok && !f.IsDir() && validRecipeName(n) {
				src, err := r.Find(n)
				if err != nil {
					return nil, err
				}
				byName[n] = src
			}
		}
	}
	out := make([]Source, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Library returns a Lua library for require(name): the project's recipes/lib/NAME.lua, then
// the stock lib/NAME.lua. Dots in name are folders.
func (r *Resolver) Library(name string) (Source, bool) {
	rel := strings.ReplaceAll(name, ".", "/") + ".lua"
	if strings.Contains(rel, "..") {
		return Source{}, false
	}
	if r.ProjectDir != "" {
		p := filepath.Join(r.ProjectDir, RecipesDir, "lib", filepath.FromSlash(rel))
		if code, err := os.ReadFile(p); err == nil {
			chunk := path.Join(RecipesDir, "lib", rel)
			return Source{Name: name, Origin: chunk, Chunk: chunk, Code: code}, true
		}
	}
	if code, err := fs.ReadFile(r.Stock, "lib/"+rel); err == nil {
		return Source{Name: name, Origin: "stock", Chunk: "stock:lib/" + rel, Code: code}, true
	}
	return Source{}, false
}

func validRecipeName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i, c := range n {
		if !(c >= 'a' && c <= 'z' || c == '_' || c == '-' || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// NotFoundError says no recipe of that name exists; Near lists close names.
type NotFoundError struct {
	Name string
	Near []string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("unknown recipe %q", e.Name) }

// recipeSynonyms are the recipes a verb from other deploy tools usually means; a synonym is
// suggested only when no recipe has that name (a project's, or a stock one added later, wins).
var recipeSynonyms = map[string][]string{
	"deploy":   {"deploy", "create", "update"},
	"up":       {"deploy", "create", "update"},
	"apply":    {"deploy", "create", "update"},
	"push":     {"deploy", "update"},
	"remove":   {"destroy"},
	"rm":       {"destroy"},
	"delete":   {"destroy"},
	"del":      {"destroy"},
	"down":     {"destroy"},
	"undeploy": {"destroy"},
	"ls":       {"status"},
	"list":     {"status", "recipes"},
	"ps":       {"status"},
	"show":     {"status"},
	"info":     {"status"},
	"log":      {"logs"},
	"tail":     {"logs"},
	"trace":    {"traces"},
	"call":     {"invoke"},
	"run":      {"invoke"},
	"exec":     {"exec", "invoke"},
	"revert":   {"rollback"},
	"undo":     {"rollback"},
	"secrets":  {"secret"},
}

// nearRecipes are the names of runnable recipes close to name: a synonym's targets that exist,
// then names within a small edit distance, then names that name is the start of.
func nearRecipes(name string, all []string) []string {
	known := map[string]bool{}
	for _, n := range all {
		known[n] = true
	}
	var near []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] && n != name {
			seen[n] = true
			near = append(near, n)
		}
	}
	for _, n := range recipeSynonyms[strings.ToLower(name)] {
		if known[n] || n == "recipes" {
			add(n)
		}
	}
	for _, n := range all {
		if d := project.EditDistance(strings.ToLower(name), n); d <= 2 && d < len(name) {
			add(n)
		}
	}
	for _, n := range all {
		if len(name) >= 2 && strings.HasPrefix(n, strings.ToLower(name)) {
			add(n)
		}
	}
	return near
}

func (r *Resolver) notFound(name string) error {
	all, _ := r.List()
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	near := nearRecipes(name, names)
	hint := "list recipes with: agentcore recipes"
	if len(near) > 0 {
		hint = "did you mean " + strings.Join(near, " or ") + "? (agentcore recipes lists them all)"
	}
	return &Error{Code: ExitUsage, Msg: (&NotFoundError{Name: name, Near: near}).Error(), Hint: hint}
}
