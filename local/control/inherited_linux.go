package control

import (
	"os"
	"strconv"
	"sync"
	"syscall"
)

var inheritedOnce sync.Once

// keepInheritedFromChildren marks close-on-exec the descriptors above stderr that this process
// inherited without it (a lock of the shell that started the endpoint, say), so that the host
// processes it starts, which may run for hours, do not hold them. Its own are close-on-exec
// already (Go opens them so).
func keepInheritedFromChildren() {
	inheritedOnce.Do(func() {
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				syscall.CloseOnExec(fd)
			}
		}
	})
}
