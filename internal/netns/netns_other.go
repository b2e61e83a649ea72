//go:build !linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

var errUnsupported = fmt.Errorf("sandboxes need Linux namespaces; this is %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Sandbox is a running sandbox; none runs on this system.
type Sandbox struct{}

// Supported is false: sandboxes need Linux.
func Supported() bool { return false }

// Unsupported says why sandboxes cannot run here.
func Unsupported() error { return errUnsupported }

// Init does nothing here.
func Init() {}

// Start fails: sandboxes need Linux.
func Start(ctx context.Context, s Spec) (*Sandbox, error) {
	return nil, fmt.Errorf("cannot start a sandbox: %w", errUnsupported)
}

// Attach fails: sandboxes need Linux.
func Attach(stateDir string) (*Sandbox, error) {
	return nil, fmt.Errorf("cannot attach to the sandbox in %s: %w", stateDir, errUnsupported)
}

func (b *Sandbox) Dial(ctx context.Context) (net.Conn, error)        { return nil, errUnsupported }
func (b *Sandbox) Exec(ctx context.Context, e ExecSpec) (int, error) { return -1, errUnsupported }
func (b *Sandbox) Terminate(time.Duration) error                     { return errUnsupported }
func (b *Sandbox) Stop() error                                       { return errUnsupported }
func (b *Sandbox) Pid() int                                          { return 0 }
func (b *Sandbox) Dir() string                                       { return "" }
func (b *Sandbox) Alive() bool                                       { return false }
func (b *Sandbox) Done() <-chan struct{}                             { c := make(chan struct{}); close(c); return c }
func (b *Sandbox) ExitStatus() (ExitStatus, bool)                    { return ExitStatus{}, false }
