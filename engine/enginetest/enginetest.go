// Package enginetest runs Lua against builtins inside a real engine VM, for builtin tests
// (the k6 modulestest idea): no process, real modules, captured output.
package enginetest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Harness is a VM with captured text output.
type Harness struct {
	VM       *engine.VM
	Registry *engine.Registry
	Run      *engine.Run
	Stdout   *bytes.Buffer
	Stderr   *bytes.Buffer
}

// New returns a harness whose VM has the given modules; it is closed when the test ends.
// Set fields of h.Run (Project, EnvName, Store...) before running code.
func New(t testing.TB, mods ...*engine.Module) *Harness {
	t.Helper()
	reg := engine.NewRegistry()
	for _, m := range mods {
		reg.Add(m)
	}
	return NewWithRegistry(t, reg)
}

// NewWithRegistry is New with a prepared registry. It turns on the registry's result check:
// every builtin a test calls must return what it declares.
func NewWithRegistry(t testing.TB, reg *engine.Registry) *Harness {
	t.Helper()
	reg.CheckResults = true
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	run := &engine.Run{Ctx: ctx, Dir: t.TempDir(), Out: &engine.Output{Stdout: &out, Stderr: &errb}, Stdin: strings.NewReader("")}
	vm := engine.NewVM(run, reg)
	t.Cleanup(func() { vm.Close(); cancel() })
	return &Harness{VM: vm, Registry: reg, Run: run, Stdout: &out, Stderr: &errb}
}

// Do runs Lua source and fails the test on error.
func (h *Harness) Do(t testing.TB, src string) []lua.LValue {
	t.Helper()
	res, err := h.VM.DoString("test.lua", src)
	if err != nil {
		t.Fatalf("lua: %v\noutput:\n%s%s", err, h.Stdout, h.Stderr)
	}
	return res
}

// Err runs Lua source and returns its error (nil if it succeeded).
func (h *Harness) Err(src string) error {
	_, err := h.VM.DoString("test.lua", src)
	return err
}
