package lazyregexp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestCompiledOnFirstUseOnce(t *testing.T) {
	r := New(`^a(b+)c$`)
	if r.re != nil {
		t.Fatal("compiled before first use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !r.MatchString("abbc") || r.MatchString("ac") {
				t.Error("wrong match")
			}
		}()
	}
	wg.Wait()
	first := r.Regexp()
	if r.Regexp() != first {
		t.Fatal("compiled twice")
	}
	if got := r.FindStringSubmatch("abbc"); len(got) != 2 || got[1] != "bb" {
		t.Fatalf("FindStringSubmatch = %q", got)
	}
	if got := r.FindSubmatch([]byte("abc")); len(got) != 2 || string(got[1]) != "b" {
		t.Fatalf("FindSubmatch = %q", got)
	}
	if got := New(`b+`).ReplaceAllString("abbcb", "-"); got != "a-c-" {
		t.Fatalf("ReplaceAllString = %q", got)
	}
	if r.String() != `^a(b+)c$` {
		t.Fatalf("String = %q", r.String())
	}
}

func TestCheckFindsAnInvalidPattern(t *testing.T) {
	saved := declared
	t.Cleanup(func() { declared = saved })
	New(`^ok$`)
	if err := Check(); err != nil {
		t.Fatalf("Check of valid patterns: %v", err)
	}
	bad := New(`^(unclosed$`)
	if err := Check(); err == nil {
		t.Fatal("Check passed an invalid pattern")
	}
	defer func() {
		if recover() == nil {
			t.Error("using an invalid pattern did not panic")
		}
	}()
	bad.MatchString("x")
}

// No package of the module compiles a regexp in a package-level declaration (it would run at
// the start of every command): they use New. Patterns compiled inside functions are fine.
func TestNoPatternCompiledAtStart(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			ast.Inspect(g, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false // runs when called, not at start
				}
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && strings.HasSuffix(sel.Sel.Name, "Compile") {
						t.Errorf("%s: regexp.%s in a package-level declaration runs at every start; use lazyregexp.New", fset.Position(sel.Pos()), sel.Sel.Name)
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
