// Package metrics is the `metrics` Lua module: CloudWatch metrics of the selected environment
// (the local endpoint's on local environments) read with GetMetricData, and the health of an
// AgentCore runtime endpoint from the metrics AgentCore publishes.
//
// AgentCore Runtime publishes, per endpoint, in namespace AWS/Bedrock-AgentCore with the
// dimensions Resource = <runtime ARN>, Operation = InvokeAgentRuntime and
// Name = <runtimeName>::<endpointName>: Invocations, Throttles, SystemErrors, UserErrors,
// Latency, Duration, SessionCount (sessions), batched at one-minute intervals.
// Sources: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-runtime-metrics.html
// (the metrics) and the AWS CDK's AgentCore constructs (@aws-cdk/aws-bedrock-agentcore-alpha,
// Runtime.metric: namespace 'AWS/Bedrock-AgentCore', dimensions Operation, Name, Resource),
// which the dashboards people built on real runtimes agree with.
package metrics

import (
	"context"
	"sort"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// Namespace is where AgentCore publishes its runtime metrics.
const Namespace = "AWS/Bedrock-AgentCore"

// Operation is the Operation dimension of a runtime's invocation metrics.
const Operation = "InvokeAgentRuntime"

// New returns the metrics Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "metrics",
		Doc: "CloudWatch metrics of the selected environment (the local endpoint's on local environments), read " +
			"with GetMetricData. AgentCore publishes runtime metrics in namespace " + Namespace + " with the " +
			"dimensions Resource (runtime ARN), Operation (" + Operation + ") and Name (<runtimeName>::<endpoint>).",
		Classes: []*engine.Class{
			{Name: "metrics.GetDataOpts", Of: getDataArgs{}, Doc: "start and end are ms since the epoch (default: the last hour)."},
			{Name: "metrics.Query", Of: Query{}, Doc: "One metric to read: id names it in the result; stat defaults to Sum, period to 60 (seconds)."},
			{Name: "metrics.Series", Of: Series{}, Doc: "One query's points, oldest first: timestamps (RFC 3339) and values, of the same length."},
			{Name: "metrics.HealthOpts", Of: healthArgs{}, Doc: "endpoint defaults to DEFAULT, since_seconds to 3600."},
			{Name: "metrics.Health", Of: Health{}},
			{Name: "metrics.EndpointsHealthOpts", Of: endpointsHealthArgs{}, Doc: "since_seconds defaults to 3600."},
		},
		Funcs: []engine.Func{
			{Name: "get_data", Go: m.luaGetData,
				Params:  "opts: metrics.GetDataOpts",
				Returns: "table<string, metrics.Series>",
				Doc: "GetMetricData over [start, end] (ms since the epoch; default the last hour), all pages. Points come " +
					"oldest first. A metric that does not exist gives empty lists."},
			{Name: "endpoint_health", Go: m.luaEndpointHealth,
				Params:  "opts: metrics.HealthOpts",
				Returns: "metrics.Health",
				Doc: "An endpoint's invocations and errors over the last since_seconds from AgentCore's metrics: sums of " +
					"Invocations, SystemErrors and UserErrors (errors is their total), and last_error the RFC 3339 start " +
					"of the latest minute with an error (nil when none). available is false when no metric exists for " +
					"the endpoint in that window (never invoked, or metrics not published yet); the counts are then 0."},
			{Name: "endpoints_health", Go: m.luaEndpointsHealth,
				Params:  "opts: metrics.EndpointsHealthOpts",
				Returns: "table<string, metrics.Health>",
				Doc: "endpoint_health for several endpoints of one runtime in one GetMetricData call (a call per " +
					"166 endpoints: 500 queries), keyed by endpoint name."},
		},
	}
}

// module is the metrics module built with the program's AWS layer.
type module struct {
	service *awscall.Service[*cw.Client] // CloudWatch
}

func newModule(a *awscall.AWS) *module {
	return &module{service: &awscall.Service[*cw.Client]{AWS: a, Name: "cloudwatch",
		New: func(s *awscall.Session) *cw.Client { return cw.NewFromConfig(s.Config) }}}
}

// Query is one metric to read.
type Query struct {
	ID         string           `json:"id"`
	Namespace  string           `json:"namespace"`
	Metric     string           `json:"metric"`
	Dimensions engine.StringMap `json:"dimensions,omitempty"`
	Stat       string           `json:"stat,omitempty"`
	Period     int32            `json:"period,omitempty"`
}

// Series is one query's points, oldest first.
type Series struct {
	Timestamps []time.Time `json:"-"`
	Values     []float64   `json:"values"`
	Times      []string    `json:"timestamps"`
}

// getData runs GetMetricData with every page.
func getData(ctx context.Context, c *cw.Client, qs []Query, start, end time.Time) (map[string]*Series, error) {
	in := &cw.GetMetricDataInput{StartTime: &start, EndTime: &end, ScanBy: types.ScanByTimestampAscending}
	out := map[string]*Series{}
	for _, q := range qs {
		var dims []types.Dimension
		keys := make([]string, 0, len(q.Dimensions))
		for k := range q.Dimensions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			dims = append(dims, types.Dimension{Name: awssdk.String(k), Value: awssdk.String(q.Dimensions[k])})
		}
		stat, period := q.Stat, q.Period
		if stat == "" {
			stat = "Sum"
		}
		if period <= 0 {
			period = 60
		}
		in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
			Id: awssdk.String(q.ID), ReturnData: awssdk.Bool(true),
			MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: awssdk.String(q.Namespace), MetricName: awssdk.String(q.Metric), Dimensions: dims},
				Period: awssdk.Int32(period), Stat: awssdk.String(stat)},
		})
		out[q.ID] = &Series{Values: []float64{}, Times: []string{}}
	}
	for {
		page, err := c.GetMetricData(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, r := range page.MetricDataResults {
			s := out[awssdk.ToString(r.Id)]
			if s == nil {
				continue
			}
			for i, t := range r.Timestamps {
				if i < len(r.Values) {
					s.Timestamps = append(s.Timestamps, t)
					s.Values = append(s.Values, r.Values[i])
				}
			}
		}
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	for _, s := range out {
		idx := make([]int, len(s.Timestamps))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return s.Timestamps[idx[a]].Before(s.Timestamps[idx[b]]) })
		ts, vs := make([]time.Time, len(idx)), make([]float64, len(idx))
		for i, j := range idx {
			ts[i], vs[i] = s.Timestamps[j], s.Values[j]
		}
		s.Timestamps, s.Values = ts, vs
		for _, t := range ts {
			s.Times = append(s.Times, t.UTC().Format(time.RFC3339))
		}
	}
	return out, nil
}

type getDataArgs struct {
	Queries []Query `json:"queries" lua:"metrics.Query[]"`
	Start   float64 `json:"start,omitempty"`
	End     float64 `json:"end,omitempty"`
}

func (m *module) luaGetData(L *lua.LState, a getDataArgs) (map[string]*Series, error) {
	if len(a.Queries) == 0 {
		return nil, engine.Usagef(`metrics.get_data{queries = {{id = "inv", namespace = "AWS/Bedrock-AgentCore", metric = "Invocations", dimensions = {...}}}}`,
			"metrics.get_data: queries is empty")
	}
	end := time.Now()
	if a.End > 0 {
		end = time.UnixMilli(int64(a.End))
	}
	start := end.Add(-time.Hour)
	if a.Start > 0 {
		start = time.UnixMilli(int64(a.Start))
	}
	return awscall.Call(L, m.service, "reading CloudWatch metrics", func(ctx context.Context, c *cw.Client) (map[string]*Series, error) {
		return getData(ctx, c, a.Queries, start, end)
	})
}

// Health is what endpoint_health returns.
type Health struct {
	Invocations  float64 `json:"invocations"`
	Errors       float64 `json:"errors"`
	SystemErrors float64 `json:"system_errors"`
	UserErrors   float64 `json:"user_errors"`
	LastError    *string `json:"last_error,omitempty"` // RFC 3339, nil when no error
	Available    bool    `json:"available"`
}

// RuntimeDimensions are the dimensions of one runtime endpoint's invocation metrics.
func RuntimeDimensions(arn, runtimeName, endpoint string) engine.StringMap {
	return engine.StringMap{"Resource": arn, "Operation": Operation, "Name": runtimeName + "::" + endpoint}
}

// health sums the series of endpoint_health.
func health(series map[string]*Series) Health {
	var h Health
	sum := func(id string) float64 {
		t := 0.0
		if s := series[id]; s != nil {
			if len(s.Values) > 0 {
				h.Available = true
			}
			for _, v := range s.Values {
				t += v
			}
		}
		return t
	}
	h.Invocations, h.SystemErrors, h.UserErrors = sum("inv"), sum("sys"), sum("usr")
	h.Errors = h.SystemErrors + h.UserErrors
	var last time.Time
	for _, id := range []string{"sys", "usr"} {
		if s := series[id]; s != nil {
			for i, v := range s.Values {
				if v > 0 && s.Timestamps[i].After(last) {
					last = s.Timestamps[i]
				}
			}
		}
	}
	if !last.IsZero() {
		t := last.UTC().Format(time.RFC3339)
		h.LastError = &t
	}
	return h
}

type healthArgs struct {
	RuntimeARN   string  `json:"runtime_arn"`
	RuntimeName  string  `json:"runtime_name"`
	Endpoint     string  `json:"endpoint,omitempty"`
	SinceSeconds float64 `json:"since_seconds,omitempty"`
}

func (m *module) luaEndpointHealth(L *lua.LState, a healthArgs) (Health, error) {
	if a.Endpoint == "" {
		a.Endpoint = "DEFAULT"
	}
	if a.SinceSeconds <= 0 {
		a.SinceSeconds = 3600
	}
	end := time.Now()
	start := end.Add(-time.Duration(a.SinceSeconds * float64(time.Second)))
	hs, err := awscall.Call(L, m.service, "reading the metrics of endpoint "+a.Endpoint+" of "+a.RuntimeName, func(ctx context.Context, c *cw.Client) (map[string]Health, error) {
		return endpointsHealth(ctx, c, a.RuntimeARN, a.RuntimeName, []string{a.Endpoint}, start, end)
	})
	return hs[a.Endpoint], err
}

type endpointsHealthArgs struct {
	RuntimeARN   string   `json:"runtime_arn"`
	RuntimeName  string   `json:"runtime_name"`
	Endpoints    []string `json:"endpoints"`
	SinceSeconds float64  `json:"since_seconds,omitempty"`
}

func (m *module) luaEndpointsHealth(L *lua.LState, a endpointsHealthArgs) (map[string]Health, error) {
	if a.SinceSeconds <= 0 {
		a.SinceSeconds = 3600
	}
	end := time.Now()
	start := end.Add(-time.Duration(a.SinceSeconds * float64(time.Second)))
	return awscall.Call(L, m.service, "reading the metrics of the endpoints of "+a.RuntimeName, func(ctx context.Context, c *cw.Client) (map[string]Health, error) {
		return endpointsHealth(ctx, c, a.RuntimeARN, a.RuntimeName, a.Endpoints, start, end)
	})
}

// maxQueries is GetMetricData's limit of queries per call.
const maxQueries = 500

// endpointsHealth reads the three series of each endpoint, as few calls as the query limit
// allows.
func endpointsHealth(ctx context.Context, c *cw.Client, arn, runtimeName string, endpoints []string, start, end time.Time) (map[string]Health, error) {
	out := make(map[string]Health, len(endpoints))
	per := maxQueries / 3
	for lo := 0; lo < len(endpoints); lo += per {
		batch := endpoints[lo:min(lo+per, len(endpoints))]
		var qs []Query
		for i, ep := range batch {
			dims := RuntimeDimensions(arn, runtimeName, ep)
			n := strconv.Itoa(i)
			qs = append(qs,
				Query{ID: "inv_" + n, Namespace: Namespace, Metric: "Invocations", Dimensions: dims},
				Query{ID: "sys_" + n, Namespace: Namespace, Metric: "SystemErrors", Dimensions: dims},
				Query{ID: "usr_" + n, Namespace: Namespace, Metric: "UserErrors", Dimensions: dims})
		}
		series, err := getData(ctx, c, qs, start, end)
		if err != nil {
			return nil, err
		}
		for i, ep := range batch {
			n := strconv.Itoa(i)
			out[ep] = health(map[string]*Series{"inv": series["inv_"+n], "sys": series["sys_"+n], "usr": series["usr_"+n]})
		}
	}
	return out, nil
}
