// Package startgc keeps the garbage collector out of package initialisation: the AWS SDK's
// packages allocate about 7 MB of tables at init, and collecting during that doubled the
// start-up of every command (GODEBUG=inittrace=1: about 24 ms of init with the collector,
// 12 ms without).
//
// It holds a ballast: a 64 MiB allocation that is never written, so it costs address space
// but no memory (the pages are never touched), and while it is live the collector's next
// target is past anything init allocates. Go initialises this package before the SDK's
// packages: it imports only runtime and syscall, which they need too, and its path sorts
// first. main calls Release first thing, and the next collection reclaims it.
//
// On Linux it also has the heap that init fills next backed by transparent huge pages
// (hugePageArena): after the collector, page faults were the largest cost left.
package startgc

var ballast = make([]byte, 64<<20)

func init() { hugePageArena() }

// Release drops the ballast; it reports whether there was one (it is dropped once).
func Release() bool {
	held := len(ballast) > 0
	ballast = nil
	return held
}
