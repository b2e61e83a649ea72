package startgc

import (
	"os"
	"strings"
	"testing"
)

// The heap range init fills is marked for huge pages (VmFlags "hg" in smaps), unless the
// kernel has transparent huge pages off.
func TestHeapArenaIsMarkedForHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skip("transparent huge pages are off here")
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(smaps), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "VmFlags:" {
			for _, flag := range f[1:] {
				if flag == "hg" {
					return
				}
			}
		}
	}
	t.Fatal("no mapping of this process is marked MADV_HUGEPAGE")
}
