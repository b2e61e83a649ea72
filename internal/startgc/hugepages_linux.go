package startgc

import (
	"runtime"
	"syscall"
	"unsafe"
)

// arenaSize is how much of the heap that package initialisation fills next is backed by
// transparent huge pages: more than the ~12 MB the SDK's schemas and the rest allocate.
const arenaSize = 32 << 20

// hugePageArena makes the heap that initialisation is about to fill fault in 2 MiB pages
// instead of 4 KiB ones. The SDK's packages touch ~12 MB at init, ~3,000 page faults; in a
// virtual machine a fault costs 5-10 µs (a third of `agentcore --help` on the 2-core test VM,
// `perf record`), and a huge page takes one fault per 2 MiB. With THP in "madvise" mode (the
// usual default) the kernel gives huge pages only to memory marked MADV_HUGEPAGE, and Go maps
// its heap without that mark. So: allocate a block, mark its range, free it with one
// collection (cheap this early: the heap holds little), and the allocator, which takes the
// lowest free pages first, places the next spans in the marked range. Where it fails
// (THP off, an old kernel, a runtime that places spans otherwise), nothing changes but speed.
func hugePageArena() {
	arena := make([]byte, arenaSize)
	const huge = 2 << 20
	p := uintptr(unsafe.Pointer(unsafe.SliceData(arena)))
	beg := (p + huge - 1) &^ (huge - 1)
	end := (p + arenaSize) &^ (huge - 1)
	if beg < end {
		_ = syscall.Madvise(arena[beg-p:end-p], 14 /* MADV_HUGEPAGE */)
	}
	arena = nil
	runtime.GC()
}
