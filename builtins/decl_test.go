package builtins

import (
	"testing"

	"github.com/agentcore/agentcore/engine"
)

// Every declaration parses and names only declared tables (Check panics otherwise), and
// every function says what it does.
func TestDeclarations(t *testing.T) {
	r := Registry(Deps{})
	r.Check()
	for _, m := range r.Modules() {
		for i := range m.Funcs {
			f := &m.Funcs[i]
			if f.Doc == "" || (f.Fn == nil && f.Go == nil) {
				t.Errorf("%s.%s has no Doc or no implementation", m.Name, f.Name)
			}
		}
	}
	for _, f := range engine.Globals() {
		if f.Doc == "" || f.Fn == nil {
			t.Errorf("global %s has no Doc or no Fn", f.Name)
		}
	}
}

// A builtin is a typed Go function (Func.Go); a raw Fn is kept only where the function needs
// the Lua state itself, here for a callback inside its options table. A new raw builtin must
// say why here.
func TestRawBuiltinsAreFew(t *testing.T) {
	raw := map[string]string{
		"agentcore.invoke": "calls on_chunk, a function in its options, for each streamed chunk",
		"logs.follow":      "calls on_event, a function in its options, for each event",
		"state.with_lock":  "calls fn while it holds the lock, and releases it also when fn raises",
		"state.with_agent": "calls fn while it holds the agent's lock, and releases it also when fn raises",
	}
	for _, m := range Registry(Deps{}).Modules() {
		for _, f := range m.Funcs {
			name := m.Name + "." + f.Name
			if f.Fn != nil && raw[name] == "" {
				t.Errorf("%s is a raw Fn builtin: make it a typed Go function (Func.Go), or say here why it needs the Lua state", name)
			}
			delete(raw, name)
		}
	}
	for name := range raw {
		t.Errorf("%s is listed as raw but is not", name)
	}
}
