//go:build !linux

package control

// keepInheritedFromChildren does nothing here (see inherited_linux.go).
func keepInheritedFromChildren() {}
