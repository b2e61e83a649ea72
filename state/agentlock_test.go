package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// other is a live holder that is not this process (otherPID).
func other(t *testing.T, cmd string) LockInfo {
	host, _ := os.Hostname()
	return LockInfo{PID: otherPID(t), Host: host, Command: cmd, Since: time.Now().UTC()}
}

// Two agents lock at once; the same agent twice, or the environment while an agent is
// locked (and an agent while the environment is), is refused with the holder named.
func TestAgentLocks(t *testing.T) {
	ctx := context.Background()
	s := NewFileStore(t.TempDir())
	ua, err := s.LockAgent(ctx, "dev", "a", other(t, "agentcore update a"))
	if err != nil {
		t.Fatal(err)
	}
	ub, err := s.LockAgent(ctx, "dev", "b", other(t, "agentcore update b"))
	if err != nil {
		t.Fatalf("a second agent: %v", err)
	}
	var le *LockedError
	if _, err := s.LockAgent(ctx, "dev", "a", other(t, "agentcore destroy a")); !errors.As(err, &le) || le.Agent != "a" ||
		!strings.HasPrefix(err.Error(), fmt.Sprintf("agent a in dev is locked by pid %d ", otherPID(t))) {
		t.Fatalf("the same agent twice: %v", err)
	}
	if _, err := s.Lock(ctx, "dev", other(t, "agentcore drift"), false); !errors.As(err, &le) || le.Agent != "a" {
		t.Fatalf("the environment while agents are locked: %v", err)
	}
	if _, err := os.Stat(s.LockPath("dev")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused environment lock was left behind: %v", err)
	}
	_ = ua()
	_ = ub()
	ue, err := s.Lock(ctx, "dev", other(t, "agentcore drift"), false)
	if err != nil {
		t.Fatalf("the environment once the agents are free: %v", err)
	}
	if _, err := s.LockAgent(ctx, "dev", "a", other(t, "agentcore update a")); !errors.As(err, &le) || le.Agent != "" {
		t.Fatalf("an agent while the environment is locked: %v", err)
	}
	_ = ue()
}

// An agent lock left by a process that is gone (kill -9) is broken by the next run, and so is
// one that blocks the environment's lock.
func TestStaleAgentLockIsBroken(t *testing.T) {
	ctx := context.Background()
	s := NewFileStore(t.TempDir())
	gone := other(t, "agentcore update a")
	gone.PID = 1 << 22 // above pid_max: no such process
	if _, err := s.LockAgent(ctx, "dev", "a", gone); err != nil {
		t.Fatal(err)
	}
	u, err := s.LockAgent(ctx, "dev", "a", Holder("agentcore update a"))
	if err != nil {
		t.Fatalf("stale agent lock not broken: %v", err)
	}
	_ = u()
	if _, err := s.LockAgent(ctx, "dev", "b", gone); err != nil {
		t.Fatal(err)
	}
	ue, err := s.Lock(ctx, "dev", other(t, "agentcore drift"), false)
	if err != nil {
		t.Fatalf("a stale agent lock blocks the environment: %v", err)
	}
	_ = ue()
}

// Runs holding different agents' locks save at once: each save writes its own agent's entry
// into the file as it is then, so no run's entry is lost.
func TestAgentSavesMerge(t *testing.T) {
	s := NewFileStore(t.TempDir())
	base := context.Background()
	if err := s.Save(base, "dev", New("dev")); err != nil {
		t.Fatal(err)
	}
	agents := []string{"a", "b", "c", "d"}
	var wg sync.WaitGroup
	errs := make(chan error, len(agents))
	for _, name := range agents {
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			ctx := WithHoldings(base)
			unlock, err := s.LockAgent(ctx, "dev", name, Holder("agentcore update "+name))
			if err != nil {
				errs <- err
				return
			}
			defer unlock()
			st, err := s.Load(ctx, "dev") // each run's view: the others' entries as they were
			if err != nil {
				errs <- err
				return
			}
			for v := 1; v <= 5; v++ {
				a := st.Agents[name]
				if a == nil {
					a = &Agent{RuntimeName: name}
					st.Agents[name] = a
				}
				a.Versions = append(a.Versions, Version{Number: v, Status: "READY"})
				if err := s.Save(ctx, "dev", st); err != nil {
					errs <- err
					return
				}
			}
		}(name)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := s.Load(base, "dev")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range agents {
		if a := st.Agents[name]; a == nil || len(a.Versions) != 5 {
			t.Errorf("agent %s: %+v", name, a)
		}
	}
	if st.Serial != 1+5*int64(len(agents)) {
		t.Errorf("serial %d, want %d", st.Serial, 1+5*len(agents))
	}
}
