package local

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	dp "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dpt "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// The models' patterns for the identifiers the endpoint makes.
var (
	memoryIDRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}$`)
	memoryArn  = regexp.MustCompile(`^arn:aws:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:memory\/[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}$`)
	eventIDRe  = regexp.MustCompile(`^[0-9]+#[a-fA-F0-9]+$`)
	recordIDRe = regexp.MustCompile(`^mem-[a-zA-Z0-9-_]{36,46}$`)
)

type memClients struct {
	t   *testing.T
	ctl *ctl.Client
	dp  *dp.Client
}

func newMemClients(t *testing.T, r *running) *memClients {
	return &memClients{t: t,
		ctl: ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) }),
		dp:  dp.NewFromConfig(r.cfg, func(o *dp.Options) { o.BaseEndpoint = aws.String(r.url) }),
	}
}

// waitActive polls GetMemory until the memory is ACTIVE.
func (c *memClients) waitActive(id string) *types.Memory {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.ctl.GetMemory(context.Background(), &ctl.GetMemoryInput{MemoryId: aws.String(id)})
		if err != nil {
			c.t.Fatalf("GetMemory %s: %v", id, err)
		}
		if out.Memory.Status == types.MemoryStatusActive {
			return out.Memory
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("memory %s still %s", id, out.Memory.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// records lists every record of a namespace, through the paginator.
func (c *memClients) records(id, ns string) []dpt.MemoryRecordSummary {
	c.t.Helper()
	var all []dpt.MemoryRecordSummary
	p := dp.NewListMemoryRecordsPaginator(c.dp, &dp.ListMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String(ns), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			c.t.Fatalf("ListMemoryRecords %s: %v", ns, err)
		}
		all = append(all, out.MemoryRecordSummaries...)
	}
	return all
}

// waitRecords waits for the extractor to have written n records in namespace ns.
func (c *memClients) waitRecords(id, ns string, n int) []dpt.MemoryRecordSummary {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs := c.records(id, ns)
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("namespace %s: %d records, want %d", ns, len(recs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func text(r dpt.MemoryRecordSummary) string {
	if t, ok := r.Content.(*dpt.MemoryContentMemberText); ok {
		return t.Value
	}
	return ""
}

func turn(role dpt.Role, s string) dpt.PayloadType {
	return &dpt.PayloadTypeMemberConversational{Value: dpt.Conversational{Role: role, Content: &dpt.ContentMemberText{Value: s}}}
}

// TestMemoryConformance runs every AgentCore Memory operation through the real SDK clients
// against the real endpoint (SigV4 and all): shapes, statuses, errors and pagination as the
// models declare them, and the local extractor's records.
func TestMemoryConformance(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	c := newMemClients(t, r)
	ctx := context.Background()

	// ---- control plane ----
	in := &ctl.CreateMemoryInput{
		Name: aws.String("chat"), EventExpiryDuration: aws.Int32(30), ClientToken: aws.String("tok-create-1"),
		Description: aws.String("conversations"),
		MemoryStrategies: []types.MemoryStrategyInput{
			&types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("facts"), NamespaceTemplates: []string{"/facts/{actorId}"}}},
			//lint:ignore SA1019 namespaces, deprecated for namespaceTemplates, is still served
			&types.MemoryStrategyInputMemberSummaryMemoryStrategy{Value: types.SummaryMemoryStrategyInput{Name: aws.String("summaries"), Namespaces: []string{"/summaries/{actorId}/{sessionId}"}}},
			&types.MemoryStrategyInputMemberUserPreferenceMemoryStrategy{Value: types.UserPreferenceMemoryStrategyInput{Name: aws.String("prefs")}},
		},
	}
	created, err := c.ctl.CreateMemory(ctx, in)
	if err != nil {
		t.Fatalf("CreateMemory: %v", err)
	}
	m := created.Memory
	if !memoryIDRe.MatchString(*m.Id) || !strings.HasPrefix(*m.Id, "chat-") || !memoryArn.MatchString(*m.Arn) || *m.Name != "chat" || *m.EventExpiryDuration != 30 {
		t.Fatalf("CreateMemory answered %+v", m)
	}
	if m.Status != types.MemoryStatusCreating || len(m.Strategies) != 3 || m.CreatedAt == nil || m.UpdatedAt == nil {
		t.Fatalf("a new memory is CREATING with its 3 strategies: %s %d", m.Status, len(m.Strategies))
	}
	id := *m.Id
	strategies := map[types.MemoryStrategyType]types.MemoryStrategy{}
	for _, st := range m.Strategies {
		//lint:ignore SA1019 both the deprecated namespaces and namespaceTemplates are answered
		if !memoryIDRe.MatchString(*st.StrategyId) || len(st.NamespaceTemplates) != 1 || len(st.Namespaces) != 1 || st.NamespaceTemplates[0] != st.Namespaces[0] ||
			st.Status != types.MemoryStrategyStatusCreating {
			t.Fatalf("strategy %+v", st)
		}
		strategies[st.Type] = st
	}
	if strategies[types.MemoryStrategyTypeSemantic].NamespaceTemplates[0] != "/facts/{actorId}" ||
		strategies[types.MemoryStrategyTypeUserPreference].NamespaceTemplates[0] != "/strategies/{memoryStrategyId}/actors/{actorId}" ||
		strategies[types.MemoryStrategyTypeSummarization].Name == nil {
		t.Fatalf("strategies: %+v", strategies)
	}
	// (What a CREATING memory refuses is tested with a clock that stands still:
	// local/memory's TestCreating.)

	// clientToken: a retry answers the same memory; other parameters with it are refused.
	again, err := c.ctl.CreateMemory(ctx, in)
	if err != nil || *again.Memory.Id != id {
		t.Fatalf("CreateMemory retried: %v %v", again, err)
	}
	in2 := *in
	in2.EventExpiryDuration = aws.Int32(31)
	_, err = c.ctl.CreateMemory(ctx, &in2)
	wantCode(t, "CreateMemory with a reused token", err, "ValidationException")
	in2.ClientToken = nil
	in2.MemoryStrategies = nil
	_, err = c.ctl.CreateMemory(ctx, &in2)
	wantCode(t, "CreateMemory with a taken name", err, "ConflictException")
	for _, bad := range []*ctl.CreateMemoryInput{
		{Name: aws.String("1bad"), EventExpiryDuration: aws.Int32(30)},
		{Name: aws.String("ok"), EventExpiryDuration: aws.Int32(2)},
		{Name: aws.String("ok"), EventExpiryDuration: aws.Int32(366)},
		{Name: aws.String("ok"), EventExpiryDuration: aws.Int32(30), MemoryStrategies: []types.MemoryStrategyInput{
			&types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("x"), NamespaceTemplates: []string{"/a/{userId}"}}}}},
		{Name: aws.String("ok"), EventExpiryDuration: aws.Int32(30), MemoryStrategies: []types.MemoryStrategyInput{
			&types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("x")}},
			&types.MemoryStrategyInputMemberSummaryMemoryStrategy{Value: types.SummaryMemoryStrategyInput{Name: aws.String("x")}}}},
	} {
		_, err := c.ctl.CreateMemory(ctx, bad)
		wantCode(t, "CreateMemory "+*bad.Name, err, "ValidationException")
		var ve *types.ValidationException
		if errors.As(err, &ve) && ve.Reason == "" {
			t.Errorf("ValidationException without reason: %v", err)
		}
	}
	_, err = c.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: aws.String("nothing-0123456789")})
	wantCode(t, "GetMemory unknown", err, "ResourceNotFoundException")

	m = c.waitActive(id)
	for _, st := range m.Strategies {
		if st.Status != types.MemoryStrategyStatusActive {
			t.Fatalf("strategy %s still %s", *st.Name, st.Status)
		}
	}

	// ListMemories, a page at a time.
	for _, n := range []string{"other1", "other2"} {
		if _, err := c.ctl.CreateMemory(ctx, &ctl.CreateMemoryInput{Name: aws.String(n), EventExpiryDuration: aws.Int32(7)}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]types.MemoryStatus{}
	pages := 0
	p := ctl.NewListMemoriesPaginator(c.ctl, &ctl.ListMemoriesInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListMemories: %v", err)
		}
		pages++
		for _, s := range out.Memories {
			seen[*s.Id] = s.Status
			if !memoryArn.MatchString(*s.Arn) || s.CreatedAt == nil {
				t.Fatalf("MemorySummary %+v", s)
			}
		}
	}
	if len(seen) != 3 || pages < 3 || seen[id] != types.MemoryStatusActive {
		t.Fatalf("ListMemories: %d pages, %v", pages, seen)
	}
	_, err = c.ctl.ListMemories(ctx, &ctl.ListMemoriesInput{NextToken: aws.String("%%%")})
	wantCode(t, "ListMemories with a bad token", err, "ValidationException")

	// ---- events ----
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	ev, err := c.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"),
		EventTimestamp: aws.Time(t0), ClientToken: aws.String("ev-1"),
		Metadata: map[string]dpt.MetadataValue{"channel": &dpt.MetadataValueMemberStringValue{Value: "web"}},
		Payload: []dpt.PayloadType{
			turn(dpt.RoleUser, "My name is Ana. I love hiking in the Alps. What is the weather like?"),
			turn(dpt.RoleAssistant, "Hiking in the Alps is wonderful in June."),
		}})
	if err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	e := ev.Event
	if !eventIDRe.MatchString(*e.EventId) || *e.ActorId != "ana" || *e.SessionId != "s1" || !e.EventTimestamp.Equal(t0) || len(e.Payload) != 2 || *e.MemoryId != id {
		t.Fatalf("CreateEvent answered %+v", e)
	}
	retry, err := c.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"),
		EventTimestamp: aws.Time(t0), ClientToken: aws.String("ev-1"),
		Metadata: map[string]dpt.MetadataValue{"channel": &dpt.MetadataValueMemberStringValue{Value: "web"}},
		Payload: []dpt.PayloadType{
			turn(dpt.RoleUser, "My name is Ana. I love hiking in the Alps. What is the weather like?"),
			turn(dpt.RoleAssistant, "Hiking in the Alps is wonderful in June."),
		}})
	if err != nil || *retry.Event.EventId != *e.EventId {
		t.Fatalf("CreateEvent retried: %v %v", retry, err)
	}
	ev2, err := c.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"),
		EventTimestamp: aws.Time(t0.Add(time.Second)), Payload: []dpt.PayloadType{turn(dpt.RoleUser, "I prefer window seats on trains."), turn(dpt.RoleAssistant, "Noted, window seats it is.")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String("bob"), SessionId: aws.String("s9"),
		EventTimestamp: aws.Time(t0), Payload: []dpt.PayloadType{turn(dpt.RoleUser, "Bob writes Go programs every day.")}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*dp.CreateEventInput{
		{MemoryId: aws.String(id), ActorId: aws.String("-bad"), SessionId: aws.String("s1"), EventTimestamp: aws.Time(t0), Payload: []dpt.PayloadType{}},
		{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventTimestamp: aws.Time(t0), Payload: []dpt.PayloadType{turn("SYSTEM", "x")}},
		{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventTimestamp: aws.Time(t0.Add(-40 * 24 * time.Hour)), Payload: []dpt.PayloadType{}},
	} {
		_, err := c.dp.CreateEvent(ctx, bad)
		wantCode(t, "CreateEvent bad", err, "ValidationException")
	}
	_, err = c.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String("nothing-0123456789"), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventTimestamp: aws.Time(t0), Payload: []dpt.PayloadType{}})
	wantCode(t, "CreateEvent unknown memory", err, "ResourceNotFoundException")

	got, err := c.dp.GetEvent(ctx, &dp.GetEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventId: e.EventId})
	if err != nil || len(got.Event.Payload) != 2 || got.Event.Metadata["channel"].(*dpt.MetadataValueMemberStringValue).Value != "web" {
		t.Fatalf("GetEvent: %+v %v", got, err)
	}
	if c1, ok := got.Event.Payload[0].(*dpt.PayloadTypeMemberConversational); !ok || c1.Value.Role != dpt.RoleUser {
		t.Fatalf("GetEvent payload %+v", got.Event.Payload[0])
	}
	var ids []string
	ep := dp.NewListEventsPaginator(c.dp, &dp.ListEventsInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), MaxResults: aws.Int32(1)})
	for ep.HasMorePages() {
		out, err := ep.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		for _, e := range out.Events {
			ids = append(ids, *e.EventId)
		}
	}
	if len(ids) != 2 || ids[0] != *e.EventId || ids[1] != *ev2.Event.EventId {
		t.Fatalf("ListEvents, oldest first: %v", ids)
	}
	le, err := c.dp.ListEvents(ctx, &dp.ListEventsInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), IncludePayloads: aws.Bool(false),
		Filter: &dpt.FilterInput{EventMetadata: []dpt.EventMetadataFilterExpression{{Left: &dpt.LeftExpressionMemberMetadataKey{Value: "channel"}, Operator: dpt.OperatorTypeEqualsTo,
			Right: &dpt.RightExpressionMemberMetadataValue{Value: &dpt.MetadataValueMemberStringValue{Value: "web"}}}}}})
	if err != nil || len(le.Events) != 1 || len(le.Events[0].Payload) != 0 {
		t.Fatalf("ListEvents by metadata, without payloads: %+v %v", le, err)
	}
	ss, err := c.dp.ListSessions(ctx, &dp.ListSessionsInput{MemoryId: aws.String(id), ActorId: aws.String("ana")})
	if err != nil || len(ss.SessionSummaries) != 1 || *ss.SessionSummaries[0].SessionId != "s1" || ss.SessionSummaries[0].CreatedAt == nil {
		t.Fatalf("ListSessions: %+v %v", ss, err)
	}
	var actors []string
	ap := dp.NewListActorsPaginator(c.dp, &dp.ListActorsInput{MemoryId: aws.String(id), MaxResults: aws.Int32(1)})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListActors: %v", err)
		}
		for _, a := range out.ActorSummaries {
			actors = append(actors, *a.ActorId)
		}
	}
	if strings.Join(actors, ",") != "ana,bob" {
		t.Fatalf("ListActors: %v", actors)
	}

	// ---- the extractor's records ----
	facts := c.waitRecords(id, "/facts/ana", 4)
	var factTexts []string
	for _, f := range facts {
		factTexts = append(factTexts, text(f))
		if !recordIDRe.MatchString(*f.MemoryRecordId) || *f.MemoryStrategyId != *strategies[types.MemoryStrategyTypeSemantic].StrategyId || f.Namespaces[0] != "/facts/ana" || f.CreatedAt == nil {
			t.Fatalf("fact %+v", f)
		}
	}
	joined := strings.Join(factTexts, "|")
	for _, want := range []string{"My name is Ana.", "I love hiking in the Alps.", "Hiking in the Alps is wonderful in June.", "I prefer window seats on trains."} {
		if !strings.Contains(joined, want) {
			t.Errorf("facts %q lack %q", joined, want)
		}
	}
	if strings.Contains(joined, "weather") {
		t.Errorf("a question is no fact: %q", joined)
	}
	prefID := *strategies[types.MemoryStrategyTypeUserPreference].StrategyId
	prefs := c.waitRecords(id, "/strategies/"+prefID+"/actors/ana", 2)
	if len(prefs) != 2 {
		t.Fatalf("preferences: %+v", prefs)
	}
	sums := c.waitRecords(id, "/summaries/ana/s1", 1)
	if len(sums) != 1 || !strings.Contains(text(sums[0]), "I prefer window seats") || !strings.Contains(text(sums[0]), "USER: My name is Ana.") {
		t.Fatalf("summary: %q", text(sums[0]))
	}

	// RetrieveMemoryRecords: BM25 over the namespace (a prefix).
	rr, err := c.dp.RetrieveMemoryRecords(ctx, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/facts/"),
		SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String("hiking in the Alps"), TopK: aws.Int32(2)}})
	if err != nil || len(rr.MemoryRecordSummaries) != 2 {
		t.Fatalf("RetrieveMemoryRecords: %+v %v", rr, err)
	}
	best := rr.MemoryRecordSummaries[0]
	if !strings.Contains(text(best), "Alps") || best.Score == nil || *best.Score <= 0 || *rr.MemoryRecordSummaries[1].Score > *best.Score {
		t.Fatalf("RetrieveMemoryRecords ranked %q first (%v)", text(best), best.Score)
	}
	// ... paged by maxResults, through the paginator: the same ranking a page at a time.
	var paged []string
	var scores []float64
	rp := dp.NewRetrieveMemoryRecordsPaginator(c.dp, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/facts/"), MaxResults: aws.Int32(1),
		SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String("Ana hiking Alps June window"), TopK: aws.Int32(3)}})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx)
		if err != nil {
			t.Fatalf("RetrieveMemoryRecords paged: %v", err)
		}
		for _, h := range out.MemoryRecordSummaries {
			paged = append(paged, *h.MemoryRecordId)
			scores = append(scores, *h.Score)
		}
	}
	if len(paged) != 3 || paged[0] == paged[1] || paged[1] == paged[2] || scores[0] < scores[1] || scores[1] < scores[2] {
		t.Fatalf("RetrieveMemoryRecords paged: %v %v", paged, scores)
	}
	rr, err = c.dp.RetrieveMemoryRecords(ctx, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/facts/bob"),
		SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String("hiking")}})
	if err != nil || len(rr.MemoryRecordSummaries) != 0 {
		t.Fatalf("another actor's namespace has no hiking: %+v %v", rr, err)
	}
	_, err = c.dp.RetrieveMemoryRecords(ctx, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String("x"), TopK: aws.Int32(101)}})
	wantCode(t, "RetrieveMemoryRecords topK 101", err, "ValidationException")

	// ---- records by hand ----
	bc, err := c.dp.BatchCreateMemoryRecords(ctx, &dp.BatchCreateMemoryRecordsInput{MemoryId: aws.String(id), Records: []dpt.MemoryRecordCreateInput{
		{RequestIdentifier: aws.String("r1"), Namespaces: []string{"/manual/ana"}, Content: &dpt.MemoryContentMemberText{Value: "Ana's dog is called Rex."}, Timestamp: aws.Time(t0),
			Metadata: map[string]dpt.MemoryRecordMetadataValue{"topic": &dpt.MemoryRecordMetadataValueMemberStringValue{Value: "pets"}}},
		{RequestIdentifier: aws.String("r2"), Namespaces: []string{"/manual/ana"}, Content: &dpt.MemoryContentMemberText{Value: "x"}, Timestamp: aws.Time(t0), MemoryStrategyId: aws.String("nosuch")},
	}})
	if err != nil || len(bc.SuccessfulRecords) != 1 || len(bc.FailedRecords) != 1 || bc.SuccessfulRecords[0].Status != dpt.MemoryRecordStatusSucceeded ||
		*bc.SuccessfulRecords[0].RequestIdentifier != "r1" || bc.FailedRecords[0].Status != dpt.MemoryRecordStatusFailed || *bc.FailedRecords[0].ErrorCode != 404 {
		t.Fatalf("BatchCreateMemoryRecords: %+v %v", bc, err)
	}
	rid := bc.SuccessfulRecords[0].MemoryRecordId
	gr, err := c.dp.GetMemoryRecord(ctx, &dp.GetMemoryRecordInput{MemoryId: aws.String(id), MemoryRecordId: rid})
	if err != nil || gr.MemoryRecord.Content.(*dpt.MemoryContentMemberText).Value != "Ana's dog is called Rex." ||
		gr.MemoryRecord.Metadata["topic"].(*dpt.MemoryRecordMetadataValueMemberStringValue).Value != "pets" {
		t.Fatalf("GetMemoryRecord: %+v %v", gr, err)
	}
	lr, err := c.dp.ListMemoryRecords(ctx, &dp.ListMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/manual"),
		MetadataFilters: []dpt.MemoryMetadataFilterExpression{{Left: &dpt.MemoryRecordLeftExpressionMemberMetadataKey{Value: "topic"}, Operator: dpt.MemoryRecordOperatorTypeEqualsTo,
			Right: &dpt.MemoryRecordRightExpressionMemberMetadataValue{Value: &dpt.MemoryRecordMetadataValueMemberStringValue{Value: "pets"}}}}})
	if err != nil || len(lr.MemoryRecordSummaries) != 1 {
		t.Fatalf("ListMemoryRecords by metadata: %+v %v", lr, err)
	}
	bu, err := c.dp.BatchUpdateMemoryRecords(ctx, &dp.BatchUpdateMemoryRecordsInput{MemoryId: aws.String(id), Records: []dpt.MemoryRecordUpdateInput{
		{MemoryRecordId: rid, Timestamp: aws.Time(t0), Content: &dpt.MemoryContentMemberText{Value: "Ana's dog is called Max."}},
		{MemoryRecordId: aws.String("mem-00000000-0000-0000-0000-000000000000"), Timestamp: aws.Time(t0)},
	}})
	if err != nil || len(bu.SuccessfulRecords) != 1 || len(bu.FailedRecords) != 1 {
		t.Fatalf("BatchUpdateMemoryRecords: %+v %v", bu, err)
	}
	rr, err = c.dp.RetrieveMemoryRecords(ctx, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/manual/ana"),
		SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String("dog Max")}})
	if err != nil || len(rr.MemoryRecordSummaries) != 1 || text(rr.MemoryRecordSummaries[0]) != "Ana's dog is called Max." {
		t.Fatalf("RetrieveMemoryRecords after an update: %+v %v", rr, err)
	}
	bd, err := c.dp.BatchDeleteMemoryRecords(ctx, &dp.BatchDeleteMemoryRecordsInput{MemoryId: aws.String(id), Records: []dpt.MemoryRecordDeleteInput{{MemoryRecordId: rid}}})
	if err != nil || len(bd.SuccessfulRecords) != 1 || len(bd.FailedRecords) != 0 {
		t.Fatalf("BatchDeleteMemoryRecords: %+v %v", bd, err)
	}
	_, err = c.dp.GetMemoryRecord(ctx, &dp.GetMemoryRecordInput{MemoryId: aws.String(id), MemoryRecordId: rid})
	wantCode(t, "GetMemoryRecord deleted", err, "ResourceNotFoundException")
	dr, err := c.dp.DeleteMemoryRecord(ctx, &dp.DeleteMemoryRecordInput{MemoryId: aws.String(id), MemoryRecordId: facts[0].MemoryRecordId})
	if err != nil || *dr.MemoryRecordId != *facts[0].MemoryRecordId {
		t.Fatalf("DeleteMemoryRecord: %v %v", dr, err)
	}
	_, err = c.dp.DeleteMemoryRecord(ctx, &dp.DeleteMemoryRecordInput{MemoryId: aws.String(id), MemoryRecordId: facts[0].MemoryRecordId})
	wantCode(t, "DeleteMemoryRecord twice", err, "ResourceNotFoundException")
	_, err = c.dp.GetMemoryRecord(ctx, &dp.GetMemoryRecordInput{MemoryId: aws.String(id), MemoryRecordId: aws.String("mem-short")})
	wantCode(t, "GetMemoryRecord bad id", err, "ValidationException")

	// ---- UpdateMemory: add, modify and delete strategies; events are kept ----
	semID := strategies[types.MemoryStrategyTypeSemantic].StrategyId
	up, err := c.ctl.UpdateMemory(ctx, &ctl.UpdateMemoryInput{MemoryId: aws.String(id), ClientToken: aws.String("up-1"), EventExpiryDuration: aws.Int32(60),
		MemoryStrategies: &types.ModifyMemoryStrategies{
			AddMemoryStrategies: []types.MemoryStrategyInput{&types.MemoryStrategyInputMemberCustomMemoryStrategy{Value: types.CustomMemoryStrategyInput{
				Name: aws.String("hook"), Configuration: &types.CustomConfigurationInputMemberSelfManagedConfiguration{Value: types.SelfManagedConfigurationInput{
					InvocationConfiguration: &types.InvocationConfigurationInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:t"), PayloadDeliveryBucketName: aws.String("bucket")}}}}}},
			ModifyMemoryStrategies: []types.ModifyMemoryStrategyInput{{MemoryStrategyId: semID, Description: aws.String("the facts")}},
			DeleteMemoryStrategies: []types.DeleteMemoryStrategyInput{{MemoryStrategyId: strategies[types.MemoryStrategyTypeSummarization].StrategyId}},
		}})
	if err != nil {
		t.Fatalf("UpdateMemory: %v", err)
	}
	status := map[string]types.MemoryStrategyStatus{}
	var hookID string
	for _, st := range up.Memory.Strategies {
		status[*st.Name] = st.Status
		if *st.Name == "hook" {
			hookID = *st.StrategyId
			if st.Type != types.MemoryStrategyTypeCustom || st.Configuration == nil || st.Configuration.Type != types.OverrideTypeSelfManaged {
				t.Fatalf("custom strategy %+v", st)
			}
		}
		if *st.Name == "facts" && (st.Description == nil || *st.Description != "the facts") {
			t.Fatalf("modified strategy %+v", st)
		}
	}
	if *up.Memory.EventExpiryDuration != 60 || status["hook"] != types.MemoryStrategyStatusCreating || status["summaries"] != types.MemoryStrategyStatusDeleting || status["facts"] != types.MemoryStrategyStatusActive {
		t.Fatalf("UpdateMemory answered %v", status)
	}
	if _, err := c.ctl.UpdateMemory(ctx, &ctl.UpdateMemoryInput{MemoryId: aws.String(id), ClientToken: aws.String("up-1"), EventExpiryDuration: aws.Int32(61)}); err == nil {
		t.Fatal("UpdateMemory with a reused token and other parameters succeeded")
	}
	_, err = c.ctl.UpdateMemory(ctx, &ctl.UpdateMemoryInput{MemoryId: aws.String(id), MemoryStrategies: &types.ModifyMemoryStrategies{
		DeleteMemoryStrategies: []types.DeleteMemoryStrategyInput{{MemoryStrategyId: aws.String("nosuch-0123456789")}}}})
	wantCode(t, "UpdateMemory deleting an unknown strategy", err, "ResourceNotFoundException")
	m = c.waitActive(id)
	deadline := time.Now().Add(5 * time.Second)
	for len(m.Strategies) != 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		m = c.waitActive(id)
	}
	if len(m.Strategies) != 3 {
		t.Fatalf("the deleted strategy is gone: %d", len(m.Strategies))
	}
	if out, err := c.dp.ListEvents(ctx, &dp.ListEventsInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1")}); err != nil || len(out.Events) != 2 {
		t.Fatalf("events survive an update: %v %v", out, err)
	}

	// ---- extraction jobs: a self-managed strategy's job fails here (no SNS/S3) ----
	if _, err := c.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s2"),
		EventTimestamp: aws.Time(time.Now()), Payload: []dpt.PayloadType{turn(dpt.RoleUser, "I enjoy long walks by the river.")}}); err != nil {
		t.Fatal(err)
	}
	var job dpt.ExtractionJobMetadata
	deadline = time.Now().Add(10 * time.Second)
	for {
		jobs, err := c.dp.ListMemoryExtractionJobs(ctx, &dp.ListMemoryExtractionJobsInput{MemoryId: aws.String(id),
			Filter: &dpt.ExtractionJobFilterInput{Status: dpt.ExtractionJobStatusFailed, StrategyId: aws.String(hookID)}})
		if err != nil {
			t.Fatalf("ListMemoryExtractionJobs: %v", err)
		}
		if len(jobs.Jobs) == 1 {
			job = jobs.Jobs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed job: %+v", jobs.Jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if *job.ActorId != "ana" || *job.SessionId != "s2" || job.FailureReason == nil || job.Messages.(*dpt.ExtractionJobMessagesMemberMessagesList).Value[0].EventId == nil {
		t.Fatalf("job %+v", job)
	}
	if sj, err := c.dp.StartMemoryExtractionJob(ctx, &dp.StartMemoryExtractionJobInput{MemoryId: aws.String(id), ExtractionJob: &dpt.ExtractionJob{JobId: job.JobID}}); err != nil || *sj.JobId != *job.JobID {
		t.Fatalf("StartMemoryExtractionJob: %v %v", sj, err)
	}
	_, err = c.dp.StartMemoryExtractionJob(ctx, &dp.StartMemoryExtractionJobInput{MemoryId: aws.String(id), ExtractionJob: &dpt.ExtractionJob{JobId: aws.String("nosuch")}})
	wantCode(t, "StartMemoryExtractionJob unknown", err, "ResourceNotFoundException")

	// ---- DeleteEvent, DeleteMemory ----
	de, err := c.dp.DeleteEvent(ctx, &dp.DeleteEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventId: e.EventId})
	if err != nil || *de.EventId != *e.EventId {
		t.Fatalf("DeleteEvent: %v %v", de, err)
	}
	_, err = c.dp.GetEvent(ctx, &dp.GetEventInput{MemoryId: aws.String(id), ActorId: aws.String("ana"), SessionId: aws.String("s1"), EventId: e.EventId})
	wantCode(t, "GetEvent deleted", err, "ResourceNotFoundException")
	dm, err := c.ctl.DeleteMemory(ctx, &ctl.DeleteMemoryInput{MemoryId: aws.String(id), ClientToken: aws.String("del-1")})
	if err != nil || *dm.MemoryId != id || dm.Status != types.MemoryStatusDeleting {
		t.Fatalf("DeleteMemory: %+v %v", dm, err)
	}
	// (GetMemory answering DELETING meanwhile is tested with a clock that stands still:
	// local/memory's TestDeleting.)
	_, err = c.dp.ListActors(ctx, &dp.ListActorsInput{MemoryId: aws.String(id)})
	wantCode(t, "ListActors of a memory being deleted", err, "ResourceNotFoundException")
	deadline = time.Now().Add(5 * time.Second)
	for {
		_, err = c.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: aws.String(id)})
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantCode(t, "GetMemory deleted", err, "ResourceNotFoundException")
	_, err = c.ctl.DeleteMemory(ctx, &ctl.DeleteMemoryInput{MemoryId: aws.String(id)})
	wantCode(t, "DeleteMemory deleted", err, "ResourceNotFoundException")
}

// TestMemoryPython runs the main Memory operations with boto3 and the AWS CLI against the
// endpoint: the Python SDK's own serialisers and parsers, from the installed botocore models.
func TestMemoryPython(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	t.Run("boto3", func(t *testing.T) { memoryBoto3(t, r) })
	t.Run("aws cli", func(t *testing.T) { memoryCLI(t, r) })
}

func memoryCLI(t *testing.T, r *running) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("no AWS CLI")
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append(args, "--output", "text")...)
		cmd.Env = r.cliEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %s %v", strings.Join(args, " "), out, err)
		}
		return strings.TrimSpace(string(out))
	}
	id := run("bedrock-agentcore-control", "create-memory", "--name", "cli", "--event-expiry-duration", "30", "--query", "memory.id",
		"--memory-strategies", `[{"semanticMemoryStrategy":{"name":"facts","namespaceTemplates":["/facts/{actorId}"]}}]`)
	for run("bedrock-agentcore-control", "get-memory", "--memory-id", id, "--query", "memory.status") != "ACTIVE" {
		time.Sleep(50 * time.Millisecond)
	}
	run("bedrock-agentcore", "create-event", "--memory-id", id, "--actor-id", "ana", "--session-id", "s1",
		"--event-timestamp", "2026-12-07T10:00:00Z", "--payload", `[{"conversational":{"role":"USER","content":{"text":"I love green tea."}}}]`)
	if got := run("bedrock-agentcore", "list-events", "--memory-id", id, "--actor-id", "ana", "--session-id", "s1", "--query", "length(events)"); got != "1" {
		t.Fatalf("list-events: %s", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := run("bedrock-agentcore", "retrieve-memory-records", "--memory-id", id, "--namespace", "/facts/",
			"--search-criteria", `{"searchQuery":"tea"}`, "--query", "memoryRecordSummaries[0].content.text")
		if got == "I love green tea." {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retrieve-memory-records: %s", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := run("bedrock-agentcore-control", "delete-memory", "--memory-id", id, "--query", "status"); got != "DELETING" {
		t.Fatalf("delete-memory: %s", got)
	}
}

func memoryBoto3(t *testing.T, r *running) {
	if exec.Command("python3", "-c", "import boto3").Run() != nil {
		t.Skip("no boto3")
	}
	script := `
import boto3, botocore, time, datetime, re

# Every answer is checked against the installed botocore model of its operation: required
# members present, enums, string lengths and patterns, list and map sizes, numeric ranges.
def check(shape, v, path):
    t = shape.type_name
    if t == "structure":
        assert isinstance(v, dict), path
        for r in shape.required_members:
            assert r in v, "%s: required member %s missing" % (path, r)
        for k, x in v.items():
            if k == "ResponseMetadata":
                continue
            assert k in shape.members, "%s: member %s is not in the model" % (path, k)
            check(shape.members[k], x, path + "." + k)
        if shape.metadata.get("union"):
            assert len([k for k in v if k != "ResponseMetadata"]) == 1, path
    elif t == "list":
        m = shape.metadata
        assert m.get("min", 0) <= len(v) <= m.get("max", 1 << 30), "%s: %d items" % (path, len(v))
        for i, x in enumerate(v):
            check(shape.member, x, "%s[%d]" % (path, i))
    elif t == "map":
        assert shape.metadata.get("min", 0) <= len(v) <= shape.metadata.get("max", 1 << 30), path
        for k, x in v.items():
            check(shape.value, x, path + "." + k)
    elif t == "string":
        m = shape.metadata
        if shape.enum:
            assert v in shape.enum, "%s: %r not in %s" % (path, v, shape.enum)
        assert m.get("min", 0) <= len(v) <= m.get("max", 1 << 30), "%s: length %d" % (path, len(v))
        if "pattern" in m:
            assert re.fullmatch(m["pattern"], v), "%s: %r does not match %s" % (path, v, m["pattern"])
    elif t in ("integer", "long"):
        assert shape.metadata.get("min", -(1 << 62)) <= v <= shape.metadata.get("max", 1 << 62), path

class Checked:
    def __init__(self, client):
        self.client, self.exceptions = client, client.exceptions
    def get_paginator(self, name):
        return self.client.get_paginator(name)
    def __getattr__(self, name):
        f = getattr(self.client, name)
        model = self.client.meta.service_model.operation_model(self.client.meta.method_to_api_mapping[name])
        def call(**kw):
            out = f(**kw)
            check(model.output_shape, out, model.name)
            return out
        return call

s = boto3.session.Session()
ctl, dp = Checked(s.client("bedrock-agentcore-control")), Checked(s.client("bedrock-agentcore"))
m = ctl.create_memory(name="py", eventExpiryDuration=7, memoryStrategies=[
    {"semanticMemoryStrategy": {"name": "facts", "namespaces": ["/facts/{actorId}"]}},
    {"userPreferenceMemoryStrategy": {"name": "prefs", "namespaces": ["/prefs/{actorId}"]}}])["memory"]
assert m["status"] in ("CREATING", "ACTIVE"), m
mid = m["id"]
while ctl.get_memory(memoryId=mid)["memory"]["status"] != "ACTIVE":
    time.sleep(0.05)
assert mid in [x["id"] for x in ctl.list_memories()["memories"]]
ev = dp.create_event(memoryId=mid, actorId="ana", sessionId="s1", eventTimestamp=datetime.datetime.now(datetime.timezone.utc),
    payload=[{"conversational": {"role": "USER", "content": {"text": "I love green tea. My cat sleeps all day."}}}])["event"]
assert dp.get_event(memoryId=mid, actorId="ana", sessionId="s1", eventId=ev["eventId"])["event"]["payload"][0]["conversational"]["role"] == "USER"
assert len(dp.list_events(memoryId=mid, actorId="ana", sessionId="s1")["events"]) == 1
assert dp.list_sessions(memoryId=mid, actorId="ana")["sessionSummaries"][0]["sessionId"] == "s1"
assert dp.list_actors(memoryId=mid)["actorSummaries"] == [{"actorId": "ana"}]
for _ in range(200):
    recs = dp.list_memory_records(memoryId=mid, namespace="/facts/ana")["memoryRecordSummaries"]
    if len(recs) == 2: break
    time.sleep(0.05)
assert sorted(r["content"]["text"] for r in recs) == ["I love green tea.", "My cat sleeps all day."], recs
pages = list(dp.get_paginator("list_memory_records").paginate(memoryId=mid, namespace="/facts/ana", PaginationConfig={"PageSize": 1}))
assert len(pages) == 2, pages
hits = dp.retrieve_memory_records(memoryId=mid, namespace="/", searchCriteria={"searchQuery": "green tea", "topK": 5})["memoryRecordSummaries"]
assert hits[0]["content"]["text"] == "I love green tea." and hits[0]["score"] > 0, hits
# (with a strategy: a record made without one is answered without, which the model's answer
# shape does not allow; docs/local-memory.md says so)
sid = m["strategies"][0]["strategyId"]
b = dp.batch_create_memory_records(memoryId=mid, records=[{"requestIdentifier": "a", "namespaces": ["/x"], "content": {"text": "t"}, "timestamp": datetime.datetime.now(), "memoryStrategyId": sid}])
rid = b["successfulRecords"][0]["memoryRecordId"]
assert dp.get_memory_record(memoryId=mid, memoryRecordId=rid)["memoryRecord"]["content"]["text"] == "t"
dp.batch_update_memory_records(memoryId=mid, records=[{"memoryRecordId": rid, "timestamp": datetime.datetime.now(), "content": {"text": "t2"}}])
assert dp.batch_delete_memory_records(memoryId=mid, records=[{"memoryRecordId": "mem-00000000-0000-0000-0000-000000000000"}])["failedRecords"][0]["errorCode"] == 404
dp.list_memory_extraction_jobs(memoryId=mid)
dp.list_events(memoryId=mid, actorId="ana", sessionId="s1", includePayloads=False)
dp.delete_memory_record(memoryId=mid, memoryRecordId=rid)
try:
    dp.get_memory_record(memoryId=mid, memoryRecordId=rid)
    raise SystemExit("deleted record still there")
except dp.exceptions.ResourceNotFoundException:
    pass
try:
    ctl.create_memory(name="py", eventExpiryDuration=7)
except ctl.exceptions.ConflictException:
    pass
try:
    ctl.create_memory(name="bad name", eventExpiryDuration=7)
except ctl.exceptions.ValidationException as e:
    assert e.response["reason"] == "FieldValidationFailed", e.response
u = ctl.update_memory(memoryId=mid, memoryStrategies={"addMemoryStrategies": [{"summaryMemoryStrategy": {"name": "sums"}}]})["memory"]
assert sorted(x["name"] for x in u["strategies"]) == ["facts", "prefs", "sums"], u
assert dp.delete_event(memoryId=mid, actorId="ana", sessionId="s1", eventId=ev["eventId"])["eventId"] == ev["eventId"]
assert ctl.delete_memory(memoryId=mid)["status"] == "DELETING"
print("ok")
`
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = r.cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("boto3: %s %v", out, err)
	}
}

// A memory's tags, through the tagging operations of bedrock-agentcore-control on its ARN (the
// same /tags/ routes as runtimes).
func TestMemoryTags(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	c := newMemClients(t, r)
	ctx := context.Background()
	created, err := c.ctl.CreateMemory(ctx, &ctl.CreateMemoryInput{Name: aws.String("tagged"), EventExpiryDuration: aws.Int32(7),
		Tags: map[string]string{"agentcore:memory": "chat", "team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.Memory.Arn
	c.waitActive(*created.Memory.Id)
	list := func() map[string]string {
		t.Helper()
		out, err := c.ctl.ListTagsForResource(ctx, &ctl.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatalf("ListTagsForResource: %v", err)
		}
		return out.Tags
	}
	if got := list(); len(got) != 2 || got["agentcore:memory"] != "chat" {
		t.Fatalf("tags at create: %v", got)
	}
	if _, err := c.ctl.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"team": "b", "env": "dev"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.ctl.UntagResource(ctx, &ctl.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"agentcore:memory"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if got := list(); len(got) != 2 || got["team"] != "b" || got["env"] != "dev" {
		t.Fatalf("tags after tag and untag: %v", got)
	}
	gone := strings.Replace(*arn, *created.Memory.Id, "nothere-AbCdEfGhIj", 1)
	_, err = c.ctl.ListTagsForResource(ctx, &ctl.ListTagsForResourceInput{ResourceArn: &gone})
	wantCode(t, "ListTagsForResource of no memory", err, "ResourceNotFoundException")
	_, err = c.ctl.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: arn, Tags: map[string]string{}})
	if err != nil {
		t.Fatalf("TagResource with no tags: %v", err)
	}
	// The model's TagsMap: key pattern and lengths, on TagResource as on CreateMemory.
	for what, tags := range map[string]map[string]string{
		"a key with !":   {"bad!key": "v"},
		"a key of 129":   {strings.Repeat("k", 129): "v"},
		"a value of 257": {"k": strings.Repeat("v", 257)},
		"an empty key":   {"": "v"},
		"a value with ;": {"k": "semi;colon"},
	} {
		_, err = c.ctl.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: arn, Tags: tags})
		wantCode(t, "TagResource with "+what, err, "ValidationException")
	}
	if got := list(); len(got) != 2 {
		t.Fatalf("tags after refused TagResource calls: %v", got)
	}
}

// An agent's own credentials reach the Memory data plane of the memory its environment names
// (BEDROCK_AGENTCORE_MEMORY_ID), and nothing else of Memory: not another memory, not the
// control plane.
func TestAgentMemoryScope(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	c := newMemClients(t, r)
	ctx := context.Background()
	mine, err := c.ctl.CreateMemory(ctx, &ctl.CreateMemoryInput{Name: aws.String("mine"), EventExpiryDuration: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.ctl.CreateMemory(ctx, &ctl.CreateMemoryInput{Name: aws.String("other"), EventExpiryDuration: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	c.waitActive(*mine.Memory.Id)
	c.waitActive(*other.Memory.Id)
	created, err := c.ctl.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String("remembers"),
		EnvironmentVariables: map[string]string{"BEDROCK_AGENTCORE_MEMORY_ID": *mine.Memory.Id},
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/missing:v1")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
	if err != nil {
		t.Fatal(err)
	}
	ac := r.srv.Credentials().Agent(aws.ToString(created.AgentRuntimeId))
	agentCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ac.AccessKeyID, ac.SecretAccessKey, ac.SessionToken)}
	agent := &memClients{t: t,
		ctl: ctl.NewFromConfig(agentCfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) }),
		dp:  dp.NewFromConfig(agentCfg, func(o *dp.Options) { o.BaseEndpoint = aws.String(r.url) }),
	}
	event := func(memoryID string) error {
		_, err := agent.dp.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(memoryID), ActorId: aws.String("u1"), SessionId: aws.String("s1"),
			EventTimestamp: aws.Time(time.Now()), Payload: []dpt.PayloadType{&dpt.PayloadTypeMemberConversational{Value: dpt.Conversational{
				Role: dpt.RoleUser, Content: &dpt.ContentMemberText{Value: "I like tea."}}}}})
		return err
	}
	if err := event(*mine.Memory.Id); err != nil {
		t.Fatalf("an agent's CreateEvent in its own memory: %v", err)
	}
	if _, err := agent.dp.ListEvents(ctx, &dp.ListEventsInput{MemoryId: mine.Memory.Id, ActorId: aws.String("u1"), SessionId: aws.String("s1")}); err != nil {
		t.Fatalf("an agent's ListEvents in its own memory: %v", err)
	}
	err = event(*other.Memory.Id)
	wantCode(t, "an agent's CreateEvent in another memory", err, "AccessDeniedException")
	if !strings.Contains(err.Error(), "BEDROCK_AGENTCORE_MEMORY_ID") {
		t.Errorf("the refusal does not say which memory the agent may use: %v", err)
	}
	_, err = agent.ctl.GetMemory(ctx, &ctl.GetMemoryInput{MemoryId: mine.Memory.Id})
	wantCode(t, "an agent's GetMemory (control plane)", err, "AccessDeniedException")
	_, err = agent.ctl.DeleteMemory(ctx, &ctl.DeleteMemoryInput{MemoryId: mine.Memory.Id})
	wantCode(t, "an agent's DeleteMemory", err, "AccessDeniedException")
}
