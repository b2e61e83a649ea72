package engine

import (
	"context"
	"errors"
	"os"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/internal/gitinfo"
	"github.com/agentcore/agentcore/state"
)

// The audit trail, written in one place for every recipe: a recipe that declares changes
// (changes = true, or a function of its arguments saying whether this run changes anything)
// gets a history entry in its environment before its run function starts, and in every other
// environment the run then locks (with_env: promote --to, rollout); each entry is rewritten
// when the run ends, with how it ended and what the recorded state shows it changed. A run
// killed with -9 leaves its entry "started", naming its process: history shows it as
// interrupted once that process is gone. Recipes add what the state cannot show (a secret's
// name) with history.note.

// audit is the history of one run: its open entries, one per environment.
type audit struct {
	recipe  string
	command string
	agents  []string
	start   time.Time
	git     gitinfo.Info
	user    string

	mu    sync.Mutex
	order []string              // environments, in the order their entries were opened
	open  map[string]*openEntry // environment -> its entry
}

type openEntry struct {
	entry  state.HistoryEntry
	store  state.Store  // the environment's state store
	before *state.State // the recorded state when the entry opened; nil when unreadable
	notes  []state.HistoryChange
	ready  chan struct{} // closed once the started entry is written
}

// changes reports whether rc, run with args, declares that it changes the environment.
func (rc *Recipe) changes(L *lua.LState, args *lua.LTable) (bool, error) {
	switch c := rc.table.RawGetString("changes").(type) {
	case lua.LBool:
		return bool(c), nil
	case *lua.LFunction:
		if args == nil {
			args = L.NewTable()
		}
		if err := L.CallByParam(lua.P{Fn: c, NRet: 1, Protect: true}, args); err != nil {
			return false, fromLua(err)
		}
		v := L.Get(-1)
		L.Pop(1)
		return lua.LVAsBool(v), nil
	}
	return false, nil
}

// startAudit opens the run's history when rc, run with args, changes something: an entry in
// the run's environment now, and in each environment it locks later. A run already audited
// (a recipe composed into another with .call) keeps its history.
// It reports whether it opened one: the caller then finishes it (finishAudit).
func startAudit(L *lua.LState, rc *Recipe, args *lua.LTable) (bool, error) {
	r := FromL(L)
	root := r.root()
	if root.History == nil || r.Project == nil {
		return false, nil
	}
	root.heldMu.Lock()
	started := root.audit != nil
	root.heldMu.Unlock()
	if started {
		return false, nil
	}
	ch, err := rc.changes(L, args)
	if err != nil || !ch {
		return false, err
	}
	a := &audit{recipe: rc.Source.Name, command: r.Command, agents: agentsOf(args), start: time.Now().UTC(),
		user: osUser(), open: map[string]*openEntry{}}
	a.git, _ = Unlocked(L, func(ctx context.Context) (gitinfo.Info, error) { return gitinfo.Of(ctx, r.Dir), nil })
	root.heldMu.Lock()
	root.audit = a
	root.heldMu.Unlock()
	if r.EnvName != "" && r.Store != nil {
		if err := a.join(L, r); err != nil {
			finishAudit(L, err)
			return false, err
		}
	}
	return true, nil
}

func (r *Run) currentAudit() *audit {
	root := r.root()
	root.heldMu.Lock()
	defer root.heldMu.Unlock()
	return root.audit
}

// join opens the entry of r's environment (once): the state as recorded now, then a started
// entry written ahead of anything the run does there.
func (a *audit) join(L *lua.LState, r *Run) error {
	env := r.EnvName
	a.mu.Lock()
	if oe, ok := a.open[env]; ok {
		a.mu.Unlock()
		// wait with the interpreter released: the branch writing it needs it back to finish
		_, _ = Unlocked(L, func(context.Context) (struct{}, error) { <-oe.ready; return struct{}{}, nil })
		return nil
	}
	host, _ := os.Hostname()
	pid := os.Getpid()
	startTime, _ := state.ProcessStart(pid)
	now := time.Now().UTC()
	if len(a.open) == 0 {
		now = a.start
	}
	oe := &openEntry{store: r.Store, ready: make(chan struct{}), entry: state.HistoryEntry{
		ID: state.NewHistoryID(now), Recipe: a.recipe, Command: a.command, Agents: slices.Clone(a.agents),
		Who: a.user, User: a.user, PID: pid, Host: host, StartTime: startTime, BootID: state.BootID(),
		StartedAt: now, Commit: a.git.Commit, Dirty: a.git.Dirty, Git: a.git.Note, Outcome: state.OutcomeStarted,
	}}
	a.open[env] = oe
	a.order = append(a.order, env)
	a.mu.Unlock()
	defer close(oe.ready)
	log := r.root().History
	_, err := Unlocked(L, func(ctx context.Context) (struct{}, error) {
		if st, err := r.Store.Load(ctx, env); err == nil {
			oe.before = st
		}
		return struct{}{}, log.Put(ctx, env, oe.entry)
	})
	if err != nil {
		return Failf("the history is written before anything changes; check that .agentcore/state is writable",
			"recording the start of %s in the history of %s: %v", a.recipe, env, err)
	}
	return nil
}

// Note adds a change the recorded state does not show (a secret set, a cloud copy pushed) to
// the history entry of the run's environment; nothing when the run keeps no history.
func Note(L *lua.LState, c state.HistoryChange) {
	r := FromL(L)
	a := r.currentAudit()
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if oe, ok := a.open[r.EnvName]; ok {
		oe.notes = append(oe.notes, c)
	}
}

// finishAudit rewrites every open entry of the run with how it ended (err) and what changed.
// A run refused for its input (exit 2) that changed nothing leaves no entry: it was no change.
func finishAudit(L *lua.LState, runErr error) {
	r := FromL(L).root()
	r.heldMu.Lock()
	a := r.audit
	r.audit = nil
	r.heldMu.Unlock()
	if a == nil {
		return
	}
	end := time.Now().UTC()
	outcome, msg := state.OutcomeOK, ""
	if runErr != nil {
		outcome, msg = state.OutcomeFailed, firstLine(runErr.Error())
		var e *Error
		if errors.As(runErr, &e) && e.Msg != "" {
			msg = firstLine(e.Msg)
		}
		if ExitCode(runErr) == ExitInterrupted {
			outcome = state.OutcomeInterrupted
		}
	}
	usage := ExitCode(runErr) == ExitUsage
	_, _ = Unlocked(L, func(ctx context.Context) (struct{}, error) {
		// The run's context may be cancelled (Ctrl-C): the end is still recorded.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		a.finish(ctx, r, end, outcome, msg, usage)
		return struct{}{}, nil
	})
}

func (a *audit) finish(ctx context.Context, r *Run, end time.Time, outcome, msg string, usage bool) {
	for _, env := range a.order {
		oe := a.open[env]
		e := oe.entry
		e.Outcome, e.Error = outcome, msg
		e.EndedAt = &end
		e.DurationMS = end.Sub(e.StartedAt).Milliseconds()
		if after, err := oe.store.Load(ctx, env); err == nil && oe.before != nil {
			e.Changes = state.DiffForHistory(oe.before, after)
		}
		e.Changes = append(e.Changes, oe.notes...)
		for _, c := range e.Changes {
			if c.Agent != "" && !slices.Contains(e.Agents, c.Agent) {
				e.Agents = append(e.Agents, c.Agent)
			}
		}
		var err error
		if usage && len(e.Changes) == 0 {
			err = r.History.Remove(ctx, env, e.ID)
		} else {
			if r.Who != nil {
				if who := r.Who(ctx, r.view(env, oe.store), env); who != "" {
					e.Who = who
				}
			}
			err = r.History.Put(ctx, env, e)
		}
		if err == nil {
			err = shareHistory(ctx, r.History, oe.store, env)
		}
		if err != nil {
			r.Out.Warn("", "recording the end of "+a.recipe+" in the history of "+env+": "+err.Error())
		}
	}
}

// shareHistory merges env's history with the copy a store that keeps it too (SSM) holds.
func shareHistory(ctx context.Context, log *state.HistoryLog, store state.Store, env string) error {
	hs, ok := store.(state.HistorySharer)
	if !ok {
		return nil
	}
	local, err := log.List(env)
	if err != nil {
		return err
	}
	all, err := hs.ShareHistory(ctx, env, local)
	if err != nil {
		return err
	}
	return log.Merge(ctx, env, all)
}

// osUser names who runs agentcore on this machine: user@host.
func osUser() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, _ := os.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	return name + "@" + host
}
