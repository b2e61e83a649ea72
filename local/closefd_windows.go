//go:build windows

package local

// closeFD is never reached on Windows: closeFilesOf finds descriptors in /proc/self/fd, which
// Windows has not (a handle left by a panicking bbolt.Open stays until the process exits).
func closeFD(int) {}
