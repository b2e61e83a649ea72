package logs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// noHostPrefix turns off the SDK's "stream-" host prefix, which a custom endpoint lacks.
func noHostPrefix(o *cwl.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("NoHostPrefix", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
	})
}

// next reads stream events until one satisfies ok (or the deadline).
func next(t *testing.T, st *cwl.StartLiveTailEventStream, what string, ok func(types.StartLiveTailResponseStream) bool) types.StartLiveTailResponseStream {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, open := <-st.Events():
			if !open {
				t.Fatalf("%s: the stream ended: %v", what, st.Err())
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("%s: nothing within 10s", what)
		}
	}
}

func results(ev types.StartLiveTailResponseStream) []types.LiveTailSessionLogEvent {
	if u, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate); ok {
		return u.Value.SessionResults
	}
	return nil
}

func TestStartLiveTail(t *testing.T) {
	LiveTailHeartbeat = 50 * time.Millisecond
	f := open(t, t.TempDir(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := "/aws/bedrock-agentcore/runtimes/live-DEFAULT"
	now := time.Now().UnixMilli()
	if err := f.store.Put(g, "s1", []Event{{Timestamp: now, Message: "before the session"}}); err != nil {
		t.Fatal(err)
	}

	// A group that does not exist: ResourceNotFoundException as an HTTP error, as AWS.
	_, err := f.cl.StartLiveTail(ctx, &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"/nope"}}, noHostPrefix)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("StartLiveTail of a missing group: %v", err)
	}
	_, err = f.cl.StartLiveTail(ctx, &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{g, "/other"},
		LogStreamNames: []string{"s1"}}, noHostPrefix)
	var inv *types.InvalidParameterException
	if !errors.As(err, &inv) {
		t.Fatalf("StartLiveTail with stream names over two groups: %v", err)
	}

	arn := "arn:aws:logs:us-east-1:123456789012:log-group:" + g
	out, err := f.cl.StartLiveTail(ctx, &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{arn},
		LogEventFilterPattern: aws.String("ERROR")}, noHostPrefix)
	if err != nil {
		t.Fatalf("StartLiveTail: %v", err)
	}
	st := out.GetStream()
	defer st.Close()
	ev := next(t, st, "sessionStart", func(types.StartLiveTailResponseStream) bool { return true })
	start, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionStart)
	if !ok || len(start.Value.LogGroupIdentifiers) != 1 || start.Value.LogGroupIdentifiers[0] != arn ||
		aws.ToString(start.Value.LogEventFilterPattern) != "ERROR" || aws.ToString(start.Value.SessionId) == "" {
		t.Fatalf("first event: %#v", ev)
	}
	// A heartbeat: an empty update, the older event not in it.
	ev = next(t, st, "heartbeat", func(ev types.StartLiveTailResponseStream) bool {
		_, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate)
		return ok
	})
	if r := results(ev); len(r) != 0 {
		t.Fatalf("first update holds %d events, want none (only events after the start)", len(r))
	}
	// Events put after the start arrive; the filter pattern applies.
	if err := f.store.Put(g, "s2", []Event{{Timestamp: now + 1, Message: "INFO fine"}, {Timestamp: now + 2, Message: "ERROR boom"}}); err != nil {
		t.Fatal(err)
	}
	ev = next(t, st, "the new event", func(ev types.StartLiveTailResponseStream) bool { return len(results(ev)) > 0 })
	r := results(ev)
	if len(r) != 1 || aws.ToString(r[0].Message) != "ERROR boom" || aws.ToString(r[0].LogStreamName) != "s2" ||
		aws.ToString(r[0].LogGroupIdentifier) != arn || aws.ToInt64(r[0].Timestamp) != now+2 || aws.ToInt64(r[0].IngestionTime) == 0 {
		t.Fatalf("update: %+v", r)
	}
	if u := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate); u.Value.SessionMetadata == nil || u.Value.SessionMetadata.Sampled {
		t.Fatalf("sessionMetadata: %+v", u.Value.SessionMetadata)
	}
	st.Close()
	for range st.Events() { // the SDK's reader ends after Close: only then is the next call's
	} // connection its own

	// A stream-name selection and the session timeout (SessionTimeoutException in the stream).
	LiveTailTimeout = 300 * time.Millisecond
	defer func() { LiveTailTimeout = 3 * time.Hour }()
	out, err = f.cl.StartLiveTail(ctx, &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{g},
		LogStreamNamePrefixes: []string{"s3"}}, noHostPrefix)
	if err != nil {
		t.Fatalf("StartLiveTail: %v", err)
	}
	st = out.GetStream()
	defer st.Close()
	next(t, st, "sessionStart", func(ev types.StartLiveTailResponseStream) bool {
		_, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionStart)
		return ok
	})
	f.store.Put(g, "s2", []Event{{Timestamp: now + 3, Message: "not s3"}})
	f.store.Put(g, "s3", []Event{{Timestamp: now + 4, Message: "in s3"}})
	ev = next(t, st, "the s3 event", func(ev types.StartLiveTailResponseStream) bool { return len(results(ev)) > 0 })
	if r := results(ev); len(r) != 1 || aws.ToString(r[0].Message) != "in s3" {
		t.Fatalf("update: %+v", r)
	}
	for range st.Events() {
	}
	var to *types.SessionTimeoutException
	if err := st.Err(); !errors.As(err, &to) {
		t.Fatalf("after the timeout: %v, want SessionTimeoutException", err)
	}
}
