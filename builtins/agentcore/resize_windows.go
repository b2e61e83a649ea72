//go:build windows

package agentcore

import "os"

// notifyResize does nothing on Windows, which has no signal for a console's new size: the
// shell keeps the size it had when it opened.
func notifyResize(chan<- os.Signal) {}
