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
