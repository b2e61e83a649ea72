package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// The OTLP messages are decoded by hand (protowire for protobuf, encoding/json for OTLP/JSON)
// into the generic records below: the two messages and their few nested types are small, and
// hand-decoding spares the module go.opentelemetry.io/proto/otlp and its gRPC dependencies.
// Field numbers: opentelemetry-proto, opentelemetry/proto/{trace,logs,common,resource}/v1.

// Span is one decoded span with its resource and scope.
type Span struct {
	Resource     map[string]any
	Scope        Scope
	TraceID      string // lowercase hex
	SpanID       string
	ParentSpanID string
	TraceState   string
	Flags        uint32
	Name         string
	Kind         int
	Start, End   uint64
	Attributes   map[string]any
	Events       []SpanEvent
	Links        []map[string]any
	StatusCode   int
	StatusMsg    string
}

// SpanEvent is an event of a span.
type SpanEvent struct {
	Time       uint64
	Name       string
	Attributes map[string]any
}

// Scope is an instrumentation scope.
type Scope struct {
	Name, Version string
	Attributes    map[string]any
}

// LogRecord is one decoded log record with its resource and scope.
type LogRecord struct {
	Resource       map[string]any
	Scope          Scope
	Time, Observed uint64
	SeverityNumber int
	SeverityText   string
	Body           any
	Attributes     map[string]any
	Flags          uint32
	TraceID        string
	SpanID         string
	EventName      string
}

// ---- protobuf ----

type fields func(num protowire.Number, typ protowire.Type, b []byte) (int, error)

// walk calls f for each field of a message; f returns how many bytes of b it consumed
// (0: skip the field).
func walk(b []byte, f fields) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		used, err := f(num, typ, b)
		if err != nil {
			return err
		}
		if used == 0 {
			used = protowire.ConsumeFieldValue(num, typ, b)
			if used < 0 {
				return protowire.ParseError(used)
			}
		}
		b = b[used:]
	}
	return nil
}

func bytesField(typ protowire.Type, b []byte) ([]byte, int, error) {
	if typ != protowire.BytesType {
		return nil, 0, fmt.Errorf("wrong wire type %d for a length-delimited field", typ)
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

func varintField(typ protowire.Type, b []byte) (uint64, int, error) {
	if typ != protowire.VarintType {
		return 0, 0, fmt.Errorf("wrong wire type %d for a varint field", typ)
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

func fixed64Field(typ protowire.Type, b []byte) (uint64, int, error) {
	if typ != protowire.Fixed64Type {
		return 0, 0, fmt.Errorf("wrong wire type %d for a fixed64 field", typ)
	}
	v, n := protowire.ConsumeFixed64(b)
	if n < 0 {
		return 0, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

func fixed32Field(typ protowire.Type, b []byte) (uint32, int, error) {
	if typ != protowire.Fixed32Type {
		return 0, 0, fmt.Errorf("wrong wire type %d for a fixed32 field", typ)
	}
	v, n := protowire.ConsumeFixed32(b)
	if n < 0 {
		return 0, 0, protowire.ParseError(n)
	}
	return v, n, nil
}

func pbAnyValue(b []byte) (any, error) {
	var v any
	err := walk(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1, 7:
			s, n, err := bytesField(typ, b)
			if num == 1 {
				v = string(s)
			} else {
				v = base64.StdEncoding.EncodeToString(s)
			}
			return n, err
		case 2:
			x, n, err := varintField(typ, b)
			v = x != 0
			return n, err
		case 3:
			x, n, err := varintField(typ, b)
			v = int64(x)
			return n, err
		case 4:
			x, n, err := fixed64Field(typ, b)
			v = math.Float64frombits(x)
			return n, err
		case 5:
			s, n, err := bytesField(typ, b)
			if err != nil {
				return 0, err
			}
			arr := []any{}
			err = walk(s, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				if num != 1 {
					return 0, nil
				}
				e, n, err := bytesField(typ, b)
				if err != nil {
					return 0, err
				}
				x, err := pbAnyValue(e)
				arr = append(arr, x)
				return n, err
			})
			v = arr
			return n, err
		case 6:
			s, n, err := bytesField(typ, b)
			if err != nil {
				return 0, err
			}
			m := map[string]any{}
			err = walk(s, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				if num != 1 {
					return 0, nil
				}
				return pbKeyValue(typ, b, m)
			})
			v = m
			return n, err
		}
		return 0, nil
	})
	return v, err
}

// pbKeyValue decodes a KeyValue field into m.
func pbKeyValue(typ protowire.Type, b []byte, m map[string]any) (int, error) {
	s, n, err := bytesField(typ, b)
	if err != nil {
		return 0, err
	}
	var key string
	var val any
	err = walk(s, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			k, n, err := bytesField(typ, b)
			key = string(k)
			return n, err
		case 2:
			v, n, err := bytesField(typ, b)
			if err != nil {
				return 0, err
			}
			val, err = pbAnyValue(v)
			return n, err
		}
		return 0, nil
	})
	m[key] = val
	return n, err
}

func pbResource(b []byte) (map[string]any, error) {
	m := map[string]any{}
	err := walk(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num == 1 {
			return pbKeyValue(typ, b, m)
		}
		return 0, nil
	})
	return m, err
}

func pbScope(b []byte) (Scope, error) {
	sc := Scope{Attributes: map[string]any{}}
	err := walk(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1, 2:
			s, n, err := bytesField(typ, b)
			if num == 1 {
				sc.Name = string(s)
			} else {
				sc.Version = string(s)
			}
			return n, err
		case 3:
			return pbKeyValue(typ, b, sc.Attributes)
		}
		return 0, nil
	})
	return sc, err
}

// pbResourceScoped walks ResourceSpans/ResourceLogs: resource (1), scoped messages (2), each
// with a scope (1) and items (2).
func pbResourceScoped(b []byte, item func(res map[string]any, sc Scope, b []byte) error) error {
	return walk(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 1 {
			return 0, nil
		}
		rs, n, err := bytesField(typ, b)
		if err != nil {
			return 0, err
		}
		res := map[string]any{}
		var scoped [][]byte
		err = walk(rs, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			switch num {
			case 1:
				r, n, err := bytesField(typ, b)
				if err != nil {
					return 0, err
				}
				res, err = pbResource(r)
				return n, err
			case 2:
				s, n, err := bytesField(typ, b)
				scoped = append(scoped, s)
				return n, err
			}
			return 0, nil
		})
		if err != nil {
			return 0, err
		}
		for _, s := range scoped {
			var sc Scope
			var items [][]byte
			err := walk(s, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				switch num {
				case 1:
					r, n, err := bytesField(typ, b)
					if err != nil {
						return 0, err
					}
					sc, err = pbScope(r)
					return n, err
				case 2:
					it, n, err := bytesField(typ, b)
					items = append(items, it)
					return n, err
				}
				return 0, nil
			})
			if err != nil {
				return 0, err
			}
			for _, it := range items {
				if err := item(res, sc, it); err != nil {
					return 0, err
				}
			}
		}
		return n, nil
	})
}

// DecodeTracesProto decodes an ExportTraceServiceRequest.
func DecodeTracesProto(b []byte) ([]Span, error) {
	var out []Span
	err := pbResourceScoped(b, func(res map[string]any, sc Scope, b []byte) error {
		sp := Span{Resource: res, Scope: sc, Attributes: map[string]any{}}
		err := walk(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			switch num {
			case 1, 2, 4:
				v, n, err := bytesField(typ, b)
				h := hex.EncodeToString(v)
				switch num {
				case 1:
					sp.TraceID = h
				case 2:
					sp.SpanID = h
				case 4:
					sp.ParentSpanID = h
				}
				return n, err
			case 3, 5:
				v, n, err := bytesField(typ, b)
				if num == 3 {
					sp.TraceState = string(v)
				} else {
					sp.Name = string(v)
				}
				return n, err
			case 6:
				v, n, err := varintField(typ, b)
				sp.Kind = int(v)
				return n, err
			case 7, 8:
				v, n, err := fixed64Field(typ, b)
				if num == 7 {
					sp.Start = v
				} else {
					sp.End = v
				}
				return n, err
			case 9:
				return pbKeyValue(typ, b, sp.Attributes)
			case 11:
				v, n, err := bytesField(typ, b)
				if err != nil {
					return 0, err
				}
				ev := SpanEvent{Attributes: map[string]any{}}
				err = walk(v, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
					switch num {
					case 1:
						t, n, err := fixed64Field(typ, b)
						ev.Time = t
						return n, err
					case 2:
						s, n, err := bytesField(typ, b)
						ev.Name = string(s)
						return n, err
					case 3:
						return pbKeyValue(typ, b, ev.Attributes)
					}
					return 0, nil
				})
				sp.Events = append(sp.Events, ev)
				return n, err
			case 13:
				v, n, err := bytesField(typ, b)
				if err != nil {
					return 0, err
				}
				link := map[string]any{}
				attrs := map[string]any{}
				err = walk(v, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
					switch num {
					case 1, 2:
						s, n, err := bytesField(typ, b)
						if num == 1 {
							link["traceId"] = hex.EncodeToString(s)
						} else {
							link["spanId"] = hex.EncodeToString(s)
						}
						return n, err
					case 4:
						return pbKeyValue(typ, b, attrs)
					}
					return 0, nil
				})
				link["attributes"] = attrs
				sp.Links = append(sp.Links, link)
				return n, err
			case 15:
				v, n, err := bytesField(typ, b)
				if err != nil {
					return 0, err
				}
				err = walk(v, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
					switch num {
					case 2:
						s, n, err := bytesField(typ, b)
						sp.StatusMsg = string(s)
						return n, err
					case 3:
						c, n, err := varintField(typ, b)
						sp.StatusCode = int(c)
						return n, err
					}
					return 0, nil
				})
				return n, err
			case 16:
				v, n, err := fixed32Field(typ, b)
				sp.Flags = v
				return n, err
			}
			return 0, nil
		})
		out = append(out, sp)
		return err
	})
	return out, err
}

// DecodeLogsProto decodes an ExportLogsServiceRequest.
func DecodeLogsProto(b []byte) ([]LogRecord, error) {
	var out []LogRecord
	err := pbResourceScoped(b, func(res map[string]any, sc Scope, b []byte) error {
		lr := LogRecord{Resource: res, Scope: sc, Attributes: map[string]any{}}
		err := walk(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			switch num {
			case 1, 11:
				v, n, err := fixed64Field(typ, b)
				if num == 1 {
					lr.Time = v
				} else {
					lr.Observed = v
				}
				return n, err
			case 2:
				v, n, err := varintField(typ, b)
				lr.SeverityNumber = int(v)
				return n, err
			case 3, 12:
				v, n, err := bytesField(typ, b)
				if num == 3 {
					lr.SeverityText = string(v)
				} else {
					lr.EventName = string(v)
				}
				return n, err
			case 5:
				v, n, err := bytesField(typ, b)
				if err != nil {
					return 0, err
				}
				lr.Body, err = pbAnyValue(v)
				return n, err
			case 6:
				return pbKeyValue(typ, b, lr.Attributes)
			case 8:
				v, n, err := fixed32Field(typ, b)
				lr.Flags = v
				return n, err
			case 9, 10:
				v, n, err := bytesField(typ, b)
				if num == 9 {
					lr.TraceID = hex.EncodeToString(v)
				} else {
					lr.SpanID = hex.EncodeToString(v)
				}
				return n, err
			}
			return 0, nil
		})
		out = append(out, lr)
		return err
	})
	return out, err
}

// ---- OTLP/JSON ----
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding: lowerCamelCase names,
// trace and span ids in hex, 64-bit integers as decimal strings or numbers, enums as numbers.)

// num64 accepts a JSON number or a decimal string.
type num64 uint64

func (n *num64) UnmarshalJSON(b []byte) error {
	s := string(b)
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	if v, err := strconv.ParseUint(s, 10, 64); err == nil {
		*n = num64(v)
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("invalid integer %s", b)
		}
		v = int64(f)
	}
	*n = num64(v)
	return nil
}

// enum accepts a number or (leniently) a name such as "SPAN_KIND_SERVER".
type enum int

func (e *enum) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*e = enum(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for i, name := range []string{"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"} {
		if s == "SPAN_KIND_"+name {
			*e = enum(i)
			return nil
		}
	}
	for i, name := range []string{"UNSET", "OK", "ERROR"} {
		if s == "STATUS_CODE_"+name {
			*e = enum(i)
			return nil
		}
	}
	if v, ok := severityNames[s]; ok {
		*e = enum(v)
		return nil
	}
	return fmt.Errorf("unknown enum value %q", s)
}

var severityNames = map[string]int{"SEVERITY_NUMBER_TRACE": 1, "SEVERITY_NUMBER_DEBUG": 5, "SEVERITY_NUMBER_INFO": 9, "SEVERITY_NUMBER_WARN": 13, "SEVERITY_NUMBER_ERROR": 17, "SEVERITY_NUMBER_FATAL": 21}

type jsonKV struct {
	Key   string    `json:"key"`
	Value jsonValue `json:"value"`
}

type jsonValue struct {
	StringValue *string  `json:"stringValue"`
	BoolValue   *bool    `json:"boolValue"`
	IntValue    *num64   `json:"intValue"`
	DoubleValue *float64 `json:"-"`
	ArrayValue  *struct {
		Values []jsonValue `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []jsonKV `json:"values"`
	} `json:"kvlistValue"`
	BytesValue *string `json:"bytesValue"`
}

// UnmarshalJSON reads doubleValue, which may be a number or "NaN"/"Infinity" strings.
func (v *jsonValue) UnmarshalJSON(b []byte) error {
	type plain jsonValue
	var p struct {
		plain
		Double json.RawMessage `json:"doubleValue"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*v = jsonValue(p.plain)
	if len(p.Double) > 0 {
		var f float64
		if err := json.Unmarshal(p.Double, &f); err != nil {
			var s string
			json.Unmarshal(p.Double, &s)
			f, _ = strconv.ParseFloat(s, 64)
		}
		v.DoubleValue = &f
	}
	return nil
}

func (v jsonValue) value() any {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.BoolValue != nil:
		return *v.BoolValue
	case v.IntValue != nil:
		return int64(*v.IntValue)
	case v.DoubleValue != nil:
		return *v.DoubleValue
	case v.ArrayValue != nil:
		arr := []any{}
		for _, e := range v.ArrayValue.Values {
			arr = append(arr, e.value())
		}
		return arr
	case v.KvlistValue != nil:
		return attrs(v.KvlistValue.Values)
	case v.BytesValue != nil:
		return *v.BytesValue
	}
	return nil
}

func attrs(kvs []jsonKV) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.value()
	}
	return m
}

type jsonResource struct {
	Attributes []jsonKV `json:"attributes"`
}

type jsonScope struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Attributes []jsonKV `json:"attributes"`
}

func (s jsonScope) scope() Scope {
	return Scope{Name: s.Name, Version: s.Version, Attributes: attrs(s.Attributes)}
}

// hexID checks an id: hex of n bytes, or empty.
func hexID(s string, n int, what string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) != 2*n {
		return "", fmt.Errorf("%s %q is not %d hex digits", what, s, 2*n)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", fmt.Errorf("%s %q is not hex", what, s)
	}
	return s, nil
}

// DecodeTracesJSON decodes an ExportTraceServiceRequest in OTLP/JSON.
func DecodeTracesJSON(b []byte) ([]Span, error) {
	var req struct {
		ResourceSpans []struct {
			Resource   jsonResource `json:"resource"`
			ScopeSpans []struct {
				Scope jsonScope `json:"scope"`
				Spans []struct {
					TraceID           string   `json:"traceId"`
					SpanID            string   `json:"spanId"`
					TraceState        string   `json:"traceState"`
					ParentSpanID      string   `json:"parentSpanId"`
					Flags             uint32   `json:"flags"`
					Name              string   `json:"name"`
					Kind              enum     `json:"kind"`
					StartTimeUnixNano num64    `json:"startTimeUnixNano"`
					EndTimeUnixNano   num64    `json:"endTimeUnixNano"`
					Attributes        []jsonKV `json:"attributes"`
					Events            []struct {
						TimeUnixNano num64    `json:"timeUnixNano"`
						Name         string   `json:"name"`
						Attributes   []jsonKV `json:"attributes"`
					} `json:"events"`
					Links []struct {
						TraceID    string   `json:"traceId"`
						SpanID     string   `json:"spanId"`
						Attributes []jsonKV `json:"attributes"`
					} `json:"links"`
					Status struct {
						Message string `json:"message"`
						Code    enum   `json:"code"`
					} `json:"status"`
				} `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, err
	}
	var out []Span
	for _, rs := range req.ResourceSpans {
		res := attrs(rs.Resource.Attributes)
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				sp := Span{Resource: res, Scope: ss.Scope.scope(), TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID,
					TraceState: s.TraceState, Flags: s.Flags, Name: s.Name, Kind: int(s.Kind), Start: uint64(s.StartTimeUnixNano),
					End: uint64(s.EndTimeUnixNano), Attributes: attrs(s.Attributes), StatusCode: int(s.Status.Code), StatusMsg: s.Status.Message}
				for _, e := range s.Events {
					sp.Events = append(sp.Events, SpanEvent{Time: uint64(e.TimeUnixNano), Name: e.Name, Attributes: attrs(e.Attributes)})
				}
				for _, l := range s.Links {
					sp.Links = append(sp.Links, map[string]any{"traceId": l.TraceID, "spanId": l.SpanID, "attributes": attrs(l.Attributes)})
				}
				out = append(out, sp)
			}
		}
	}
	return out, nil
}

// DecodeLogsJSON decodes an ExportLogsServiceRequest in OTLP/JSON.
func DecodeLogsJSON(b []byte) ([]LogRecord, error) {
	var req struct {
		ResourceLogs []struct {
			Resource  jsonResource `json:"resource"`
			ScopeLogs []struct {
				Scope      jsonScope `json:"scope"`
				LogRecords []struct {
					TimeUnixNano         num64     `json:"timeUnixNano"`
					ObservedTimeUnixNano num64     `json:"observedTimeUnixNano"`
					SeverityNumber       enum      `json:"severityNumber"`
					SeverityText         string    `json:"severityText"`
					Body                 jsonValue `json:"body"`
					Attributes           []jsonKV  `json:"attributes"`
					Flags                uint32    `json:"flags"`
					TraceID              string    `json:"traceId"`
					SpanID               string    `json:"spanId"`
					EventName            string    `json:"eventName"`
				} `json:"logRecords"`
			} `json:"scopeLogs"`
		} `json:"resourceLogs"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, err
	}
	var out []LogRecord
	for _, rl := range req.ResourceLogs {
		res := attrs(rl.Resource.Attributes)
		for _, sl := range rl.ScopeLogs {
			for _, l := range sl.LogRecords {
				out = append(out, LogRecord{Resource: res, Scope: sl.Scope.scope(), Time: uint64(l.TimeUnixNano), Observed: uint64(l.ObservedTimeUnixNano),
					SeverityNumber: int(l.SeverityNumber), SeverityText: l.SeverityText, Body: l.Body.value(), Attributes: attrs(l.Attributes),
					Flags: l.Flags, TraceID: l.TraceID, SpanID: l.SpanID, EventName: l.EventName})
			}
		}
	}
	return out, nil
}
