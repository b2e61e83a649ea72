package control

import (
	"net/http/httptest"
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
				s.queueRecord(Invocation{SessionID: string(rune('a' + h)), Status: i}, false)
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
	s.queueRecord(Invocation{SessionID: "closed", Status: 1}, false)
	mu.Lock()
	defer mu.Unlock()
	if len(seen["closed"]) != 1 {
		t.Fatal("a record queued after close was not written at once")
	}
}

// A sized answer is complete for its caller before its handler queues the record: FlushRecords
// called in between (the caller's next request reading metrics) waits for that record.
func TestRecordsReserved(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	s := &Service{cfg: Config{Observe: func(inv Invocation) {
		mu.Lock()
		seen = append(seen, inv.SessionID)
		mu.Unlock()
	}}}
	// the handler's writer: the answer's last byte reserves the record
	w := &statusWriter{ResponseWriter: httptest.NewRecorder(), left: -1, lastByte: s.reserveRecord}
	w.sized(5)
	w.WriteHeader(200)
	w.Write([]byte("ab"))
	if w.reserved {
		t.Fatal("reserved before the answer's last byte")
	}
	w.Write([]byte("cde"))
	if !w.reserved {
		t.Fatal("the answer's last byte did not reserve its record")
	}
	flushed := make(chan struct{})
	go func() {
		s.FlushRecords()
		close(flushed)
	}()
	select {
	case <-flushed:
		t.Fatal("FlushRecords returned before the reserved record was queued")
	case <-time.After(50 * time.Millisecond):
	}
	s.queueRecord(Invocation{SessionID: "sized"}, w.reserved)
	<-flushed
	mu.Lock()
	got := append([]string(nil), seen...)
	mu.Unlock()
	if len(got) != 1 || got[0] != "sized" {
		t.Fatalf("records written when FlushRecords returned: %v", got)
	}

	// An empty sized answer reserves with its header.
	e := &statusWriter{ResponseWriter: httptest.NewRecorder(), left: -1, lastByte: s.reserveRecord}
	e.sized(0)
	e.WriteHeader(200)
	if !e.reserved {
		t.Fatal("an empty sized answer did not reserve its record")
	}
	s.queueRecord(Invocation{SessionID: "empty"}, true)
	s.FlushRecords()
}
