// Package proctree starts, watches and stops processes and their trees the same way on every
// OS: a command in a process group of its own (Unix: setpgid; Windows: CREATE_NEW_PROCESS_GROUP),
// killed with everything it started, and a pid's liveness (Unix: kill 0; Windows: OpenProcess).
// The OS-specific calls live in proctree_unix.go and proctree_windows.go, and nowhere else.
package proctree

import (
	"os/exec"
	"time"
)

// WaitDelay is how long Wait waits, once the command was killed or has exited, for the
// processes it left behind to close its output pipes.
const WaitDelay = 2 * time.Second

// Bind runs cmd (made with exec.CommandContext) in a process group of its own and, when its
// context ends (Ctrl-C, a failed parallel branch), kills the whole group rather than the
// command alone. Without it a command that forked (sh -c, make, npm, pip) leaves children
// holding its output pipe, and cmd.Wait, and with it the interrupted run, waits for them.
// WaitDelay bounds what a process that left the group (a daemon) can hold: Wait then
// returns exec.ErrWaitDelay, which Ignore turns back into the command's own result.
func Bind(cmd *exec.Cmd) {
	NewGroup(cmd)
	cmd.Cancel = func() error {
		if err := KillGroup(cmd.Process.Pid); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = WaitDelay
}

// Ignore maps exec.ErrWaitDelay (the command exited successfully, a process it left behind
// still held its output) to nil: the command's result is what counts.
func Ignore(err error) error {
	if err == exec.ErrWaitDelay {
		return nil
	}
	return err
}
