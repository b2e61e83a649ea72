package docker

import (
	"net"
	"syscall"
	"time"
)

// socketPeer returns the PID of the process serving the unix socket at path, as this
// process's PID namespace numbers it: 0 when that process is in a namespace this one does not
// see (or on any error).
func socketPeer(path string) int {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0
	}
	pid := 0
	_ = raw.Control(func(fd uintptr) {
		if u, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED); err == nil {
			pid = int(u.Pid)
		}
	})
	return pid
}
