// Package otlp is the local endpoint's OpenTelemetry receiver: OTLP/HTTP
// (https://opentelemetry.io/docs/specs/otlp/#otlphttp) on POST /v1/traces and /v1/logs, in the
// binary protobuf (application/x-protobuf) and JSON (application/json) encodings, optionally
// gzip-compressed. Spans are written to the log group aws/spans (stream "default") in the JSON
// shape CloudWatch Transaction Search gives them there; log records to the stream
// otel-rt-logs of the sending agent's runtime log groups. /v1/metrics is accepted and
// discarded (the local endpoint keeps no custom metrics), so that an SDK exporting metrics by
// default does not log failures.
//
// Authentication: an agent cannot easily SigV4-sign its exports, so each agent the endpoint
// runs is given a bearer token of its own in OTEL_EXPORTER_OTLP_HEADERS
// (Authorization=Bearer <runtimeId>.<version>.<HMAC>): an HMAC-SHA256, under the endpoint's
// secret key, of the runtime id and version it names. The receiver accepts only such tokens,
// which also tell which agent sent the data (its log records go to its own log groups only).
package otlp

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/agentcore/agentcore/local/logs"
)

// SpansGroup and SpansStream are where CloudWatch Transaction Search keeps spans
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Transaction-Search-ingesting-span-log-groups.html).
const (
	SpansGroup  = "aws/spans"
	SpansStream = "default"
	LogsStream  = "otel-rt-logs"
)

// Config configures a Receiver.
type Config struct {
	Logs   *logs.Store
	Secret []byte // signs the agents' tokens
	// Groups lists the log groups of a runtime version (its endpoints'), where its OTLP log
	// records go.
	Groups func(runtimeID string, version int) []string
	Logf   func(format string, args ...any)
}

// Receiver serves OTLP/HTTP.
type Receiver struct{ cfg Config }

// New returns a receiver.
func New(cfg Config) *Receiver {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Receiver{cfg: cfg}
}

// IsOTLP reports whether r is for the receiver (by path).
func IsOTLP(r *http.Request) bool {
	switch r.URL.Path {
	case "/v1/traces", "/v1/logs", "/v1/metrics":
		return true
	}
	return false
}

func (rc *Receiver) mac(runtimeID string, version int) string {
	m := hmac.New(sha256.New, rc.cfg.Secret)
	fmt.Fprintf(m, "agentcore-local-otlp\x00%s\x00%d", runtimeID, version)
	return hex.EncodeToString(m.Sum(nil)[:20])
}

// Token is the bearer token of an agent (a runtime version).
func (rc *Receiver) Token(runtimeID string, version int) string {
	return fmt.Sprintf("%s.%d.%s", runtimeID, version, rc.mac(runtimeID, version))
}

// agent checks the request's token and returns the agent it names.
func (rc *Receiver) agent(r *http.Request) (string, int, bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", 0, false
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return "", 0, false
	}
	v, err := strconv.Atoi(parts[1])
	if err != nil || !hmac.Equal([]byte(parts[2]), []byte(rc.mac(parts[0], v))) {
		return "", 0, false
	}
	return parts[0], v, true
}

const maxBody = 16 << 20

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := mt == "application/json"
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeStatus(w, isJSON, http.StatusMethodNotAllowed, 12, "OTLP/HTTP accepts POST only")
		return
	}
	if r.Header.Get("Origin") != "" {
		writeStatus(w, isJSON, http.StatusForbidden, 7, "requests from web pages (with an Origin header) are refused")
		return
	}
	if mt != "application/x-protobuf" && !isJSON {
		writeStatus(w, false, http.StatusUnsupportedMediaType, 3, fmt.Sprintf("unsupported Content-Type %q: OTLP/HTTP is application/x-protobuf or application/json", mt))
		return
	}
	runtimeID, version, ok := rc.agent(r)
	if !ok {
		writeStatus(w, isJSON, http.StatusUnauthorized, 16, "missing or invalid bearer token: the local AgentCore endpoint accepts OTLP only from the agents it runs, with the token it puts in their OTEL_EXPORTER_OTLP_HEADERS")
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, maxBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			writeStatus(w, isJSON, http.StatusBadRequest, 3, "invalid gzip body: "+err.Error())
			return
		}
		defer zr.Close()
		body = io.LimitReader(zr, maxBody)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		writeStatus(w, isJSON, http.StatusBadRequest, 3, "reading the body: "+err.Error())
		return
	}
	var rejected int
	var why string
	switch r.URL.Path {
	case "/v1/traces":
		var spans []Span
		if isJSON {
			spans, err = DecodeTracesJSON(data)
		} else {
			spans, err = DecodeTracesProto(data)
		}
		if err == nil {
			rejected, why, err = rc.writeSpans(spans)
		}
	case "/v1/logs":
		var recs []LogRecord
		if isJSON {
			recs, err = DecodeLogsJSON(data)
		} else {
			recs, err = DecodeLogsProto(data)
		}
		if err == nil {
			rejected, why, err = rc.writeLogs(runtimeID, version, recs, r.Header.Get("x-aws-log-group"))
		}
	case "/v1/metrics":
		// Accepted and discarded (see the package comment).
	}
	if err != nil {
		if !isStoreError(err) {
			writeStatus(w, isJSON, http.StatusBadRequest, 3, "invalid OTLP request: "+err.Error())
			return
		}
		writeStatus(w, isJSON, http.StatusServiceUnavailable, 14, err.Error())
		return
	}
	writeSuccess(w, isJSON, r.URL.Path, rejected, why)
}

type storeError struct{ error }

func isStoreError(err error) bool { _, ok := err.(storeError); return ok }

var kindNames = []string{"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"}
var statusNames = []string{"UNSET", "OK", "ERROR"}

func name(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return strconv.Itoa(i)
}

// SpanJSON is a span as CloudWatch Transaction Search writes it to aws/spans: OTLP field
// names in lowerCamelCase, ids in hex, kind and status code by name, durationNano added, the
// resource's and the scope's attributes with it
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Transaction-Search.html:
// spans are "stored in semantic convention format with W3C trace IDs").
func SpanJSON(sp Span) map[string]any {
	out := map[string]any{
		"resource":          map[string]any{"attributes": sp.Resource},
		"scope":             map[string]any{"name": sp.Scope.Name, "version": sp.Scope.Version},
		"traceId":           sp.TraceID,
		"spanId":            sp.SpanID,
		"flags":             sp.Flags,
		"name":              sp.Name,
		"kind":              name(kindNames, sp.Kind),
		"startTimeUnixNano": sp.Start,
		"endTimeUnixNano":   sp.End,
		"durationNano":      sp.End - min(sp.Start, sp.End),
		"attributes":        sp.Attributes,
		"status":            map[string]any{"code": name(statusNames, sp.StatusCode)},
	}
	if sp.ParentSpanID != "" {
		out["parentSpanId"] = sp.ParentSpanID
	}
	if sp.TraceState != "" {
		out["traceState"] = sp.TraceState
	}
	if sp.StatusMsg != "" {
		out["status"].(map[string]any)["message"] = sp.StatusMsg
	}
	if len(sp.Events) > 0 {
		var evs []map[string]any
		for _, e := range sp.Events {
			evs = append(evs, map[string]any{"timeUnixNano": e.Time, "name": e.Name, "attributes": e.Attributes})
		}
		out["events"] = evs
	}
	if len(sp.Links) > 0 {
		out["links"] = sp.Links
	}
	return out
}

func (rc *Receiver) writeSpans(spans []Span) (int, string, error) {
	var events []logs.Event
	rejected, why := 0, ""
	for _, sp := range spans {
		var err error
		if _, err = hexID(sp.TraceID, 16, "traceId"); err == nil && sp.TraceID != "" {
			_, err = hexID(sp.SpanID, 8, "spanId")
		}
		if err == nil && (sp.TraceID == "" || sp.SpanID == "") {
			err = fmt.Errorf("a span needs a traceId and a spanId")
		}
		if err == nil {
			_, err = hexID(sp.ParentSpanID, 8, "parentSpanId")
		}
		if err != nil {
			rejected++
			why = err.Error()
			continue
		}
		b, _ := json.Marshal(SpanJSON(sp))
		events = append(events, logs.Event{Timestamp: int64(sp.End / 1e6), Message: string(b)})
	}
	if len(events) == 0 {
		return rejected, why, nil
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Timestamp < events[j].Timestamp })
	if err := rc.cfg.Logs.Put(SpansGroup, SpansStream, events); err != nil {
		return 0, "", storeError{err}
	}
	return rejected, why, nil
}

// LogJSON is a log record as written to otel-rt-logs.
func LogJSON(lr LogRecord) map[string]any {
	out := map[string]any{
		"resource":          map[string]any{"attributes": lr.Resource},
		"scope":             map[string]any{"name": lr.Scope.Name, "version": lr.Scope.Version},
		"timestamp":         lr.Time,
		"observedTimestamp": lr.Observed,
		"severityNumber":    lr.SeverityNumber,
		"severityText":      lr.SeverityText,
		"body":              lr.Body,
		"attributes":        lr.Attributes,
		"flags":             lr.Flags,
	}
	if lr.TraceID != "" {
		out["traceId"] = lr.TraceID
	}
	if lr.SpanID != "" {
		out["spanId"] = lr.SpanID
	}
	if lr.EventName != "" {
		out["eventName"] = lr.EventName
	}
	return out
}

func (rc *Receiver) writeLogs(runtimeID string, version int, recs []LogRecord, wantGroup string) (int, string, error) {
	groups := rc.cfg.Groups(runtimeID, version)
	if wantGroup != "" {
		for _, g := range groups {
			if g == wantGroup {
				groups = []string{g}
				break
			}
		}
	}
	if len(groups) == 0 {
		return len(recs), fmt.Sprintf("runtime %s version %d is served by no endpoint: its log records have no log group", runtimeID, version), nil
	}
	var events []logs.Event
	for _, lr := range recs {
		t := lr.Time
		if t == 0 {
			t = lr.Observed
		}
		if lr.Time == 0 {
			lr.Time = t
		}
		b, _ := json.Marshal(LogJSON(lr))
		events = append(events, logs.Event{Timestamp: int64(t / 1e6), Message: string(b)})
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Timestamp < events[j].Timestamp })
	for _, g := range groups {
		if err := rc.cfg.Logs.Put(g, LogsStream, events); err != nil {
			return 0, "", storeError{err}
		}
	}
	return 0, "", nil
}

// writeSuccess answers an Export*ServiceResponse: empty on full success, with partial_success
// (field 1: rejected count 1, error_message 2) otherwise.
func writeSuccess(w http.ResponseWriter, isJSON bool, path string, rejected int, why string) {
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
		if rejected == 0 {
			io.WriteString(w, "{}")
			return
		}
		field := map[string]string{"/v1/traces": "rejectedSpans", "/v1/logs": "rejectedLogRecords", "/v1/metrics": "rejectedDataPoints"}[path]
		json.NewEncoder(w).Encode(map[string]any{"partialSuccess": map[string]any{field: strconv.Itoa(rejected), "errorMessage": why}})
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	if rejected == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	var ps []byte
	ps = protowire.AppendTag(ps, 1, protowire.VarintType)
	ps = protowire.AppendVarint(ps, uint64(rejected))
	ps = protowire.AppendTag(ps, 2, protowire.BytesType)
	ps = protowire.AppendString(ps, why)
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, ps)
	w.Write(b)
}

// writeStatus answers a failure with a google.rpc.Status (code, message), as OTLP/HTTP says.
func writeStatus(w http.ResponseWriter, isJSON bool, httpStatus, code int, msg string) {
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(httpStatus)
		json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
		return
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(code))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, msg)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(httpStatus)
	w.Write(bytes.Clone(b))
}
