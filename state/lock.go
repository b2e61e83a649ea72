package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/proctree"
)

// What makes a lock holder's identity: the pid alone is not enough, since pids are reused.
// On Linux a process is also named by its start time (/proc/PID/stat field 22, clock ticks
// since boot) and the boot it belongs to (/proc/sys/kernel/random/boot_id); a lock whose pid
// now belongs to a process that started at another time, or that was taken before the last
// reboot, is stale. A lock taken on another host is never judged stale: its process cannot be
// seen from here.

// Holder names the current process as a lock holder running command.
func Holder(command string) LockInfo {
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _ := ProcessStart(pid)
	return LockInfo{PID: pid, Host: host, User: os.Getenv("USER"), Command: command, Since: time.Now().UTC(),
		StartTime: start, BootID: BootID()}
}

// ProcessStart returns the start time of process pid in clock ticks since boot (Linux), or
// false when it cannot be read (no such process, another OS).
func ProcessStart(pid int) (uint64, bool) {
	if runtime.GOOS != "linux" {
		// Windows under Wine reads "/proc/..." as Z:\proc, the Linux host's /proc, whose
		// pids are not Windows pids.
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatStart(string(b))
}

// parseStatStart reads field 22 (starttime) of a /proc/PID/stat line. The command name
// (field 2) is in parentheses and may hold spaces and parentheses, so fields are counted
// from the last ')'.
func parseStatStart(stat string) (uint64, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(f[19], 10, 64)
	return n, err == nil
}

// BootID identifies the running boot of this host (Linux), or "".
func BootID() string {
	if runtime.GOOS != "linux" {
		return "" // see ProcessStart
	}
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Check says why h is not a usable lock holder record, or nil.
func (h LockInfo) Check() error {
	var missing []string
	if h.PID <= 0 {
		missing = append(missing, "pid")
	}
	if h.Host == "" {
		missing = append(missing, "host")
	}
	if len(missing) > 0 {
		return fmt.Errorf("no %s recorded", strings.Join(missing, ", "))
	}
	return nil
}

// Stale reports whether the holder ran on this host and is gone: its process no longer
// exists, the pid now belongs to a process started at another time, or the host rebooted
// since. The reason says which, for messages.
func Stale(h LockInfo) (bool, string) {
	host, _ := os.Hostname()
	if h.Host != host || h.PID <= 0 {
		return false, ""
	}
	if h.BootID != "" {
		if now := BootID(); now != "" && now != h.BootID {
			return true, "the host rebooted since"
		}
	}
	if proctree.Gone(h.PID) {
		return true, fmt.Sprintf("process %d is gone", h.PID)
	}
	if h.StartTime != 0 {
		if now, ok := ProcessStart(h.PID); ok && now != h.StartTime {
			return true, fmt.Sprintf("pid %d now belongs to another process", h.PID)
		}
	}
	return false, ""
}

// LockedError says the environment, or one agent of it, is locked by another run.
type LockedError struct {
	Env    string
	Agent  string // "" when the environment's own lock is held
	Holder LockInfo
}

// What names what is locked: "environment dev" or "agent my-bot in dev".
func (e *LockedError) What() string { return lockWhat(e.Env, e.Agent) }

func lockWhat(env, agent string) string {
	if agent == "" {
		return "environment " + env
	}
	if name, ok := strings.CutPrefix(agent, SharedPrefix); ok {
		return "shared resource " + name + " of " + env
	}
	return "agent " + agent + " in " + env
}

// lockOf names a lock after "the lock of": the environment's name alone, or what lockWhat says.
func lockOf(env, agent string) string {
	if agent == "" {
		return env
	}
	return lockWhat(env, agent)
}

func (e *LockedError) Error() string {
	h := e.Holder
	return fmt.Sprintf("%s is locked by pid %d on %s (%s) since %s", e.What(), h.PID, h.Host, h.Command,
		h.Since.Local().Format(time.DateTime))
}

// HolderText names a lock holder and how long it has held the lock, for messages.
func HolderText(h LockInfo) string {
	return fmt.Sprintf("pid %d on %s (%s), for %s", h.PID, h.Host, h.Command, HeldFor(h))
}

// HeldFor is how long h has held its lock, rounded for people.
func HeldFor(h LockInfo) time.Duration {
	d := time.Since(h.Since)
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second)
}

// InvalidLockError says a lock exists but is not a lock agentcore wrote (empty, not JSON, or
// missing its holder). It is never broken silently: Break removes it, after the user agreed.
type InvalidLockError struct {
	Env    string
	Where  string // the lock file or parameter
	Kind   string // "lock file" (default) or "lock parameter"
	Reason string
	// Break removes the invalid lock, unless it changed since it was read.
	Break func(ctx context.Context) error
}

func (e *InvalidLockError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "lock file"
	}
	return fmt.Sprintf("%s %s is not a valid lock: %s", kind, e.Where, e.Reason)
}

// LockTimeoutError says a run gave up waiting for a lock.
type LockTimeoutError struct {
	Env    string
	Agent  string // "" for the environment's lock
	Holder LockInfo
	After  time.Duration
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("gave up waiting for the lock of %s after %s: it is held by %s", lockOf(e.Env, e.Agent), e.After, HolderText(e.Holder))
}

// WaitOptions says how Acquire waits for a held lock.
type WaitOptions struct {
	Wait    bool          // wait for the holder; without, fail at once with a *LockedError
	Timeout time.Duration // give up after this long with a *LockTimeoutError (0: 15 minutes)
	Poll    time.Duration // how often to try again (0: the store's LockPoll, else 250ms)
	// Remind is how often Notify is called again while waiting (0: 30s).
	Remind time.Duration
	// Notify is told who holds the lock when the wait starts (first) and every Remind.
	Notify func(holder LockInfo, first bool)
}

// DefaultWaitTimeout bounds --wait when --wait-timeout is not given.
const DefaultWaitTimeout = 15 * time.Minute

// Acquire takes env's lock in s, waiting as opts says. It is the one waiting loop of every
// store: stores only try once (Lock with wait=false).
func Acquire(ctx context.Context, s Store, env string, info LockInfo, opts WaitOptions) (func() error, error) {
	return acquire(ctx, s, env, "", func() (func() error, error) { return s.Lock(ctx, env, info, false) }, opts)
}

// AcquireAgent takes agent's lock in env, waiting as opts says, when s locks agents one by
// one (AgentLocker); otherwise it takes the whole environment's lock (Acquire).
func AcquireAgent(ctx context.Context, s Store, env, agent string, info LockInfo, opts WaitOptions) (func() error, error) {
	al, ok := s.(AgentLocker)
	if !ok {
		return Acquire(ctx, s, env, info, opts)
	}
	return acquire(ctx, s, env, agent, func() (func() error, error) { return al.LockAgent(ctx, env, agent, info) }, opts)
}

func acquire(ctx context.Context, s Store, env, agent string, try func() (func() error, error), opts WaitOptions) (func() error, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	poll := opts.Poll
	if poll <= 0 {
		if p, ok := s.(interface{ LockPoll() time.Duration }); ok {
			poll = p.LockPoll()
		}
		if poll <= 0 {
			poll = 250 * time.Millisecond
		}
	}
	remind := opts.Remind
	if remind <= 0 {
		remind = 30 * time.Second
	}
	start := time.Now()
	var lastNote time.Time
	for {
		unlock, err := try()
		if err == nil {
			return unlock, nil
		}
		var le *LockedError
		if !opts.Wait || !errors.As(err, &le) {
			return nil, err
		}
		if opts.Notify != nil && (lastNote.IsZero() || time.Since(lastNote) >= remind) {
			opts.Notify(le.Holder, lastNote.IsZero())
			lastNote = time.Now()
		}
		if waited := time.Since(start); waited >= timeout {
			return nil, &LockTimeoutError{Env: env, Agent: le.Agent, Holder: le.Holder, After: timeout}
		}
		wait := min(poll, timeout-time.Since(start))
		if wait < 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the lock of %s (held by %s): %w", lockOf(env, le.Agent), HolderText(le.Holder), ctx.Err())
		case <-time.After(wait):
		}
	}
}
