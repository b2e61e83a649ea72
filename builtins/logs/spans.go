package logs

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"sort"
	"strings"
	"time"

	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// SpansGroup is where CloudWatch Transaction Search keeps spans (and where the local
// endpoint's OTLP receiver writes them).
const SpansGroup = "aws/spans"

// Span is one span as the Lua side sees it.
type Span struct {
	TraceID      string         `json:"trace_id"`
	SpanID       string         `json:"span_id"`
	ParentSpanID string         `json:"parent_span_id,omitempty"`
	Name         string         `json:"name"`
	Kind         string         `json:"kind,omitempty"`
	Start        string         `json:"start"`    // RFC 3339 UTC with nanoseconds
	StartMs      float64        `json:"start_ms"` // for ordering and offsets
	DurationMs   float64        `json:"duration_ms"`
	Status       string         `json:"status"` // UNSET, OK or ERROR
	Session      string         `json:"session,omitempty"`
	Service      string         `json:"service,omitempty"`
	Attributes   map[string]any `json:"attributes"`
	Resource     map[string]any `json:"resource"`

	startNano *big.Int
}

type rawSpan struct {
	TraceID           string          `json:"traceId"`
	SpanID            string          `json:"spanId"`
	ParentSpanID      string          `json:"parentSpanId"`
	Name              string          `json:"name"`
	Kind              any             `json:"kind"`
	StartTimeUnixNano json.Number     `json:"startTimeUnixNano"`
	EndTimeUnixNano   json.Number     `json:"endTimeUnixNano"`
	DurationNano      json.Number     `json:"durationNano"`
	Status            json.RawMessage `json:"status"`
	Attributes        map[string]any  `json:"attributes"`
	Resource          struct {
		Attributes map[string]any `json:"attributes"`
	} `json:"resource"`
}

// nano reads a nanosecond count written as a JSON number or a string.
func nano(n json.Number) *big.Int {
	s := strings.Trim(string(n), `"`)
	if s == "" {
		return nil
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		f, err := n.Float64()
		if err != nil {
			return nil
		}
		v, _ = big.NewFloat(f).Int(nil)
	}
	return v
}

// ParseSpan reads one Transaction Search span event; ok is false for anything else.
func ParseSpan(msg string) (Span, bool) {
	var r rawSpan
	d := json.NewDecoder(strings.NewReader(msg))
	d.UseNumber()
	// numbers written as strings ("startTimeUnixNano": "1732...") decode into json.Number too
	if err := d.Decode(&r); err != nil || r.TraceID == "" || r.SpanID == "" {
		return Span{}, false
	}
	s := Span{TraceID: r.TraceID, SpanID: r.SpanID, ParentSpanID: r.ParentSpanID, Name: r.Name,
		Attributes: r.Attributes, Resource: r.Resource.Attributes, Status: "UNSET"}
	if s.Attributes == nil {
		s.Attributes = map[string]any{}
	}
	if s.Resource == nil {
		s.Resource = map[string]any{}
	}
	switch k := r.Kind.(type) {
	case string:
		s.Kind = strings.TrimPrefix(k, "SPAN_KIND_")
	case json.Number:
		s.Kind = map[string]string{"1": "INTERNAL", "2": "SERVER", "3": "CLIENT", "4": "PRODUCER", "5": "CONSUMER"}[k.String()]
	}
	if len(r.Status) > 0 {
		var st struct {
			Code any `json:"code"`
		}
		if json.Unmarshal(r.Status, &st) == nil {
			switch c := st.Code.(type) {
			case string:
				s.Status = strings.ToUpper(strings.TrimPrefix(c, "STATUS_CODE_"))
			case float64:
				s.Status = map[float64]string{0: "UNSET", 1: "OK", 2: "ERROR"}[c]
			}
		}
	}
	start, end, dur := nano(r.StartTimeUnixNano), nano(r.EndTimeUnixNano), nano(r.DurationNano)
	if dur == nil && start != nil && end != nil {
		dur = new(big.Int).Sub(end, start)
	}
	if start != nil {
		s.startNano = start
		sec, ns := new(big.Int).DivMod(start, big.NewInt(1e9), new(big.Int))
		t := time.Unix(sec.Int64(), ns.Int64()).UTC()
		s.Start = t.Format(time.RFC3339Nano)
		s.StartMs = float64(t.UnixNano()) / 1e6
	}
	if dur != nil {
		f, _ := new(big.Float).SetInt(dur).Float64()
		s.DurationMs = f / 1e6
	}
	if v, ok := s.Attributes["session.id"].(string); ok {
		s.Session = v
	} else if v, ok := s.Resource["session.id"].(string); ok {
		s.Session = v
	}
	if v, ok := s.Resource["service.name"].(string); ok {
		s.Service = v
	}
	return s, true
}

type spansArgs struct {
	Group   string            `json:"group,omitempty"`
	Start   float64           `json:"start,omitempty"`
	End     float64           `json:"end,omitempty"`
	Any     engine.StringList `json:"any,omitempty"`
	Session string            `json:"session,omitempty"`
	TraceID string            `json:"trace_id,omitempty"`
	Limit   int               `json:"limit,omitempty"`
}

type spansResult struct {
	Spans   []Span `json:"spans"`
	Missing bool   `json:"missing"`
}

func (m *module) luaSpans(L *lua.LState, a spansArgs) (*spansResult, error) {
	if a.Group == "" {
		a.Group = SpansGroup
	}
	q := &Query{Group: a.Group, Start: int64(a.Start), End: int64(a.End), Any: a.Any}
	// the trace id, else the session id, narrows the search on the service's side; each span
	// is checked for all conditions here
	if a.TraceID != "" {
		q.Grep = a.TraceID
	} else if a.Session != "" {
		q.Grep = a.Session
	}
	evs, err := awscall.Try(L, m.service, func(ctx context.Context, c *cwl.Client) ([]Event, error) { return fetch(ctx, c, q) })
	missing := errors.Is(err, errNoGroup)
	if err != nil && !missing {
		return nil, m.service.Error("reading spans from log group "+a.Group, err)
	}
	spans := []Span{}
	for _, e := range evs {
		s, ok := ParseSpan(e.Message)
		if !ok || a.TraceID != "" && s.TraceID != a.TraceID || a.Session != "" && s.Session != a.Session {
			continue
		}
		spans = append(spans, s)
	}
	sort.SliceStable(spans, func(i, j int) bool {
		x, y := spans[i].startNano, spans[j].startNano
		if x == nil || y == nil {
			return x == nil && y != nil
		}
		return x.Cmp(y) < 0
	})
	if a.Limit > 0 && len(spans) > a.Limit {
		spans = spans[len(spans)-a.Limit:]
	}
	return &spansResult{Spans: spans, Missing: missing}, nil
}
