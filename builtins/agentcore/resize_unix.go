//go:build unix

package agentcore

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyResize sends on ch when the terminal's size changes (SIGWINCH).
func notifyResize(ch chan<- os.Signal) { signal.Notify(ch, syscall.SIGWINCH) }
