//go:build unix

package proctree

import (
	"bytes"
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// A cancelled command whose child forked ends at once: the grandchild holding the output pipe
// is killed with it.
func TestCancelKillsTheTree(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 30; echo late")
	Bind(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cancel()
	err := cmd.Wait()
	if took := time.Since(start); took > WaitDelay+time.Second {
		t.Fatalf("Wait returned %s after the cancel", took)
	}
	if err == nil {
		t.Fatal("a killed command reported success")
	}
	if out.Len() != 0 {
		t.Fatalf("the grandchild ran on: %q", out.String())
	}
}

// A command that exits leaving a process behind with its output pipe open returns after
// WaitDelay, with its own result.
func TestLeftBehindProcess(t *testing.T) {
	cmd := exec.CommandContext(context.Background(), "sh", "-c", "(sleep 30 &) ; echo ok")
	Bind(cmd)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err := Ignore(cmd.Run())
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the sleep left behind
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > WaitDelay+2*time.Second {
		t.Fatalf("Run took %s", took)
	}
	if out.String() != "ok\n" {
		t.Fatalf("output %q", out.String())
	}
}
