package control

import "sync"

// records writes invocations' records (the runtime log's line, the metrics) off the request
// path: a handler queues its Invocation and returns, and one goroutine, started when records
// are waiting and gone when none are, writes them in order, batching the log lines of a burst
// into one append per log group. Readers of the logs and metrics call FlushRecords first, so
// an API call made after an invocation answered sees its record, as before.
//
// A sized answer is complete for its caller with its last byte, before its handler queues the
// record: the handler reserves the record before it writes that byte (reserveRecord), and
// FlushRecords waits for reserved records too.
type records struct {
	mu       sync.Mutex
	pending  []Invocation
	reserved int             // records reserved by answers already complete, not queued yet
	writing  bool            // a drain goroutine runs
	waiters  []chan struct{} // FlushRecords calls waiting for the queue to empty
	closed   bool            // after Close: records are written by the caller
}

// reserveRecord says that an invocation's answer is about to be complete for its caller: its
// record (queued by queueRecord with reserved set) is waited for by FlushRecords from now on.
func (s *Service) reserveRecord() {
	s.records.mu.Lock()
	s.records.reserved++
	s.records.mu.Unlock()
}

// queueRecord queues inv's record (reserved: reserveRecord was called for it); after Close it
// is written at once.
func (s *Service) queueRecord(inv Invocation, reserved bool) {
	r := &s.records
	r.mu.Lock()
	if reserved {
		r.reserved--
	}
	if r.closed {
		r.mu.Unlock()
		s.recordInvocations([]Invocation{inv})
		r.mu.Lock()
		r.wake()
		r.mu.Unlock()
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
			r.wake()
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		s.recordInvocations(batch)
	}
}

// wake releases the FlushRecords calls once nothing is queued, written or reserved; r.mu is
// held. (A reserved record is queued later, and the drain of that queue wakes them.)
func (r *records) wake() {
	if r.writing || r.reserved > 0 || len(r.pending) > 0 {
		return
	}
	for _, w := range r.waiters {
		close(w)
	}
	r.waiters = nil
}

// FlushRecords returns once the records of every invocation answered so far are written.
func (s *Service) FlushRecords() {
	r := &s.records
	r.mu.Lock()
	if !r.writing && r.reserved == 0 {
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
