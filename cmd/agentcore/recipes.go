package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

const recipesUsage = `Usage:
  agentcore recipes                      list every recipe: name, source (stock or the project file), description
  agentcore recipes show NAME            print the source that would run (--stock: the stock one, even
                                         when the project overrides it)
  agentcore recipes show lib/NAME        print a library (lib/deploy: the one every stock recipe uses)
  agentcore recipes eject NAME|lib/NAME  copy a stock recipe (or library) into recipes/ for customising`

func (a *app) cmdRecipes(args []string) error {
	flags := pflag.NewFlagSet("recipes", pflag.ContinueOnError)
	stockOnly := flags.Bool("stock", false, "show: the stock source, ignoring the project's override")
	rest, err := a.parse(flags, args, recipesUsage)
	if err != nil {
		return helpOK(err)
	}
	p, perr := a.loadProject()
	var nf *project.NotFoundError
	if perr != nil && !errors.As(perr, &nf) {
		return perr
	}
	res := a.resolver(p)
	if len(rest) == 0 || rest[0] == "list" {
		return a.listRecipes(p, res)
	}
	if len(rest) != 2 {
		return usageErr(recipesUsage, "recipes takes list, show NAME or eject NAME")
	}
	switch rest[0] {
	case "show":
		src, err := findSource(res, rest[1], *stockOnly)
		if err != nil {
			return err
		}
		if a.out.JSON {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"name": src.Name, "origin": src.Origin, "source": string(src.Code)})
		}
		if a.out.Fancy {
			fmt.Fprintf(a.stderr, "-- %s (%s)\n", src.Name, src.Origin)
		}
		_, err = a.stdout.Write(src.Code)
		return err
	case "eject":
		if p == nil {
			return perr
		}
		src, err := findSource(res, rest[1], true)
		if err != nil {
			return err
		}
		dst := filepath.Join(p.Dir, engine.RecipesDir, filepath.FromSlash(src.Name)+".lua")
		if _, err := os.Stat(dst); err == nil {
			return usageErr("edit it, or delete it first to eject the stock version again",
				"%s already exists; not overwriting it", relPath(dst))
		}
		if err := state.WriteFileAtomic(dst, src.Code, 0o644); err != nil {
			return err
		}
		if lib, ok := strings.CutPrefix(src.Name, "lib/"); ok {
			a.out.OK("", fmt.Sprintf("copied stock library %s to %s; require(%q) now loads it, in the stock recipes too", src.Name, relPath(dst), lib))
			return nil
		}
		a.out.OK("", fmt.Sprintf("copied stock recipe %s to %s; it now overrides the stock one", src.Name, relPath(dst)))
		a.out.Info("", `to wrap the stock recipe instead of replacing it, call stock("`+src.Name+`").run(args) from your file`)
		return nil
	}
	return usageErr(recipesUsage, "unknown recipes subcommand %q", rest[0])
}

// findSource resolves NAME (a recipe) or lib/NAME (a library) as it would run, or with stock
// the embedded one.
func findSource(res *engine.Resolver, name string, stock bool) (engine.Source, error) {
	if lib, ok := strings.CutPrefix(name, "lib/"); ok {
		lib = strings.TrimSuffix(lib, ".lua")
		src, found := res.StockLibrary(lib)
		if !stock {
			if s, ok := res.Library(lib); ok {
				src, found = s, true
				src.Name = "lib/" + lib
			}
		}
		if !found {
			return engine.Source{}, usageErr("the stock library is lib/deploy; a project's own are recipes/lib/NAME.lua",
				"no library %q", name)
		}
		return src, nil
	}
	if stock {
		src, err := res.StockSource(name)
		if err != nil {
			return engine.Source{}, usageErr("agentcore recipes lists them", "%v", err)
		}
		return src, nil
	}
	return res.Find(name)
}

func relPath(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}

// recipeRow is one recipe as agentcore recipes (and --help, and completion) lists it.
type recipeRow struct {
	Name        string `json:"name"`
	Origin      string `json:"origin"`
	Override    bool   `json:"overrides_stock"`
	Description string `json:"description"`
	Error       string `json:"error,omitempty"`
}

// recipeRows lists every recipe the project can run (stock and its own, overrides winning)
// with its description. Descriptions come from evaluating each recipe's declaration, which
// compiles it: cached by content (with every stock recipe and library the declaration could
// use), a listing (and --help, and shell completion on every Tab) compiles nothing that did
// not change.
func (a *app) recipeRows(p *project.Project, res *engine.Resolver) ([]recipeRow, error) {
	srcs, err := res.List()
	if err != nil {
		return nil, err
	}
	cache := openDescCache(res)
	var vm *engine.VM
	var rows []recipeRow
	for _, s := range srcs {
		r := recipeRow{Name: s.Name, Origin: s.Origin, Override: s.Override}
		if d, ok := cache.get(s.Code); ok {
			r.Description = d
			rows = append(rows, r)
			continue
		}
		if vm == nil {
			run, err := a.newRun(p, false)
			if err != nil {
				return nil, err
			}
			vm = engine.NewVM(run, a.registry())
			defer vm.Close()
			vm.Recipes = res
		}
		if rc, err := vm.LoadRecipe(s); err != nil {
			r.Error = err.Error()
		} else {
			r.Description = firstSentence(rc.Description)
			cache.put(s.Code, r.Description)
		}
		rows = append(rows, r)
	}
	cache.save()
	return rows, nil
}

func (a *app) listRecipes(p *project.Project, res *engine.Resolver) error {
	rows, err := a.recipeRows(p, res)
	if err != nil {
		return err
	}
	if a.out.JSON {
		return json.NewEncoder(a.stdout).Encode(rows)
	}
	ev := engine.Event{Type: "table", Headers: []string{"RECIPE", "SOURCE", "DESCRIPTION"}}
	for _, r := range rows {
		origin := r.Origin
		if r.Override {
			origin += " (overrides stock)"
		}
		desc := r.Description
		if r.Error != "" {
			desc = "error: " + r.Error
		}
		ev.Rows = append(ev.Rows, []string{r.Name, origin, desc})
	}
	a.out.Emit(ev)
	return nil
}

func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// descCache maps a recipe's content to its description, in $AGENTCORE_HOME/cache. Its keys are
// xxhash64, not SHA-256: every --help and completion hashes the stock recipes (230 KB), and
// SHA-256 of them was 3% of --help's CPU (issue 19); a collision would only show a stale
// description.
type descCache struct {
	path  string
	salt  uint64 // hash of what a declaration may load: stock recipes and libraries, project libraries
	m     map[string]string
	used  map[string]bool // keys read or written in this run
	dirty bool
}

func openDescCache(res *engine.Resolver) *descCache {
	h := xxhash.New()
	// The files stream through one buffer: a copy of each (fs.ReadFile) cost --help a page
	// fault per 4 KiB of fresh heap, more than the hashing.
	buf := make([]byte, 32<<10)
	add := func(fsys fs.FS, p, name string) {
		f, err := fsys.Open(p)
		if err != nil {
			return
		}
		defer f.Close()
		var size int64
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, size)
		_, _ = io.CopyBuffer(h, f, buf)
	}
	_ = fs.WalkDir(res.Stock, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			add(res.Stock, p, p)
		}
		return nil
	})
	if res.ProjectDir != "" {
		lib := filepath.Join(res.ProjectDir, engine.RecipesDir, "lib")
		libFS := os.DirFS(lib)
		_ = fs.WalkDir(libFS, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				add(libFS, p, filepath.Join(lib, filepath.FromSlash(p)))
			}
			return nil
		})
	}
	c := &descCache{path: filepath.Join(engine.Home(), "cache", "recipe-descriptions.json"), salt: h.Sum64(),
		m: map[string]string{}, used: map[string]bool{}}
	if b, err := os.ReadFile(c.path); err == nil {
		_ = json.Unmarshal(b, &c.m) // a damaged cache is rebuilt
	}
	return c
}

func (c *descCache) key(code []byte) string {
	h := xxhash.NewWithSeed(c.salt)
	h.Write(code)
	return strconv.FormatUint(h.Sum64(), 16)
}

func (c *descCache) get(code []byte) (string, bool) {
	k := c.key(code)
	d, ok := c.m[k]
	if ok {
		c.used[k] = true
	}
	return d, ok
}

func (c *descCache) put(code []byte, desc string) {
	k := c.key(code)
	c.m[k], c.used[k], c.dirty = desc, true, true
}

// save writes the cache when it changed; failing to is not an error (it is only a cache).
func (c *descCache) save() {
	if !c.dirty {
		return
	}
	if len(c.m) > 500 { // entries of older versions and edits: keep only this run's
		for k := range c.m {
			if !c.used[k] {
				delete(c.m, k)
			}
		}
	}
	if b, err := json.Marshal(c.m); err == nil {
		_ = state.WriteFileAtomic(c.path, b, 0o644)
	}
}
