// Package memory is the local endpoint's AgentCore Memory: the memory resources of
// bedrock-agentcore-control (Create/Get/List/Update/DeleteMemory, with their strategies) and
// the data plane of bedrock-agentcore on memories (events per actor and session, long-term
// memory records, retrieval, extraction jobs), both restJson1 under /memories.
//
// State lives in the endpoint's bbolt database, one bucket per kind (memories, events,
// sessions, records, jobs); every change is one transaction, so a kill -9 leaves either the
// whole change or none of it. No model runs offline: long-term records come from a
// deterministic extractor per strategy type (extract.go), run asynchronously by a worker from
// jobs written in the same transaction as their event, so a restart resumes them.
// RetrieveMemoryRecords ranks with BM25 over an in-memory index loaded from the records at a
// memory's first use (index.go). docs/local-memory.md says what is faithful to AWS and what is not.
package memory

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

var (
	bucketMemories = []byte("memory.memories") // memoryId → memoryRec
	bucketEvents   = []byte("memory.events")   // memoryId \0 actorId \0 sessionId \0 eventId → eventRec
	bucketSessions = []byte("memory.sessions") // memoryId \0 actorId \0 sessionId → sessionRec
	bucketRecords  = []byte("memory.records")  // memoryId \0 memoryRecordId → recordRec
	bucketJobs     = []byte("memory.jobs")     // memoryId \0 jobId → jobRec
	bucketTokens   = []byte("memory.tokens")   // memoryId \0 operation \0 clientToken → tokenRec
)

// Config is what the service is built from: the endpoint's database, account, region and
// clock, and how long a memory or strategy stays CREATING or DELETING.
type Config struct {
	awsproto.Config
	// Transition is how long CREATING and DELETING last; default 100ms. AWS takes minutes;
	// short here, but real: a GetMemory right after CreateMemory may see CREATING.
	Transition time.Duration
	// Sweep is how often expired events and deleted memories are purged; default 30s.
	// Listings never show them in between.
	Sweep time.Duration
}

// Service is AgentCore Memory; it implements http.Handler. Close stops its worker.
type Service struct {
	cfg Config
	idx *index

	wake chan struct{} // a job was written
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New opens the service's buckets in cfg.DB and starts the extraction worker, which first resumes the jobs a previous run left.
func New(cfg Config) (*Service, error) {
	if cfg.Transition <= 0 {
		cfg.Transition = 100 * time.Millisecond
	}
	if cfg.Sweep <= 0 {
		cfg.Sweep = 30 * time.Second
	}
	s, err := awsproto.NewService(cfg.Config, "memory", func(c awsproto.Config) *Service {
		cfg.Config = c
		return &Service{cfg: cfg, idx: newIndex(cfg.DB), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	}, bucketMemories, bucketEvents, bucketSessions, bucketRecords, bucketJobs, bucketTokens)
	if err != nil {
		return nil, err
	}
	go s.work()
	return s, nil
}

// Close stops the extraction worker; jobs not yet run stay in the database for the next New.
func (s *Service) Close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// IsMemory reports whether r is a Memory request: every operation of both planes is under
// /memories.
func IsMemory(r *http.Request) bool {
	return r.URL.Path == "/memories" || strings.HasPrefix(r.URL.Path, "/memories/")
}

// ServeHTTP answers one request by the table api.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", awsproto.RequestID())
	api.Serve(s, w, r)
}

// api is the table of contents of the service: the memory operations of
// bedrock-agentcore-control (first block) and bedrock-agentcore, by method and path as the
// models declare them.
var api = &awsproto.Routes[*Service]{
	Protocol: protocol,
	Table: []awsproto.Route[*Service]{
		{Method: http.MethodPost, Path: "/memories/create", Op: op((*Service).createMemory)},
		{Method: http.MethodGet, Path: "/memories/{memoryId}/details", Op: op((*Service).getMemory)},
		{Method: http.MethodPost, Path: "/memories", Op: op((*Service).listMemories)}, // the model's /memories/
		{Method: http.MethodPut, Path: "/memories/{memoryId}/update", Op: op((*Service).updateMemory)},
		{Method: http.MethodDelete, Path: "/memories/{memoryId}/delete", Op: op((*Service).deleteMemory)},

		{Method: http.MethodPost, Path: "/memories/{memoryId}/events", Op: op((*Service).createEvent)},
		{Method: http.MethodGet, Path: "/memories/{memoryId}/actor/{actorId}/sessions/{sessionId}/events/{eventId}", Op: op((*Service).getEvent)},
		{Method: http.MethodDelete, Path: "/memories/{memoryId}/actor/{actorId}/sessions/{sessionId}/events/{eventId}", Op: op((*Service).deleteEvent)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/actor/{actorId}/sessions/{sessionId}", Op: op((*Service).listEvents)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/actor/{actorId}/sessions", Op: op((*Service).listSessions)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/actors", Op: op((*Service).listActors)},

		{Method: http.MethodGet, Path: "/memories/{memoryId}/memoryRecord/{memoryRecordId}", Op: op((*Service).getRecord)},
		{Method: http.MethodDelete, Path: "/memories/{memoryId}/memoryRecords/{memoryRecordId}", Op: op((*Service).deleteRecord)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/memoryRecords/batchCreate", Op: op((*Service).batchCreateRecords)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/memoryRecords/batchUpdate", Op: op((*Service).batchUpdateRecords)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/memoryRecords/batchDelete", Op: op((*Service).batchDeleteRecords)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/memoryRecords", Op: op((*Service).listRecords)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/retrieve", Op: op((*Service).retrieveRecords)},

		{Method: http.MethodPost, Path: "/memories/{memoryId}/extractionJobs/start", Op: op((*Service).startExtractionJob)},
		{Method: http.MethodPost, Path: "/memories/{memoryId}/extractionJobs", Op: op((*Service).listExtractionJobs)},
	},
	NotFound: func(r *http.Request) error {
		return awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "no such operation: %s %s", r.Method, r.URL.Path)
	},
}

// reply is an operation's answer: its HTTP status (each operation's responseCode in the
// model) and body.
type reply struct {
	status int
	body   any
}

// op adapts an operation that takes its JSON body decoded into *In (path and query values
// are read from the request) and returns a reply.
func op[In any](f func(*Service, *http.Request, *In) (reply, error)) func(*Service, http.ResponseWriter, *http.Request) error {
	return func(s *Service, w http.ResponseWriter, r *http.Request) error {
		in := new(In)
		if r.Method != http.MethodGet && r.Method != http.MethodDelete {
			if err := awsproto.ReadJSON(r, in); err != nil {
				e := validationf("could not parse the request body: %v", err)
				e.Reason = "CannotParse"
				return e
			}
		}
		out, err := f(s, r, in)
		if err != nil {
			return err
		}
		protocol.Write(w, out.status, out.body)
		return nil
	}
}

// none is the input of operations whose every member is in the path or query.
type none struct{}

// page is one page of a listing: at most limit items, and the nextToken that resumes after
// the last one when there are more.
type page struct {
	limit   int
	items   []any
	lastKey string
	next    string
}

func newPage(limit int) *page { return &page{limit: limit, items: []any{}} }

// add appends item, whose sort key is key; when the page is full it sets the nextToken
// instead and returns false, and the listing stops.
func (p *page) add(key string, item any) bool {
	if len(p.items) == p.limit {
		p.next = awsproto.PageToken(p.lastKey)
		return false
	}
	p.items, p.lastKey = append(p.items, item), key
	return true
}

// reply is the listing's answer: its items under member, and nextToken when there are more.
func (p *page) reply(member string, err error) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	out := map[string]any{member: p.items}
	if p.next != "" {
		out["nextToken"] = p.next
	}
	return reply{http.StatusOK, out}, nil
}

// operations names the operations of api's table in its order, and which are of the data
// plane (bedrock-agentcore), for agents' scoped credentials (local/agentcreds.go).
var operations = []struct {
	name string
	data bool
}{
	{"CreateMemory", false}, {"GetMemory", false}, {"ListMemories", false}, {"UpdateMemory", false}, {"DeleteMemory", false},
	{"CreateEvent", true}, {"GetEvent", true}, {"DeleteEvent", true}, {"ListEvents", true}, {"ListSessions", true}, {"ListActors", true},
	{"GetMemoryRecord", true}, {"DeleteMemoryRecord", true}, {"BatchCreateMemoryRecords", true}, {"BatchUpdateMemoryRecords", true},
	{"BatchDeleteMemoryRecords", true}, {"ListMemoryRecords", true}, {"RetrieveMemoryRecords", true},
	{"StartMemoryExtractionJob", true}, {"ListMemoryExtractionJobs", true},
}

// Operation names the operation r calls, the memory it names ("" for CreateMemory and
// ListMemories) and whether it is of the data plane; ok is false when r calls none.
func Operation(r *http.Request) (name, memoryID string, data, ok bool) {
	for i, rt := range api.Table {
		if rt.Method != r.Method {
			continue
		}
		vals, match := awsproto.Match(rt.Path, r.URL.EscapedPath())
		if !match {
			continue
		}
		for j := 0; j+1 < len(vals); j += 2 {
			if vals[j] == "memoryId" {
				memoryID = vals[j+1]
			}
		}
		return operations[i].name, memoryID, operations[i].data, true
	}
	return "", "", false, false
}
