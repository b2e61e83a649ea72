package main

import (
	"bytes"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/recipes"
)

// --help lists every stock recipe embedded in the binary, each with its description: the list
// comes from the recipes, so a stock recipe added later appears with no edit.
func TestHelpListsEveryStockRecipe(t *testing.T) {
	t.Setenv("AGENTCORE_HOME", t.TempDir())
	wd, _ := os.Getwd()
	t.Cleanup(func() { _ = os.Chdir(wd) })
	var out, errb bytes.Buffer
	if code := newApp(strings.NewReader(""), &out, &errb).main([]string{"-C", t.TempDir(), "--help"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	entries, err := fs.ReadDir(recipes.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".lua")
		if !ok || e.IsDir() {
			continue
		}
		n++
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + ` +\S`).MatchString(out.String()) {
			t.Errorf("--help does not list the stock recipe %s with a description:\n%s", name, out.String())
		}
	}
	if n < 10 {
		t.Fatalf("only %d stock recipes found", n)
	}
}

// Package-level patterns are compiled on first use (internal/lazyregexp), not at start, so a
// broken one would only show when its code runs: this binary links every package, so every
// pattern they declare is checked here.
func TestEveryLazyPatternCompiles(t *testing.T) {
	if err := lazyregexp.Check(); err != nil {
		t.Fatal(err)
	}
	if lazyregexp.Count() < 30 {
		t.Fatalf("only %d patterns declared: are the packages linked?", lazyregexp.Count())
	}
}
