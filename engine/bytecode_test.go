package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/recipes"
)

// Every stock recipe and library survives the encoding: the decoded proto is the compiled one,
// string constants (the unexported field) included.
func TestBytecodeRoundTrip(t *testing.T) {
	if stringConstantsOffset() < 0 {
		t.Fatal("gopher-lua's FunctionProto has no stringConstants []string field: the compiled-chunk cache is off")
	}
	res := &Resolver{Stock: recipes.FS}
	srcs, err := res.List()
	if err != nil {
		t.Fatal(err)
	}
	lib, ok := res.Library("deploy")
	if !ok {
		t.Fatal("no deploy library")
	}
	for _, src := range append(srcs, lib) {
		p, err := compileChunk(src.Code, src.Chunk)
		if err != nil {
			t.Fatal(err)
		}
		q, err := decodeProto(encodeProto(p))
		if err != nil {
			t.Fatalf("%s: %v", src.Chunk, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("%s: the decoded proto differs from the compiled one", src.Chunk)
		}
	}
}

// The cache: a second load reads the entry; a damaged entry is compiled again and rewritten;
// what runs is the same.
func TestBytecodeCache(t *testing.T) {
	dir := t.TempDir()
	old := bytecodeDir
	bytecodeDir = func() string { return dir }
	t.Cleanup(func() { bytecodeDir = old })
	code := []byte(`local t = {} for i = 1, 3 do t[#t + 1] = ("x%d"):format(i) end return table.concat(t, ","), math.pi > 3`)
	run := func() string {
		L := lua.NewState()
		defer L.Close()
		fn, err := loadChunk(L, code, "c.lua")
		if err != nil {
			t.Fatal(err)
		}
		L.Push(fn)
		L.Call(0, 2)
		return L.Get(-2).String() + " " + L.Get(-1).String()
	}
	if got := run(); got != "x1,x2,x3 true" {
		t.Fatalf("first run = %q", got)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "*.luac"))
	if len(entries) != 1 {
		t.Fatalf("cache entries = %v", entries)
	}
	if got := run(); got != "x1,x2,x3 true" {
		t.Fatalf("from the cache = %q", got)
	}
	if err := os.WriteFile(entries[0], []byte(bytecodeMagic+"\x05garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := run(); got != "x1,x2,x3 true" {
		t.Fatalf("after damage = %q", got)
	}
	if b, _ := os.ReadFile(entries[0]); len(b) < 40 {
		t.Errorf("the damaged entry was not rewritten (%d bytes)", len(b))
	}
	// a syntax error is not cached and reads as before
	if _, err := loadChunk(lua.NewState(), []byte("local = 1"), "bad.lua"); err == nil {
		t.Fatal("no syntax error")
	}
}
