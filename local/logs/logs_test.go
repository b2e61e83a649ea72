package logs

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

type fixture struct {
	dir   string
	db    *bolt.DB
	store *Store
	srv   *httptest.Server
	cl    *cwl.Client
}

func open(t testing.TB, dir string, max int64) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := New(Config{Config: awsproto.Config{DB: db, Dir: filepath.Join(dir, "logs"), Account: "123456789012", Region: "us-east-1", Logf: t.Logf}, MaxBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st)
	cl := cwl.New(cwl.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		// agentcore's own HTTP client: the SDK's plain one loses streamed answers to a race
		// (see builtins/aws.HTTPClient)
		HTTPClient: awscall.HTTPClient(nil)})
	f := &fixture{dir: dir, db: db, store: st, srv: srv, cl: cl}
	t.Cleanup(f.close)
	return f
}

func (f *fixture) close() {
	if f.srv == nil {
		return
	}
	f.srv.Close()
	f.store.Close()
	f.db.Close()
	f.srv = nil
}

func ms(t time.Time) *int64 { v := t.UnixMilli(); return &v }

func put(t *testing.T, cl *cwl.Client, group, stream string, msgs ...string) {
	t.Helper()
	now := time.Now()
	var evs []types.InputLogEvent
	for i, m := range msgs {
		evs = append(evs, types.InputLogEvent{Message: aws.String(m), Timestamp: ms(now.Add(time.Duration(i) * time.Millisecond))})
	}
	if _, err := cl.PutLogEvents(context.Background(), &cwl.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream, LogEvents: evs}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
}

func TestConformance(t *testing.T) {
	f := open(t, t.TempDir(), 0)
	ctx := context.Background()
	cl := f.cl
	g := "/aws/bedrock-agentcore/runtimes/abc-DEFAULT"

	// Errors: typed exceptions, as the SDK maps them from __type.
	_, err := cl.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: &g, LogStreamName: aws.String("s")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "The specified log group does not exist." {
		t.Fatalf("CreateLogStream in a missing group: %v", err)
	}
	if _, err := cl.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: &g}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: &g})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("second CreateLogGroup: %v", err)
	}
	_, err = cl.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	var inv *types.InvalidParameterException
	if !errors.As(err, &inv) {
		t.Fatalf("CreateLogGroup with a bad name: %v", err)
	}
	for _, s := range []string{"2026/01/01/[runtime-logs]a", "2026/01/01/[runtime-logs]b", "otel-rt-logs"} {
		if _, err := cl.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: &g, LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = cl.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: &g, LogStreamName: aws.String("nope"),
		LogEvents: []types.InputLogEvent{{Message: aws.String("x"), Timestamp: ms(time.Now())}}})
	if !errors.As(err, &nf) || nf.ErrorMessage() != "The specified log stream does not exist." {
		t.Fatalf("PutLogEvents to a missing stream: %v", err)
	}
	now := time.Now()
	_, err = cl.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: &g, LogStreamName: aws.String("otel-rt-logs"),
		LogEvents: []types.InputLogEvent{{Message: aws.String("b"), Timestamp: ms(now)}, {Message: aws.String("a"), Timestamp: ms(now.Add(-time.Second))}}})
	if !errors.As(err, &inv) {
		t.Fatalf("PutLogEvents out of order: %v", err)
	}
	out, err := cl.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: &g, LogStreamName: aws.String("otel-rt-logs"),
		LogEvents: []types.InputLogEvent{{Message: aws.String("ancient"), Timestamp: ms(now.Add(-15 * 24 * time.Hour))}, {Message: aws.String("fine"), Timestamp: ms(now)}}})
	if err != nil || out.RejectedLogEventsInfo == nil || aws.ToInt32(out.RejectedLogEventsInfo.TooOldLogEventEndIndex) != 0 {
		t.Fatalf("PutLogEvents with a too-old event: %+v %v", out, err)
	}

	var msgs []string
	for i := 0; i < 25; i++ {
		msgs = append(msgs, fmt.Sprintf("line %d ERROR=%v", i, i%5 == 0))
	}
	put(t, cl, g, "2026/01/01/[runtime-logs]a", msgs[:12]...)
	put(t, cl, g, "2026/01/01/[runtime-logs]b", msgs[12:]...)
	put(t, cl, g, "2026/01/01/[runtime-logs]b", `{"level":"ERROR","n":7,"session":{"id":"s-1"}}`, `{"level":"INFO","n":3}`)

	// Pagination: the paginator walks every page.
	filter := func(in *cwl.FilterLogEventsInput) []types.FilteredLogEvent {
		t.Helper()
		in.LogGroupName = &g
		var all []types.FilteredLogEvent
		p := cwl.NewFilterLogEventsPaginator(cl, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("FilterLogEvents %+v: %v", in, err)
			}
			all = append(all, page.Events...)
		}
		return all
	}
	if got := filter(&cwl.FilterLogEventsInput{Limit: aws.Int32(4)}); len(got) != 28 {
		t.Fatalf("all events, 4 a page: %d, want 28", len(got))
	} else {
		for i := 1; i < len(got); i++ {
			if *got[i].Timestamp < *got[i-1].Timestamp || *got[i].EventId == *got[i-1].EventId {
				t.Fatalf("events out of order or repeated at %d: %+v %+v", i, got[i-1], got[i])
			}
		}
	}
	if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR=true")}); len(got) != 5 {
		t.Fatalf("term: %d events, want 5", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String(`"line 1" -ERROR=true`)}); len(got) != 9 {
		t.Fatalf("phrase and exclusion: %d events, want 9 (line 1, 10..19 less 10 and 15)", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String(`?"line 3 " ?"line 4 "`)}); len(got) != 2 {
		t.Fatalf("alternatives: %d events, want 2", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.level = "ERROR" && $.n > 5 }`)}); len(got) != 1 || !strings.Contains(*got[0].Message, "s-1") {
		t.Fatalf("JSON pattern: %+v", got)
	}
	if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String(`{ $.session.id = "s-*" }`)}); len(got) != 1 {
		t.Fatalf("JSON wildcard: %d", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{FilterPattern: aws.String(`%line 2[0-4]%`)}); len(got) != 5 {
		t.Fatalf("regex: %d", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{LogStreamNames: []string{"2026/01/01/[runtime-logs]a"}}); len(got) != 12 {
		t.Fatalf("logStreamNames: %d", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{LogStreamNamePrefix: aws.String("2026/01/01/[runtime-logs]")}); len(got) != 27 {
		t.Fatalf("logStreamNamePrefix: %d", len(got))
	}
	if got := filter(&cwl.FilterLogEventsInput{StartTime: ms(time.Now().Add(time.Hour))}); len(got) != 0 {
		t.Fatalf("startTime in the future: %d", len(got))
	}
	_, err = cl.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: &g, FilterPattern: aws.String("[a, b]")})
	if !errors.As(err, &inv) {
		t.Fatalf("space-delimited pattern: %v", err)
	}
	_, err = cl.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/nope")})
	if !errors.As(err, &nf) {
		t.Fatalf("FilterLogEvents on a missing group: %v", err)
	}

	// GetLogEvents: forward pages until the token repeats, as the CLI does.
	var got []string
	var tok *string
	for {
		page, err := cl.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: &g, LogStreamName: aws.String("2026/01/01/[runtime-logs]a"),
			StartFromHead: aws.Bool(true), Limit: aws.Int32(5), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, *e.Message)
		}
		if tok != nil && *tok == *page.NextForwardToken {
			break
		}
		tok = page.NextForwardToken
	}
	if strings.Join(got, "|") != strings.Join(msgs[:12], "|") {
		t.Fatalf("GetLogEvents forward: %q", got)
	}
	last, err := cl.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: &g, LogStreamName: aws.String("2026/01/01/[runtime-logs]a"), Limit: aws.Int32(3)})
	if err != nil || len(last.Events) != 3 || *last.Events[2].Message != msgs[11] {
		t.Fatalf("GetLogEvents from the tail: %+v %v", last, err)
	}
	back, err := cl.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: &g, LogStreamName: aws.String("2026/01/01/[runtime-logs]a"), Limit: aws.Int32(3), NextToken: last.NextBackwardToken})
	if err != nil || len(back.Events) != 3 || *back.Events[2].Message != msgs[8] {
		t.Fatalf("GetLogEvents backward: %+v %v", back, err)
	}

	// Describe: pagination, prefixes, order.
	for i := 0; i < 3; i++ {
		cl.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(fmt.Sprintf("/other/%d", i))})
	}
	var names []string
	gp := cwl.NewDescribeLogGroupsPaginator(cl, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(2)})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, lg := range page.LogGroups {
			names = append(names, *lg.LogGroupName)
			if *lg.Arn != "arn:aws:logs:us-east-1:123456789012:log-group:"+*lg.LogGroupName+":*" {
				t.Fatalf("arn %s", *lg.Arn)
			}
		}
	}
	if strings.Join(names, ",") != "/aws/bedrock-agentcore/runtimes/abc-DEFAULT,/other/0,/other/1,/other/2" {
		t.Fatalf("DescribeLogGroups: %v", names)
	}
	ds, err := cl.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: &g, OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(1)})
	if err != nil || len(ds.LogStreams) != 1 || *ds.LogStreams[0].LogStreamName != "2026/01/01/[runtime-logs]b" || ds.NextToken == nil || ds.LogStreams[0].LastEventTimestamp == nil {
		t.Fatalf("DescribeLogStreams by last event: %+v %v", ds, err)
	}
	ds, err = cl.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:" + g), LogStreamNamePrefix: aws.String("otel")})
	if err != nil || len(ds.LogStreams) != 1 {
		t.Fatalf("DescribeLogStreams by ARN and prefix: %+v %v", ds, err)
	}
	if _, err := cl.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/other/1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/other/1")}); !errors.As(err, &nf) {
		t.Fatalf("second DeleteLogGroup: %v", err)
	}
}

// A restarted store has every event, its groups and streams; a torn record at a segment's end
// (a write cut by a crash) is dropped and later appends are whole.
func TestRestartAndTornTail(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir, 0)
	for i := 0; i < 100; i++ {
		if err := f.store.Put("/g", "s", []Event{{Timestamp: time.Now().UnixMilli(), Message: fmt.Sprintf("event %d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	f.close()
	segs, _ := filepath.Glob(filepath.Join(dir, "logs", "g*", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	// A torn record: a header promising more than is there, then a half payload.
	fh, _ := os.OpenFile(segs[0], os.O_WRONLY|os.O_APPEND, 0)
	fh.Write(appendRecord(nil, "s", 1, 1, "this record is cut short")[:20])
	fh.Close()

	f = open(t, dir, 0)
	if n, _ := f.store.Stats(); n != 100 {
		t.Fatalf("after restart: %d events, want 100", n)
	}
	if err := f.store.Put("/g", "s", []Event{{Timestamp: time.Now().UnixMilli(), Message: "after"}}); err != nil {
		t.Fatal(err)
	}
	f.close()
	f = open(t, dir, 0)
	out, err := f.store.Filter(FilterInput{LogGroupName: "/g", FilterPattern: "after"})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("event appended after the repaired tail: %+v %v", out, err)
	}
	if n, _ := f.store.Stats(); n != 101 {
		t.Fatalf("after second restart: %d events, want 101", n)
	}
}

// The size bound drops the oldest events first, and survives a restart.
func TestSizeBound(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir, 64<<10)
	msg := strings.Repeat("x", 200)
	for i := 0; i < 2000; i++ {
		if err := f.store.Put(fmt.Sprintf("/g%d", i%2), "s", []Event{{Timestamp: time.Now().UnixMilli(), Message: fmt.Sprintf("%05d %s", i, msg)}}); err != nil {
			t.Fatal(err)
		}
	}
	n, size := f.store.Stats()
	if size > 64<<10 || n == 0 || n >= 2000 {
		t.Fatalf("bounded store: %d events, %d bytes", n, size)
	}
	out, _ := f.store.Filter(FilterInput{LogGroupName: "/g1", FilterPattern: "01999"})
	if len(out.Events) != 1 {
		t.Fatal("the newest event is gone")
	}
	out, _ = f.store.Filter(FilterInput{LogGroupName: "/g0", FilterPattern: "00000"})
	if len(out.Events) != 0 {
		t.Fatal("the oldest event is still there")
	}
	f.close()
	f = open(t, dir, 64<<10)
	if n2, _ := f.store.Stats(); n2 != n {
		t.Fatalf("after restart: %d events, want %d", n2, n)
	}
}

// BenchmarkFilter100k is FilterLogEvents with a filter term over 100,000 events in one group,
// through the HTTP API and the SDK, as `agentcore logs AGENT --grep X` does it.
func BenchmarkFilter100k(b *testing.B) {
	f := open(b, b.TempDir(), 0)
	g := "/aws/bedrock-agentcore/runtimes/bench-DEFAULT"
	base := time.Now().Add(-time.Hour).UnixMilli()
	var batch []Event
	for i := 0; i < 100000; i++ {
		msg := fmt.Sprintf("2026-01-01T00:00:00Z INFO handling request %d for session 0123456789abcdef0123456789abcdef user=u%d", i, i%97)
		if i%10000 == 0 {
			msg += " needle"
		}
		batch = append(batch, Event{Timestamp: base + int64(i), Message: msg})
		if len(batch) == 5000 {
			if err := f.store.Put(g, fmt.Sprintf("2026/01/01/[runtime-logs]s%d", i%3), batch); err != nil {
				b.Fatal(err)
			}
			batch = nil
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := f.cl.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: &g, FilterPattern: aws.String("needle"), StartTime: aws.Int64(base)})
		if err != nil || len(out.Events) != 10 {
			b.Fatalf("%v %d", err, len(out.Events))
		}
	}
}
