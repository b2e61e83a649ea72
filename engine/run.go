package engine

import (
	"context"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

// Run is everything one invocation of a recipe (or of `agentcore lua`) carries: the project,
// the selected environment, the output, the state store and the flags that builtins honour.
// Builtins reach it with FromL(L).
type Run struct {
	Ctx     context.Context
	Dir     string           // project root (directory of agentcore.toml), or the working directory
	Project *project.Project // nil when there is no agentcore.toml (agentcore lua outside a project)
	EnvName string           // selected environment name, "" when none
	Out     *Output
	Store   state.Store // environment state store; nil without a project
	// Stores holds the state store of each environment of the project (state = "file" or
	// "ssm" is per environment), for with_env; nil without a project.
	Stores  map[string]state.Store
	Yes     bool   // --yes: answer confirmations
	Confirm string // --confirm TEXT: the typed confirmation, given without a terminal
	Stdin   io.Reader
	// Interactive reports whether stdin is a terminal (confirmations may prompt).
	Interactive bool
	Verbose     bool
	Command     string // the command line, for lock holders and events
	// WaitTimeout bounds how long --wait waits for the environment lock (0: 15 minutes).
	WaitTimeout time.Duration
	// History keeps the environments' audit trails: recipes that declare changes write an
	// entry there (see history.go). nil: none is kept.
	History *state.HistoryLog
	// Who names the caller for a history entry of env (r is the run or view env is selected
	// in): the ARN STS gives on AWS; "" keeps the OS user@host. nil: always the OS user.
	Who func(ctx context.Context, r *Run, env string) string
	// ExitCode, when not zero, is the exit code of a run whose recipe finished without an
	// error but has a finding to report (drift found: 3). Set with ui.exit_code.
	ExitCode int

	gil      sync.Mutex
	branches sync.Map // *lua.LState -> branch label
	values   sync.Map // per-run caches owned by builtins, see Value
	onceMu   sync.Mutex

	// parent is set on a view of the run (see view): the root run owns the interpreter lock,
	// the branches, the caches and the held locks; a view only selects another environment.
	parent *Run
	// views maps a Lua thread to the view it runs in: with_env inside a parallel branch
	// selects an environment for that branch only, so sibling branches keep theirs.
	views  sync.Map // *lua.LState -> *Run
	heldMu sync.Mutex
	held   map[string]int // environments whose lock this run holds
	audit  *audit         // the run's history entries, when its recipe changes something (heldMu)
}

// root returns the run a view belongs to (the run itself when it is not a view).
func (r *Run) root() *Run {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// view returns a copy of the run's exported settings with another environment selected.
// Every exported field is copied (by reflection, so that a field added later is not
// forgotten); the unexported ones stay with the root.
func (r *Run) view(env string, store state.Store) *Run {
	v := &Run{parent: r.root()}
	src, dst := reflect.ValueOf(r).Elem(), reflect.ValueOf(v).Elem()
	for i := 0; i < src.NumField(); i++ {
		if src.Type().Field(i).IsExported() {
			dst.Field(i).Set(src.Field(i))
		}
	}
	v.EnvName, v.Store, v.ExitCode = env, store, 0
	return v
}

// holds reports whether this run holds env's lock.
func (r *Run) holds(env string) bool {
	root := r.root()
	root.heldMu.Lock()
	defer root.heldMu.Unlock()
	return root.held[env] > 0
}

// hold records that the run took (n = 1) or released (n = -1) env's lock.
func (r *Run) hold(env string, n int) {
	root := r.root()
	root.heldMu.Lock()
	defer root.heldMu.Unlock()
	if root.held == nil {
		root.held = map[string]int{}
	}
	root.held[env] += n
}

// Env returns the selected environment with agent overrides resolved, or nil.
func (r *Run) Env() *project.Environment {
	if r.Project == nil || r.EnvName == "" {
		return nil
	}
	return r.Project.Environments[r.EnvName]
}

// NeedProject returns the run's project, or a usage error (exit 2) saying how to make one.
func (r *Run) NeedProject() (*project.Project, error) {
	if r.Project == nil {
		return nil, Usagef("run agentcore init to create one", "no agentcore.toml here")
	}
	return r.Project, nil
}

// NeedEnv returns the run's project and its selected environment, or a usage error (exit 2)
// saying how to select one.
func (r *Run) NeedEnv() (*project.Project, *project.Environment, error) {
	p, err := r.NeedProject()
	if err != nil {
		return nil, nil, err
	}
	e := r.Env()
	if e == nil {
		return nil, nil, Usagef("pick one with -e NAME or agentcore env use NAME", "no environment selected")
	}
	return p, e, nil
}

const runKey = "agentcore.run"

// FromL returns the Run a Lua state (or any of its threads) belongs to: the run, or the view
// of it a parallel branch selected with with_env.
func FromL(L *lua.LState) *Run {
	ud, ok := L.G.Registry.RawGetString(runKey).(*lua.LUserData)
	if !ok {
		panic("engine: Lua state has no run attached")
	}
	r := ud.Value.(*Run)
	if v, ok := r.views.Load(L); ok {
		return v.(*Run)
	}
	return r
}

// Ctx returns the context of the running Lua thread: the run's, or a parallel branch's
// (cancelled when a sibling branch fails).
func Ctx(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return FromL(L).Ctx
}

// Branch returns the label of the parallel branch L runs in, or "" on the main thread.
func (r *Run) Branch(L *lua.LState) string {
	if v, ok := r.root().branches.Load(L); ok {
		return v.(string)
	}
	return ""
}

// Unlocked runs slow work (network, Docker, disk) with the interpreter lock released, so that
// parallel branches progress while it waits. fn must not touch any Lua value: take what it
// needs before, and build Lua values from its result after.
func Unlocked[T any](L *lua.LState, fn func(ctx context.Context) (T, error)) (T, error) {
	r := FromL(L).root()
	ctx := Ctx(L)
	r.gil.Unlock()
	defer r.gil.Lock()
	return fn(ctx)
}

// Value returns the per-run value stored under key, creating it with make on first use.
// Builtins use it to share one client (Docker, AWS config) across a run. make runs with the
// interpreter lock held by the caller; keep it cheap or call it from inside Unlocked.
func (r *Run) Value(key string, make func() (any, error)) (any, error) {
	r = r.root()
	if v, ok := r.values.Load(key); ok {
		return v, nil
	}
	r.onceMu.Lock()
	defer r.onceMu.Unlock()
	if v, ok := r.values.Load(key); ok {
		return v, nil
	}
	v, err := make()
	if err != nil {
		return nil, err
	}
	r.values.Store(key, v)
	return v, nil
}

// Lookup returns the per-run value stored under key, if any, without creating it and without
// taking the lock Value takes (so it may be called from inside a Value's make).
func (r *Run) Lookup(key string) (any, bool) { return r.root().values.Load(key) }

// Close releases per-run values that implement io.Closer.
func (r *Run) Close() {
	r.root().values.Range(func(_, v any) bool {
		if c, ok := v.(io.Closer); ok {
			_ = c.Close()
		}
		return true
	})
}

// ReadLine reads one line of the run's stdin (for confirmations), byte by byte so that
// nothing after it is consumed, and gives up when ctx ends. Call it inside Unlocked.
func (r *Run) ReadLine(ctx context.Context) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 1)
		for {
			n, err := r.Stdin.Read(buf)
			if n == 1 {
				if buf[0] == '\n' {
					break
				}
				b.WriteByte(buf[0])
			}
			if err != nil {
				if b.Len() > 0 {
					break
				}
				ch <- res{"", err}
				return
			}
		}
		ch <- res{b.String(), nil}
	}()
	select {
	case x := <-ch:
		return x.s, x.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
