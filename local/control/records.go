package control

import "sync"

// records writes invocations' records (the runtime log's line, the metrics) off the request
// path: a handler queues its Invocation and returns, and one goroutine, started when records
// are waiting and gone when none are, writes them in order, batching the log lines of a burst
// into one append per log group. Readers of the logs and metrics call FlushRecords first, so
// an API call made after an invocation answered sees its record, as before.
type records struct {
	mu      sync.Mutex
	pending []Invocation
	writing bool            // a drain goroutine runs
	waiters []chan struct{} // FlushRecords calls waiting for the queue to empty
	closed  bool            // after Close: records are written by the caller
}

// queueRecord queues inv's record; after Close it is written at once.
func (s *Service) queueRecord(inv Invocation) {
	r := &s.records
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		s.recordInvocations([]Invocation{inv})
		return
	}
	r.pending = append(r.pending, inv)
	start := !r.writing
	r.writing = true
	r.mu.Unlock()
	if start {
		go s.drainRecords()
	}
}

func (s *Service) drainRecords() {
	r := &s.records
	for {
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		if len(batch) == 0 {
			r.writing = false
			waiters := r.waiters
			r.waiters = nil
			r.mu.Unlock()
			for _, w := range waiters {
				close(w)
			}
			return
		}
		r.mu.Unlock()
		s.recordInvocations(batch)
	}
}

// FlushRecords returns once the records of every invocation answered so far are written.
func (s *Service) FlushRecords() {
	r := &s.records
	r.mu.Lock()
	if !r.writing {
		r.mu.Unlock()
		return
	}
	w := make(chan struct{})
	r.waiters = append(r.waiters, w)
	r.mu.Unlock()
	<-w
}

// closeRecords writes what is queued; later records are written by their handlers.
func (s *Service) closeRecords() {
	s.FlushRecords()
	s.records.mu.Lock()
	s.records.closed = true
	s.records.mu.Unlock()
	s.FlushRecords() // one queued between the two
}
