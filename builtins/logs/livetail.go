package logs

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// Following with CloudWatch Logs live tail (StartLiveTail), where the service offers it:
// the session is started first, then the history is read with FilterLogEvents up to now,
// then the session's events are shown as they come. Live tail events carry no event id, so
// the seam is deduplicated by (stream, timestamp, message): an event shown from the history
// is not shown again when the session brings it. (Two events of one stream with the same
// millisecond and the same text, arriving within the seam, show once.) When the session
// ends (the three-hour timeout, a broken connection) a new one is started and the history
// read again from the overlap window before the break, deduplicated the same way.
//
// Polling FilterLogEvents is the fallback: when StartLiveTail is refused (moto and other
// endpoints without it answer 404, NotImplemented or UnknownOperation; AccessDenied where
// the caller's policy lacks logs:StartLiveTail; LimitExceeded past AWS's concurrent session
// quota) the follow polls, saying why on -v. A follow reads one log group, within live
// tail's ten; a session filter tails the whole group and keeps the session's events here
// (a session's events are in a stream named after it or hold its id: the stream-name
// selection alone would miss the second kind).

// noHostPrefix turns off the SDK's host prefix ("stream-" before the endpoint's host, which
// AWS serves StartLiveTail on): a custom endpoint (the local one) has no such host.
func noHostPrefix(o *cwl.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("NoEndpointHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

// liveTailer is the part of the client live tail uses.
type liveTailer interface {
	DescribeLogGroups(ctx context.Context, in *cwl.DescribeLogGroupsInput, optFns ...func(*cwl.Options)) (*cwl.DescribeLogGroupsOutput, error)
	StartLiveTail(ctx context.Context, in *cwl.StartLiveTailInput, optFns ...func(*cwl.Options)) (*cwl.StartLiveTailOutput, error)
}

// liveSession is a running StartLiveTail session.
type liveSession struct {
	stream *cwl.StartLiveTailEventStream
}

// startLive starts a session on the query's group, named by its ARN as AWS documents
// (DescribeLogGroups gives it). The pattern sent is the query's one pattern (none for a
// session or several terms: Match narrows what comes). offAWS says the client has an endpoint
// URL of its own (an emulator, the local endpoint), which serves no stream- host prefix.
func startLive(ctx context.Context, c liveTailer, offAWS bool, q *Query) (*liveSession, error) {
	ident := q.Group
	groups, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: &q.Group, Limit: awssdk.Int32(1)})
	if err != nil {
		return nil, err
	}
	if len(groups.LogGroups) == 0 || awssdk.ToString(groups.LogGroups[0].LogGroupName) != q.Group {
		return nil, &types.ResourceNotFoundException{Message: awssdk.String("The specified log group does not exist.")}
	}
	if arn := awssdk.ToString(groups.LogGroups[0].LogGroupArn); arn != "" {
		ident = arn
	}
	in := &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{ident}}
	if p := q.patterns(); len(p) == 1 && p[0] != "" && q.Session == "" {
		in.LogEventFilterPattern = &p[0]
	}
	// One attempt: a refusal falls back to polling at once (moto answers an HTML 500 page,
	// which the SDK would retry three times).
	opts := []func(*cwl.Options){func(o *cwl.Options) { o.RetryMaxAttempts = 1 }}
	if offAWS {
		opts = append(opts, noHostPrefix)
	}
	out, err := c.StartLiveTail(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	st := out.GetStream()
	// The first event is sessionStart; an error here is the session refused.
	select {
	case ev, ok := <-st.Events():
		if !ok {
			err := st.Err()
			st.Close()
			if err == nil {
				err = errors.New("the live tail stream ended at once")
			}
			return nil, err
		}
		if _, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionStart); !ok {
			st.Close()
			return nil, fmt.Errorf("live tail: the first event is a %T, not sessionStart", ev)
		}
	case <-ctx.Done():
		st.Close()
		return nil, ctx.Err()
	}
	return &liveSession{stream: st}, nil
}

// next waits for the session's next update: its events (nil for a heartbeat), or ended =
// true with the reason the stream ended (nil when it simply closed).
func (l *liveSession) next(ctx context.Context, q *Query) (evs []Event, ended bool, err error) {
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case ev, ok := <-l.stream.Events():
		if !ok {
			return nil, true, l.stream.Err()
		}
		u, ok := ev.(*types.StartLiveTailResponseStreamMemberSessionUpdate)
		if !ok {
			return nil, false, nil
		}
		for _, e := range u.Value.SessionResults {
			stream, msg := awssdk.ToString(e.LogStreamName), awssdk.ToString(e.Message)
			if !q.Match(stream, msg) {
				continue
			}
			evs = append(evs, newEvent("", awssdk.ToInt64(e.Timestamp), awssdk.ToInt64(e.IngestionTime), stream, msg, q.Session))
		}
		return evs, false, nil
	}
}

func (l *liveSession) close() { l.stream.Close() }

// liveUnsupported tells whether StartLiveTail's error means "follow by polling" (and a
// one-line reason), as opposed to a group that does not exist yet (wait for it).
func liveUnsupported(err error) (bool, string) {
	code := awscall.ErrorCode(err)
	var re *smithyhttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case code == "ResourceNotFoundException":
		return false, ""
	case code == "AccessDeniedException" || code == "AccessDenied":
		return true, "live tail is not allowed (AccessDenied: logs:StartLiveTail)"
	case status >= 500 && errors.As(err, new(*smithy.DeserializationError)):
		return true, "the endpoint does not offer live tail (HTTP " + strconv.Itoa(status) + ", not an AWS answer: moto has no StartLiveTail)"
	case status == 404 || status == 501 || code == "NotImplemented" || code == "UnknownOperationException" ||
		code == "InvalidOperationException" || code == "InvalidAction":
		return true, "the endpoint does not offer live tail (" + describe(code, status) + ")"
	}
	return true, "live tail failed: " + err.Error()
}

func describe(code string, status int) string {
	if code == "" {
		return "HTTP " + strconv.Itoa(status)
	}
	if status == 0 {
		return code
	}
	return code + ", HTTP " + strconv.Itoa(status)
}

// seam deduplicates events by (stream, timestamp, message) where the history read and the
// live session overlap, and across reconnections.
type seam struct {
	shown map[string]int64 // key -> timestamp
}

func eventKey(e *Event) string {
	return e.Stream + "\x00" + strconv.FormatInt(e.Timestamp, 10) + "\x00" + e.Message
}

// fresh reports whether e is to be shown, and records it as shown. check = false (a live
// event past the seam) shows it whatever was shown before: two equal lines both show.
func (s *seam) fresh(e *Event, check bool) bool {
	if s.shown == nil {
		s.shown = map[string]int64{}
	}
	k := eventKey(e)
	if _, ok := s.shown[k]; ok && check {
		return false
	}
	s.shown[k] = e.Timestamp
	return true
}

// forget drops the events with timestamps before ms: a history read never starts before the
// overlap window, so they cannot come twice.
func (s *seam) forget(ms int64) {
	for k, ts := range s.shown {
		if ts < ms {
			delete(s.shown, k)
		}
	}
}
