package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/internal/duration"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Event is one log event as the Lua side and -o json see it.
type Event struct {
	ID        string `json:"event_id"`
	Timestamp int64  `json:"timestamp"` // milliseconds since the epoch
	Time      string `json:"time"`      // the same, RFC 3339 UTC with milliseconds
	Stream    string `json:"stream"`
	Session   string `json:"session,omitempty"`
	Level     string `json:"level,omitempty"`
	Message   string `json:"message"`
	Ingestion int64  `json:"ingestion_time,omitempty"`
}

// api is the part of the CloudWatch Logs client the queries use.
type api interface {
	FilterLogEvents(ctx context.Context, in *cwl.FilterLogEventsInput, optFns ...func(*cwl.Options)) (*cwl.FilterLogEventsOutput, error)
	DescribeLogStreams(ctx context.Context, in *cwl.DescribeLogStreamsInput, optFns ...func(*cwl.Options)) (*cwl.DescribeLogStreamsOutput, error)
}

// Query says which events of one log group are wanted. Every condition is checked on the
// events the service returns too, so a service that ignores filter patterns (or knows only
// part of their syntax) still gives the right answer, only more slowly.
type Query struct {
	Group string
	Start int64 // ms; 0: no bound
	End   int64 // ms; 0: no bound
	Grep  string
	// Session keeps the events of one runtime session: those in a stream whose name ends
	// with the session id (the local endpoint names streams so), and those whose message
	// holds it (AgentCore's JSON runtime logs carry "sessionId", its OTEL logs in
	// otel-rt-logs carry attributes."session.id"; stream names on AWS are container ids).
	Session string
	// Any keeps the events whose message holds one of these terms (one query per term).
	Any   []string
	Limit int // at most this many events, the latest; 0: all

	// the streams named after Session, listed again at most every streamsTTL (a follow
	// polls every second; DescribeLogStreams has a low request quota). Shorter than a follow's
	// overlap window, so a stream that appears meanwhile loses nothing.
	streams   []string
	streamsAt time.Time
}

const streamsTTL = 15 * time.Second

// quote makes a CloudWatch Logs filter pattern term that matches text exactly.
func quote(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(text) + `"`
}

// patterns returns the filter patterns to run (merged by event id); "" is no pattern. Each
// has one term, the most selective condition: a service that does not combine terms the way
// CloudWatch does (moto reads "a" "b" as one phrase) then still answers a superset, which
// Match narrows.
func (q *Query) patterns() []string {
	switch {
	case q.Session != "":
		return []string{quote(q.Session)}
	case len(q.Any) > 0:
		var out []string
		for _, t := range q.Any {
			out = append(out, quote(t))
		}
		return out
	case q.Grep != "":
		return []string{quote(q.Grep)}
	}
	return []string{""}
}

// Match reports whether an event meets the query's conditions.
func (q *Query) Match(stream, message string) bool {
	if q.Grep != "" && !strings.Contains(message, q.Grep) {
		return false
	}
	if q.Session != "" && !strings.HasSuffix(stream, q.Session) && !strings.Contains(message, q.Session) {
		return false
	}
	if len(q.Any) > 0 {
		for _, t := range q.Any {
			if strings.Contains(message, t) {
				return true
			}
		}
		return false
	}
	return true
}

// errNoGroup is returned when the log group does not exist (nothing written yet).
var errNoGroup = errors.New("log group does not exist")

// fetch runs the query: FilterLogEvents with every page, one call per pattern, and for a
// session the streams named after it; events merged by id, sorted by time.
func fetch(ctx context.Context, c api, q *Query) ([]Event, error) {
	seen := map[string]bool{}
	var out []Event
	run := func(pattern string, streams []string) error {
		in := &cwl.FilterLogEventsInput{LogGroupName: &q.Group}
		if pattern != "" {
			in.FilterPattern = &pattern
		}
		if q.Start > 0 {
			in.StartTime = &q.Start
		}
		if q.End > 0 {
			in.EndTime = &q.End
		}
		if len(streams) > 0 {
			in.LogStreamNames = streams
		}
		for {
			page, err := c.FilterLogEvents(ctx, in)
			if err != nil {
				return err
			}
			for _, e := range page.Events {
				id := awssdk.ToString(e.EventId)
				stream, msg := awssdk.ToString(e.LogStreamName), awssdk.ToString(e.Message)
				if seen[id] || !q.Match(stream, msg) {
					continue
				}
				seen[id] = true
				out = append(out, newEvent(id, awssdk.ToInt64(e.Timestamp), awssdk.ToInt64(e.IngestionTime), stream, msg, q.Session))
			}
			if page.NextToken == nil || *page.NextToken == "" || (in.NextToken != nil && *in.NextToken == *page.NextToken) {
				return nil
			}
			in.NextToken = page.NextToken
		}
	}
	for _, p := range q.patterns() {
		err := run(p, nil)
		if awscall.ErrorCode(err) == "InvalidParameterException" && p != "" {
			// a pattern the service does not take: read everything, keep what matches
			err = run("", nil)
		}
		if err != nil {
			return nil, wrapNotFound(err)
		}
	}
	if q.Session != "" {
		if q.streamsAt.IsZero() || time.Since(q.streamsAt) > streamsTTL {
			streams, err := sessionStreams(ctx, c, q.Group, q.Session)
			if err != nil {
				return nil, wrapNotFound(err)
			}
			q.streams, q.streamsAt = streams, time.Now()
		}
		streams := q.streams
		grep := ""
		if q.Grep != "" {
			grep = quote(q.Grep)
		}
		for len(streams) > 0 {
			n := min(len(streams), 100) // FilterLogEvents takes at most 100 stream names
			if err := run(grep, streams[:n]); err != nil {
				return nil, wrapNotFound(err)
			}
			streams = streams[n:]
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out, nil
}

func wrapNotFound(err error) error {
	if awscall.ErrorCode(err) == "ResourceNotFoundException" {
		return fmt.Errorf("%w: %w", errNoGroup, err)
	}
	return err
}

// maxStreamPages bounds the stream listing a session filter reads (50 streams a page,
// most recently written first).
const maxStreamPages = 20

// sessionStreams lists the group's streams whose name ends with the session id.
func sessionStreams(ctx context.Context, c api, group, session string) ([]string, error) {
	in := &cwl.DescribeLogStreamsInput{LogGroupName: &group, OrderBy: "LastEventTime", Descending: awssdk.Bool(true)}
	var out []string
	for i := 0; i < maxStreamPages; i++ {
		page, err := c.DescribeLogStreams(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, s := range page.LogStreams {
			if name := awssdk.ToString(s.LogStreamName); strings.HasSuffix(name, session) {
				out = append(out, name)
			}
		}
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	return out, nil
}

func newEvent(id string, ts, ingestion int64, stream, msg, session string) Event {
	e := Event{ID: id, Timestamp: ts, Ingestion: ingestion, Stream: stream, Message: msg,
		Time: time.UnixMilli(ts).UTC().Format("2006-01-02T15:04:05.000Z07:00")}
	e.Level, e.Session = classify(msg)
	if e.Session == "" && session != "" && strings.HasSuffix(stream, session) {
		e.Session = session
	}
	return e
}

var levelRE = lazyregexp.New(`\b(FATAL|CRITICAL|ERROR|WARNING|WARN|INFO|DEBUG|TRACE)\b|(?i:level[=:]\s*"?(fatal|critical|error|warning|warn|info|debug|trace))`)

// classify tells an event's level and session id when the message says them: a JSON line
// (AgentCore's runtime logs: level, sessionId; OTEL log records: severityText,
// attributes."session.id") or a text line with a level word near its start.
func classify(msg string) (level, session string) {
	if strings.HasPrefix(msg, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(msg), &m) == nil {
			for _, k := range []string{"level", "levelname", "severityText", "severity", "log.level"} {
				if s, ok := m[k].(string); ok && s != "" {
					level = normLevel(s)
					break
				}
			}
			if s, ok := m["sessionId"].(string); ok {
				session = s
			} else if s, ok := m["session.id"].(string); ok {
				session = s
			} else if attrs, ok := m["attributes"].(map[string]any); ok {
				if s, ok := attrs["session.id"].(string); ok {
					session = s
				}
			}
			if level != "" {
				return level, session
			}
		}
	}
	head := msg
	if len(head) > 80 {
		head = head[:80]
	}
	if m := levelRE.FindStringSubmatch(head); m != nil {
		if m[1] != "" {
			return normLevel(m[1]), session
		}
		return normLevel(m[2]), session
	}
	return "", session
}

func normLevel(s string) string {
	switch strings.ToUpper(s) {
	case "FATAL", "CRITICAL", "ERROR", "ERR", "SEVERE":
		return "ERROR"
	case "WARN", "WARNING":
		return "WARN"
	case "INFO", "NOTICE":
		return "INFO"
	case "DEBUG", "TRACE", "FINE":
		return "DEBUG"
	}
	return ""
}

// ParseSince reads a start time: a duration back from now ("90s", "10m", "1h30m", "2d",
// "1w") or an RFC 3339 time. It returns milliseconds since the epoch.
func ParseSince(text string, now time.Time) (int64, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return 0, fmt.Errorf("an empty time")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli(), nil
	}
	if d, ok := duration.Parse(s); ok && d > 0 {
		return now.Add(-d).UnixMilli(), nil
	}
	return 0, fmt.Errorf("%q is neither a duration back from now (30s, 10m, 1h, 2d) nor an RFC 3339 time (2026-11-27T08:00:00Z)", text)
}
