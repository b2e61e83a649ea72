package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/state"
)

// lockEnv takes env's lock in the run's store, naming this process as the holder; the
// returned function releases it (a failure to release is a warning). With wait it waits at
// most r.WaitTimeout, saying who holds the lock when it starts waiting and every 30 seconds.
// A lock that is not a valid lock is broken only after the user agrees (or --yes).
//
// A lock the run already holds is not taken again (a recipe composed into another with .call,
// with_env back to the run's environment): the inner holder shares it.
func lockEnv(L *lua.LState, r *Run, env string, wait bool) (func(), error) {
	return lockScope(L, r, env, "", wait)
}

// lockAgent takes the lock of one agent of env (a recipe declared with lock = "agent"), so
// runs on different agents of one environment go at once; a store that cannot lock agents
// one by one (SSM) locks the environment. The environment's lock, held by this run, covers
// every agent.
func lockAgent(L *lua.LState, r *Run, env, agent string, wait bool) (func(), error) {
	return lockScope(L, r, env, agent, wait)
}

// LockShared takes, waiting, the short lock of a resource the agents of the run's
// environment share (state.with_lock): two agents' runs never create it at once. Covered by
// the environment's lock when the run holds that.
func LockShared(L *lua.LState, name string) (func(), error) {
	r := FromL(L)
	if r.Store == nil || r.EnvName == "" {
		return func() {}, nil
	}
	return lockScope(L, r, r.EnvName, state.SharedPrefix+name, true)
}

// LockAgentOf takes, without waiting, the lock of one agent of the run's environment
// (state.with_agent): a recipe acting on several agents locks each while it acts on it.
func LockAgentOf(L *lua.LState, agent string) (func(), error) {
	r := FromL(L)
	if r.Store == nil || r.EnvName == "" {
		return func() {}, nil
	}
	return lockScope(L, r, r.EnvName, agent, false)
}

func holdKey(env, agent string) string {
	if agent == "" {
		return env
	}
	return env + "\x00" + agent
}

func lockScope(L *lua.LState, r *Run, env, agent string, wait bool) (func(), error) {
	if _, ok := r.Store.(state.AgentLocker); !ok {
		agent = "" // a store that cannot lock one agent (SSM): the environment's lock covers all
	}
	key := holdKey(env, agent)
	if r.holds(env) || r.holds(key) {
		r.hold(key, 1)
		return func() { r.hold(key, -1) }, nil
	}
	what := "environment " + env
	if agent != "" {
		what = "agent " + agent + " in " + env
		if name, ok := strings.CutPrefix(agent, state.SharedPrefix); ok {
			what = "shared resource " + name + " of " + env
		}
	}
	info := state.Holder(r.Command)
	branch := r.Branch(L)
	opts := state.WaitOptions{Wait: wait, Timeout: r.WaitTimeout, Notify: func(h state.LockInfo, first bool) {
		if first {
			r.Out.Warn(branch, fmt.Sprintf("%s is locked by %s; waiting for it (at most %s, --wait-timeout)",
				what, state.HolderText(h), waitTimeout(r)))
			return
		}
		r.Out.Warn(branch, fmt.Sprintf("still waiting for the lock of %s: held by %s", what, state.HolderText(h)))
	}}
	unlock, err := Unlocked(L, func(ctx context.Context) (func() error, error) {
		for broken := 0; ; broken++ {
			var unlock func() error
			var err error
			if agent == "" {
				unlock, err = state.Acquire(ctx, r.Store, env, info, opts)
			} else {
				unlock, err = state.AcquireAgent(ctx, r.Store, env, agent, info, opts)
			}
			var ie *state.InvalidLockError
			if !errors.As(err, &ie) || broken > 0 {
				return unlock, err
			}
			if err := confirmBreak(ctx, r, ie); err != nil {
				return nil, err
			}
		}
	})
	if err != nil {
		return nil, lockError(err)
	}
	r.hold(key, 1)
	if a := r.currentAudit(); a != nil && r.EnvName == env {
		// a run that changes things, now in another environment (with_env): its history too
		if err := a.join(L, r); err != nil {
			r.hold(key, -1)
			_ = unlock()
			return nil, err
		}
	}
	return func() {
		r.hold(key, -1)
		if uerr := unlock(); uerr != nil {
			r.Out.Warn("", "releasing the lock of "+what+": "+uerr.Error())
		}
	}, nil
}

// agentsOf returns the agents a recipe declared with lock = "agent" acts on: args.agent and
// args.agents, each a name or a list of names.
func agentsOf(args *lua.LTable) []string {
	if args == nil {
		return nil
	}
	var out []string
	for _, key := range []string{"agent", "agents"} {
		switch v := args.RawGetString(key).(type) {
		case lua.LString:
			out = append(out, string(v))
		case *lua.LTable:
			for i := 1; i <= v.Len(); i++ {
				if s, ok := v.RawGetInt(i).(lua.LString); ok {
					out = append(out, string(s))
				}
			}
		}
	}
	return out
}

// lockRecipe takes the lock rc declares for a run with args: the environment's (lock =
// true, the default), one agent's (lock = "agent" with one agent named in args.agent or
// args.agents: with several, or --all, the recipe locks each as it acts on it, with
// state.with_agent), or none.
func lockRecipe(L *lua.LState, r *Run, rc *Recipe, args *lua.LTable, wait bool) (func(), error) {
	if !rc.Lock || r.Store == nil || r.EnvName == "" {
		return func() {}, nil
	}
	if !rc.LockAgents {
		return lockEnv(L, r, r.EnvName, wait)
	}
	if names := agentsOf(args); len(names) == 1 {
		return lockAgent(L, r, r.EnvName, names[0], wait)
	}
	return func() {}, nil
}

func waitTimeout(r *Run) string {
	if r.WaitTimeout > 0 {
		return r.WaitTimeout.String()
	}
	return state.DefaultWaitTimeout.String()
}

// confirmBreak asks before removing a lock that is not a valid lock: --yes answers it; without
// a terminal and without --yes it stops with exit 2.
func confirmBreak(ctx context.Context, r *Run, ie *state.InvalidLockError) error {
	q := fmt.Sprintf("%s. Remove it?", ie.Error())
	ok, err := r.AskYesNo(ctx, q)
	if err != nil {
		return &Error{Code: ExitUsage, Msg: ie.Error(), Err: ie,
			Hint: "no run of agentcore wrote it: check nothing else uses " + ie.Where + ", then run again with --yes to remove it"}
	}
	if !ok {
		return &Error{Code: ExitUsage, Msg: ie.Error() + " (kept)", Err: ie, Hint: "remove " + ie.Where + " yourself, or answer yes"}
	}
	if err := ie.Break(ctx); err != nil {
		return fmt.Errorf("removing the invalid lock of %s: %w", ie.Env, err)
	}
	r.Out.Warn("", "removed "+ie.Where+", which was not a valid lock")
	return nil
}

// AskYesNo asks the user a yes/no question on stderr: --yes answers yes; without a terminal
// (and without --yes) it fails, so the caller can say to pass --yes. Call it inside Unlocked.
func (r *Run) AskYesNo(ctx context.Context, q string) (bool, error) {
	if r.Yes {
		return true, nil
	}
	if !r.Interactive || r.Stdin == nil {
		return false, errors.New("confirmation needed without a terminal: " + q)
	}
	fmt.Fprint(r.Out.Stderr, q+" [y/N] ")
	line, err := r.ReadLine(ctx)
	if err != nil {
		return false, err
	}
	line = strings.TrimSpace(line)
	return strings.EqualFold(line, "y") || strings.EqualFold(line, "yes"), nil
}

// lockError gives lock failures their exit code and hint.
func lockError(err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return ee
	}
	var te *state.LockTimeoutError
	if errors.As(err, &te) {
		return &Error{Code: ExitFailure, Msg: err.Error(), Err: err,
			Hint: "the holder is still running: wait for it, raise --wait-timeout, or stop it; a lock left by a crashed run on this host is broken automatically"}
	}
	var le *state.LockedError
	if errors.As(err, &le) {
		if le.Agent != "" && !strings.HasPrefix(le.Agent, state.SharedPrefix) {
			return &Error{Code: ExitFailure, Msg: err.Error() + " (for " + state.HeldFor(le.Holder).String() + ")", Err: err,
				Hint: "another run is working on this agent: wait for it to finish, or run again with --wait (other agents of the environment are free); a lock left by a crashed run on this host is broken automatically"}
		}
		return &Error{Code: ExitFailure, Msg: err.Error() + " (for " + state.HeldFor(le.Holder).String() + ")", Err: err,
			Hint: "wait for it to finish, or run again with --wait; a lock left by a crashed run on this host is broken automatically"}
	}
	return err
}
