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
	if r.holds(env) {
		r.hold(env, 1)
		return func() { r.hold(env, -1) }, nil
	}
	info := state.Holder(r.Command)
	branch := r.Branch(L)
	opts := state.WaitOptions{Wait: wait, Timeout: r.WaitTimeout, Notify: func(h state.LockInfo, first bool) {
		if first {
			r.Out.Warn(branch, fmt.Sprintf("environment %s is locked by %s; waiting for it (at most %s, --wait-timeout)",
				env, state.HolderText(h), waitTimeout(r)))
			return
		}
		r.Out.Warn(branch, fmt.Sprintf("still waiting for the lock of %s: held by %s", env, state.HolderText(h)))
	}}
	unlock, err := Unlocked(L, func(ctx context.Context) (func() error, error) {
		for broken := 0; ; broken++ {
			unlock, err := state.Acquire(ctx, r.Store, env, info, opts)
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
	r.hold(env, 1)
	return func() {
		r.hold(env, -1)
		if uerr := unlock(); uerr != nil {
			r.Out.Warn("", "releasing the lock of "+env+": "+uerr.Error())
		}
	}, nil
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
		return &Error{Code: ExitFailure, Msg: err.Error() + " (for " + state.HeldFor(le.Holder).String() + ")", Err: err,
			Hint: "wait for it to finish, or run again with --wait; a lock left by a crashed run on this host is broken automatically"}
	}
	return err
}
