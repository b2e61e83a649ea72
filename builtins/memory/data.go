package memory

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// dataAPI is the part of AgentCore Memory's data plane (bedrock-agentcore) this module calls:
// what people read of a memory (agentcore memory events, records, search) and what forgetting
// an actor deletes.
type dataAPI interface {
	ListActors(context.Context, *data.ListActorsInput, ...func(*data.Options)) (*data.ListActorsOutput, error)
	ListSessions(context.Context, *data.ListSessionsInput, ...func(*data.Options)) (*data.ListSessionsOutput, error)
	ListEvents(context.Context, *data.ListEventsInput, ...func(*data.Options)) (*data.ListEventsOutput, error)
	DeleteEvent(context.Context, *data.DeleteEventInput, ...func(*data.Options)) (*data.DeleteEventOutput, error)
	ListMemoryRecords(context.Context, *data.ListMemoryRecordsInput, ...func(*data.Options)) (*data.ListMemoryRecordsOutput, error)
	RetrieveMemoryRecords(context.Context, *data.RetrieveMemoryRecordsInput, ...func(*data.Options)) (*data.RetrieveMemoryRecordsOutput, error)
	BatchDeleteMemoryRecords(context.Context, *data.BatchDeleteMemoryRecordsInput, ...func(*data.Options)) (*data.BatchDeleteMemoryRecordsOutput, error)
}

// Event is one event of a memory, its payloads as text.
type Event struct {
	ID        string   `json:"id"`
	ActorID   string   `json:"actor_id"`
	SessionID string   `json:"session_id"`
	Timestamp string   `json:"timestamp"`
	Messages  []string `json:"messages" lua:"string[]"` // "ROLE: text" per conversational payload; a blob as its JSON
}

// Record is one long-term memory record.
type Record struct {
	ID         string   `json:"id"`
	Text       string   `json:"text"`
	StrategyID string   `json:"strategy_id"`
	Namespaces []string `json:"namespaces"`
	CreatedAt  string   `json:"created_at"`
	Score      *float64 `json:"score,omitempty"`
}

type eventsOpts struct {
	Actor   string `json:"actor,omitempty"`
	Session string `json:"session,omitempty"`
	Max     int    `json:"max,omitempty"`
}

type recordsOpts struct {
	Namespace string `json:"namespace,omitempty"`
	Max       int    `json:"max,omitempty"`
}

type searchOpts struct {
	Namespace string `json:"namespace,omitempty"`
	Top       int    `json:"top,omitempty"`
}

type forgetResult struct {
	Events      int `json:"events"`
	Records     int `json:"records"`
	RecordsLeft int `json:"records_failed"`
}

func dataFuncs(m *module) ([]*engine.Class, []engine.Func) {
	return []*engine.Class{
			{Name: "memory.Event", Of: Event{}, Doc: "An event: its actor, session, time and messages (\"USER: text\"; a blob payload as JSON)."},
			{Name: "memory.Record", Of: Record{}, Doc: "A long-term record: its text, the strategy that extracted it, its namespaces and (from search) its score."},
			{Name: "memory.EventsOpts", Of: eventsOpts{}, Doc: "actor and session narrow the listing; max bounds it (default 1000)."},
			{Name: "memory.RecordsOpts", Of: recordsOpts{}, Doc: "namespace: a prefix (default \"/\", every record); max bounds the listing (default 1000)."},
			{Name: "memory.SearchOpts", Of: searchOpts{}, Doc: "namespace: a prefix (default \"/\"); top: how many records, 1 to 100 (default 10)."},
			{Name: "memory.ForgetResult", Of: forgetResult{}},
		}, []engine.Func{
			{Name: "events", Params: "id: string, opts?: memory.EventsOpts", Returns: "memory.Event[]", Go: m.luaEvents,
				Doc: "The memory's events, oldest first per session (ListActors, ListSessions, ListEvents), at most opts.max."},
			{Name: "records", Params: "id: string, opts?: memory.RecordsOpts", Returns: "memory.Record[]", Go: m.luaRecords,
				Doc: "The memory's long-term records under a namespace prefix (ListMemoryRecords), at most opts.max."},
			{Name: "search", Params: "id: string, text: string, opts?: memory.SearchOpts", Returns: "memory.Record[]", Go: m.luaSearch,
				Doc: "The records most relevant to text (RetrieveMemoryRecords), best first, with their scores."},
			{Name: "forget", Params: "id: string, actor: string", Returns: "memory.ForgetResult", Go: m.luaForget,
				Doc: "Deletes an actor's events (DeleteEvent, every session) and the long-term records in namespaces naming the actor " +
					"(a path segment equal to the actor id: namespaces built with {actorId}); records in namespaces without it cannot be told apart and are kept."},
		}
}

const defaultMax = 1000

func (m *module) luaEvents(L *lua.LState, id string, o *eventsOpts) ([]Event, error) {
	if o == nil {
		o = &eventsOpts{}
	}
	if o.Max <= 0 {
		o.Max = defaultMax
	}
	return awscall.Call(L, m.data, "listing the events of memory "+id, func(ctx context.Context, c dataAPI) ([]Event, error) {
		return listEvents(ctx, c, id, o)
	})
}

func listEvents(ctx context.Context, c dataAPI, id string, o *eventsOpts) ([]Event, error) {
	actors := []string{o.Actor}
	if o.Actor == "" {
		actors = nil
		p := data.NewListActorsPaginator(c, &data.ListActorsInput{MemoryId: &id})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, a := range page.ActorSummaries {
				actors = append(actors, awssdk.ToString(a.ActorId))
			}
		}
	}
	out := []Event{}
	for _, actor := range actors {
		sessions := []string{o.Session}
		if o.Session == "" {
			sessions = nil
			p := data.NewListSessionsPaginator(c, &data.ListSessionsInput{MemoryId: &id, ActorId: &actor})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, s := range page.SessionSummaries {
					sessions = append(sessions, awssdk.ToString(s.SessionId))
				}
			}
		}
		for _, session := range sessions {
			p := data.NewListEventsPaginator(c, &data.ListEventsInput{MemoryId: &id, ActorId: &actor, SessionId: &session, IncludePayloads: awssdk.Bool(true)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, e := range page.Events {
					out = append(out, fromEvent(e))
					if len(out) >= o.Max {
						return out, nil
					}
				}
			}
		}
	}
	return out, nil
}

func fromEvent(e dtypes.Event) Event {
	ev := Event{ID: awssdk.ToString(e.EventId), ActorID: awssdk.ToString(e.ActorId), SessionID: awssdk.ToString(e.SessionId),
		Timestamp: stamp(e.EventTimestamp), Messages: []string{}}
	for _, p := range e.Payload {
		switch x := p.(type) {
		case *dtypes.PayloadTypeMemberConversational:
			text := ""
			if t, ok := x.Value.Content.(*dtypes.ContentMemberText); ok {
				text = t.Value
			}
			ev.Messages = append(ev.Messages, string(x.Value.Role)+": "+text)
		case *dtypes.PayloadTypeMemberBlob:
			b, _ := x.Value.MarshalSmithyDocument()
			ev.Messages = append(ev.Messages, "BLOB: "+string(b))
		default:
			b, _ := json.Marshal(p)
			ev.Messages = append(ev.Messages, "PAYLOAD: "+string(b))
		}
	}
	return ev
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fromRecord(r dtypes.MemoryRecordSummary) Record {
	rec := Record{ID: awssdk.ToString(r.MemoryRecordId), StrategyID: awssdk.ToString(r.MemoryStrategyId), Namespaces: r.Namespaces,
		CreatedAt: stamp(r.CreatedAt), Score: r.Score}
	if rec.Namespaces == nil {
		rec.Namespaces = []string{}
	}
	if t, ok := r.Content.(*dtypes.MemoryContentMemberText); ok {
		rec.Text = t.Value
	}
	return rec
}

func (m *module) luaRecords(L *lua.LState, id string, o *recordsOpts) ([]Record, error) {
	if o == nil {
		o = &recordsOpts{}
	}
	if o.Namespace == "" {
		o.Namespace = "/"
	}
	if o.Max <= 0 {
		o.Max = defaultMax
	}
	return awscall.Call(L, m.data, "listing the records of memory "+id, func(ctx context.Context, c dataAPI) ([]Record, error) {
		return listRecords(ctx, c, id, o.Namespace, o.Max)
	})
}

func listRecords(ctx context.Context, c dataAPI, id, namespace string, max int) ([]Record, error) {
	out := []Record{}
	p := data.NewListMemoryRecordsPaginator(c, &data.ListMemoryRecordsInput{MemoryId: &id, Namespace: &namespace})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.MemoryRecordSummaries {
			out = append(out, fromRecord(r))
			if len(out) >= max {
				return out, nil
			}
		}
	}
	return out, nil
}

func (m *module) luaSearch(L *lua.LState, id, text string, o *searchOpts) ([]Record, error) {
	if o == nil {
		o = &searchOpts{}
	}
	if o.Namespace == "" {
		o.Namespace = "/"
	}
	if o.Top == 0 {
		o.Top = 10
	}
	if o.Top < 1 || o.Top > 100 {
		return nil, engine.Usagef("ask for 1 to 100 records: --top 10", "top = %d is out of range: RetrieveMemoryRecords returns 1 to 100 records", o.Top)
	}
	if strings.TrimSpace(text) == "" {
		return nil, engine.Usagef("say what to look for: agentcore memory search MEMORY \"what the user prefers\"", "the search text is empty")
	}
	return awscall.Call(L, m.data, "searching memory "+id, func(ctx context.Context, c dataAPI) ([]Record, error) {
		out, err := c.RetrieveMemoryRecords(ctx, &data.RetrieveMemoryRecordsInput{MemoryId: &id, Namespace: &o.Namespace,
			SearchCriteria: &dtypes.SearchCriteria{SearchQuery: &text, TopK: awssdk.Int32(int32(o.Top))}})
		if err != nil {
			return nil, err
		}
		recs := []Record{}
		for _, r := range out.MemoryRecordSummaries {
			recs = append(recs, fromRecord(r))
		}
		return recs, nil
	})
}

func (m *module) luaForget(L *lua.LState, id, actor string) (forgetResult, error) {
	if strings.TrimSpace(actor) == "" {
		return forgetResult{}, engine.Usagef("name the actor: agentcore memory forget MEMORY --actor ID", "no actor to forget")
	}
	return awscall.Call(L, m.data, "forgetting actor "+actor+" in memory "+id, func(ctx context.Context, c dataAPI) (forgetResult, error) {
		var res forgetResult
		events, err := listEvents(ctx, c, id, &eventsOpts{Actor: actor, Max: 1 << 30})
		if err != nil {
			return res, err
		}
		for _, e := range events {
			if _, err := c.DeleteEvent(ctx, &data.DeleteEventInput{MemoryId: &id, ActorId: &e.ActorID, SessionId: &e.SessionID, EventId: &e.ID}); err != nil {
				return res, err
			}
			res.Events++
		}
		recs, err := listRecords(ctx, c, id, "/", 1<<30)
		if err != nil {
			return res, err
		}
		var del []dtypes.MemoryRecordDeleteInput
		for _, r := range recs {
			if namesActor(r.Namespaces, actor) {
				del = append(del, dtypes.MemoryRecordDeleteInput{MemoryRecordId: awssdk.String(r.ID)})
			}
		}
		for len(del) > 0 {
			n := min(len(del), 100)
			out, err := c.BatchDeleteMemoryRecords(ctx, &data.BatchDeleteMemoryRecordsInput{MemoryId: &id, Records: del[:n]})
			if err != nil {
				return res, err
			}
			res.Records += len(out.SuccessfulRecords)
			res.RecordsLeft += len(out.FailedRecords)
			del = del[n:]
		}
		return res, nil
	})
}

// namesActor tells whether one of a record's namespaces has the actor id as a path segment.
func namesActor(namespaces []string, actor string) bool {
	for _, ns := range namespaces {
		for _, seg := range strings.Split(ns, "/") {
			if seg == actor {
				return true
			}
		}
	}
	return false
}
