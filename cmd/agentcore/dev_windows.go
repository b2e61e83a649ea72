package main

import "os/exec"

// devStopChild ends the logs follower (Windows has no SIGINT for another process).
func devStopChild(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
