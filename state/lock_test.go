package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseStatStart(t *testing.T) {
	// the command name may hold spaces and parentheses
	line := "4242 (a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
	if n, ok := parseStatStart(line); !ok || n != 987654 {
		t.Fatalf("start = %d, %v", n, ok)
	}
	if _, ok := parseStatStart("garbage"); ok {
		t.Fatal("parsed garbage")
	}
}

func TestHolderNamesThisProcess(t *testing.T) {
	h := Holder("agentcore create bot")
	if h.PID != os.Getpid() || h.Check() != nil {
		t.Fatalf("holder = %+v (%v)", h, h.Check())
	}
	if linux := runtime.GOOS == "linux"; linux && (h.StartTime == 0 || h.BootID == "") {
		t.Fatalf("no start time or boot id on Linux: %+v", h)
	} else if !linux && (h.StartTime != 0 || h.BootID != "") {
		t.Fatalf("a start time or boot id from a /proc on %s: %+v", runtime.GOOS, h)
	}
	if stale, why := Stale(h); stale {
		t.Fatalf("own lock judged stale: %s", why)
	}
}

func TestLockOfReusedPidIsBroken(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pid reuse is told by /proc, on Linux only")
	}
	s := NewFileStore(t.TempDir())
	// A live process (this one) whose start time is not the recorded one: the pid was reused.
	h := Holder("crashed long ago")
	h.StartTime++
	if stale, why := Stale(h); !stale || !strings.Contains(why, "another process") {
		t.Fatalf("stale = %v (%s)", stale, why)
	}
	if _, err := s.Lock(context.Background(), "dev", h, false); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(context.Background(), "dev", Holder("next"), false)
	if err != nil {
		t.Fatalf("lock of a reused pid not broken: %v", err)
	}
	unlock()
	// Another boot: stale too.
	h = Holder("before the reboot")
	h.BootID = "00000000-0000-0000-0000-000000000000"
	if stale, why := Stale(h); !stale || !strings.Contains(why, "rebooted") {
		t.Fatalf("stale = %v (%s)", stale, why)
	}
	// Another host: never.
	h = Holder("remote")
	h.Host = "elsewhere"
	h.PID = 1 << 22
	if stale, _ := Stale(h); stale {
		t.Fatal("another host's lock judged stale")
	}
}

func TestInvalidLockIsReportedAndBrokenOnRequest(t *testing.T) {
	for name, content := range map[string]string{"empty": "", "not json": "hello", "no holder": "{}"} {
		t.Run(name, func(t *testing.T) {
			s := NewFileStore(t.TempDir())
			os.MkdirAll(s.Dir, 0o755)
			os.WriteFile(s.LockPath("dev"), []byte(content), 0o644)
			_, err := s.Lock(context.Background(), "dev", Holder("me"), false)
			var ie *InvalidLockError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "lock file "+s.LockPath("dev")+" is not a valid lock: ") {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), "pid 0") || strings.Contains(err.Error(), "0001-01-01") {
				t.Fatalf("err = %v", err)
			}
			if err := ie.Break(context.Background()); err != nil {
				t.Fatal(err)
			}
			unlock, err := s.Lock(context.Background(), "dev", Holder("me"), false)
			if err != nil {
				t.Fatal(err)
			}
			unlock()
		})
	}
	// A bad lock replaced by a real one meanwhile is not removed.
	s := NewFileStore(t.TempDir())
	os.MkdirAll(s.Dir, 0o755)
	os.WriteFile(s.LockPath("dev"), nil, 0o644)
	_, err := s.Lock(context.Background(), "dev", Holder("me"), false)
	var ie *InvalidLockError
	if !errors.As(err, &ie) {
		t.Fatal(err)
	}
	os.WriteFile(s.LockPath("dev"), []byte(`{"pid": 1}`), 0o644)
	if err := ie.Break(context.Background()); err == nil {
		t.Fatal("broke a lock that changed")
	}
}

func TestAcquireWaitsNotifiesAndTimesOut(t *testing.T) {
	s := NewFileStore(t.TempDir())
	held := Holder("agentcore create bot")
	unlock, err := s.Lock(context.Background(), "dev", held, false)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notes []string
	opts := WaitOptions{Wait: true, Timeout: 300 * time.Millisecond, Poll: 20 * time.Millisecond, Remind: 100 * time.Millisecond,
		Notify: func(h LockInfo, first bool) {
			mu.Lock()
			defer mu.Unlock()
			notes = append(notes, fmt.Sprintf("%v %s", first, h.Command))
		}}
	start := time.Now()
	_, err = Acquire(context.Background(), s, "dev", Holder("waiter"), opts)
	var te *LockTimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "agentcore create bot") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("waited %s", d)
	}
	mu.Lock()
	if len(notes) < 2 || notes[0] != "true agentcore create bot" || notes[1] != "false agentcore create bot" {
		t.Fatalf("notes = %q", notes)
	}
	mu.Unlock()
	// Released while waiting: taken.
	go func() { time.Sleep(50 * time.Millisecond); unlock() }()
	opts.Timeout = 5 * time.Second
	u, err := Acquire(context.Background(), s, "dev", Holder("waiter"), opts)
	if err != nil {
		t.Fatal(err)
	}
	u()
	if _, err := os.Stat(filepath.Join(s.Dir, "dev.lock")); !os.IsNotExist(err) {
		t.Fatal("lock not removed")
	}
}
