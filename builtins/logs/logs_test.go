package logs

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/agentcore/agentcore/engine"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                       now.Add(-10 * time.Minute),
		"1h30m":                     now.Add(-90 * time.Minute),
		"2d":                        now.Add(-48 * time.Hour),
		"1w":                        now.Add(-7 * 24 * time.Hour),
		"45s":                       now.Add(-45 * time.Second),
		"2026-11-27T07:00:00Z":      now.Add(-time.Hour),
		"2026-11-27T09:00:00+02:00": now.Add(-time.Hour),
	} {
		got, err := ParseSince(in, now)
		if err != nil || got != want.UnixMilli() {
			t.Errorf("ParseSince(%q) = %d, %v; want %d", in, got, err, want.UnixMilli())
		}
	}
	for _, bad := range []string{"", "yesterday", "10", "-5m", "5 m", "1h-", "0m", "2026-11-27"} {
		if _, err := ParseSince(bad, now); err == nil {
			t.Errorf("ParseSince(%q) accepted", bad)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ msg, level, session string }{
		{"INFO starting", "INFO", ""},
		{"2026-11-27 08:00:00 WARNING disk", "WARN", ""},
		{"time=1 level=error msg=boom", "ERROR", ""},
		{`{"level":"ERROR","sessionId":"s-1","message":"x"}`, "ERROR", "s-1"},
		{`{"severityText":"DEBUG","attributes":{"session.id":"s-2"},"body":"x"}`, "DEBUG", "s-2"},
		{`{"sessionId":"s-3","message":"no level"}`, "", "s-3"},
		{"just text with error inside lowercase", "", ""},
		{"Traceback: an ERROR far away " + strings.Repeat("x", 100) + " FATAL", "ERROR", ""},
	} {
		l, s := classify(tc.msg)
		if l != tc.level || s != tc.session {
			t.Errorf("classify(%q) = %q, %q; want %q, %q", tc.msg, l, s, tc.level, tc.session)
		}
	}
}

func TestQuery(t *testing.T) {
	q := &Query{Grep: `say "hi"`, Session: "sess-1"}
	if p := q.patterns(); len(p) != 1 || p[0] != `"sess-1"` {
		t.Errorf("patterns = %q", p)
	}
	if quote(`a "b" \c`) != `"a \"b\" \\c"` {
		t.Errorf("quote = %s", quote(`a "b" \c`))
	}
	if !q.Match("2026/11/27/[runtime-logs]sess-1", `they say "hi"`) || !q.Match("x", `sess-1: say "hi"`) {
		t.Error("session by stream or message, with grep, not matched")
	}
	if q.Match("x", `say "hi"`) || q.Match("2026/11/27/[runtime-logs]sess-1", "bye") {
		t.Error("matched without the session or the text")
	}
	a := &Query{Any: []string{"rt-1", "bot"}}
	if p := a.patterns(); len(p) != 2 || !a.Match("s", "bot.DEFAULT") || a.Match("s", "other") {
		t.Errorf("any: patterns %q", p)
	}
	if p := (&Query{}).patterns(); len(p) != 1 || p[0] != "" {
		t.Errorf("no conditions: %q", p)
	}
}

func TestParseSpan(t *testing.T) {
	s, ok := ParseSpan(`{"resource":{"attributes":{"service.name":"bot.DEFAULT"}},"traceId":"t1","spanId":"s1","parentSpanId":"p1",` +
		`"name":"chat","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":1764230400123456789,"endTimeUnixNano":"1764230401123456789",` +
		`"attributes":{"session.id":"sess"},"status":{"code":2}}`)
	if !ok {
		t.Fatal("not parsed")
	}
	if s.TraceID != "t1" || s.ParentSpanID != "p1" || s.Kind != "CLIENT" || s.Status != "ERROR" || s.Session != "sess" || s.Service != "bot.DEFAULT" {
		t.Errorf("span = %+v", s)
	}
	if s.Start != "2025-11-27T08:00:00.123456789Z" || s.DurationMs != 1000 {
		t.Errorf("start %s duration %v", s.Start, s.DurationMs)
	}
	if _, ok := ParseSpan(`{"message":"not a span"}`); ok {
		t.Error("a log line parsed as a span")
	}
	if _, ok := ParseSpan(`INFO plain`); ok {
		t.Error("text parsed as a span")
	}
}

func TestPrint(t *testing.T) {
	var buf bytes.Buffer
	out := &engine.Output{Stdout: &buf}
	out.AddSecret("hunter22")
	p := newPrinter(out)
	e := newEvent("1", 1764230400123, 0, "2026/11/27/[runtime-logs]c0ffee", "INFO pw=hunter22\n", "")
	p.print(&e)
	p.flush()
	if got := buf.String(); got != "2025-11-27 08:00:00.123  c0ffee  INFO pw=****\n" {
		t.Errorf("text line %q", got)
	}
	buf.Reset()
	out.Color = true
	p = newPrinter(out)
	boom := newEvent("2", 1764230400123, 0, "s", `{"level":"ERROR","message":"boom"}`, "")
	p.print(&boom)
	p.print(&e)
	p.flush()
	if lines := strings.Split(buf.String(), "\n"); !strings.Contains(lines[0], "\x1b[31mboom\x1b[0m") || strings.Contains(lines[1], "\x1b[31m") {
		t.Errorf("colours %q", lines)
	}
	// a structured record shows its own text (OTEL body, message, msg); other lines as they are
	for msg, want := range map[string]string{
		`{"severityText":"INFO","body":"InvokeAgentRuntime completed","attributes":{"session.id":"s"}}`: "InvokeAgentRuntime completed",
		`{"level":"info","msg":"started"}`: "started",
		`{"body":{"k":1}}`:                 `{"k":1}`,
		`{"other":1}`:                      `{"other":1}`,
		`{not json`:                        `{not json`,
	} {
		if got := display(msg); got != want {
			t.Errorf("display(%s) = %q, want %q", msg, got, want)
		}
	}
	buf.Reset()
	out.Color = false
	out.JSON = true
	p = newPrinter(out)
	p.print(&e)
	p.flush()
	if got := buf.String(); !strings.HasPrefix(got, `{"type":"log_event","event_id":"1","timestamp":1764230400123,`) || strings.Contains(got, "hunter22") {
		t.Errorf("json line %q", got)
	}
}

// pages serves FilterLogEvents from memory, n events a page, in the way CloudWatch Logs
// answers it (a substring match for a one-term pattern): the client's side of a query,
// without a network, for the benchmark.
type pages struct {
	events []types.FilteredLogEvent
	n      int
}

func (p *pages) FilterLogEvents(_ context.Context, in *cwl.FilterLogEventsInput, _ ...func(*cwl.Options)) (*cwl.FilterLogEventsOutput, error) {
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	term := strings.Trim(awssdk.ToString(in.FilterPattern), `"`)
	out := &cwl.FilterLogEventsOutput{}
	i := start
	for ; i < len(p.events) && len(out.Events) < p.n; i++ {
		if term == "" || strings.Contains(*p.events[i].Message, term) {
			out.Events = append(out.Events, p.events[i])
		}
	}
	if i < len(p.events) {
		out.NextToken = awssdk.String(fmt.Sprint(i))
	}
	return out, nil
}

func (p *pages) DescribeLogStreams(context.Context, *cwl.DescribeLogStreamsInput, ...func(*cwl.Options)) (*cwl.DescribeLogStreamsOutput, error) {
	return &cwl.DescribeLogStreamsOutput{}, nil
}

func corpus(n int) *pages {
	p := &pages{n: 10000}
	for i := 0; i < n; i++ {
		msg := fmt.Sprintf("INFO handled request %d in %d ms", i, i%500)
		if i%1000 == 0 {
			msg = fmt.Sprintf(`{"level":"ERROR","sessionId":"s-%d","message":"needle %d"}`, i, i)
		}
		p.events = append(p.events, types.FilteredLogEvent{EventId: awssdk.String(fmt.Sprint(i)), Timestamp: awssdk.Int64(int64(1764230400000 + i)),
			LogStreamName: awssdk.String("2026/11/27/[runtime-logs]c0ffee"), Message: awssdk.String(msg)})
	}
	return p
}

func TestFetchPagesAndMerges(t *testing.T) {
	p := corpus(25000)
	evs, err := fetch(context.Background(), p, &Query{Group: "g", Grep: "needle"})
	if err != nil || len(evs) != 25 || evs[0].Level != "ERROR" || evs[0].Session != "s-0" {
		t.Fatalf("fetch = %d events, %v", len(evs), err)
	}
	evs, _ = fetch(context.Background(), p, &Query{Group: "g", Any: []string{"needle 1000", "request 7 "}, Limit: 1})
	if len(evs) != 1 || !strings.Contains(evs[0].Message, "needle 1000") {
		t.Fatalf("any + limit = %+v", evs)
	}
}

// BenchmarkGrep100k is the client's part of `agentcore logs AGENT --grep TEXT` over 100,000
// events: paging, checking, classifying and printing what matches (the service's part, the
// local endpoint's search, has its own benchmark). Target for the whole command: < 300 ms.
func BenchmarkGrep100k(b *testing.B) {
	p := corpus(100000)
	out := &engine.Output{Stdout: &bytes.Buffer{}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := fetch(context.Background(), p, &Query{Group: "g", Grep: "needle"})
		if err != nil || len(evs) != 100 {
			b.Fatal(len(evs), err)
		}
		pr := newPrinter(out)
		for j := range evs {
			pr.print(&evs[j])
		}
		pr.flush()
	}
}

// BenchmarkAll100k prints all 100,000 events (no grep): the worst case of the client's part.
func BenchmarkAll100k(b *testing.B) {
	p := corpus(100000)
	var sink bytes.Buffer
	out := &engine.Output{Stdout: &sink}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink.Reset()
		evs, _ := fetch(context.Background(), p, &Query{Group: "g"})
		pr := newPrinter(out)
		for j := range evs {
			pr.print(&evs[j])
		}
		pr.flush()
	}
}
