package state

import (
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"
)

// sleeperEnv makes the test binary a process that only sleeps (a live holder that is not us).
const sleeperEnv = "AGENTCORE_STATE_TEST_SLEEPER"

var sleeper struct {
	once sync.Once
	cmd  *exec.Cmd
}

func TestMain(m *testing.M) {
	if os.Getenv(sleeperEnv) != "" {
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}
	code := m.Run()
	if sleeper.cmd != nil {
		_ = sleeper.cmd.Process.Kill()
		_ = sleeper.cmd.Wait()
	}
	os.Exit(code)
}

// otherPID is a live process that is not this one: init (pid 1) on Unix; on Windows, which has
// no pid 1, a copy of this test binary that sleeps until the tests end.
func otherPID(t *testing.T) int {
	t.Helper()
	if runtime.GOOS != "windows" {
		return 1
	}
	sleeper.once.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), sleeperEnv+"=1")
		if err := cmd.Start(); err == nil {
			sleeper.cmd = cmd
		}
	})
	if sleeper.cmd == nil {
		t.Fatal("could not start a process to hold locks")
	}
	return sleeper.cmd.Process.Pid
}

// deadPID is the pid of a process that has exited (and been waited for).
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("running a process that exits: %v", err)
	}
	return cmd.Process.Pid
}
