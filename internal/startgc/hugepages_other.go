//go:build !linux

package startgc

func hugePageArena() {}
