//go:build windows

package proctree

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"

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

// KillGroup ends pid and every process it started, and the processes those started, at once.
// Windows has no process groups to signal: the tree is walked by parent pid in a snapshot of
// the processes (what taskkill /T does; Wine's taskkill has no /T), taken again until it finds
// no one left, so that a child started meanwhile is not missed.
func KillGroup(pid int) error {
	err := Kill(pid)
	for round := 0; round < 5; round++ {
		tree, terr := descendants(pid)
		if terr != nil || len(tree) == 0 {
			break
		}
		for _, p := range tree {
			_ = Kill(p)
		}
	}
	return err
}

// descendants are the processes below pid in the parent tree, children first. A process is
// taken as a child only when it started after its parent: a parent pid may have been reused.
func descendants(pid int) ([]int, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(snap)
	children := map[uint32][]uint32{}
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if e.ProcessID != e.ParentProcessID {
			children[e.ParentProcessID] = append(children[e.ParentProcessID], e.ProcessID)
		}
	}
	var out []int
	queue := []uint32{uint32(pid)}
	seen := map[uint32]bool{uint32(pid): true}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		born, parentKnown := started(parent)
		for _, c := range children[parent] {
			if seen[c] {
				continue
			}
			if t, ok := started(c); parentKnown && ok && t.Before(born) {
				continue // older than the parent: the parent pid was reused
			}
			seen[c] = true
			out = append(out, int(c))
			queue = append(queue, c)
		}
	}
	return out, nil
}

// started is when process pid started, if it can be read (a process that exited cannot).
func started(pid uint32) (time.Time, bool) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return time.Time{}, false
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, created.Nanoseconds()), true
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
