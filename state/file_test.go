package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/internal/sharefile"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	s := NewFileStore(t.TempDir())
	ctx := context.Background()
	st, err := s.Load(ctx, "dev")
	if err != nil || len(st.Agents) != 0 || st.Schema != SchemaVersion {
		t.Fatalf("empty load: %+v %v", st, err)
	}
	st.Agents["bot"] = &Agent{RuntimeName: "p_bot_dev", Versions: []Version{{Number: 1, Digest: "sha256:x"}},
		Endpoints: map[string]*Endpoint{"DEFAULT": {Version: 1}}}
	if err := s.Save(ctx, "dev", st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 1 || got.Agents["bot"].Endpoints["DEFAULT"].Version != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	// no temporary files left behind
	entries, _ := os.ReadDir(s.Dir)
	if len(entries) != 1 {
		t.Fatalf("stray files: %v", entries)
	}
}

func TestSaveRefusesInvalidAndKeepsOld(t *testing.T) {
	s := NewFileStore(t.TempDir())
	ctx := context.Background()
	st := New("dev")
	st.Agents["bot"] = &Agent{Versions: []Version{{Number: 1}}}
	if err := s.Save(ctx, "dev", st); err != nil {
		t.Fatal(err)
	}
	st.Agents["bot"].Versions = append(st.Agents["bot"].Versions, Version{Number: 1})
	if err := s.Save(ctx, "dev", st); err == nil {
		t.Fatal("duplicate version saved")
	}
	got, err := s.Load(ctx, "dev")
	if err != nil || len(got.Agents["bot"].Versions) != 1 {
		t.Fatalf("old state lost: %+v %v", got, err)
	}
}

func TestLoadRejectsNewerSchemaAndUnknownFields(t *testing.T) {
	s := NewFileStore(t.TempDir())
	os.WriteFile(s.Path("dev"), []byte(`{"schema": 99, "agents": {}}`), 0o644)
	if _, err := s.Load(context.Background(), "dev"); err == nil || !strings.Contains(err.Error(), "upgrade agentcore") {
		t.Fatal(err)
	}
	os.WriteFile(s.Path("dev"), []byte(`{"schema": 1, "agnets": {}}`), 0o644)
	if _, err := s.Load(context.Background(), "dev"); err == nil || !strings.Contains(err.Error(), "agnets") {
		t.Fatal(err)
	}
}

func TestLockFailsFastNamingHolderAndWaits(t *testing.T) {
	s := NewFileStore(t.TempDir())
	s.Poll = 10 * time.Millisecond
	ctx := context.Background()
	host, _ := os.Hostname()
	me := LockInfo{PID: os.Getpid(), Host: host, Command: "agentcore create bot", Since: time.Now()}
	unlock, err := s.Lock(ctx, "dev", me, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Lock(ctx, "dev", LockInfo{PID: os.Getpid(), Host: host, Command: "second"}, false)
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "agentcore create bot") || !strings.Contains(err.Error(), host) {
		t.Fatalf("err = %v", err)
	}
	done := make(chan error)
	go func() {
		u, err := s.Lock(ctx, "dev", LockInfo{PID: os.Getpid(), Host: host, Command: "waiter"}, true)
		if err == nil {
			err = u()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never got the lock")
	}
}

func TestLockOfDeadProcessIsBroken(t *testing.T) {
	s := NewFileStore(t.TempDir())
	dead := deadPID(t) // exited and reaped
	host, _ := os.Hostname()
	if _, err := s.Lock(context.Background(), "dev", LockInfo{PID: dead, Host: host, Command: "crashed"}, false); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(context.Background(), "dev", LockInfo{PID: os.Getpid(), Host: host, Command: "next"}, false)
	if err != nil {
		t.Fatalf("stale lock not broken: %v", err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(s.Dir, "dev.lock")); !os.IsNotExist(err) {
		t.Fatal("lock not removed")
	}
}

func TestLockOnOtherHostIsNotBroken(t *testing.T) {
	s := NewFileStore(t.TempDir())
	if _, err := s.Lock(context.Background(), "dev", LockInfo{PID: 1 << 22, Host: "elsewhere", Command: "remote"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(context.Background(), "dev", LockInfo{PID: os.Getpid(), Host: "here"}, false); err == nil {
		t.Fatal("broke another host's lock")
	}
}

// A run that reads the state and the lock (another run's Load, a waiter polling the lock) does
// not make this run's save, lock release or stale-lock break fail: on Windows a file open for
// reading blocks its removal and renaming unless it was opened with FILE_SHARE_DELETE.
func TestSaveAndUnlockWhileRead(t *testing.T) {
	ctx := context.Background()
	s := NewFileStore(t.TempDir())
	host, _ := os.Hostname()
	if err := s.Save(ctx, "dev", New("dev")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = s.Load(ctx, "dev")
			_, _ = sharefile.ReadFile(s.LockPath("dev"))
		}
	}()
	defer func() { close(stop); <-done }()
	dead := deadPID(t)
	for i := 0; i < 200; i++ {
		unlock, err := s.Lock(ctx, "dev", LockInfo{PID: os.Getpid(), Host: host, Command: "save"}, false)
		if err != nil {
			t.Fatalf("round %d: lock: %v", i, err)
		}
		st, err := s.Load(ctx, "dev")
		if err != nil {
			t.Fatalf("round %d: load: %v", i, err)
		}
		if err := s.Save(ctx, "dev", st); err != nil {
			t.Fatalf("round %d: save: %v", i, err)
		}
		if err := unlock(); err != nil {
			t.Fatalf("round %d: unlock: %v", i, err)
		}
		// a lock left by a dead process is broken by the next run while being read
		if i%10 == 0 {
			if _, err := s.Lock(ctx, "dev", LockInfo{PID: dead, Host: host, Command: "crashed"}, false); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
	}
}
