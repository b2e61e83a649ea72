package engine

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends (Ctrl-C, a failed sibling branch), returning ctx's
// error then. It is the one wait of the engine and the builtins (sleep, polling loops); call
// it inside Unlocked so that other branches run meanwhile.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
