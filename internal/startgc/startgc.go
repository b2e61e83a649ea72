// Package startgc keeps the garbage collector out of package initialisation: the AWS SDK's
// packages allocate about 7 MB of tables at init, and collecting during that doubled the
// start-up of every command (GODEBUG=inittrace=1: about 24 ms of init with the collector,
// 12 ms without).
//
// It holds a ballast: a 64 MiB allocation that is never written, so it costs address space
// but no memory (the pages are never touched), and while it is live the collector's next
// target is past anything init allocates. The package imports nothing, so Go initialises it
// before the SDK's packages (its path sorts first and it is ready at once); main calls
// Release first thing, and the next collection reclaims it.
package startgc

var ballast = make([]byte, 64<<20)

// Release drops the ballast; it reports whether there was one (it is dropped once).
func Release() bool {
	held := len(ballast) > 0
	ballast = nil
	return held
}
