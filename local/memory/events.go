package memory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// eventRec is one event as stored, under key(memoryId, actorId, sessionId, eventId). The
// eventId is the event's timestamp in milliseconds and a sequence number, so keys sort
// chronologically.
type eventRec struct {
	MemoryID  string          `json:"memoryId"`
	ActorID   string          `json:"actorId"`
	SessionID string          `json:"sessionId"`
	EventID   string          `json:"eventId"`
	Timestamp time.Time       `json:"eventTimestamp"`
	Payload   []payload       `json:"payload"`
	Branch    *branch         `json:"branch,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
}

// payload is the PayloadType union: conversational or blob.
type payload struct {
	Conversational *struct {
		Content struct {
			Text *string `json:"text,omitempty"`
		} `json:"content"`
		Role string `json:"role"`
	} `json:"conversational,omitempty"`
	Blob json.RawMessage `json:"blob,omitempty"`
}

type branch struct {
	RootEventID *string `json:"rootEventId,omitempty"`
	Name        string  `json:"name"`
}

type sessionRec struct {
	CreatedAt time.Time `json:"createdAt"`
}

// tokenRec is what a call with a clientToken answered, for its retries.
type tokenRec struct {
	Idem   idempotency     `json:"idem"`
	Answer json.RawMessage `json:"answer"`
	At     time.Time       `json:"at"`
}

// key joins the parts of a bbolt key with NUL, which no identifier may contain.
func key(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

// expired reports whether an event is past its memory's eventExpiryDuration, counted in
// days from its eventTimestamp with the memory's current setting.
func expired(e *eventRec, m *memoryRec, now time.Time) bool {
	return !now.Before(e.Timestamp.Add(time.Duration(m.Expiry) * 24 * time.Hour))
}

func (e *eventRec) out(withPayload bool) map[string]any {
	o := map[string]any{"memoryId": e.MemoryID, "actorId": e.ActorID, "sessionId": e.SessionID, "eventId": e.EventID,
		"eventTimestamp": awsproto.Epoch(e.Timestamp), "payload": []payload{}}
	if withPayload && e.Payload != nil {
		o["payload"] = e.Payload
	}
	if e.Branch != nil {
		o["branch"] = e.Branch
	}
	setRaw(o, "metadata", e.Metadata)
	return o
}

// dataMemory reads a memory for a data-plane call: it must exist and not be CREATING.
func (s *Service) dataMemory(tx *bolt.Tx, id string) (*memoryRec, error) {
	m, err := s.memory(tx, id, false)
	if err != nil {
		return nil, err
	}
	if m.Status != statusActive {
		return nil, validationf("Memory %s is %s; wait until GetMemory answers ACTIVE", id, m.Status)
	}
	return m, nil
}

type createEventInput struct {
	ActorID     *string          `json:"actorId"`
	SessionID   *string          `json:"sessionId,omitempty"`
	Timestamp   *awsproto.Epoch  `json:"eventTimestamp"`
	Payload     *[]payload       `json:"payload"`
	Branch      *branch          `json:"branch,omitempty"`
	ClientToken *string          `json:"clientToken,omitempty"`
	Metadata    map[string]metaV `json:"metadata,omitempty"`
	MemoryID    string           `json:"memoryId,omitempty"` // from the path, part of the idempotency hash
}

// metaV is an event's MetadataValue union (stringValue only).
type metaV struct {
	StringValue *string `json:"stringValue,omitempty"`
}

func (s *Service) createEvent(r *http.Request, in *createEventInput) (reply, error) {
	id := r.PathValue("memoryId")
	c := &check{}
	c.required("actorId", in.ActorID != nil)
	if in.ActorID != nil {
		c.str("actorId", *in.ActorID, 1, 255, actorPattern)
	}
	c.optStr("sessionId", in.SessionID, 1, 100, sessionPattern)
	c.required("eventTimestamp", in.Timestamp != nil)
	c.required("payload", in.Payload != nil)
	if in.Payload != nil {
		c.count("payload", len(*in.Payload), 0, 100)
		for i, p := range *in.Payload {
			f := fmt.Sprintf("payload.%d.member", i+1)
			switch {
			case p.Conversational != nil && p.Blob == nil:
				cv := p.Conversational
				c.required(f+".conversational.content.text", cv.Content.Text != nil)
				if cv.Content.Text != nil {
					c.str(f+".conversational.content.text", *cv.Content.Text, 1, 100000, nil)
				}
				switch cv.Role {
				case "ASSISTANT", "USER", "TOOL", "OTHER":
				default:
					c.fail(fieldInvalid(f+".conversational.role", cv.Role, "Member must satisfy enum value set: [ASSISTANT, USER, TOOL, OTHER]"))
				}
			case p.Blob != nil && p.Conversational == nil:
			default:
				c.fail(validationf("%s must set exactly one of conversational, blob", f))
			}
		}
	}
	if in.Branch != nil {
		c.str("branch.name", in.Branch.Name, 1, 100, sessionPattern)
		c.optStr("branch.rootEventId", in.Branch.RootEventID, 1, 0, eventIDPattern)
	}
	if in.Metadata != nil {
		c.count("metadata", len(in.Metadata), 0, 15)
		for k, v := range in.Metadata {
			c.str("metadata.key", k, 1, 128, metaKeyPattern)
			c.required("metadata."+k+".stringValue", v.StringValue != nil)
			if v.StringValue != nil {
				c.str("metadata."+k+".stringValue", *v.StringValue, 0, 256, metaKeyPattern)
			}
		}
	}
	if err := c.err(); err != nil {
		return reply{}, err
	}
	now := s.cfg.Now().UTC()
	session := ""
	if in.SessionID != nil {
		session = *in.SessionID
	} else {
		// The model lets sessionId out; every event still has one.
		session = "session-" + randomAlnum(16)
	}
	token := in.ClientToken
	in.ClientToken, in.MemoryID = nil, id
	idem := newIdempotency(token, in)
	e := &eventRec{MemoryID: id, ActorID: *in.ActorID, SessionID: session, Timestamp: time.Time(*in.Timestamp).UTC(),
		Payload: *in.Payload, Branch: in.Branch}
	if in.Metadata != nil {
		e.Metadata, _ = json.Marshal(in.Metadata)
	}
	var answer json.RawMessage
	woke := false
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		m, err := s.dataMemory(tx, id)
		if err != nil {
			return err
		}
		if expired(e, m, now) {
			return validationf("eventTimestamp %s is older than the memory's eventExpiryDuration of %d days", e.Timestamp.Format(time.RFC3339), m.Expiry)
		}
		tokens := tx.Bucket(bucketTokens)
		tk := key(id, "CreateEvent", idem.Token)
		if idem.Token != "" {
			if v := tokens.Get(tk); v != nil {
				var t tokenRec
				if json.Unmarshal(v, &t) == nil {
					if retry, err := t.Idem.retries(idem, "CreateEvent"); err != nil || retry {
						answer = t.Answer
						return err
					}
				}
			}
		}
		events := tx.Bucket(bucketEvents)
		seq, _ := events.NextSequence()
		e.EventID = fmt.Sprintf("%013d#%012x", max(e.Timestamp.UnixMilli(), 0), seq)
		if err := putJSON(events, key(id, e.ActorID, e.SessionID, e.EventID), e); err != nil {
			return err
		}
		sessions := tx.Bucket(bucketSessions)
		if sk := key(id, e.ActorID, e.SessionID); sessions.Get(sk) == nil {
			if err := putJSON(sessions, sk, sessionRec{CreatedAt: now}); err != nil {
				return err
			}
		}
		// The extraction jobs of this event, one per strategy, in the same transaction:
		// a kill after the commit leaves them for the next start.
		for _, st := range m.Strategies {
			if st.Status == statusDeleting {
				continue
			}
			j := jobRec{JobID: e.EventID + "/" + st.ID, ActorID: e.ActorID, SessionID: e.SessionID, EventID: e.EventID, StrategyID: st.ID}
			if err := putJSON(tx.Bucket(bucketJobs), key(id, j.JobID), j); err != nil {
				return err
			}
			woke = true
		}
		answer, _ = json.Marshal(map[string]any{"event": e.out(true)})
		if idem.Token != "" {
			return putJSON(tokens, tk, tokenRec{Idem: idem, Answer: answer, At: now})
		}
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	if woke {
		s.poke()
	}
	return reply{http.StatusCreated, answer}, nil
}

// eventPath reads the path members that name one event, or the session of ListEvents.
func eventPath(r *http.Request, withEvent bool) (memoryID, actor, session, eventID string, err error) {
	memoryID, actor, session, eventID = r.PathValue("memoryId"), r.PathValue("actorId"), r.PathValue("sessionId"), r.PathValue("eventId")
	c := &check{}
	c.str("actorId", actor, 1, 255, actorPattern)
	if session != "" || withEvent {
		c.str("sessionId", session, 1, 100, sessionPattern)
	}
	if withEvent {
		c.str("eventId", eventID, 1, 0, eventIDPattern)
	}
	return memoryID, actor, session, eventID, c.err()
}

// readEvent reads one unexpired event.
func (s *Service) readEvent(tx *bolt.Tx, m *memoryRec, actor, session, eventID string) (*eventRec, error) {
	v := tx.Bucket(bucketEvents).Get(key(m.ID, actor, session, eventID))
	var e eventRec
	if v == nil || json.Unmarshal(v, &e) != nil || expired(&e, m, s.cfg.Now()) {
		return nil, notFoundf("Event %s not found in session %s of actor %s", eventID, session, actor)
	}
	return &e, nil
}

func (s *Service) getEvent(r *http.Request, _ *none) (reply, error) {
	id, actor, session, eventID, err := eventPath(r, true)
	if err != nil {
		return reply{}, err
	}
	var out map[string]any
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		m, err := s.dataMemory(tx, id)
		if err != nil {
			return err
		}
		e, err := s.readEvent(tx, m, actor, session, eventID)
		if err == nil {
			out = e.out(true)
		}
		return err
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusOK, map[string]any{"event": out}}, nil
}

func (s *Service) deleteEvent(r *http.Request, _ *none) (reply, error) {
	id, actor, session, eventID, err := eventPath(r, true)
	if err != nil {
		return reply{}, err
	}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		m, err := s.dataMemory(tx, id)
		if err != nil {
			return err
		}
		if _, err := s.readEvent(tx, m, actor, session, eventID); err != nil {
			return err
		}
		return tx.Bucket(bucketEvents).Delete(key(id, actor, session, eventID))
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusOK, map[string]any{"eventId": eventID}}, nil
}

type listEventsInput struct {
	IncludePayloads *bool `json:"includePayloads,omitempty"`
	Filter          *struct {
		Branch *struct {
			Name                  string `json:"name"`
			IncludeParentBranches bool   `json:"includeParentBranches"`
		} `json:"branch,omitempty"`
		EventMetadata []metaFilter `json:"eventMetadata,omitempty"`
	} `json:"filter,omitempty"`
	MaxResults *int    `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
}

// pageOf reads maxResults (default def, at most hi) and the key nextToken resumes after.
func pageOf(maxResults *int, nextToken *string, def, hi int) (int, string, error) {
	c := &check{}
	c.intRange("maxResults", maxResults, 1, hi)
	if err := c.err(); err != nil {
		return 0, "", err
	}
	after, err := awsproto.ParsePageToken(nextToken, validationf("Invalid nextToken"))
	if maxResults != nil {
		def = *maxResults
	}
	return def, after, err
}

// listEvents answers a session's unexpired events, oldest first, 20 a page unless
// maxResults says otherwise.
func (s *Service) listEvents(r *http.Request, in *listEventsInput) (reply, error) {
	id, actor, session, _, err := eventPath(r, false)
	if err != nil {
		return reply{}, err
	}
	limit, after, err := pageOf(in.MaxResults, in.NextToken, 20, 100)
	if err != nil {
		return reply{}, err
	}
	if f := in.Filter; f != nil {
		c := &check{}
		if f.Branch != nil {
			c.str("filter.branch.name", f.Branch.Name, 1, 100, sessionPattern)
		}
		if f.EventMetadata != nil {
			c.count("filter.eventMetadata", len(f.EventMetadata), 1, 5)
		}
		for i, m := range f.EventMetadata {
			field := fmt.Sprintf("filter.eventMetadata.%d.member", i+1)
			if m.Operator != "" && m.Operator != "EQUALS_TO" && m.Operator != "EXISTS" && m.Operator != "NOT_EXISTS" {
				c.fail(fieldInvalid(field+".operator", m.Operator, "Member must satisfy enum value set: [EQUALS_TO, EXISTS, NOT_EXISTS]"))
			}
			c.fail(m.check(field))
		}
		if err := c.err(); err != nil {
			return reply{}, err
		}
	}
	withPayload := in.IncludePayloads == nil || *in.IncludePayloads
	now := s.cfg.Now()
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		m, err := s.dataMemory(tx, id)
		if err != nil {
			return err
		}
		var all []*eventRec
		prefix := append(key(id, actor, session), 0)
		cur := tx.Bucket(bucketEvents).Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			var e eventRec
			if json.Unmarshal(v, &e) == nil && !expired(&e, m, now) {
				all = append(all, &e)
			}
		}
		if f := in.Filter; f != nil {
			all = filterEvents(all, f.Branch != nil, branchName(f.Branch), f.Branch != nil && f.Branch.IncludeParentBranches, f.EventMetadata)
		}
		for _, e := range all {
			if after != "" && e.EventID <= after {
				continue
			}
			if !pg.add(e.EventID, e.out(withPayload)) {
				break
			}
		}
		return nil
	})
	return pg.reply("events", err)
}

func branchName(b *struct {
	Name                  string `json:"name"`
	IncludeParentBranches bool   `json:"includeParentBranches"`
}) string {
	if b == nil {
		return ""
	}
	return b.Name
}

// filterEvents keeps the events of branch name (with the main branch's events up to the
// branch's root when parents are included) whose metadata passes every filter.
func filterEvents(all []*eventRec, byBranch bool, name string, parents bool, meta []metaFilter) []*eventRec {
	root := ""
	if byBranch && parents {
		for _, e := range all {
			if e.Branch != nil && e.Branch.Name == name && e.Branch.RootEventID != nil {
				root = *e.Branch.RootEventID
				break
			}
		}
	}
	var out []*eventRec
	for _, e := range all {
		if byBranch {
			on := e.Branch != nil && e.Branch.Name == name
			parent := parents && e.Branch == nil && root != "" && e.EventID <= root
			if !on && !parent {
				continue
			}
		}
		if len(meta) > 0 && !matchMetadata(e.Metadata, meta) {
			continue
		}
		out = append(out, e)
	}
	return out
}

type listSessionsInput struct {
	MaxResults *int    `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
	Filter     *struct {
		EventFilter string `json:"eventFilter"`
	} `json:"filter,omitempty"`
}

func (s *Service) listSessions(r *http.Request, in *listSessionsInput) (reply, error) {
	id, actor, _, _, err := eventPath(r, false)
	if err != nil {
		return reply{}, err
	}
	limit, after, err := pageOf(in.MaxResults, in.NextToken, 20, 100)
	if err != nil {
		return reply{}, err
	}
	hasEvents := false
	if in.Filter != nil && in.Filter.EventFilter != "" {
		if in.Filter.EventFilter != "HAS_EVENTS" {
			return reply{}, fieldInvalid("filter.eventFilter", in.Filter.EventFilter, "Member must satisfy enum value set: [HAS_EVENTS]")
		}
		hasEvents = true
	}
	now := s.cfg.Now()
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		m, err := s.dataMemory(tx, id)
		if err != nil {
			return err
		}
		prefix := append(key(id, actor), 0)
		cur := tx.Bucket(bucketSessions).Cursor()
		for k, v := cur.Seek(append(prefix, after...)); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			session := string(k[len(prefix):])
			if session <= after {
				continue
			}
			if hasEvents && !s.sessionHasEvents(tx, m, actor, session, now) {
				continue
			}
			var sr sessionRec
			json.Unmarshal(v, &sr)
			if !pg.add(session, map[string]any{"sessionId": session, "actorId": actor, "createdAt": awsproto.Epoch(sr.CreatedAt)}) {
				break
			}
		}
		return nil
	})
	return pg.reply("sessionSummaries", err)
}

func (s *Service) sessionHasEvents(tx *bolt.Tx, m *memoryRec, actor, session string, now time.Time) bool {
	prefix := append(key(m.ID, actor, session), 0)
	cur := tx.Bucket(bucketEvents).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var e eventRec
		if json.Unmarshal(v, &e) == nil && !expired(&e, m, now) {
			return true
		}
	}
	return false
}

func (s *Service) listActors(r *http.Request, in *listMemoriesInput) (reply, error) {
	id := r.PathValue("memoryId")
	limit, after, err := pageOf(in.MaxResults, in.NextToken, 20, 100)
	if err != nil {
		return reply{}, err
	}
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		prefix := append([]byte(id), 0)
		cur := tx.Bucket(bucketSessions).Cursor()
		start := prefix
		if after != "" {
			start = append(key(id, after), 1) // past every session of actor after
		}
		for k, _ := cur.Seek(start); k != nil && bytes.HasPrefix(k, prefix); {
			actor, _, _ := strings.Cut(string(k[len(prefix):]), "\x00")
			if !pg.add(actor, map[string]any{"actorId": actor}) {
				break
			}
			k, _ = cur.Seek(append(key(id, actor), 1))
		}
		return nil
	})
	return pg.reply("actorSummaries", err)
}
