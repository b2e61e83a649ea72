package control

import (
	"sync"
	"testing"
	"time"
)

// Records queued by concurrent handlers are all written, each handler's in order, once
// FlushRecords returns; after Close a record is written before queueRecord returns.
func TestRecordsFlush(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]int{}
	s := &Service{cfg: Config{Observe: func(inv Invocation) {
		time.Sleep(20 * time.Microsecond) // a slow writer, so records pile up behind it
		mu.Lock()
		seen[inv.SessionID] = append(seen[inv.SessionID], inv.Status)
		mu.Unlock()
	}}}
	const handlers, each = 8, 50
	var wg sync.WaitGroup
	for h := range handlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				s.queueRecord(Invocation{SessionID: string(rune('a' + h)), Status: i})
			}
		}()
	}
	wg.Wait()
	s.FlushRecords()
	mu.Lock()
	for h := range handlers {
		got := seen[string(rune('a'+h))]
		if len(got) != each {
			t.Fatalf("handler %d: %d records written after FlushRecords, want %d", h, len(got), each)
		}
		for i, st := range got {
			if st != i {
				t.Fatalf("handler %d: records out of order: %v", h, got)
			}
		}
	}
	mu.Unlock()
	s.records.mu.Lock()
	writing := s.records.writing
	s.records.mu.Unlock()
	if writing {
		t.Fatal("the drain goroutine still runs with nothing queued")
	}

	s.closeRecords()
	s.queueRecord(Invocation{SessionID: "closed", Status: 1})
	mu.Lock()
	defer mu.Unlock()
	if len(seen["closed"]) != 1 {
		t.Fatal("a record queued after close was not written at once")
	}
}
