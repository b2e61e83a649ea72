package main

import (
	"os/exec"
	"syscall"
)

// devChildAttrs makes the logs follower end with this process, even when it is killed.
func devChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
