package memory

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dp "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dpt "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

func TestSentences(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"My name is Ana. I love tea!  Why?", []string{"My name is Ana.", "I love tea!", "Why?"}},
		{"line one\nline two", []string{"line one", "line two"}},
		{"Version 1.5 is out... Great", []string{"Version 1.5 is out...", "Great"}},
		{"", nil},
	} {
		if got := sentences(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("sentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func conv(role, text string) payload {
	var p payload
	p.Conversational = &struct {
		Content struct {
			Text *string `json:"text,omitempty"`
		} `json:"content"`
		Role string `json:"role"`
	}{Role: role}
	p.Conversational.Content.Text = &text
	return p
}

func texts(xs []extracted) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.text)
	}
	return out
}

func TestExtractorRules(t *testing.T) {
	e := &eventRec{EventID: "1#1", Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Payload: []payload{
		conv("USER", "Hi! My name is Ana. I really like green tea. Do you know a good café? I don't like coffee."),
		conv("ASSISTANT", "Green tea is rich in antioxidants. I like it too."),
		conv("TOOL", "weather: sunny and warm today"),
	}}
	if got, want := texts(semanticFacts(e)), []string{"My name is Ana.", "I really like green tea.", "I don't like coffee.", "Green tea is rich in antioxidants.", "I like it too."}; !reflect.DeepEqual(got, want) {
		t.Errorf("semantic: %q, want %q", got, want)
	}
	// Preferences are the user's only.
	if got, want := texts(preferences(e)), []string{"I really like green tea.", "I don't like coffee."}; !reflect.DeepEqual(got, want) {
		t.Errorf("preferences: %q, want %q", got, want)
	}
	if got := texts(episode(e)); len(got) != 1 || !strings.HasPrefix(got[0], "Episode at 2026-01-02T03:04:05Z:\nUSER: Hi!") || !strings.Contains(got[0], "\nTOOL: weather") {
		t.Errorf("episode: %q", got)
	}
	e2 := &eventRec{EventID: "2#2", Payload: []payload{conv("USER", "I prefer trains.")}}
	got := texts(summary("s1", []*eventRec{e, e2}))
	want := "Summary of session s1:\nUSER: Hi! …\nASSISTANT: Green tea is rich in antioxidants. …\nUSER: I prefer trains."
	if len(got) != 1 || got[0] != want {
		t.Errorf("summary: %q, want %q", got, want)
	}
	// The same fact twice is one record; a fact that differs by "not" is another.
	a, b, c := semanticFacts(&eventRec{Payload: []payload{conv("USER", "I like tea.")}}), semanticFacts(&eventRec{Payload: []payload{conv("USER", "i LIKE tea!")}}),
		semanticFacts(&eventRec{Payload: []payload{conv("USER", "I do not like tea.")}})
	if a[0].identity != b[0].identity || a[0].identity == c[0].identity {
		t.Errorf("identities: %q %q %q", a[0].identity, b[0].identity, c[0].identity)
	}
	long := strings.Repeat("word ", 5000) + "end."
	if f := semanticFacts(&eventRec{Payload: []payload{conv("USER", long)}}); len(f[0].text) > maxRecordText {
		t.Errorf("a fact longer than a record: %d", len(f[0].text))
	}
}

func TestTokenize(t *testing.T) {
	if got, want := tokenize("The user LIKES dogs, and cats; a glass of water."), []string{"user", "like", "dog", "cat", "glass", "water"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tokenize: %q, want %q", got, want)
	}
}

func TestBM25(t *testing.T) {
	x := newIndex(nil)
	x.mems["m"] = &memIndex{byID: map[string]int32{}, post: map[string][]posting{}, nsIDs: map[string]int32{}}
	add := func(id, ns, text string) {
		x.apply(change{memoryID: "m", put: &recordRec{ID: id, MemoryID: "m", StrategyID: "s", Namespaces: []string{ns}, Text: text, CreatedAt: time.Now()}})
	}
	add("a", "/f/ana", "Ana likes green tea")
	add("b", "/f/ana", "Ana likes coffee and coffee cake")
	add("c", "/f/ana", "Ana walks")
	add("d", "/f/bob", "Bob likes green tea very much")
	ids := func(hs []hit) string {
		var out []string
		for _, h := range hs {
			out = append(out, h.id)
		}
		return strings.Join(out, ",")
	}
	// "green" is rarer than "likes": a matches both and ranks first; c matches nothing.
	if got := ids(x.search("m", scope{namespace: "/f/ana"}, "likes green", 10, nil)); got != "a,b" {
		t.Errorf("ranking: %s", got)
	}
	if got := ids(x.search("m", scope{namespace: "/f/"}, "green tea", 10, nil)); got != "a,d" {
		t.Errorf("prefix scope: %s", got)
	}
	if got := ids(x.search("m", scope{path: "/f/bob"}, "green", 10, nil)); got != "d" {
		t.Errorf("path scope: %s", got)
	}
	if got := ids(x.search("m", scope{namespace: "/f/*/"}, "green", 10, nil)); got != "" {
		t.Errorf("glob: %s", got)
	}
	if got := ids(x.search("m", scope{namespace: "/f/*b"}, "green", 10, nil)); got != "d" {
		t.Errorf("glob: %s", got)
	}
	if got := ids(x.search("m", scope{}, "coffee", 1, nil)); got != "b" {
		t.Errorf("topK: %s", got)
	}
	if got := ids(x.search("m", scope{}, "likes", 10, func(d *doc) bool { return d.id != "a" })); got != "b,d" {
		t.Errorf("accept: %s", got)
	}
	// The score is BM25 itself: one term, N=3, df=1, |d|=2 ("ana walk"), avgdl=11/3.
	hs := x.search("m", scope{namespace: "/f/ana"}, "walks", 1, nil)
	idf := math.Log(1 + (3-1+0.5)/(1+0.5))
	dl, avg := 2.0, 11.0/3
	want := idf * 1 * (bm25K1 + 1) / (1 + bm25K1*(1-bm25B+bm25B*dl/avg))
	if len(hs) != 1 || fmt.Sprintf("%.9f", hs[0].score) != fmt.Sprintf("%.9f", want) {
		t.Errorf("score %v, want %v", hs, want)
	}
	// Deletions, enough to compact, leave the rest findable.
	for i := range 3000 {
		add(fmt.Sprintf("n%04d", i), "/n", fmt.Sprintf("note number %d about sailing", i))
	}
	for i := range 2500 {
		x.apply(change{memoryID: "m", del: fmt.Sprintf("n%04d", i)})
	}
	if m := x.mems["m"]; m.dead != 0 && len(m.docs) > 1504+m.dead {
		t.Errorf("not compacted: %d docs, %d dead", len(m.docs), m.dead)
	}
	if got := ids(x.search("m", scope{namespace: "/n"}, "2999", 10, nil)); got != "n2999" {
		t.Errorf("after compaction: %s", got)
	}
	if got := len(x.list("m", scope{namespace: "/n"})); got != 500 {
		t.Errorf("list after deletions: %d", got)
	}
	if got := ids(x.search("m", scope{namespace: "/f/ana"}, "likes green", 10, nil)); got != "a,b" {
		t.Errorf("ranking after compaction: %s", got)
	}
}

// clock is a clock that stands still until advanced (from a fixed start, the time the
// package's tests began).
type clock struct{ off atomic.Int64 }

var epoch = time.Now().Truncate(time.Millisecond)

func (c *clock) now() time.Time          { return epoch.Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

type fixture struct {
	t   *testing.T
	db  *bolt.DB
	clk *clock
	svc *Service
	srv *httptest.Server
	ctl *ctl.Client
	dp  *dp.Client
}

// open serves a Service on db through httptest, for the real SDK clients.
func open(t *testing.T, db *bolt.DB, clk *clock) *fixture {
	svc, err := New(Config{Config: awsproto.Config{DB: db, Account: "123456789012", Now: clk.now}, Transition: 20 * time.Millisecond, Sweep: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	return &fixture{t: t, db: db, clk: clk, svc: svc, srv: srv,
		ctl: ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
		dp:  dp.NewFromConfig(cfg, func(o *dp.Options) { o.BaseEndpoint = aws.String(srv.URL) })}
}

func (f *fixture) close() {
	f.srv.Close()
	f.svc.Close()
}

func openDB(t *testing.T) *bolt.DB {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (f *fixture) memory(expiry int32, strategies ...types.MemoryStrategyInput) string {
	out, err := f.ctl.CreateMemory(context.Background(), &ctl.CreateMemoryInput{Name: aws.String("m"), EventExpiryDuration: aws.Int32(expiry), MemoryStrategies: strategies})
	if err != nil {
		f.t.Fatal(err)
	}
	f.clk.advance(time.Second) // past CREATING
	return *out.Memory.Id
}

func (f *fixture) event(id, actor, session, text string, at time.Time) string {
	out, err := f.dp.CreateEvent(context.Background(), &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String(actor), SessionId: aws.String(session),
		EventTimestamp: aws.Time(at), Payload: []dpt.PayloadType{&dpt.PayloadTypeMemberConversational{Value: dpt.Conversational{Role: dpt.RoleUser, Content: &dpt.ContentMemberText{Value: text}}}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.Event.EventId
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// TestCreating: until its transition ends a memory is CREATING: the data plane refuses it
// and UpdateMemory is a conflict; then it is ACTIVE.
func TestCreating(t *testing.T) {
	clk := &clock{}
	f := open(t, openDB(t), clk)
	defer f.close()
	ctx := context.Background()
	out, err := f.ctl.CreateMemory(ctx, &ctl.CreateMemoryInput{Name: aws.String("m"), EventExpiryDuration: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Memory.Id
	_, err = f.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: id, ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventTimestamp: aws.Time(clk.now()), Payload: []dpt.PayloadType{}})
	if !isCode(err, "ValidationException") {
		t.Fatalf("CreateEvent on a CREATING memory: %v", err)
	}
	if _, err := f.ctl.UpdateMemory(ctx, &ctl.UpdateMemoryInput{MemoryId: id, Description: aws.String("x")}); !isCode(err, "ConflictException") {
		t.Fatalf("UpdateMemory of a CREATING memory: %v", err)
	}
	if g, err := f.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: id}); err != nil || g.Memory.Status != types.MemoryStatusCreating {
		t.Fatalf("GetMemory: %+v %v", g, err)
	}
	clk.advance(20 * time.Millisecond)
	if g, err := f.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: id}); err != nil || g.Memory.Status != types.MemoryStatusActive {
		t.Fatalf("GetMemory after the transition: %+v %v", g, err)
	}
	if _, err := f.ctl.UpdateMemory(ctx, &ctl.UpdateMemoryInput{MemoryId: id, Description: aws.String("x")}); err != nil {
		t.Fatalf("UpdateMemory of an ACTIVE memory: %v", err)
	}
}

// TestDeleting: a deleted memory answers DELETING to GetMemory and ListMemories, and
// ResourceNotFoundException to the data plane, until its transition ends; then it is gone.
func TestDeleting(t *testing.T) {
	clk := &clock{}
	f := open(t, openDB(t), clk)
	defer f.close()
	ctx := context.Background()
	id := f.memory(7)
	if _, err := f.ctl.DeleteMemory(ctx, &ctl.DeleteMemoryInput{MemoryId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if g, err := f.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: aws.String(id)}); err != nil || g.Memory.Status != types.MemoryStatusDeleting {
		t.Fatalf("GetMemory: %+v %v", g, err)
	}
	if l, err := f.ctl.ListMemories(ctx, &ctl.ListMemoriesInput{}); err != nil || len(l.Memories) != 1 || l.Memories[0].Status != types.MemoryStatusDeleting {
		t.Fatalf("ListMemories: %+v %v", l, err)
	}
	if d, err := f.ctl.DeleteMemory(ctx, &ctl.DeleteMemoryInput{MemoryId: aws.String(id)}); err != nil || d.Status != types.MemoryStatusDeleting {
		t.Fatalf("DeleteMemory again: %+v %v", d, err)
	}
	if _, err := f.dp.ListActors(ctx, &dp.ListActorsInput{MemoryId: aws.String(id)}); !isCode(err, "ResourceNotFoundException") {
		t.Fatalf("ListActors: %v", err)
	}
	clk.advance(20 * time.Millisecond)
	if _, err := f.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: aws.String(id)}); !isCode(err, "ResourceNotFoundException") {
		t.Fatalf("GetMemory after the transition: %v", err)
	}
	if l, err := f.ctl.ListMemories(ctx, &ctl.ListMemoriesInput{}); err != nil || len(l.Memories) != 0 {
		t.Fatalf("ListMemories after the transition: %+v %v", l, err)
	}
}

// TestEventExpiry: an event past its memory's eventExpiryDuration (from its eventTimestamp)
// is no longer listed nor found, its session has no events, and the sweep purges it.
func TestEventExpiry(t *testing.T) {
	clk := &clock{}
	f := open(t, openDB(t), clk)
	defer f.close()
	ctx := context.Background()
	id := f.memory(3)
	old := f.event(id, "ana", "s1", "first words here", clk.now())
	if _, err := f.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s3"), ClientToken: aws.String("tok"),
		EventTimestamp: aws.Time(clk.now()), Payload: []dpt.PayloadType{}}); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * 24 * time.Hour)
	f.event(id, "ana", "s2", "later words here", clk.now())
	list := func(session string) int {
		out, err := f.dp.ListEvents(ctx, &dp.ListEventsInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String(session)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Events)
	}
	if list("s1") != 1 || list("s2") != 1 {
		t.Fatal("events before expiry")
	}
	clk.advance(24*time.Hour + time.Minute) // s1's event is 3 days old
	if list("s1") != 0 || list("s2") != 1 {
		t.Fatalf("after expiry: s1 %d, s2 %d", list("s1"), list("s2"))
	}
	if _, err := f.dp.GetEvent(ctx, &dp.GetEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventId: aws.String(old)}); !isCode(err, "ResourceNotFoundException") {
		t.Fatalf("GetEvent of an expired event: %v", err)
	}
	ss, err := f.dp.ListSessions(ctx, &dp.ListSessionsInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), Filter: &dpt.SessionFilter{EventFilter: dpt.EventFilterConditionHasEvents}})
	if err != nil || len(ss.SessionSummaries) != 1 || *ss.SessionSummaries[0].SessionId != "s2" {
		t.Fatalf("ListSessions HAS_EVENTS: %+v %v", ss, err)
	}
	// The sweep removes the expired events and the clientTokens older than a day.
	f.svc.sweep()
	events, tokens := 0, 0
	f.db.View(func(tx *bolt.Tx) error {
		events, tokens = tx.Bucket(bucketEvents).Stats().KeyN, tx.Bucket(bucketTokens).Stats().KeyN
		return nil
	})
	if events != 1 || tokens != 0 {
		t.Fatalf("after the sweep %d events and %d tokens are stored, want 1 and 0", events, tokens)
	}
}

// TestJobsResume: jobs written with their events but not run (the worker stopped, as by a
// kill) run at the next start; a deleted memory is purged by the sweep.
func TestJobsResume(t *testing.T) {
	clk := &clock{}
	db := openDB(t)
	f := open(t, db, clk)
	id := f.memory(30, &types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("facts"), NamespaceTemplates: []string{"/facts/{actorId}"}}})
	f.svc.Close() // the worker stops; the HTTP side still writes events and their jobs
	f.event(id, "ana", "s1", "Ana sails on Sundays. Ana reads at night.", clk.now())
	jobs, err := f.dp.ListMemoryExtractionJobs(context.Background(), &dp.ListMemoryExtractionJobsInput{MemoryId: aws.String(id)})
	if err != nil || len(jobs.Jobs) != 1 || jobs.Jobs[0].Status != "" {
		t.Fatalf("a pending job: %+v %v", jobs, err)
	}
	f.srv.Close()

	f = open(t, db, clk)
	defer f.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := f.dp.RetrieveMemoryRecords(context.Background(), &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/facts/ana"),
			SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String("sails")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.MemoryRecordSummaries) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job left pending never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	jobs, err = f.dp.ListMemoryExtractionJobs(context.Background(), &dp.ListMemoryExtractionJobsInput{MemoryId: aws.String(id)})
	if err != nil || len(jobs.Jobs) != 0 {
		t.Fatalf("jobs after the run: %+v %v", jobs, err)
	}

	if _, err := f.ctl.DeleteMemory(context.Background(), &ctl.DeleteMemoryInput{MemoryId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	f.svc.sweep()
	db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMemories, bucketEvents, bucketSessions, bucketRecords, bucketJobs} {
			if n := tx.Bucket(b).Stats().KeyN; n != 0 {
				t.Errorf("%s holds %d keys after the memory was purged", b, n)
			}
		}
		return nil
	})
}

// TestHostileInput sends malformed and edge-case bodies to every operation of an existing
// memory: each answer is a client error of a code the models name, never a panic or a
// ServiceException.
func TestHostileInput(t *testing.T) {
	clk := &clock{}
	f := open(t, openDB(t), clk)
	defer f.close()
	id := f.memory(30, &types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("facts")}})
	ev := f.event(id, "ana", "s1", "Ana likes tea a lot.", clk.now())
	bodies := []string{"", "{", "[]", "null", `"x"`, `{"a":1} trailing`,
		`{"name":"x","eventExpiryDuration":"7"}`, `{"name":"x","eventExpiryDuration":7,"memoryStrategies":[null,{}]}`,
		`{"name":"x","eventExpiryDuration":7,"memoryStrategies":[{"customMemoryStrategy":{"name":"c","configuration":{"semanticOverride":null}}}]}`,
		`{"name":"x","eventExpiryDuration":7,"memoryStrategies":[{"customMemoryStrategy":{"name":"c","configuration":{"selfManagedConfiguration":{}}}}]}`,
		`{"memoryStrategies":{"addMemoryStrategies":[{"semanticMemoryStrategy":null}],"modifyMemoryStrategies":[{}],"deleteMemoryStrategies":[{}]}}`,
		`{"memoryStrategies":{"modifyMemoryStrategies":[{"memoryStrategyId":"x","configuration":{"extraction":null}}]}}`,
		`{"actorId":"a","eventTimestamp":1,"payload":[null,{"conversational":null},{"conversational":{"role":"USER","content":{}}},{"blob":null}]}`,
		`{"actorId":"a","eventTimestamp":1,"payload":[],"branch":{"name":""},"metadata":{"k":{}}}`,
		`{"records":[null,{},{"memoryRecordId":"mem-x"},{"content":{"text":null},"namespaces":[null]}]}`,
		`{"records":null}`, `{"maxResults":0}`, `{"maxResults":1000,"nextToken":"@@"}`, `{"nextToken":"dGhpcyBpcyBub3QgYSBrZXk"}`,
		`{"filter":{"branch":{"name":"-"},"eventMetadata":[{},{"left":{"metadataKey":"k"},"operator":"GREATER_THAN"}]}}`,
		`{"filter":{"eventFilter":"ALL"}}`, `{"filter":{"status":"DONE"}}`,
		`{"searchCriteria":null}`, `{"searchCriteria":{"searchQuery":""}}`, `{"searchCriteria":{"searchQuery":"tea","topK":0}}`,
		`{"searchCriteria":{"searchQuery":"tea","metadataFilters":[{"left":{},"operator":"EQUALS_TO"}]},"namespace":""}`,
		`{"metadataFilters":[{"left":{"metadataKey":"k"},"operator":"BEFORE","right":{"metadataValue":{}}}]}`,
		`{"extractionJob":{}}`, `{"extractionJob":{"jobId":"nosuch"}}`,
	}
	paths := map[string]string{"{memoryId}": id, "{actorId}": "ana", "{sessionId}": "s1", "{eventId}": ev, "{memoryRecordId}": "mem-00000000-0000-0000-0000-000000000000"}
	codes := map[string]bool{"ValidationException": true, "ResourceNotFoundException": true, "ConflictException": true}
	for _, rt := range api.Table {
		path := rt.Path
		for k, v := range paths {
			path = strings.ReplaceAll(path, k, v)
		}
		for _, b := range bodies {
			req, _ := http.NewRequest(rt.Method, f.srv.URL+path, strings.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s %s: %v", rt.Method, rt.Path, b, err)
			}
			resp.Body.Close()
			code := resp.Header.Get("X-Amzn-ErrorType")
			if resp.StatusCode >= 500 || (resp.StatusCode >= 400 && !codes[code]) {
				t.Errorf("%s %s with %s: %d %s", rt.Method, rt.Path, b, resp.StatusCode, code)
			}
		}
	}
}

// TestMain runs the child of TestKill9 when asked.
func TestMain(m *testing.M) {
	if path := os.Getenv("MEMORY_KILL_CHILD"); path != "" {
		killChild(path)
		return
	}
	os.Exit(m.Run())
}

// killChild serves a Service on the database at path until it is killed.
func killChild(path string) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	svc, err := New(Config{Config: awsproto.Config{DB: db, Account: "123456789012"}, Transition: 20 * time.Millisecond})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("http://" + ln.Addr().String())
	http.Serve(ln, svc)
}

// TestKill9 kills the service with SIGKILL while events stream in, then opens its database
// again: every event the client was told was created is there, each with its extracted
// record (jobs left pending ran at the start), and nothing is half-written.
func TestKill9(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "MEMORY_KILL_CHILD="+path)
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(url, "http://") {
		t.Fatalf("child: %q %v", url, err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1}
	c := ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(strings.TrimSpace(url)) })
	d := dp.NewFromConfig(cfg, func(o *dp.Options) { o.BaseEndpoint = aws.String(strings.TrimSpace(url)) })
	ctx := context.Background()
	m, err := c.CreateMemory(ctx, &ctl.CreateMemoryInput{Name: aws.String("k"), EventExpiryDuration: aws.Int32(30), MemoryStrategies: []types.MemoryStrategyInput{
		&types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("facts"), NamespaceTemplates: []string{"/f"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := m.Memory.Id
	time.Sleep(50 * time.Millisecond)
	acked := map[string]bool{}
	killed := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		child.Process.Signal(syscall.SIGKILL)
		close(killed)
	}()
	for i := 0; ; i++ {
		text := fmt.Sprintf("Fact number %d is recorded here.", i)
		_, err := d.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: id, ActorId: aws.String("a"), SessionId: aws.String("s"), EventTimestamp: aws.Time(time.Now()),
			Payload: []dpt.PayloadType{&dpt.PayloadTypeMemberConversational{Value: dpt.Conversational{Role: dpt.RoleUser, Content: &dpt.ContentMemberText{Value: text}}}}})
		if err != nil {
			select {
			case <-killed:
			default:
				t.Fatalf("CreateEvent before the kill: %v", err)
			}
			break
		}
		acked[text] = true
	}
	child.Wait()
	if len(acked) < 5 {
		t.Fatalf("only %d events before the kill", len(acked))
	}

	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("the database after kill -9: %v", err)
	}
	defer db.Close()
	pending := 0
	db.View(func(tx *bolt.Tx) error { pending = tx.Bucket(bucketJobs).Stats().KeyN; return nil })
	clk := &clock{}
	clk.advance(time.Since(epoch) + time.Second) // the child ran on the wall clock
	f := open(t, db, clk)
	defer f.close()
	var events []string
	p := dp.NewListEventsPaginator(f.dp, &dp.ListEventsInput{MemoryId: id, ActorId: aws.String("a"), SessionId: aws.String("s")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			events = append(events, e.Payload[0].(*dpt.PayloadTypeMemberConversational).Value.Content.(*dpt.ContentMemberText).Value)
		}
	}
	stored := map[string]bool{}
	for _, e := range events {
		stored[e] = true
	}
	for a := range acked {
		if !stored[a] {
			t.Errorf("acknowledged event %q lost", a)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		records := 0
		rp := dp.NewListMemoryRecordsPaginator(f.dp, &dp.ListMemoryRecordsInput{MemoryId: id, Namespace: aws.String("/f"), MaxResults: aws.Int32(100)})
		for rp.HasMorePages() {
			out, err := rp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			records += len(out.MemoryRecordSummaries)
		}
		jobs, err := f.dp.ListMemoryExtractionJobs(ctx, &dp.ListMemoryExtractionJobsInput{MemoryId: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs.Jobs) == 0 && records == len(events) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events, %d records, %d jobs pending", len(events), records, len(jobs.Jobs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d events acknowledged before the kill, %d stored, %d jobs left pending by the kill, every event extracted after the restart", len(acked), len(events), pending)
}

func TestOperationsNameTheTable(t *testing.T) {
	if len(operations) != len(api.Table) {
		t.Fatalf("%d operation names for %d routes", len(operations), len(api.Table))
	}
	for _, tc := range []struct {
		method, path, name, id string
		data                   bool
	}{
		{"POST", "/memories/create", "CreateMemory", "", false},
		{"GET", "/memories/m-0123456789/details", "GetMemory", "m-0123456789", false},
		{"DELETE", "/memories/m-0123456789/delete", "DeleteMemory", "m-0123456789", false},
		{"POST", "/memories/m-0123456789/events", "CreateEvent", "m-0123456789", true},
		{"POST", "/memories/m-0123456789/retrieve", "RetrieveMemoryRecords", "m-0123456789", true},
		{"POST", "/memories/m-0123456789/extractionJobs", "ListMemoryExtractionJobs", "m-0123456789", true},
	} {
		name, id, data, ok := Operation(httptest.NewRequest(tc.method, tc.path, nil))
		if !ok || name != tc.name || id != tc.id || data != tc.data {
			t.Errorf("%s %s: %s %q data=%v ok=%v", tc.method, tc.path, name, id, data, ok)
		}
	}
}
