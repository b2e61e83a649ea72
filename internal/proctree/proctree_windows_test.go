//go:build windows

package proctree

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// waitGone waits for pid to be gone, up to d.
func waitGone(pid int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if Gone(pid) {
			return true
		}
	}
	return Gone(pid)
}

// A process is alive (OpenProcess + GetExitCodeProcess) while it runs, and gone once it exited.
func TestLiveness(t *testing.T) {
	if !Signalable(os.Getpid()) || Gone(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	cmd := helper("sleep")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !Signalable(pid) || Gone(pid) {
		t.Fatalf("a running child %d is not alive", pid)
	}
	if err := Kill(pid); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !waitGone(pid, 5*time.Second) || Signalable(pid) {
		t.Fatalf("a killed child %d is alive", pid)
	}
	if !Gone(1<<30) || Signalable(1<<30) || Signalable(0) {
		t.Fatal("a pid of no process is alive")
	}
}

// startTree starts a helper in a group of its own (Bind) that starts a child; it returns the
// command and the child's pid.
func startTree(t *testing.T, ctx context.Context) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=tree")
	Bind(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	child, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("the helper printed %q: %v %v", line, err, perr)
	}
	t.Cleanup(func() { _ = Kill(child); _ = Kill(cmd.Process.Pid) })
	return cmd, child
}

// A command started with Bind (CREATE_NEW_PROCESS_GROUP) is killed with the process it started
// when its context ends (taskkill /T /F).
func TestCancelKillsTheTree(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd, child := startTree(t, ctx)
	if Gone(child) {
		t.Fatal("the child is not running")
	}
	start := time.Now()
	cancel()
	if err := cmd.Wait(); err == nil {
		t.Fatal("a killed command reported success")
	}
	if took := time.Since(start); took > WaitDelay+5*time.Second {
		t.Fatalf("Wait returned %s after the cancel", took)
	}
	if !waitGone(child, 5*time.Second) {
		t.Fatalf("the child %d outlived its killed parent", child)
	}
}

// TerminateGroup ends a group: with Ctrl-Break when the group shares our console, else with
// KillGroup.
func TestTerminateGroup(t *testing.T) {
	cmd, child := startTree(t, context.Background())
	if err := TerminateGroup(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the group's leader still runs 10s after TerminateGroup")
	}
	if !waitGone(child, 5*time.Second) {
		t.Fatalf("the child %d outlived TerminateGroup", child)
	}
}

// underWine says whether this runs under Wine (its ntdll exports wine_get_version).
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// Ctrl-Break sent to a group (TerminateGroup's first try) reaches a Go program as os.Interrupt.
func TestCtrlBreakIsInterrupt(t *testing.T) {
	cmd := helper("interrupt")
	NewGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = KillGroup(cmd.Process.Pid); _ = cmd.Wait() }()
	r := bufio.NewReader(out)
	if line, err := r.ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("the helper printed %q: %v", line, err)
	}
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid)); err != nil {
		t.Skipf("no console to send Ctrl-Break through: %v", err)
	}
	got := make(chan string, 1)
	go func() { line, _ := r.ReadString('\n'); got <- strings.TrimSpace(line) }()
	select {
	case line := <-got:
		if line != "interrupted" {
			t.Fatalf("the helper printed %q", line)
		}
	case <-time.After(10 * time.Second):
		if underWine() {
			t.Skip("Wine did not deliver the Ctrl-Break (GenerateConsoleCtrlEvent succeeded): untested here")
		}
		t.Fatal("no os.Interrupt 10s after Ctrl-Break")
	}
}
