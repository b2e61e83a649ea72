package memory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// jobRec is one extraction job: one event run through one strategy. CreateEvent writes it in
// the event's transaction; the worker runs it and deletes it in the transaction that writes
// its records, so each job runs to completion exactly once across kills. A job that cannot
// run stays with status FAILED (the only ExtractionJobStatus of the model) until
// StartMemoryExtractionJob queues it again.
type jobRec struct {
	JobID         string `json:"jobId"`
	ActorID       string `json:"actorId"`
	SessionID     string `json:"sessionId"`
	EventID       string `json:"eventId"`
	StrategyID    string `json:"strategyId"`
	Status        string `json:"status,omitempty"` // "" pending, FAILED
	FailureReason string `json:"failureReason,omitempty"`
}

// poke wakes the worker.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// After a wake-up the worker lets jobs gather until no new one came for jobQuiet, or for
// jobMaxDelay at most, then runs them in one batch: writers take turns on the database, so
// one extraction commit per batch instead of one per job keeps CreateEvent fast under a
// stream of events.
const (
	jobQuiet    = 5 * time.Millisecond
	jobMaxDelay = 100 * time.Millisecond
)

// work runs pending jobs when poked (and once at start, for the jobs a previous run left),
// and purges expired events and deleted memories every Config.Sweep.
func (s *Service) work() {
	defer close(s.done)
	sweep := time.NewTicker(s.cfg.Sweep)
	defer sweep.Stop()
	s.poke()
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
			if !s.gather() {
				return
			}
			s.runJobs()
		case <-sweep.C:
			s.sweep()
			s.runJobs()
		}
	}
}

// gather waits for jobs to stop coming (see jobQuiet); false when the service is stopping.
func (s *Service) gather() bool {
	deadline := time.NewTimer(jobMaxDelay)
	defer deadline.Stop()
	quiet := time.NewTimer(jobQuiet)
	defer quiet.Stop()
	for {
		select {
		case <-s.stop:
			return false
		case <-deadline.C:
			return true
		case <-quiet.C:
			return true
		case <-s.wake:
			quiet.Reset(jobQuiet)
		}
	}
}

// pendingJob is a job read for running, with its key and stored bytes.
type pendingJob struct {
	key, raw []byte
	job      jobRec
}

// outcome is what running a job does: the records it writes, and whether the job is then
// deleted (done, or moot: its memory, strategy or event is gone) or kept as FAILED.
type outcome struct {
	puts   []*recordRec
	failed *jobRec
}

// runJobs runs every pending job, oldest event first, a batch at a time: the records are
// extracted in a read transaction, which does not hold writers up, then written with the
// jobs' deletion in one short write transaction, which applies a job only if it is still
// as it was read (else the next round sees it again).
func (s *Service) runJobs() {
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		var batch []pendingJob
		var outcomes []outcome
		err := s.cfg.DB.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketJobs).Cursor()
			for k, v := c.First(); k != nil && len(batch) < 256; k, v = c.Next() {
				var j jobRec
				if json.Unmarshal(v, &j) == nil && j.Status == "" {
					batch = append(batch, pendingJob{bytes.Clone(k), bytes.Clone(v), j})
				}
			}
			summaries := map[string]bool{}
			// Newest first, so that of several summary jobs of one session only the
			// newest (which sees every event) extracts.
			for i := len(batch) - 1; i >= 0; i-- {
				outcomes = append(outcomes, s.plan(tx, batch[i], summaries))
			}
			return nil
		})
		if err != nil || len(batch) == 0 {
			return
		}
		var changes []change
		err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
			changes = changes[:0]
			jobs := tx.Bucket(bucketJobs)
			for i, o := range outcomes {
				p := batch[len(batch)-1-i]
				if !bytes.Equal(jobs.Get(p.key), p.raw) {
					continue // restarted or removed meanwhile
				}
				for _, rec := range o.puts {
					ch, err := putRecord(tx, rec)
					if err != nil {
						return err
					}
					changes = append(changes, ch)
				}
				var err error
				if o.failed != nil {
					err = putJSON(jobs, p.key, o.failed)
				} else {
					err = jobs.Delete(p.key)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.cfg.Logf("memory: running %d extraction jobs: %v", len(batch), err)
			return // the jobs stay pending; the next wake-up or sweep retries them
		}
		s.idx.apply(changes...)
	}
}

// selfManagedReason is why a self-managed strategy's jobs fail here.
const selfManagedReason = "self-managed strategies deliver their payloads to an SNS topic and an S3 bucket, which the local endpoint does not do; extract the records yourself and write them with BatchCreateMemoryRecords"

// plan runs one job's extraction inside a read transaction: the records the strategy's rule
// extracts from the event (only those new or changed). summaries holds the sessions whose
// summary this batch already extracted.
func (s *Service) plan(tx *bolt.Tx, p pendingJob, summaries map[string]bool) outcome {
	j := p.job
	memoryID, _, _ := strings.Cut(string(p.key), "\x00")
	m, err := s.memory(tx, memoryID, false)
	if err != nil {
		return outcome{} // the memory is gone
	}
	st := m.strategy(j.StrategyID)
	if st == nil {
		return outcome{} // the strategy was deleted
	}
	e, err := s.readEvent(tx, m, j.ActorID, j.SessionID, j.EventID)
	if err != nil {
		return outcome{} // the event was deleted or expired
	}
	if st.Rule == ruleSelfManaged {
		j.Status, j.FailureReason = "FAILED", selfManagedReason
		return outcome{failed: &j}
	}
	ns := expandNamespace(st.Namespaces[0], j.ActorID, j.SessionID, st.ID)
	var texts []extracted
	switch st.Rule {
	case typeSemantic:
		texts = semanticFacts(e)
	case typePreference:
		texts = preferences(e)
	case typeEpisodic:
		texts = episode(e)
	case typeSummary:
		if k := string(key(memoryID, st.ID, j.ActorID, j.SessionID)); !summaries[k] {
			summaries[k] = true
			texts = summary(j.SessionID, s.sessionEvents(tx, m, j.ActorID, j.SessionID))
		}
	}
	var o outcome
	now := s.cfg.Now().UTC()
	for _, x := range texts {
		rid := recordIDFor(memoryID, st.ID, ns, x.identity)
		rec := readRecord(tx, memoryID, rid)
		if rec == nil {
			rec = &recordRec{ID: rid, MemoryID: memoryID, StrategyID: st.ID, Namespaces: []string{ns}, CreatedAt: now}
		} else if rec.Text == x.text {
			continue // the same fact again: consolidated into the record that has it
		}
		rec.Text = x.text
		o.puts = append(o.puts, rec)
	}
	return o
}

// sessionEvents reads a session's unexpired events, oldest first.
func (s *Service) sessionEvents(tx *bolt.Tx, m *memoryRec, actor, session string) []*eventRec {
	var out []*eventRec
	now := s.cfg.Now()
	prefix := append(key(m.ID, actor, session), 0)
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e eventRec
		if json.Unmarshal(v, &e) == nil && !expired(&e, m, now) {
			out = append(out, &e)
		}
	}
	return out
}

// expandNamespace substitutes a strategy's namespace template.
func expandNamespace(tmpl, actor, session, strategy string) string {
	return strings.NewReplacer("{actorId}", actor, "{sessionId}", session, "{memoryStrategyId}", strategy).Replace(tmpl)
}

// recordIDFor is the id of an extracted record: a hash of what makes it the same record (its
// memory, strategy, namespace and identity), so extracting the same fact twice updates one
// record, and a kill between extraction and commit cannot duplicate it.
func recordIDFor(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h := hex.EncodeToString(sum[:16])
	return "mem-" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// extracted is one record a rule produced: its text, and what identifies it (the same
// identity in the same namespace is the same record).
type extracted struct{ text, identity string }

// messages returns the conversational texts of e with their role, in order.
func messages(e *eventRec) (roles, texts []string) {
	for _, p := range e.Payload {
		if c := p.Conversational; c != nil && c.Content.Text != nil {
			roles = append(roles, c.Role)
			texts = append(texts, *c.Content.Text)
		}
	}
	return roles, texts
}

var sentenceEnd = lazyRegexp(`([.!?]+)(\s+|$)|\n+`)

// sentences splits text into sentences: at ., ! or ? followed by a space or the end, and at
// line breaks; each trimmed, with its end mark kept.
func sentences(text string) []string {
	var out []string
	last := 0
	for _, loc := range sentenceEnd().FindAllStringSubmatchIndex(text, -1) {
		end := loc[1]
		if loc[2] >= 0 {
			end = loc[3] // keep the marks, drop the space
		}
		if s := strings.TrimSpace(text[last:end]); s != "" {
			out = append(out, s)
		}
		last = loc[1]
	}
	if s := strings.TrimSpace(text[last:]); s != "" {
		out = append(out, s)
	}
	return out
}

// semanticFacts is the semantic rule: every sentence of USER and ASSISTANT messages that
// states something (three words or more, not a question) is one fact, identified by its
// normalised text.
func semanticFacts(e *eventRec) []extracted {
	var out []extracted
	roles, texts := messages(e)
	for i, t := range texts {
		if roles[i] != "USER" && roles[i] != "ASSISTANT" {
			continue
		}
		for _, s := range sentences(t) {
			if strings.HasSuffix(s, "?") || len(strings.Fields(s)) < 3 {
				continue
			}
			out = append(out, extracted{text: truncate(s), identity: "fact\x00" + normalise(s)})
		}
	}
	return out
}

var preferencePattern = lazyRegexp(`(?i)\b(i|we)\s+(really\s+|also\s+|do\s+not\s+|don't\s+|do\s+|would\s+)?(like|love|prefer|enjoy|hate|dislike|adore|want|favou?r|can't\s+stand|am\s+allergic\s+to)\b|\bmy\s+favou?rite\b`)

// preferences is the user-preference rule: every sentence of a USER message that states a
// liking ("I like/love/prefer/enjoy/want...", "I hate/dislike...", "my favourite...") is one
// preference, identified by its normalised text.
func preferences(e *eventRec) []extracted {
	var out []extracted
	roles, texts := messages(e)
	for i, t := range texts {
		if roles[i] != "USER" {
			continue
		}
		for _, s := range sentences(t) {
			if preferencePattern().MatchString(s) && !strings.HasSuffix(s, "?") {
				out = append(out, extracted{text: truncate(s), identity: "preference\x00" + normalise(s)})
			}
		}
	}
	return out
}

// summary is the summary rule: one record per session (identity: the session), rewritten
// at each event, listing its messages in order as "ROLE: first sentence", the oldest dropped
// first when it outgrows a record.
func summary(session string, events []*eventRec) []extracted {
	var lines []string
	for _, e := range events {
		roles, texts := messages(e)
		for i, t := range texts {
			if roles[i] != "USER" && roles[i] != "ASSISTANT" {
				continue
			}
			first := t
			if ss := sentences(t); len(ss) > 0 {
				first = ss[0]
				if len(ss) > 1 {
					first += " …"
				}
			}
			lines = append(lines, roles[i]+": "+first)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	head := "Summary of session " + session + ":"
	for len(lines) > 1 && len(head)+len(strings.Join(lines, "\n"))+1 > maxRecordText {
		lines = lines[1:]
	}
	return []extracted{{text: truncate(head + "\n" + strings.Join(lines, "\n")), identity: "summary"}}
}

// episode is the episodic rule: one record per event with conversational messages (an
// episode: the turn as it happened), identified by the event.
func episode(e *eventRec) []extracted {
	roles, texts := messages(e)
	if len(texts) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("Episode at " + e.Timestamp.Format(time.RFC3339) + ":")
	for i, t := range texts {
		b.WriteString("\n" + roles[i] + ": " + t)
	}
	return []extracted{{text: truncate(b.String()), identity: "episode\x00" + e.EventID}}
}

func normalise(s string) string { return strings.Join(tokenizeAll(s), " ") }

// tokenizeAll is tokenize without dropping stopwords: two facts that differ by "not" differ.
func tokenizeAll(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) })
}

func isWordRune(r rune) bool { return r == '\'' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func truncate(s string) string {
	if len(s) <= maxRecordText {
		return s
	}
	s = s[:maxRecordText]
	for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xC0 {
		s = s[:len(s)-1]
	}
	return s
}

// tokenTTL is how long a clientToken is remembered: AWS keeps idempotency tokens for hours,
// not forever.
const tokenTTL = 24 * time.Hour

// sweep purges what nobody can read any more: memories whose deletion finished (with all
// their events, sessions, records, jobs and tokens), expired events, and clientTokens older
// than tokenTTL. It finds them in a read transaction, which does not hold writers up, and
// takes the write lock only when there is something to delete.
func (s *Service) sweep() {
	now := s.cfg.Now()
	var gone []string
	var stale [][2][]byte // bucket, key
	s.cfg.DB.View(func(tx *bolt.Tx) error {
		mems := map[string]*memoryRec{}
		tx.Bucket(bucketMemories).ForEach(func(k, v []byte) error {
			var m memoryRec
			if json.Unmarshal(v, &m) != nil {
				return nil
			}
			if _, ok := m.view(now); !ok {
				gone = append(gone, m.ID)
			} else {
				mems[m.ID] = &m
			}
			return nil
		})
		tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			id, _, _ := strings.Cut(string(k), "\x00")
			var e eventRec
			if m := mems[id]; m != nil && json.Unmarshal(v, &e) == nil && expired(&e, m, now) {
				stale = append(stale, [2][]byte{bucketEvents, bytes.Clone(k)})
			}
			return nil
		})
		tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
			var t tokenRec
			if json.Unmarshal(v, &t) == nil && now.Sub(t.At) > tokenTTL {
				stale = append(stale, [2][]byte{bucketTokens, bytes.Clone(k)})
			}
			return nil
		})
		return nil
	})
	if len(gone) == 0 && len(stale) == 0 {
		return
	}
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, id := range gone {
			for _, b := range [][]byte{bucketEvents, bucketSessions, bucketRecords, bucketJobs, bucketTokens} {
				if err := deletePrefix(tx.Bucket(b), append([]byte(id), 0)); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bucketMemories).Delete([]byte(id)); err != nil {
				return err
			}
		}
		// Checked again: an UpdateMemory may have lengthened eventExpiryDuration meanwhile.
		mems := map[string]*memoryRec{}
		for _, bk := range stale {
			if bytes.Equal(bk[0], bucketEvents) {
				id, _, _ := strings.Cut(string(bk[1]), "\x00")
				if mems[id] == nil {
					if m, err := stored(tx, id); err == nil {
						mems[id] = m
					}
				}
				var e eventRec
				v := tx.Bucket(bucketEvents).Get(bk[1])
				if m := mems[id]; m == nil || v == nil || json.Unmarshal(v, &e) != nil || !expired(&e, m, now) {
					continue
				}
			}
			if err := tx.Bucket(bk[0]).Delete(bk[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.cfg.Logf("memory: sweeping: %v", err)
		return
	}
	for _, id := range gone {
		s.idx.dropMemory(id)
	}
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

type listJobsInput struct {
	MaxResults *int `json:"maxResults,omitempty"`
	Filter     *struct {
		StrategyID *string `json:"strategyId,omitempty"`
		SessionID  *string `json:"sessionId,omitempty"`
		ActorID    *string `json:"actorId,omitempty"`
		Status     *string `json:"status,omitempty"`
	} `json:"filter,omitempty"`
	NextToken *string `json:"nextToken,omitempty"`
}

// listExtractionJobs answers the jobs not yet done: pending ones (no status) and FAILED ones.
func (s *Service) listExtractionJobs(r *http.Request, in *listJobsInput) (reply, error) {
	id := r.PathValue("memoryId")
	limit, after, err := pageOf(in.MaxResults, in.NextToken, 50, 50)
	if err != nil {
		return reply{}, err
	}
	if f := in.Filter; f != nil && f.Status != nil && *f.Status != "FAILED" {
		return reply{}, fieldInvalid("filter.status", *f.Status, "Member must satisfy enum value set: [FAILED]")
	}
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		prefix := append([]byte(id), 0)
		c := tx.Bucket(bucketJobs).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var j jobRec
			if json.Unmarshal(v, &j) != nil || (after != "" && j.JobID <= after) {
				continue
			}
			if f := in.Filter; f != nil && ((f.StrategyID != nil && *f.StrategyID != j.StrategyID) ||
				(f.SessionID != nil && *f.SessionID != j.SessionID) || (f.ActorID != nil && *f.ActorID != j.ActorID) ||
				(f.Status != nil && *f.Status != j.Status)) {
				continue
			}
			o := map[string]any{"jobID": j.JobID, "strategyId": j.StrategyID, "sessionId": j.SessionID, "actorId": j.ActorID,
				"messages": map[string]any{"messagesList": messageList(tx, id, j)}}
			if j.Status != "" {
				o["status"], o["failureReason"] = j.Status, j.FailureReason
			}
			if !pg.add(j.JobID, o) {
				break
			}
		}
		return nil
	})
	return pg.reply("jobs", err)
}

// messageList is a job's MessagesList: its event's payload items.
func messageList(tx *bolt.Tx, memoryID string, j jobRec) []any {
	out := []any{}
	var e eventRec
	if v := tx.Bucket(bucketEvents).Get(key(memoryID, j.ActorID, j.SessionID, j.EventID)); v != nil && json.Unmarshal(v, &e) == nil {
		for i := range e.Payload {
			out = append(out, map[string]any{"eventId": j.EventID, "messageIndex": i})
		}
	}
	return out
}

type startJobInput struct {
	ExtractionJob *struct {
		JobID *string `json:"jobId"`
	} `json:"extractionJob"`
	ClientToken *string `json:"clientToken,omitempty"`
}

// startExtractionJob queues a job again (a FAILED one; a pending one stays queued).
func (s *Service) startExtractionJob(r *http.Request, in *startJobInput) (reply, error) {
	id := r.PathValue("memoryId")
	if in.ExtractionJob == nil || in.ExtractionJob.JobID == nil {
		return reply{}, fieldMissing("extractionJob.jobId")
	}
	jobID := *in.ExtractionJob.JobID
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		b := tx.Bucket(bucketJobs)
		v := b.Get(key(id, jobID))
		var j jobRec
		if v == nil || json.Unmarshal(v, &j) != nil {
			return notFoundf("Extraction job %s not found in memory %s", jobID, id)
		}
		j.Status, j.FailureReason = "", ""
		return putJSON(b, key(id, jobID), j)
	})
	if err != nil {
		return reply{}, err
	}
	s.poke()
	return reply{http.StatusOK, map[string]any{"jobId": jobID}}, nil
}
