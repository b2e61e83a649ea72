package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	localmetrics "github.com/agentcore/agentcore/local/metrics"
)

func TestHealth(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	h := health(map[string]*Series{
		"inv": {Timestamps: []time.Time{t0, t0.Add(time.Minute)}, Values: []float64{5, 2}},
		"sys": {Timestamps: []time.Time{t0, t0.Add(time.Minute)}, Values: []float64{1, 0}},
		"usr": {Timestamps: []time.Time{t0.Add(2 * time.Minute)}, Values: []float64{1}},
	})
	if !h.Available || h.Invocations != 7 || h.Errors != 2 || h.SystemErrors != 1 || h.UserErrors != 1 {
		t.Fatalf("health = %+v", h)
	}
	if h.LastError == nil || *h.LastError != "2026-11-27T08:02:00Z" {
		t.Fatalf("last error %v", h.LastError)
	}
	h = health(map[string]*Series{"inv": {}, "sys": {}, "usr": {}})
	if h.Available || h.LastError != nil || h.Invocations != 0 {
		t.Fatalf("no metrics: %+v", h)
	}
	h = health(map[string]*Series{"inv": {Timestamps: []time.Time{t0}, Values: []float64{3}}, "sys": {Timestamps: []time.Time{t0}, Values: []float64{0}}})
	if !h.Available || h.LastError != nil || h.Errors != 0 {
		t.Fatalf("no errors: %+v", h)
	}
}

func TestRuntimeDimensions(t *testing.T) {
	d := RuntimeDimensions("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc", "bot", "stable")
	if d["Resource"] != "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc" || d["Operation"] != "InvokeAgentRuntime" || d["Name"] != "bot::stable" {
		t.Fatalf("dimensions %v", d)
	}
}

// TestEndpointsHealth reads 200 endpoints' health from the local endpoint's CloudWatch (two
// GetMetricData calls: 500 queries each at most) and checks each endpoint got its own counts.
func TestEndpointsHealth(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := localmetrics.New(localmetrics.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc"
	now := time.Now().Add(-2 * time.Minute)
	var eps []string
	for i := 0; i < 200; i++ {
		ep := fmt.Sprintf("ep%d", i)
		eps = append(eps, ep)
		for j := 0; j <= i%3; j++ { // ep0: 1 call, ep1: 2, ep2: 3, ...
			status := 200
			if i%5 == 0 && j == 0 {
				status = 500
			}
			st.Record(localmetrics.Sample{Resource: arn, Name: "bot::" + ep, Time: now, Latency: 1, Duration: 1, Status: status})
		}
	}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++; st.ServeHTTP(w, r) }))
	defer srv.Close()
	c := cw.New(cw.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", ""), HTTPClient: awscall.HTTPClient(nil)})
	hs, err := endpointsHealth(context.Background(), c, arn, "bot", append(eps, "never"), now.Add(-time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("%d GetMetricData calls for 201 endpoints, want 2", calls)
	}
	for i, ep := range eps {
		h := hs[ep]
		wantErr := 0.0
		if i%5 == 0 {
			wantErr = 1
		}
		if !h.Available || h.Invocations != float64(i%3+1) || h.SystemErrors != wantErr || (wantErr > 0) != (h.LastError != nil) {
			t.Fatalf("%s: %+v (want %d invocations, %v system errors)", ep, h, i%3+1, wantErr)
		}
	}
	if h, ok := hs["never"]; !ok || h.Available || h.Invocations != 0 {
		t.Fatalf("an endpoint without metrics: %+v (present %v)", h, ok)
	}
}
