//go:build !linux

package docker

// socketPeer is only known on Linux, where binfmt_misc is; elsewhere the engine runs in a VM.
func socketPeer(string) int { return 0 }
