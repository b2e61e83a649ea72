package startgc

import (
	"runtime"
	"syscall"
	"unsafe"
)

// arenaSize is how much of the heap that package initialisation fills next is backed by
// transparent huge pages: about what the SDK's schemas and the rest allocate (8-12 MB). Not
// more: in about 1 run in 100 the runtime zeroes the block when allocating it (it lies below
// memory already handed out in its heap arena), which touches all of it in 4 KiB pages before
// it is marked, and that run pays arenaSize/4 KiB faults (a 32 MiB block made those runs 2.5x
// slower than without it; with 16 MiB such a run takes ~5,000 faults against 3,750 without).
const arenaSize = 16 << 20

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
	// The heap's first 4 MiB chunk, which the runtime's own start touched only at its
	// beginning: its untouched 2 MiB halves are filled first (lowest addresses first).
	first = new([16]byte)
	p := uintptr(unsafe.Pointer(first))
	adviseHuge(p, (p&^(chunk-1))+chunk)

	arena := make([]byte, arenaSize)
	p = uintptr(unsafe.Pointer(unsafe.SliceData(arena)))
	adviseHuge(p, p+arenaSize)
	arena = nil
	runtime.GC()
}

// first keeps a small allocation on the heap, to find the heap's first chunk.
var first *[16]byte

const (
	huge  = 2 << 20 // a transparent huge page
	chunk = 4 << 20 // what the Go heap grows by at least (pallocChunkBytes)
)

// adviseHuge marks the 2 MiB pages wholly inside [from, to) MADV_HUGEPAGE; an unmapped or
// refused range is left as it is.
func adviseHuge(from, to uintptr) {
	beg := (from + huge - 1) &^ (huge - 1)
	end := to &^ (huge - 1)
	if beg < end {
		syscall.Syscall(syscall.SYS_MADVISE, beg, end-beg, 14 /* MADV_HUGEPAGE */)
	}
}
