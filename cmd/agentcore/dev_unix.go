//go:build !windows

package main

import (
	"os/exec"
	"syscall"
)

// devStopChild asks the logs follower to end as Ctrl-C would.
func devStopChild(cmd *exec.Cmd) { _ = cmd.Process.Signal(syscall.SIGINT) }
