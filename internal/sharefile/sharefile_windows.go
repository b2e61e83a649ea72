//go:build windows

package sharefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// Windows refuses to remove or rename a file another handle has open without FILE_SHARE_DELETE,
// and to rename a file over one that is open at all; hard links share one file, so a reader
// of a lock or credentials file also blocks the removal of the temporary name it was published
// from. Runs of agentcore read locks, state and credentials files that other runs release,
// break and replace, so: ReadFile opens with FILE_SHARE_DELETE (os.ReadFile does not), and
// Rename and Remove try again, for a while, when the file is busy (another program's read, an
// editor's or a virus scanner's handle), as cmd/go's robustio does.

// busyFor bounds how long Rename and Remove wait for a busy file.
const busyFor = 2 * time.Second

// ReadFile reads path like os.ReadFile, with a handle that lets others remove or rename it.
func ReadFile(path string) ([]byte, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(h), path)
	defer f.Close()
	return io.ReadAll(f)
}

// Rename is os.Rename, tried again while the file is busy.
func Rename(from, to string) error { return whileBusy(func() error { return os.Rename(from, to) }) }

// Remove is os.Remove, tried again while the file is busy. The file is first renamed to a
// name of its own: a file removed while another handle has it open (FILE_SHARE_DELETE) stays
// "delete pending" under its name until that handle closes, and meanwhile the name cannot be
// created again, so a lock released while another run reads it would still block the next
// taker. Renamed, its name is free at once.
func Remove(path string) error {
	var b [6]byte
	_, _ = rand.Read(b[:])
	gone := path + ".removed-" + hex.EncodeToString(b[:])
	if err := whileBusy(func() error { return os.Rename(path, gone) }); err == nil {
		path = gone
	} else if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return whileBusy(func() error { return os.Remove(path) })
}

// whileBusy runs op until it does not fail because a file is in use, or busyFor has passed.
func whileBusy(op func() error) error {
	deadline := time.Now().Add(busyFor)
	wait := time.Millisecond
	for {
		err := op()
		if !busy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 100*time.Millisecond)
	}
}

func busy(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}
