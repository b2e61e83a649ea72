//go:build windows

package proctree

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/windows"
)

// stillActive is what GetExitCodeProcess reports for a process that has not exited.
const stillActive = 259

// NewGroup makes cmd, once started, the root of a process group of its own
// (CREATE_NEW_PROCESS_GROUP): the console's Ctrl-C does not reach it, and TerminateGroup
// sends it Ctrl-Break, which Go programs receive as os.Interrupt.
func NewGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP
}

// Detach makes cmd, once started, outlive this process: Windows does not end children with
// their parent, so a group of its own (out of reach of this console's Ctrl-C) is enough.
func Detach(cmd *exec.Cmd) { NewGroup(cmd) }

// TerminateGroup asks the process group rooted at pid to end: Ctrl-Break to the group, or,
// when it has no console of ours to receive it, KillGroup.
func TerminateGroup(pid int) error {
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(pid)); err == nil {
		return nil
	}
	return KillGroup(pid)
}

// KillGroup ends pid and every process it started at once (taskkill /T /F walks the tree by
// parent pid, as Windows has no process groups to signal), or pid alone when that fails.
func KillGroup(pid int) error {
	if err := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run(); err == nil {
		return nil
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// Kill ends the process pid alone at once.
func Kill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// Terminate asks the process pid to end: Ctrl-Break when it leads a group, else it is ended.
func Terminate(pid int) error { return TerminateGroup(pid) }

// Signalable says whether pid runs and this process may stop it.
func Signalable(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	return running(h)
}

// Gone says whether no process pid runs; one this process may not open (another user's) is
// not gone.
func Gone(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return !errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	return !running(h)
}

func running(h windows.Handle) bool {
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true // cannot tell: not gone
	}
	return code == stillActive
}
