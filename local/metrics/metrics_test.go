package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	bolt "go.etcd.io/bbolt"
)

const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc"

func dimsFor(name string) []types.Dimension {
	return []types.Dimension{{Name: aws.String("Resource"), Value: aws.String(arn)}, {Name: aws.String("Operation"), Value: aws.String("InvokeAgentRuntime")}, {Name: aws.String("Name"), Value: aws.String(name)}}
}

func TestSDK(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Minute)
	for i, status := range []int{200, 200, 500, 424, 429, 200} {
		st.Record(Sample{Resource: arn, Name: "bot::DEFAULT", Time: now.Add(time.Duration(i) * time.Second), Latency: float64(10 * (i + 1)), Duration: float64(20 * (i + 1)), Status: status, NewSession: i < 2})
	}
	st.Record(Sample{Resource: arn, Name: "bot::DEFAULT", Time: now.Add(-2 * time.Minute), Latency: 5, Duration: 5, Status: 200})

	srv := httptest.NewServer(st)
	defer srv.Close()
	cl := cw.New(cw.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")})
	ctx := context.Background()
	q := func(id, metric, stat string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{Period: aws.Int32(60), Stat: aws.String(stat),
			Metric: &types.Metric{Namespace: aws.String("AWS/Bedrock-AgentCore"), MetricName: aws.String(metric), Dimensions: dimsFor("bot::DEFAULT")}}}
	}
	out, err := cl.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)),
		MetricDataQueries: []types.MetricDataQuery{q("inv", "Invocations", "Sum"), q("sys", "SystemErrors", "Sum"), q("usr", "UserErrors", "Sum"),
			q("thr", "Throttles", "Sum"), q("lat", "Latency", "Maximum"), q("ses", "SessionCount", "Sum"), q("p99", "Duration", "p99")}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{"inv": {6, 1}, "sys": {1, 0}, "usr": {1, 0}, "thr": {1, 0}, "lat": {60, 5}, "ses": {2, 0}, "p99": {120, 5}}
	for _, r := range out.MetricDataResults {
		w := want[*r.Id]
		if len(r.Values) != 2 || r.Values[0] != w[0] || r.Values[1] != w[1] || !r.Timestamps[0].Equal(now) || r.StatusCode != types.StatusCodeComplete {
			t.Errorf("%s: %v at %v, want %v (newest first)", *r.Id, r.Values, r.Timestamps, w)
		}
	}
	// Another dimension set is another series: nothing.
	other := q("x", "Invocations", "Sum")
	other.MetricStat.Metric.Dimensions = dimsFor("bot::prod")
	out, err = cl.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)), MetricDataQueries: []types.MetricDataQuery{other}})
	if err != nil || len(out.MetricDataResults) != 1 || len(out.MetricDataResults[0].Values) != 0 {
		t.Fatalf("other endpoint: %+v %v", out, err)
	}
	// Errors are typed.
	_, err = cl.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour)), MetricDataQueries: []types.MetricDataQuery{q("a", "Invocations", "Sum")}})
	var inv *types.InvalidParameterValueException
	if !errors.As(err, &inv) {
		t.Fatalf("EndTime before StartTime: %v", err)
	}
	stats, err := cl.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("AWS/Bedrock-AgentCore"), MetricName: aws.String("Invocations"),
		Dimensions: dimsFor("bot::DEFAULT"), StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Hour)), Period: aws.Int32(3600), Statistics: []types.Statistic{types.StatisticSum}})
	if err != nil || len(stats.Datapoints) == 0 {
		t.Fatalf("GetMetricStatistics: %+v %v", stats, err)
	}
	var sum float64
	for _, d := range stats.Datapoints {
		sum += *d.Sum
	}
	if sum != 7 || stats.Datapoints[0].Unit != types.StandardUnitCount {
		t.Fatalf("GetMetricStatistics sum %v unit %s", sum, stats.Datapoints[0].Unit)
	}
	lm, err := cl.ListMetrics(ctx, &cw.ListMetricsInput{Namespace: aws.String("AWS/Bedrock-AgentCore"), MetricName: aws.String("Latency")})
	if err != nil || len(lm.Metrics) != 1 {
		t.Fatalf("ListMetrics: %+v %v", lm, err)
	}
	if last := st.LastError(arn, "bot::DEFAULT"); !last.Equal(now.Add(4 * time.Second)) {
		t.Fatalf("last error %v", last)
	}

	// Counters survive a restart.
	st.Close()
	st2, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	pts := st2.query(seriesKey{arn, "bot::DEFAULT"}, "Invocations", now.Add(-time.Hour), now.Add(time.Hour), 3600)
	if len(pts) != 1 || pts[0].v.Sum != 7 {
		t.Fatalf("after restart: %+v", pts)
	}
}

// awsJson1_0, the model's other JSON protocol: same operations, epoch-second timestamps,
// errors with __type.
func TestAWSJSON10(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().Truncate(time.Minute)
	st.Record(Sample{Resource: arn, Name: "bot::DEFAULT", Time: now, Latency: 1, Duration: 2, Status: 200})
	srv := httptest.NewServer(st)
	defer srv.Close()
	call := func(op, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, out := call("GetMetricData", fmt.Sprintf(`{"StartTime":%d,"EndTime":%d,"MetricDataQueries":[{"Id":"a","MetricStat":{"Period":60,"Stat":"Sum","Metric":{"Namespace":"AWS/Bedrock-AgentCore","MetricName":"Invocations","Dimensions":[{"Name":"Resource","Value":%q},{"Name":"Operation","Value":"InvokeAgentRuntime"},{"Name":"Name","Value":"bot::DEFAULT"}]}}}]}`,
		now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix(), arn))
	res := out["MetricDataResults"].([]any)[0].(map[string]any)
	if code != 200 || res["Values"].([]any)[0] != 1.0 || res["Timestamps"].([]any)[0] != float64(now.Unix()) {
		t.Fatalf("GetMetricData: %d %v", code, out)
	}
	code, out = call("GetMetricData", `{"MetricDataQueries":[]}`)
	if code != 400 || out["__type"] != "com.amazonaws.cloudwatch#MissingRequiredParameterException" {
		t.Fatalf("missing queries: %d %v", code, out)
	}
}
