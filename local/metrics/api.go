package metrics

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Service is CloudWatch's service name in both protocols.
const Service = "GraniteServiceVersion20100801"

const cborPrefix = "/service/" + Service + "/operation/"

// IsCloudWatch recognises a CloudWatch request: rpc-v2-cbor by its path, awsJson1_0 by its
// X-Amz-Target.
func IsCloudWatch(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, cborPrefix) || strings.HasPrefix(r.Header.Get("X-Amz-Target"), Service+".")
}

func invalidValue(format string, args ...any) error {
	return &awsproto.Error{Status: 400, Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Message: fmt.Sprintf(format, args...)}
}

func missing(name string) error {
	return &awsproto.Error{Status: 400, Code: "MissingRequiredParameterException", QueryCode: "MissingParameter", Message: "The parameter " + name + " is required."}
}

func combination(format string, args ...any) error {
	return &awsproto.Error{Status: 400, Code: "InvalidParameterCombinationException", QueryCode: "InvalidParameterCombination", Message: fmt.Sprintf(format, args...)}
}

// ops is the table of contents of the service: operation name → operation. Its input is
// the request's document as generic values (maps, lists, strings, float64, time.Time), in
// either protocol.
var ops = map[string]func(*Store, map[string]any) (any, error){
	"GetMetricData":       (*Store).getMetricData,
	"GetMetricStatistics": (*Store).getMetricStatistics,
	"ListMetrics":         (*Store).listMetrics,
}

// The model's two protocols: its errors' __type is qualified by the model's namespace, and
// the model is awsQueryCompatible, so the awsQuery code rides in X-Amzn-Query-Error.
var (
	cborProtocol = awsproto.CBOR{Namespace: "com.amazonaws.cloudwatch#", QueryCompatible: true,
		Internal: "InternalServiceFault", InternalQuery: "InternalServiceError"}
	jsonProtocol = awsproto.JSON{Version: "1.0", Namespace: "com.amazonaws.cloudwatch#", QueryCompatible: true,
		Internal: "InternalServiceFault", InternalQuery: "InternalServiceError"}
)

// ServeHTTP answers CloudWatch requests: rpc-v2-cbor names the operation in the path,
// awsJson1_0 in X-Amz-Target.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isCBOR := strings.HasPrefix(r.URL.Path, cborPrefix)
	var p awsproto.Protocol = jsonProtocol
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), Service+".")
	if isCBOR {
		p, op = cborProtocol, strings.TrimPrefix(r.URL.Path, cborPrefix)
	}
	w.Header().Set("x-amzn-RequestId", awsproto.RequestID())
	in, err := decode(w, r, isCBOR)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	f, ok := ops[op]
	if !ok {
		p.WriteError(w, r, &awsproto.Error{Status: 404, Code: "UnknownOperationException", QueryCode: "UnknownOperation",
			Message: "the local endpoint's CloudWatch serves GetMetricData, GetMetricStatistics and ListMetrics, not " + op})
		return
	}
	out, err := f(s, in)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	if isCBOR {
		cborProtocol.Write(w, toCBOR(out))
		return
	}
	jsonProtocol.Write(w, toJSON(out))
}

// decode reads the request's document as generic values; an empty body is an empty map.
func decode(w http.ResponseWriter, r *http.Request, isCBOR bool) (map[string]any, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	var in map[string]any
	if err == nil && len(body) > 0 {
		if isCBOR {
			var v cbor.Value
			if v, err = cbor.Decode(body); err == nil {
				m, ok := fromCBOR(v).(map[string]any)
				if !ok {
					err = fmt.Errorf("the body is not a CBOR map")
				}
				in = m
			}
		} else {
			err = json.Unmarshal(body, &in)
		}
	}
	if err != nil {
		return nil, &awsproto.Error{Status: 400, Code: "SerializationException", Message: "could not parse the request body: " + err.Error()}
	}
	if in == nil {
		in = map[string]any{}
	}
	return in, nil
}

// ---- generic values ----

func fromCBOR(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Map:
		m := map[string]any{}
		for k, e := range x {
			m[k] = fromCBOR(e)
		}
		return m
	case cbor.List:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = fromCBOR(e)
		}
		return l
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return float64(x)
	case cbor.NegInt:
		return -float64(x) - 1
	case cbor.Float32:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case *cbor.Tag:
		if t, err := cbor.AsTime(x); err == nil {
			return t
		}
		return fromCBOR(x.Value)
	case cbor.Slice:
		return []byte(x)
	}
	return nil
}

func toCBOR(v any) cbor.Value {
	switch x := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range x {
			if e != nil {
				m[k] = toCBOR(e)
			}
		}
		return m
	case []any:
		l := make(cbor.List, len(x))
		for i, e := range x {
			l[i] = toCBOR(e)
		}
		return l
	case string:
		return cbor.String(x)
	case float64:
		return cbor.Float64(x)
	case int:
		if x < 0 {
			return cbor.NegInt(-x - 1)
		}
		return cbor.Uint(x)
	case bool:
		return cbor.Bool(x)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(x.UnixMilli()) / 1000)}
	}
	return &cbor.Nil{}
}

func toJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			if e != nil {
				m[k] = toJSON(e)
			}
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = toJSON(e)
		}
		return l
	case time.Time:
		return float64(x.UnixMilli()) / 1000
	}
	return v
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func num(m map[string]any, k string) (float64, bool) { f, ok := m[k].(float64); return f, ok }

func list(m map[string]any, k string) []any { l, _ := m[k].([]any); return l }

func obj(m map[string]any, k string) map[string]any { o, _ := m[k].(map[string]any); return o }

func timeOf(m map[string]any, k string) (time.Time, error) {
	switch x := m[k].(type) {
	case time.Time:
		return x, nil
	case float64:
		return time.UnixMilli(int64(x * 1000)), nil
	case nil:
		return time.Time{}, missing(k)
	}
	return time.Time{}, invalidValue("%s is not a timestamp", k)
}

type dim struct{ Name, Value string }

func dims(m map[string]any) ([]dim, error) {
	var out []dim
	for _, d := range list(m, "Dimensions") {
		dm, _ := d.(map[string]any)
		if str(dm, "Name") == "" {
			return nil, missing("Dimensions.member.Name")
		}
		out = append(out, dim{str(dm, "Name"), str(dm, "Value")})
	}
	return out, nil
}

// seriesFor resolves a metric's namespace, name and dimensions to a kept series: the
// dimensions must be exactly Operation, Resource and Name, as CloudWatch matches a dimension
// set exactly; ok is false when nothing is kept for them.
func (s *Store) seriesFor(namespace, metric string, ds []dim) (seriesKey, bool) {
	if namespace != Namespace || units[metric] == "" || len(ds) != 3 {
		return seriesKey{}, false
	}
	var k seriesKey
	op := ""
	for _, d := range ds {
		switch d.Name {
		case "Resource":
			k.Resource = d.Value
		case "Name":
			k.Name = d.Value
		case "Operation":
			op = d.Value
		default:
			return seriesKey{}, false
		}
	}
	return k, op == Operation && k.Resource != "" && k.Name != ""
}

func (s *Store) getMetricData(in map[string]any) (any, error) {
	queries := list(in, "MetricDataQueries")
	if len(queries) == 0 {
		return nil, missing("MetricDataQueries")
	}
	if len(queries) > 500 {
		return nil, invalidValue("The collection MetricDataQueries must not have a size greater than 500.")
	}
	start, err := timeOf(in, "StartTime")
	if err != nil {
		return nil, err
	}
	end, err := timeOf(in, "EndTime")
	if err != nil {
		return nil, err
	}
	if !end.After(start) {
		return nil, invalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	ascending := false
	switch str(in, "ScanBy") {
	case "", "TimestampDescending":
	case "TimestampAscending":
		ascending = true
	default:
		return nil, invalidValue("The value %s for parameter ScanBy is not valid.", str(in, "ScanBy"))
	}
	if str(in, "NextToken") != "" {
		return nil, errInvalidNextToken()
	}
	results := []any{}
	for _, q := range queries {
		qm, _ := q.(map[string]any)
		id := str(qm, "Id")
		if id == "" {
			return nil, missing("MetricDataQueries.member.Id")
		}
		if str(qm, "Expression") != "" {
			return nil, invalidValue("the local endpoint's CloudWatch does not evaluate metric math or Metrics Insights expressions (query %s); query each metric with MetricStat", id)
		}
		ms := obj(qm, "MetricStat")
		if ms == nil {
			return nil, combination("Exactly one of MetricStat and Expression must be set for query %s.", id)
		}
		metric := obj(ms, "Metric")
		ds, err := dims(metric)
		if err != nil {
			return nil, err
		}
		period, ok := num(ms, "Period")
		if !ok || period <= 0 || (period >= 60 && math.Mod(period, 60) != 0) {
			return nil, invalidValue("The parameter MetricDataQueries.member.MetricStat.Period must be a multiple of 60 (query %s).", id)
		}
		statName := str(ms, "Stat")
		if statName == "" {
			return nil, missing("MetricDataQueries.member.MetricStat.Stat")
		}
		if _, ok := (stat{Count: 1, Samples: []float64{0}}).value(statName); !ok {
			return nil, invalidValue("The value %s for parameter MetricDataQueries.member.MetricStat.Stat is not valid.", statName)
		}
		if ret, ok := qm["ReturnData"].(bool); ok && !ret {
			continue
		}
		var ts, vals []any
		if key, ok := s.seriesFor(str(metric, "Namespace"), str(metric, "MetricName"), ds); ok {
			pts := s.query(key, str(metric, "MetricName"), start, end, int64(period))
			if !ascending {
				sort.Slice(pts, func(i, j int) bool { return pts[i].t.After(pts[j].t) })
			}
			for _, p := range pts {
				if v, ok := p.v.value(statName); ok {
					ts = append(ts, p.t)
					vals = append(vals, v)
				}
			}
		}
		label := str(qm, "Label")
		if label == "" {
			label = str(metric, "MetricName")
		}
		results = append(results, map[string]any{"Id": id, "Label": label, "Timestamps": orEmpty(ts), "Values": orEmpty(vals), "StatusCode": "Complete"})
	}
	return map[string]any{"MetricDataResults": results, "Messages": []any{}}, nil
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func (s *Store) getMetricStatistics(in map[string]any) (any, error) {
	for _, k := range []string{"Namespace", "MetricName"} {
		if str(in, k) == "" {
			return nil, missing(k)
		}
	}
	start, err := timeOf(in, "StartTime")
	if err != nil {
		return nil, err
	}
	end, err := timeOf(in, "EndTime")
	if err != nil {
		return nil, err
	}
	period, ok := num(in, "Period")
	if !ok || period <= 0 || (period >= 60 && math.Mod(period, 60) != 0) {
		return nil, invalidValue("The parameter Period must be a multiple of 60.")
	}
	var stats, ext []string
	for _, v := range list(in, "Statistics") {
		stats = append(stats, fmt.Sprint(v))
	}
	for _, v := range list(in, "ExtendedStatistics") {
		ext = append(ext, fmt.Sprint(v))
	}
	if len(stats)+len(ext) == 0 {
		return nil, missing("Statistics or ExtendedStatistics")
	}
	ds, err := dims(in)
	if err != nil {
		return nil, err
	}
	metric := str(in, "MetricName")
	points := []any{}
	if key, ok := s.seriesFor(str(in, "Namespace"), metric, ds); ok {
		for _, p := range s.query(key, metric, start, end, int64(period)) {
			dp := map[string]any{"Timestamp": p.t, "Unit": units[metric]}
			for _, st := range stats {
				v, ok := p.v.value(st)
				if !ok {
					return nil, invalidValue("The value %s for parameter Statistics is not valid.", st)
				}
				dp[st] = v
			}
			if len(ext) > 0 {
				e := map[string]any{}
				for _, st := range ext {
					v, ok := p.v.value(st)
					if !ok {
						return nil, invalidValue("The value %s for parameter ExtendedStatistics is not valid.", st)
					}
					e[st] = v
				}
				dp["ExtendedStatistics"] = e
			}
			points = append(points, dp)
		}
	}
	return map[string]any{"Label": metric, "Datapoints": points}, nil
}

func (s *Store) listMetrics(in map[string]any) (any, error) {
	if ns := str(in, "Namespace"); ns != "" && ns != Namespace {
		return map[string]any{"Metrics": []any{}}, nil
	}
	want, err := dims(in)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(units))
	for n := range units {
		if mn := str(in, "MetricName"); mn == "" || mn == n {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	all := []any{}
	for _, k := range s.series() {
		have := map[string]string{"Operation": Operation, "Resource": k.Resource, "Name": k.Name}
		match := true
		for _, d := range want {
			if v, ok := have[d.Name]; !ok || (d.Value != "" && v != d.Value) {
				match = false
			}
		}
		if !match {
			continue
		}
		for _, n := range names {
			all = append(all, map[string]any{"Namespace": Namespace, "MetricName": n, "Dimensions": []any{
				map[string]any{"Name": "Operation", "Value": Operation},
				map[string]any{"Name": "Resource", "Value": k.Resource},
				map[string]any{"Name": "Name", "Value": k.Name},
			}})
		}
	}
	// Pages of 500, as CloudWatch.
	start := 0
	if tok := str(in, "NextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(all) {
			return nil, errInvalidNextToken()
		}
		start = n
	}
	out := map[string]any{}
	endAt := min(start+500, len(all))
	out["Metrics"] = all[start:endAt]
	if endAt < len(all) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(endAt)))
	}
	return out, nil
}

func errInvalidNextToken() error {
	return &awsproto.Error{Status: 400, Code: "InvalidNextToken", Message: "The next token specified is invalid."}
}
