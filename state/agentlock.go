package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/agentcore/agentcore/internal/sharefile"
)

// Locks of a file store, per environment ENV in DIR:
//
//	DIR/ENV.lock             the environment's lock: a run that acts on the whole environment
//	                         (drift, sync, rollout...) holds it, and no agent lock exists meanwhile
//	DIR/ENV.locks/NAME.lock  an agent's lock: runs on different agents hold theirs at once
//	                         (create, update, destroy, deploy, release, rollback); also the short
//	                         locks of resources the agents share (shared.NAME.lock)
//	DIR/ENV.gate             held for milliseconds: around taking either kind of lock (so an
//	                         environment lock and an agent lock are never both taken), and
//	                         around each read-merge-write of the state file
//
// Every lock file names its holder (LockInfo); one left by a process that is gone (kill -9) is
// broken by the next run on this host, as Stale says. A holder with this process's pid is this
// run itself (a recipe holding agent locks that calls one taking the environment's).

// AgentLocker is a store that locks agents one by one. A store without it (SSM) locks the
// whole environment for an agent's run too.
type AgentLocker interface {
	// LockAgent takes the lock of agent (or of a shared resource, "shared.NAME") in env,
	// trying once: a *LockedError names the holder, the environment's or the agent's.
	LockAgent(ctx context.Context, env, agent string, info LockInfo) (unlock func() error, err error)
}

// AgentLockPath is the file that holds agent's lock in env.
func (s *FileStore) AgentLockPath(env, agent string) string {
	return filepath.Join(s.Dir, env+".locks", agent+".lock")
}

func (s *FileStore) gatePath(env string) string { return filepath.Join(s.Dir, env+".gate") }

// gateWait bounds the wait for the gate, which is held for milliseconds: longer means a holder
// on another host (never judged stale) or a stuck one.
const gateWait = 30 * time.Second

// gate takes env's short gate, waiting for it (see the package's lock notes).
func (s *FileStore) gate(ctx context.Context, env string) (func(), error) {
	return s.gateAt(ctx, env, s.gatePath(env))
}

// gateAt takes the short gate at path (of what, for messages), waiting for it.
func (s *FileStore) gateAt(ctx context.Context, what, path string) (func(), error) {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(Holder("gate"))
	start := time.Now()
	for {
		err := createExclusive(path, data)
		if err == nil {
			return func() { _ = releaseLock(path, data) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking %s: %w", path, err)
		}
		raw, rerr := sharefile.ReadFile(path)
		if rerr == nil {
			h, perr := ParseLock(raw)
			if perr != nil {
				_ = breakIfUnchanged(path, raw) // only agentcore writes it, complete: never half-written
				continue
			}
			if stale, _ := Stale(h); stale {
				_ = breakIfUnchanged(path, raw)
				continue
			}
			if time.Since(start) > gateWait {
				return nil, fmt.Errorf("the gate of %s (%s) has been held for more than %s by %s: remove it if that process is gone", what, path, gateWait, HolderText(h))
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// liveHolder reads the lock at path: ok is false when there is none, or when it was stale
// (and is broken now); a holder that is this process is not live for the caller (self).
func liveHolder(env, path string) (holder LockInfo, live bool, err error) {
	raw, err := sharefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return LockInfo{}, false, nil
	}
	if err != nil {
		return LockInfo{}, false, fmt.Errorf("reading lock %s: %w", path, err)
	}
	h, perr := ParseLock(raw)
	if perr != nil {
		return LockInfo{}, false, &InvalidLockError{Env: env, Where: path, Reason: perr.Error(),
			Break: func(context.Context) error { return breakIfUnchanged(path, raw) }}
	}
	if stale, _ := Stale(h); stale {
		_ = breakIfUnchanged(path, raw)
		return LockInfo{}, false, nil
	}
	return h, true, nil
}

func self(h LockInfo) bool {
	host, _ := os.Hostname()
	return h.PID == os.Getpid() && h.Host == host
}

// LockAgent implements AgentLocker.
func (s *FileStore) LockAgent(ctx context.Context, env, agent string, info LockInfo) (func() error, error) {
	if agent == "" || strings.ContainsAny(agent, `/\`) || strings.HasPrefix(agent, ".") {
		return nil, fmt.Errorf("agent lock: %q is not an agent name", agent)
	}
	release, err := s.gate(ctx, env)
	if err != nil {
		return nil, err
	}
	defer release()
	if h, live, err := liveHolder(env, s.LockPath(env)); err != nil {
		return nil, err
	} else if live && !self(h) {
		return nil, &LockedError{Env: env, Holder: h}
	}
	path := s.AgentLockPath(env, agent)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(info)
	for attempt := 0; ; attempt++ {
		err := createExclusive(path, data)
		if err == nil {
			done := holdingsFrom(ctx).add(s.Dir, env, agent)
			return func() error { done(); return releaseLock(path, data) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking lock %s: %w", path, err)
		}
		h, live, err := liveHolder(env, path)
		if err != nil {
			return nil, err
		}
		if live || attempt >= 100 {
			return nil, &LockedError{Env: env, Agent: agent, Holder: h}
		}
	}
}

// liveAgentLocks returns the holder of a live agent lock of env (not this process's), if any;
// stale ones are broken on the way.
func (s *FileStore) liveAgentLock(env string) (string, LockInfo, bool, error) {
	dir := filepath.Join(s.Dir, env+".locks")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", LockInfo{}, false, nil
	}
	if err != nil {
		return "", LockInfo{}, false, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".lock"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		h, live, err := liveHolder(env, filepath.Join(dir, n+".lock"))
		if err != nil {
			return "", LockInfo{}, false, err
		}
		if live && !self(h) {
			return n, h, true, nil
		}
	}
	return "", LockInfo{}, false, nil
}

// Holdings records which locks a run holds, so that a save of the shared state file writes
// only what the run may change: with the environment's lock, the whole document; with agent
// locks only, those agents' entries, merged into the file as it is now (other agents' runs
// save theirs meanwhile). The engine puts one in the run's context (WithHoldings).
type Holdings struct {
	mu     sync.Mutex
	env    map[string]int
	agents map[string]map[string]int
}

type holdingsKey struct{}

// WithHoldings returns ctx carrying a new, empty record of held locks (ctx itself when it
// carries one already).
func WithHoldings(ctx context.Context) context.Context {
	if holdingsFrom(ctx) != nil {
		return ctx
	}
	return context.WithValue(ctx, holdingsKey{}, &Holdings{env: map[string]int{}, agents: map[string]map[string]int{}})
}

func holdingsFrom(ctx context.Context) *Holdings {
	if ctx == nil {
		return nil
	}
	h, _ := ctx.Value(holdingsKey{}).(*Holdings)
	return h
}

func holdKey(dir, env string) string { return dir + "\x00" + env }

// add records agent's lock ("" for the environment's) and returns what forgets it.
func (h *Holdings) add(dir, env, agent string) func() {
	if h == nil {
		return func() {}
	}
	k := holdKey(dir, env)
	h.mu.Lock()
	defer h.mu.Unlock()
	if agent == "" {
		h.env[k]++
	} else {
		if h.agents[k] == nil {
			h.agents[k] = map[string]int{}
		}
		h.agents[k][agent]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if agent == "" {
				h.env[k]--
			} else {
				h.agents[k][agent]--
				if h.agents[k][agent] <= 0 {
					delete(h.agents[k], agent)
				}
			}
		})
	}
}

// mergeAgents returns the agents whose locks the run holds in env, and whether a save must
// merge only them: it holds agent locks and not the environment's.
func (h *Holdings) mergeAgents(dir, env string) ([]string, bool) {
	if h == nil {
		return nil, false
	}
	k := holdKey(dir, env)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.env[k] > 0 {
		return nil, false
	}
	var out []string
	for a, n := range h.agents[k] {
		if n > 0 && !strings.HasPrefix(a, SharedPrefix) {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out, len(out) > 0
}

// SharedPrefix starts the lock names of resources the agents of an environment share (the
// code bucket): "shared.NAME", which no agent name can be.
const SharedPrefix = "shared."
