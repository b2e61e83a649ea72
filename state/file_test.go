package state

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1)")
	}
	dead := cmd.Process.Pid // exited and reaped
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
