package logs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	smithy "github.com/aws/smithy-go"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	locallogs "github.com/agentcore/agentcore/local/logs"
)

func TestSeamDedupe(t *testing.T) {
	var s seam
	ev := func(stream string, ts int64, msg string) *Event {
		return &Event{Stream: stream, Timestamp: ts, Message: msg}
	}
	// history read after the session started: both shown
	for _, e := range []*Event{ev("a", 10, "one"), ev("a", 11, "two")} {
		if !s.fresh(e, true) {
			t.Fatalf("history event %+v not shown", e)
		}
	}
	// the session brings "two" again (in the seam) and "three": only "three" shows
	if s.fresh(ev("a", 11, "two"), true) {
		t.Fatal("an event of the history shown again by the live session")
	}
	if !s.fresh(ev("b", 11, "two"), true) {
		t.Fatal("the same text in another stream is another event")
	}
	if !s.fresh(ev("a", 12, "three"), true) {
		t.Fatal("a new live event not shown")
	}
	// past the seam, equal lines both show
	for i := 0; i < 2; i++ {
		if !s.fresh(ev("a", 13, "tick"), false) {
			t.Fatalf("past the seam, repeat %d of a line was dropped", i)
		}
	}
	// a reconnection's history from ts 12: 12 and 13 are known, 14 is new
	s.forget(12)
	if _, ok := s.shown[eventKey(ev("a", 10, "one"))]; ok {
		t.Fatal("forget kept an event before the window")
	}
	if s.fresh(ev("a", 12, "three"), true) || s.fresh(ev("a", 13, "tick"), true) || !s.fresh(ev("a", 14, "four"), true) {
		t.Fatal("reconnection's history not deduplicated")
	}
}

func TestLiveUnsupported(t *testing.T) {
	for _, tc := range []struct {
		err      error
		fallback bool
	}{
		{&smithy.GenericAPIError{Code: "ResourceNotFoundException"}, false},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, true},
		{&smithy.GenericAPIError{Code: "UnknownOperationException"}, true},
		{&smithy.GenericAPIError{Code: "LimitExceededException"}, true},
		{errors.New("connection refused"), true},
	} {
		if got, why := liveUnsupported(tc.err); got != tc.fallback || (got && why == "") {
			t.Errorf("liveUnsupported(%v) = %v, %q; want %v", tc.err, got, why, tc.fallback)
		}
	}
}

// TestLiveTailLocal runs startLive and next against the local endpoint's CloudWatch Logs,
// and the fallback against a server without the operation.
func TestLiveTailLocal(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var lcfg locallogs.Config // its common fields are local/internal/awsproto's, set one by one
	lcfg.DB, lcfg.Dir, lcfg.Account, lcfg.Region = db, filepath.Join(dir, "logs"), "123456789012", "us-east-1"
	st, err := locallogs.New(lcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(st)
	defer srv.Close()
	cfg := awssdk.Config{Region: "us-east-1", BaseEndpoint: awssdk.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), HTTPClient: awscall.HTTPClient(nil)}
	c := cwl.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g := "/aws/bedrock-agentcore/runtimes/x-DEFAULT"
	q := &Query{Group: g, Grep: "keep"}
	if _, err := startLive(ctx, c, true, q); err == nil {
		t.Fatal("live tail of a missing group started")
	} else if fb, _ := liveUnsupported(err); fb {
		t.Fatalf("a missing group taken for no live tail: %v", err)
	}
	now := time.Now().UnixMilli()
	st.Put(g, "s", []locallogs.Event{{Timestamp: now, Message: "keep old"}})
	live, err := startLive(ctx, c, true, q)
	if err != nil {
		t.Fatalf("startLive: %v", err)
	}
	defer live.close()
	st.Put(g, "s", []locallogs.Event{{Timestamp: now + 1, Message: "drop me"}, {Timestamp: now + 2, Message: "keep new"}})
	var got []Event
	for len(got) == 0 {
		evs, ended, err := live.next(ctx, q)
		if ended || err != nil {
			t.Fatalf("next: ended %v, %v", ended, err)
		}
		got = append(got, evs...)
	}
	if len(got) != 1 || got[0].Message != "keep new" || got[0].Stream != "s" || got[0].Timestamp != now+2 || got[0].ID != "" {
		t.Fatalf("live events: %+v", got)
	}

	// An endpoint without StartLiveTail (as moto answers an unknown action): polling.
	none := httptest.NewServer(http.NotFoundHandler())
	defer none.Close()
	cfg2 := cfg.Copy()
	cfg2.BaseEndpoint = awssdk.String(none.URL)
	_, err = startLive(ctx, cwl.NewFromConfig(cfg2), true, q)
	if fb, why := liveUnsupported(err); !fb || why == "" {
		t.Fatalf("404 from the endpoint: fallback %v (%q), %v", fb, why, err)
	}
	t.Logf("404: %s", func() string { _, why := liveUnsupported(err); return why }())
}
