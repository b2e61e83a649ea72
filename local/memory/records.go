package memory

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// recordRec is one long-term memory record as stored, under key(memoryId, memoryRecordId).
type recordRec struct {
	ID         string          `json:"memoryRecordId"`
	MemoryID   string          `json:"memoryId"`
	StrategyID string          `json:"memoryStrategyId,omitempty"`
	Namespaces []string        `json:"namespaces"`
	Text       string          `json:"text"`
	CreatedAt  time.Time       `json:"createdAt"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

const maxRecordText = 16000

func (rec *recordRec) out(score *float64) map[string]any {
	ns := rec.Namespaces
	if ns == nil {
		ns = []string{}
	}
	o := map[string]any{"memoryRecordId": rec.ID, "content": map[string]string{"text": rec.Text},
		"namespaces": ns, "createdAt": awsproto.Epoch(rec.CreatedAt)}
	if rec.StrategyID != "" {
		o["memoryStrategyId"] = rec.StrategyID
	}
	if score != nil {
		o["score"] = *score
	}
	setRaw(o, "metadata", rec.Metadata)
	return o
}

// namespace is a record's namespace ("" for none).
func (rec *recordRec) namespace() string {
	if len(rec.Namespaces) == 0 {
		return ""
	}
	return rec.Namespaces[0]
}

func readRecord(tx *bolt.Tx, memoryID, id string) *recordRec {
	v := tx.Bucket(bucketRecords).Get(key(memoryID, id))
	if v == nil {
		return nil
	}
	var rec recordRec
	if json.Unmarshal(v, &rec) != nil {
		return nil
	}
	return &rec
}

// putRecord stores rec and returns the index change to apply once the transaction commits.
func putRecord(tx *bolt.Tx, rec *recordRec) (change, error) {
	return change{memoryID: rec.MemoryID, put: rec}, putJSON(tx.Bucket(bucketRecords), key(rec.MemoryID, rec.ID), rec)
}

func deleteRecord(tx *bolt.Tx, memoryID, id string) (change, error) {
	return change{memoryID: memoryID, del: id}, tx.Bucket(bucketRecords).Delete(key(memoryID, id))
}

func checkRecordID(field, id string) error {
	c := &check{}
	c.str(field, id, 40, 50, recordIDPattern)
	return c.err()
}

func (s *Service) getRecord(r *http.Request, _ *none) (reply, error) {
	id, rid := r.PathValue("memoryId"), r.PathValue("memoryRecordId")
	if err := checkRecordID("memoryRecordId", rid); err != nil {
		return reply{}, err
	}
	var out map[string]any
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		rec := readRecord(tx, id, rid)
		if rec == nil {
			return notFoundf("Memory record %s not found in memory %s", rid, id)
		}
		out = rec.out(nil)
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusOK, map[string]any{"memoryRecord": out}}, nil
}

func (s *Service) deleteRecord(r *http.Request, _ *none) (reply, error) {
	id, rid := r.PathValue("memoryId"), r.PathValue("memoryRecordId")
	if err := checkRecordID("memoryRecordId", rid); err != nil {
		return reply{}, err
	}
	var ch change
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		if readRecord(tx, id, rid) == nil {
			return notFoundf("Memory record %s not found in memory %s", rid, id)
		}
		var err error
		ch, err = deleteRecord(tx, id, rid)
		return err
	})
	if err != nil {
		return reply{}, err
	}
	s.idx.apply(ch)
	return reply{http.StatusOK, map[string]any{"memoryRecordId": rid}}, nil
}

// recordInput is MemoryRecordCreateInput and MemoryRecordUpdateInput.
type recordInput struct {
	RequestIdentifier *string                 `json:"requestIdentifier,omitempty"`
	MemoryRecordID    *string                 `json:"memoryRecordId,omitempty"`
	Namespaces        []string                `json:"namespaces,omitempty"`
	Content           *struct{ Text *string } `json:"content,omitempty"`
	Timestamp         *awsproto.Epoch         `json:"timestamp"`
	StrategyID        *string                 `json:"memoryStrategyId,omitempty"`
	Metadata          json.RawMessage         `json:"metadata,omitempty"`
}

type batchInput struct {
	Records     *[]recordInput `json:"records"`
	ClientToken *string        `json:"clientToken,omitempty"`
	MemoryID    string         `json:"memoryId,omitempty"` // from the path, part of the idempotency hash
}

// checkRecordInput checks one record of a batch; the error is that record's failure.
func checkRecordInput(f string, in *recordInput, create bool) error {
	c := &check{}
	if create {
		c.required(f+".requestIdentifier", in.RequestIdentifier != nil)
		c.optStr(f+".requestIdentifier", in.RequestIdentifier, 1, 80, requestIDPattern)
		c.required(f+".namespaces", in.Namespaces != nil)
		c.required(f+".content", in.Content != nil)
	} else {
		c.required(f+".memoryRecordId", in.MemoryRecordID != nil)
		if in.MemoryRecordID != nil {
			c.str(f+".memoryRecordId", *in.MemoryRecordID, 40, 50, recordIDPattern)
		}
	}
	c.required(f+".timestamp", in.Timestamp != nil)
	if in.Namespaces != nil {
		c.count(f+".namespaces", len(in.Namespaces), 0, 1)
		for _, n := range in.Namespaces {
			c.str(f+".namespaces.member", n, 1, 1024, namespacePattern)
		}
	}
	if in.Content != nil {
		c.required(f+".content.text", in.Content.Text != nil)
		if in.Content.Text != nil {
			c.str(f+".content.text", *in.Content.Text, 1, maxRecordText, nil)
		}
	}
	c.optStr(f+".memoryStrategyId", in.StrategyID, 1, 100, strategyIDRecord)
	if len(in.Metadata) > 0 {
		c.fail(checkRecordMetadata(f+".metadata", in.Metadata))
	}
	return c.err()
}

// batchResult is one MemoryRecordOutput.
func batchResult(id string, reqID *string, err error) map[string]any {
	o := map[string]any{"memoryRecordId": id, "status": "SUCCEEDED"}
	if reqID != nil {
		o["requestIdentifier"] = *reqID
	}
	if err != nil {
		o["status"] = "FAILED"
		o["errorCode"] = http.StatusBadRequest
		if e, ok := err.(*apiError); ok {
			o["errorCode"] = e.Status
		}
		o["errorMessage"] = err.Error()
	}
	return o
}

// batch runs one batch operation: each record succeeds or fails on its own; the whole batch
// is one transaction, and a clientToken's retry answers the first call's result.
func (s *Service) batch(r *http.Request, in *batchInput, opName string, status int, each func(tx *bolt.Tx, m *memoryRec, i int, rec *recordInput) (string, change, error)) (reply, error) {
	id := r.PathValue("memoryId")
	if in.Records == nil {
		return reply{}, fieldMissing("records")
	}
	c := &check{}
	c.count("records", len(*in.Records), 0, 100)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	token := in.ClientToken
	in.ClientToken, in.MemoryID = nil, id
	idem := newIdempotency(token, in)
	var answer json.RawMessage
	var changes []change
	now := s.cfg.Now().UTC()
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		m, err := s.dataMemory(tx, id)
		if err != nil {
			return err
		}
		tk := key(id, opName, idem.Token)
		if idem.Token != "" {
			if v := tx.Bucket(bucketTokens).Get(tk); v != nil {
				var t tokenRec
				if json.Unmarshal(v, &t) == nil {
					if retry, err := t.Idem.retries(idem, opName); err != nil || retry {
						answer = t.Answer
						return err
					}
				}
			}
		}
		ok, failed := []any{}, []any{}
		for i := range *in.Records {
			rec := &(*in.Records)[i]
			rid, ch, err := each(tx, m, i, rec)
			if err != nil {
				failed = append(failed, batchResult(rid, rec.RequestIdentifier, err))
				continue
			}
			changes = append(changes, ch)
			ok = append(ok, batchResult(rid, rec.RequestIdentifier, nil))
		}
		answer, _ = json.Marshal(map[string]any{"successfulRecords": ok, "failedRecords": failed})
		if idem.Token != "" {
			return putJSON(tx.Bucket(bucketTokens), tk, tokenRec{Idem: idem, Answer: answer, At: now})
		}
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	s.idx.apply(changes...)
	return reply{status, answer}, nil
}

func (s *Service) batchCreateRecords(r *http.Request, in *batchInput) (reply, error) {
	return s.batch(r, in, "BatchCreateMemoryRecords", http.StatusCreated, func(tx *bolt.Tx, m *memoryRec, i int, in *recordInput) (string, change, error) {
		f := fmt.Sprintf("records.%d.member", i+1)
		rid := newRecordID()
		if err := checkRecordInput(f, in, true); err != nil {
			return rid, change{}, err
		}
		rec := &recordRec{ID: rid, MemoryID: m.ID, Namespaces: in.Namespaces, Text: *in.Content.Text,
			CreatedAt: time.Time(*in.Timestamp).UTC(), Metadata: in.Metadata}
		if in.StrategyID != nil {
			if m.strategy(*in.StrategyID) == nil {
				return rid, change{}, notFoundf("Memory strategy %s not found in memory %s", *in.StrategyID, m.ID)
			}
			rec.StrategyID = *in.StrategyID
		}
		ch, err := putRecord(tx, rec)
		return rid, ch, err
	})
}

func (s *Service) batchUpdateRecords(r *http.Request, in *batchInput) (reply, error) {
	return s.batch(r, in, "BatchUpdateMemoryRecords", http.StatusOK, func(tx *bolt.Tx, m *memoryRec, i int, in *recordInput) (string, change, error) {
		f := fmt.Sprintf("records.%d.member", i+1)
		rid := ""
		if in.MemoryRecordID != nil {
			rid = *in.MemoryRecordID
		}
		if err := checkRecordInput(f, in, false); err != nil {
			return rid, change{}, err
		}
		rec := readRecord(tx, m.ID, rid)
		if rec == nil {
			return rid, change{}, notFoundf("Memory record %s not found in memory %s", rid, m.ID)
		}
		if in.Content != nil {
			rec.Text = *in.Content.Text
		}
		if in.Namespaces != nil {
			rec.Namespaces = in.Namespaces
		}
		if in.StrategyID != nil {
			if m.strategy(*in.StrategyID) == nil {
				return rid, change{}, notFoundf("Memory strategy %s not found in memory %s", *in.StrategyID, m.ID)
			}
			rec.StrategyID = *in.StrategyID
		}
		if len(in.Metadata) > 0 {
			rec.Metadata = in.Metadata
		}
		ch, err := putRecord(tx, rec)
		return rid, ch, err
	})
}

func (s *Service) batchDeleteRecords(r *http.Request, in *batchInput) (reply, error) {
	return s.batch(r, in, "BatchDeleteMemoryRecords", http.StatusOK, func(tx *bolt.Tx, m *memoryRec, i int, in *recordInput) (string, change, error) {
		f := fmt.Sprintf("records.%d.member.memoryRecordId", i+1)
		rid := ""
		if in.MemoryRecordID != nil {
			rid = *in.MemoryRecordID
		}
		if err := checkRecordID(f, rid); err != nil {
			return rid, change{}, err
		}
		if readRecord(tx, m.ID, rid) == nil {
			return rid, change{}, notFoundf("Memory record %s not found in memory %s", rid, m.ID)
		}
		ch, err := deleteRecord(tx, m.ID, rid)
		return rid, ch, err
	})
}

// newRecordID is a fresh memoryRecordId: "mem-" and a UUID, 40 characters as the model
// wants (40 to 50).
func newRecordID() string { return "mem-" + awsproto.RequestID() }

type listRecordsInput struct {
	Namespace       *string      `json:"namespace,omitempty"`
	NamespacePath   *string      `json:"namespacePath,omitempty"`
	StrategyID      *string      `json:"memoryStrategyId,omitempty"`
	MaxResults      *int         `json:"maxResults,omitempty"`
	NextToken       *string      `json:"nextToken,omitempty"`
	MetadataFilters []metaFilter `json:"metadataFilters,omitempty"`
}

// scope is the records a listing or retrieval looks at.
func scopeOf(c *check, ns, nsPath, strategy *string, filters []metaFilter) scope {
	c.optStr("namespace", ns, 1, 1024, namespacePattern)
	c.optStr("namespacePath", nsPath, 1, 1024, namespacePattern)
	c.optStr("memoryStrategyId", strategy, 1, 100, strategyIDRecord)
	if filters != nil {
		c.count("metadataFilters", len(filters), 1, 5)
		for i, f := range filters {
			c.fail(f.check(fmt.Sprintf("metadataFilters.%d.member", i+1)))
		}
	}
	sc := scope{filters: filters}
	if ns != nil {
		sc.namespace = *ns
	}
	if nsPath != nil {
		sc.path = strings.TrimSuffix(*nsPath, "/")
		if sc.path == "" {
			sc.path = "/"
		}
	}
	if strategy != nil {
		sc.strategy = *strategy
	}
	return sc
}

// listRecords answers the records in scope, newest first, 20 a page unless maxResults says
// otherwise.
func (s *Service) listRecords(r *http.Request, in *listRecordsInput) (reply, error) {
	id := r.PathValue("memoryId")
	c := &check{}
	sc := scopeOf(c, in.Namespace, in.NamespacePath, in.StrategyID, in.MetadataFilters)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	limit, after, err := pageOf(in.MaxResults, in.NextToken, 20, 100)
	if err != nil {
		return reply{}, err
	}
	if err := s.idx.ensure(id); err != nil {
		return reply{}, err
	}
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		for _, d := range s.idx.list(id, sc) {
			k := d.sortKey()
			if after != "" && k <= after {
				continue
			}
			rec := readRecord(tx, id, d.id)
			if rec == nil || (len(sc.filters) > 0 && !matchRecordMetadata(rec.Metadata, sc.filters)) {
				continue
			}
			if !pg.add(k, rec.out(nil)) {
				break
			}
		}
		return nil
	})
	return pg.reply("memoryRecordSummaries", err)
}

type retrieveInput struct {
	Namespace      *string `json:"namespace,omitempty"`
	NamespacePath  *string `json:"namespacePath,omitempty"`
	SearchCriteria *struct {
		SearchQuery     *string      `json:"searchQuery"`
		StrategyID      *string      `json:"memoryStrategyId,omitempty"`
		TopK            *int         `json:"topK,omitempty"`
		MetadataFilters []metaFilter `json:"metadataFilters,omitempty"`
	} `json:"searchCriteria"`
	MaxResults *int    `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
}

// retrieveRecords ranks the records in scope by BM25 against the query (index.go): the
// topK best (default 10) with a positive score, best first, paged by maxResults.
func (s *Service) retrieveRecords(r *http.Request, in *retrieveInput) (reply, error) {
	id := r.PathValue("memoryId")
	c := &check{}
	c.required("searchCriteria", in.SearchCriteria != nil)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	sc := in.SearchCriteria
	c.required("searchCriteria.searchQuery", sc.SearchQuery != nil)
	if sc.SearchQuery != nil {
		c.str("searchCriteria.searchQuery", *sc.SearchQuery, 1, 10000, nil)
	}
	c.intRange("searchCriteria.topK", sc.TopK, 1, 100)
	scope := scopeOf(c, in.Namespace, in.NamespacePath, sc.StrategyID, sc.MetadataFilters)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	limit, after, err := pageOf(in.MaxResults, in.NextToken, 100, 100)
	if err != nil {
		return reply{}, err
	}
	start := 0
	if after != "" {
		if start, err = strconv.Atoi(after); err != nil || start < 0 {
			return reply{}, validationf("Invalid nextToken")
		}
	}
	if err := s.idx.ensure(id); err != nil {
		return reply{}, err
	}
	topK := 10
	if sc.TopK != nil {
		topK = *sc.TopK
	}
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		if _, err := s.dataMemory(tx, id); err != nil {
			return err
		}
		var accept func(d *doc) bool
		if len(scope.filters) > 0 {
			accept = func(d *doc) bool {
				rec := readRecord(tx, id, d.id)
				return rec != nil && matchRecordMetadata(rec.Metadata, scope.filters)
			}
		}
		hits := s.idx.search(id, scope, *sc.SearchQuery, topK, accept)
		for i := start; i < len(hits); i++ {
			rec := readRecord(tx, id, hits[i].id)
			if rec == nil {
				continue
			}
			score := hits[i].score
			if !pg.add(strconv.Itoa(i+1), rec.out(&score)) { // a token is where the next page starts
				break
			}
		}
		return nil
	})
	return pg.reply("memoryRecordSummaries", err)
}
