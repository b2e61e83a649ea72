// Package logs is the `logs` Lua module: CloudWatch Logs of the selected environment (the
// local endpoint's on local environments): reading an agent's log group (filter, get, follow),
// listing groups and streams, reading spans from the Transaction Search group aws/spans, and
// enabling Transaction Search once per account and region.
//
// Following uses CloudWatch Logs live tail (StartLiveTail) where the service offers it (AWS,
// the local endpoint), see livetail.go, and polls FilterLogEvents otherwise (moto). Each poll
// reads again an overlap window before the previous poll and drops the events already shown
// by id: nothing twice, nothing missed unless an event arrives later than the window after
// its own timestamp.
package logs

import (
	"context"
	"errors"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// New returns the logs Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "logs",
		Doc: "CloudWatch Logs of the selected environment (the local endpoint's on local environments): " +
			"an agent's log group /aws/bedrock-agentcore/runtimes/<runtimeId>-<endpoint>, spans in aws/spans, " +
			"and the account's Transaction Search setting. Times are milliseconds since the epoch (logs.parse_time " +
			"reads \"10m\" or RFC 3339). Following uses CloudWatch Logs live tail (StartLiveTail) where the " +
			"service offers it and polls FilterLogEvents once a second otherwise; Ctrl-C ends a follow normally.",
		Classes: []*engine.Class{
			{Name: "logs.FilterOpts", Of: filterArgs{}, Doc: "Which events of one log group filter reads; start and end are ms since the epoch."},
			{Name: "logs.FollowOpts", Of: followArgs{}, Doc: "Which events of one log group follow shows, and how it polls."},
			{Name: "logs.GetEventsOpts", Of: getArgs{}},
			{Name: "logs.GroupsOpts", Of: groupsArgs{}},
			{Name: "logs.StreamsOpts", Of: streamsArgs{}},
			{Name: "logs.SpansOpts", Of: spansArgs{}, Doc: "Which spans spans reads; group defaults to aws/spans."},
			{Name: "logs.Event", Of: Event{}, Doc: "A log event: timestamp in ms since the epoch, time the same in RFC 3339 UTC; session and level when the line tells them."},
			{Name: "logs.FilterResult", Of: filterResult{}, Doc: "events is absent with print = true; missing says the group does not exist."},
			{Name: "logs.FollowResult", Of: followResult{}},
			{Name: "logs.Group", Of: Group{}},
			{Name: "logs.Stream", Of: Stream{}},
			{Name: "logs.Span", Of: Span{}, Doc: "A span read from a Transaction Search JSON event."},
			{Name: "logs.SpansResult", Of: spansResult{}},
			{Name: "logs.TransactionSearch", Of: TransactionSearch{}},
		},
		Funcs: []engine.Func{
			{Name: "parse_time", Go: m.luaParseTime, Params: "text: string", Returns: "integer",
				Doc: "Reads a start time: a duration back from now (30s, 10m, 1h30m, 2d, 1w) or an RFC 3339 time. " +
					"Anything else raises a usage error (exit 2) saying both forms. Returns milliseconds since the epoch."},
			{Name: "filter", Go: m.luaFilter,
				Params:  "opts: logs.FilterOpts",
				Returns: "logs.FilterResult",
				Doc: "The group's events between start and end (all pages), oldest first, merged by event id. grep keeps " +
					"events whose message contains the text (case-sensitive, as CloudWatch terms); session keeps those of " +
					"one runtime session (a stream named after it, or a message holding it: AgentCore's JSON logs and " +
					"OTEL logs carry it); any keeps those holding one of the terms. Conditions go to the service as a " +
					"filter pattern and are checked again here. limit keeps the latest N. print = true prints them " +
					"(time, session or stream, message, coloured by level; -o json: one {\"type\":\"log_event\",...} " +
					"line each) and leaves events out of the result. missing is true when the group does not exist " +
					"(nothing written yet): then count is 0, not an error. Each event: {event_id, timestamp, time, " +
					"stream, session, level, message, ingestion_time}."},
			{Name: "follow", Fn: m.luaFollow,
				Params:  "opts: logs.FollowOpts",
				Returns: "logs.FollowResult",
				Doc: "Shows the group's events from start, then new ones as they come, until Ctrl-C (which ends it " +
					"normally: interrupted = true, and the recipe goes on to its end and exit 0), until seconds have " +
					"passed when given, or until on_event returns false. Without on_event events are printed as " +
					"filter's print does. A group that does not exist yet is waited for (missing = true until it does). " +
					"It starts a live tail session (StartLiveTail), reads the history up to now with FilterLogEvents, then " +
					"shows the session's events, deduplicated across the seam by (stream, timestamp, message); a session " +
					"that ends (3 h timeout, broken stream) is started again and the history read again from the overlap " +
					"window. Where live tail is refused (moto: not implemented; AccessDenied; quota) or poll_only = true it " +
					"polls FilterLogEvents every poll_seconds (1), reading again overlap_seconds (30) back, deduplicated " +
					"by event id. -v says which (\"following ... with CloudWatch Logs live tail\" or \"... by polling\")."},
			{Name: "print", Go: m.luaPrint, Params: "events: logs.Event[]",
				Doc: "Prints events as filter's print = true does (for events merged from several groups)."},
			{Name: "get_events", Go: m.luaGetEvents,
				Params:  "opts: logs.GetEventsOpts",
				Returns: "logs.Event[]",
				Doc:     "One stream's events (GetLogEvents, every page until the end or limit)."},
			{Name: "describe_groups", Go: m.luaDescribeGroups, Params: "opts?: logs.GroupsOpts",
				Returns: "logs.Group[]",
				Doc:     "The log groups whose name starts with prefix (all pages)."},
			{Name: "describe_streams", Go: m.luaDescribeStreams, Params: "opts: logs.StreamsOpts",
				Returns: "logs.Stream[]?",
				Doc: "The group's streams, most recently written first (all pages, or the first limit), or nil when " +
					"the group does not exist. With prefix, in name order."},
			{Name: "spans", Go: m.luaSpans,
				Params:  "opts: logs.SpansOpts",
				Returns: "logs.SpansResult",
				Doc: "Spans stored as CloudWatch Transaction Search JSON events (traceId, spanId, parentSpanId, name, kind, " +
					"startTimeUnixNano, endTimeUnixNano, durationNano, status.code, attributes, resource.attributes), " +
					"oldest first. any keeps spans holding one of the terms (a runtime id, an agent's name), session those " +
					"whose attributes say session.id, trace_id one trace. Each span: {trace_id, span_id, parent_span_id, " +
					"name, kind, start, start_ms, duration_ms, status, session, service, attributes, resource}."},
			{Name: "ensure_transaction_search", Go: m.luaEnsureTransactionSearch,
				Returns: "logs.TransactionSearch",
				Doc: "Enables CloudWatch Transaction Search for the account and region once (AgentCore observability " +
					"needs it): the CloudWatch Logs resource policy letting xray.amazonaws.com write aws/spans and " +
					"/aws/application-signals/data (added only when no policy grants it), then the X-Ray trace segment " +
					"destination CloudWatchLogs (set only when not already). changed says whether anything was done. " +
					"An endpoint without these APIs (moto lacks X-Ray's) gives unsupported = \"why\" instead of an error."},
		},
	}
}

func (m *module) luaParseTime(text string) (int64, error) {
	ms, err := ParseSince(text, time.Now())
	if err != nil {
		return 0, engine.Usagef("", "%v", err)
	}
	return ms, nil
}

// selection is which events of one log group filter and follow read.
type selection struct {
	Group   string            `json:"group"`
	Start   float64           `json:"start,omitempty"`
	Grep    string            `json:"grep,omitempty"`
	Session string            `json:"session,omitempty"`
	Any     engine.StringList `json:"any,omitempty"`
}

type filterArgs struct {
	selection
	End   float64 `json:"end,omitempty"`
	Limit int     `json:"limit,omitempty"`
	Print bool    `json:"print,omitempty"`
}

func (a *filterArgs) query() *Query {
	return &Query{Group: a.Group, Start: int64(a.Start), End: int64(a.End), Grep: a.Grep, Session: a.Session, Any: a.Any, Limit: a.Limit}
}

type filterResult struct {
	Events  []Event `json:"events,omitempty"` // nil with print = true; [] when none
	Count   int     `json:"count"`
	Missing bool    `json:"missing"`
}

func (m *module) luaFilter(L *lua.LState, a filterArgs) (*filterResult, error) {
	q := a.query()
	evs, err := awscall.Try(L, m.service, func(ctx context.Context, c *cwl.Client) ([]Event, error) { return fetch(ctx, c, q) })
	missing := errors.Is(err, errNoGroup)
	if err != nil && !missing {
		return nil, m.service.Error("reading log group "+a.Group, err)
	}
	res := &filterResult{Count: len(evs), Missing: missing}
	if a.Print {
		p := newPrinter(engine.FromL(L).Out)
		for i := range evs {
			p.print(&evs[i])
		}
		p.flush()
	} else {
		res.Events = append([]Event{}, evs...)
	}
	return res, nil
}

func (m *module) luaPrint(L *lua.LState, evs []Event) {
	p := newPrinter(engine.FromL(L).Out)
	for i := range evs {
		p.print(&evs[i])
	}
	p.flush()
}

type followArgs struct {
	selection
	PollSeconds    float64 `json:"poll_seconds,omitempty"`
	OverlapSeconds float64 `json:"overlap_seconds,omitempty"`
	Seconds        float64 `json:"seconds,omitempty"`
	PollOnly       bool    `json:"poll_only,omitempty"`
	OnEvent        any     `json:"on_event,omitempty" lua:"fun(event: logs.Event): boolean?"` // read from the table itself; false stops
}

type followResult struct {
	Count       int  `json:"count"`
	Interrupted bool `json:"interrupted"`
	Missing     bool `json:"missing"`
}

// luaFollow is raw (Fn): on_event is a Lua function it calls for each event.
func (m *module) luaFollow(L *lua.LState) int {
	const fn = "logs.follow"
	var a followArgs
	engine.OptionsArg(L, 1, fn, &a)
	onEvent, _ := L.CheckTable(1).RawGetString("on_event").(*lua.LFunction) // its type is checked by the declaration
	poll := time.Duration(a.PollSeconds * float64(time.Second))
	if poll <= 0 {
		poll = time.Second
	}
	overlap := time.Duration(a.OverlapSeconds * float64(time.Second))
	if overlap <= 0 {
		overlap = 30 * time.Second
	}
	run := engine.FromL(L)
	var deadline time.Time
	if a.Seconds > 0 {
		deadline = time.Now().Add(time.Duration(a.Seconds * float64(time.Second)))
	}
	p := newPrinter(run.Out)
	q := &Query{Group: a.Group, Start: int64(a.Start), Grep: a.Grep, Session: a.Session, Any: a.Any}
	start := q.Start
	seen := map[string]int64{} // event id -> timestamp, for the overlap window (polling)
	var dedupe seam            // (stream, timestamp, message), for live tail's seams
	count, missing, interrupted, stopped := 0, false, false, false
	emit := func(evs []Event, fresh func(*Event) bool) {
		for i := range evs {
			e := &evs[i]
			if !fresh(e) {
				continue
			}
			count++
			if onEvent == nil {
				p.print(e)
				continue
			}
			L.CallByParam(lua.P{Fn: onEvent, NRet: 1, Protect: false}, engine.ToLua(L, e))
			ret := L.Get(-1)
			L.Pop(1)
			if ret == lua.LFalse {
				stopped = true
				break
			}
		}
		p.flush()
	}
	byID := func(e *Event) bool {
		if _, ok := seen[e.ID]; ok {
			return false
		}
		seen[e.ID] = e.Timestamp
		dedupe.fresh(e, false) // so that a live tail started later does not show it again
		return true
	}
	const branch = "logs"
	polling := a.PollOnly // live tail is tried first unless told
	if polling {
		run.Out.Debug(branch, "following "+a.Group+" by polling FilterLogEvents (poll_only)")
	}
	var live *liveSession
	defer func() {
		if live != nil {
			live.close()
		}
	}()
	history := true // read the history (FilterLogEvents from q.Start) before the live events
	var seamUntil, pruned time.Time
	// wait sleeps d (bounded by the deadline); false when the follow is to end.
	wait := func(d time.Duration) bool {
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return false
			}
			d = min(d, left)
		}
		if _, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return struct{}{}, ctx.Err()
			case <-t.C:
				return struct{}{}, nil
			}
		}); err != nil {
			interrupted = true
			return false
		}
		return true
	}
	for !stopped {
		if !polling && live == nil {
			sess, err := awscall.Try(L, m.service, func(ctx context.Context, c *cwl.Client) (*liveSession, error) {
				return startLive(ctx, c, awssdk.ToString(c.Options().BaseEndpoint) != "", q)
			})
			if err != nil && engine.Ctx(L).Err() != nil {
				interrupted = true
				break
			}
			if err == nil {
				live, history = sess, true
				run.Out.Debug(branch, "following "+a.Group+" with CloudWatch Logs live tail")
			} else if fallback, why := liveUnsupported(err); fallback {
				polling = true
				run.Out.Debug(branch, "following "+a.Group+" by polling FilterLogEvents: "+why)
			}
			// else the group does not exist yet: poll until it does, then try again
		}
		if live == nil || history {
			polled := time.Now()
			evs, err := awscall.Try(L, m.service, func(ctx context.Context, c *cwl.Client) ([]Event, error) { return fetch(ctx, c, q) })
			if err != nil && engine.Ctx(L).Err() != nil {
				interrupted = true
				break
			}
			missing = errors.Is(err, errNoGroup)
			if err != nil && !missing {
				engine.Raise(L, m.service.Error("following log group "+a.Group, err))
			}
			if live != nil {
				emit(evs, func(e *Event) bool { return dedupe.fresh(e, true) })
				history, seamUntil = false, time.Now().Add(overlap)
			} else {
				emit(evs, byID)
				// the next poll reads again from an overlap window before this one
				q.Start = max(start, polled.Add(-overlap).UnixMilli())
				for id, ts := range seen {
					if ts < q.Start {
						delete(seen, id)
					}
				}
			}
			if stopped {
				break
			}
		}
		if live == nil {
			if !wait(poll) {
				break
			}
			continue
		}
		// live events until the session ends
		bound := time.Duration(0)
		if !deadline.IsZero() {
			bound = time.Until(deadline)
			if bound <= 0 {
				break
			}
		}
		type update struct {
			evs   []Event
			ended bool
			err   error
			timed bool
		}
		u, err := engine.Unlocked(L, func(outer context.Context) (update, error) {
			ctx := outer
			if bound > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, bound)
				defer cancel()
			}
			evs, ended, err := live.next(ctx, q)
			if err != nil && ctx.Err() != nil {
				if outer.Err() != nil {
					return update{}, err
				}
				return update{timed: true}, nil
			}
			return update{evs: evs, ended: ended, err: err}, nil
		})
		if err != nil {
			interrupted = true
			break
		}
		if u.timed {
			break
		}
		inSeam := time.Now().Before(seamUntil)
		emit(u.evs, func(e *Event) bool { return dedupe.fresh(e, inSeam) })
		if time.Since(pruned) > overlap {
			dedupe.forget(time.Now().Add(-2 * overlap).UnixMilli())
			pruned = time.Now()
		}
		if u.ended || u.err != nil {
			why := "it ended"
			if u.err != nil {
				why = u.err.Error()
			}
			run.Out.Debug(branch, "live tail session of "+a.Group+" ended ("+why+"): starting another, history from the overlap window")
			live.close()
			live = nil
			q.Start = max(start, time.Now().Add(-overlap).UnixMilli())
			dedupe.forget(q.Start)
			if !wait(poll) {
				break
			}
		}
	}
	if interrupted {
		// Ctrl-C is how a follow ends: let the script go on to its end and exit 0 (the
		// interpreter would otherwise stop at its next instruction on the cancelled context).
		// The script keeps the context's values without its cancellation; a second Ctrl-C
		// still quits at once. (RemoveContext cannot be used here: the interpreter loop that
		// called this function reads the context after it returns.)
		L.SetContext(context.WithoutCancel(engine.Ctx(L)))
	}
	L.Push(engine.ToLuaAs(L, followResult{Count: count, Interrupted: interrupted, Missing: missing}, "logs.FollowResult"))
	return 1
}

type getArgs struct {
	Group    string  `json:"group"`
	Stream   string  `json:"stream"`
	Start    float64 `json:"start,omitempty"`
	End      float64 `json:"end,omitempty"`
	Limit    int     `json:"limit,omitempty"`
	FromHead *bool   `json:"from_head,omitempty"`
}

func (m *module) luaGetEvents(L *lua.LState, a getArgs) ([]Event, error) {
	return awscall.Call(L, m.service, "reading log stream "+a.Group+" "+a.Stream, func(ctx context.Context, c *cwl.Client) ([]Event, error) {
		in := &cwl.GetLogEventsInput{LogGroupName: &a.Group, LogStreamName: &a.Stream, StartFromHead: awssdk.Bool(a.FromHead == nil || *a.FromHead)}
		if a.Start > 0 {
			in.StartTime = awssdk.Int64(int64(a.Start))
		}
		if a.End > 0 {
			in.EndTime = awssdk.Int64(int64(a.End))
		}
		var out []Event
		for {
			page, err := c.GetLogEvents(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, e := range page.Events {
				out = append(out, newEvent("", awssdk.ToInt64(e.Timestamp), awssdk.ToInt64(e.IngestionTime), a.Stream, awssdk.ToString(e.Message), ""))
			}
			if a.Limit > 0 && len(out) >= a.Limit {
				return out[:a.Limit], nil
			}
			// GetLogEvents ends when it gives back the token it was given
			next := page.NextForwardToken
			if !*in.StartFromHead {
				next = page.NextBackwardToken
			}
			if len(page.Events) == 0 || next == nil || (in.NextToken != nil && *next == *in.NextToken) {
				return out, nil
			}
			in.NextToken = next
		}
	})
}

type groupsArgs struct {
	Prefix string `json:"prefix,omitempty"`
}

type streamsArgs struct {
	Group  string `json:"group"`
	Prefix string `json:"prefix,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// Group is what describe_groups returns.
type Group struct {
	Name          string `json:"name"`
	ARN           string `json:"arn"`
	Created       string `json:"created,omitempty"`
	StoredBytes   int64  `json:"stored_bytes"`
	RetentionDays int32  `json:"retention_days,omitempty"`
}

func msTime(ms *int64) string {
	if ms == nil || *ms == 0 {
		return ""
	}
	return time.UnixMilli(*ms).UTC().Format(time.RFC3339)
}

func (m *module) luaDescribeGroups(L *lua.LState, a groupsArgs) ([]Group, error) {
	return awscall.Call(L, m.service, "listing log groups", func(ctx context.Context, c *cwl.Client) ([]Group, error) {
		in := &cwl.DescribeLogGroupsInput{}
		if a.Prefix != "" {
			in.LogGroupNamePrefix = &a.Prefix
		}
		var out []Group
		p := cwl.NewDescribeLogGroupsPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, g := range page.LogGroups {
				out = append(out, Group{Name: awssdk.ToString(g.LogGroupName), ARN: strings.TrimSuffix(awssdk.ToString(g.Arn), ":*"),
					Created: msTime(g.CreationTime), StoredBytes: awssdk.ToInt64(g.StoredBytes), RetentionDays: awssdk.ToInt32(g.RetentionInDays)})
			}
		}
		return out, nil
	})
}

// Stream is what describe_streams returns.
type Stream struct {
	Name       string `json:"name"`
	Created    string `json:"created,omitempty"`
	FirstEvent string `json:"first_event,omitempty"`
	LastEvent  string `json:"last_event,omitempty"`
}

func (m *module) luaDescribeStreams(L *lua.LState, a streamsArgs) ([]Stream, error) {
	streams, err := awscall.Try(L, m.service, func(ctx context.Context, c *cwl.Client) ([]Stream, error) {
		in := &cwl.DescribeLogStreamsInput{LogGroupName: &a.Group}
		if a.Prefix != "" {
			in.LogStreamNamePrefix = &a.Prefix
		} else {
			in.OrderBy, in.Descending = "LastEventTime", awssdk.Bool(true)
		}
		out := []Stream{}
		p := cwl.NewDescribeLogStreamsPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.LogStreams {
				out = append(out, Stream{Name: awssdk.ToString(s.LogStreamName), Created: msTime(s.CreationTime),
					FirstEvent: msTime(s.FirstEventTimestamp), LastEvent: msTime(s.LastEventTimestamp)})
				if a.Limit > 0 && len(out) >= a.Limit {
					return out, nil
				}
			}
		}
		return out, nil
	})
	if awscall.ErrorCode(err) == "ResourceNotFoundException" {
		return nil, nil
	}
	if err != nil {
		return nil, m.service.Error("listing the streams of log group "+a.Group, err)
	}
	return streams, nil
}
