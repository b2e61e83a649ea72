//go:build unix

package proctree

import (
	"errors"
	"os/exec"
	"syscall"
)

// NewGroup makes cmd, once started, the leader of a process group of its own, so that a
// terminal's Ctrl-C to this process does not reach it and TerminateGroup/KillGroup reach
// everything it starts.
func NewGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// Detach makes cmd, once started, outlive this process and its terminal (a new session).
func Detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
}

// TerminateGroup asks the process group led by pid to end (SIGTERM).
func TerminateGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGTERM) }

// KillGroup ends the process group led by pid at once (SIGKILL).
func KillGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// Kill ends the process pid alone at once (SIGKILL).
func Kill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// Terminate asks the process pid to end (SIGTERM).
func Terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }

// Signalable says whether pid runs and this process may stop it (kill 0 succeeds; a zombie
// still does, see the callers).
func Signalable(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// Gone says whether no process pid exists (ESRCH); a process of another user is not gone.
func Gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }
