package awsproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ---- operations named in the request: awsJson, awsQuery ----

// Handler is one operation of a service whose requests name their operation: it reads its
// input from the request and returns its output.
type Handler[S any] func(S, *http.Request) (any, error)

// Op is the Handler of an operation that takes its input decoded from the JSON body (see
// DecodeJSON): the table row of an awsJson operation is `"Name": awsproto.Op((*S).name)`.
func Op[S, In any](f func(S, *In) (any, error)) Handler[S] {
	return func(s S, r *http.Request) (any, error) {
		in := new(In)
		if err := DecodeJSON(r, in); err != nil {
			return nil, err
		}
		return f(s, in)
	}
}

// JSONService answers the operations of one awsJson service, named by X-Amz-Target.
type JSONService[S any] struct {
	Prefix   string // X-Amz-Target prefix, e.g. "AmazonSSM."
	Protocol JSON
	Ops      map[string]Handler[S]
}

// Serve dispatches req to the operation its X-Amz-Target names.
func (sv *JSONService[S]) Serve(s S, w http.ResponseWriter, req *http.Request) {
	w.Header().Set("x-amzn-RequestId", RequestID())
	target := req.Header.Get("X-Amz-Target")
	name, hasPrefix := strings.CutPrefix(target, sv.Prefix)
	op, ok := sv.Ops[name]
	if req.Method != http.MethodPost || !hasPrefix || !ok {
		sv.Protocol.WriteError(w, req, Errorf(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", target))
		return
	}
	out, err := op(s, req)
	if err != nil {
		sv.Protocol.WriteError(w, req, err)
		return
	}
	if f, ok := out.(Streamed); ok {
		f(w)
		return
	}
	sv.Protocol.Write(w, out)
}

// Streamed is the output of an operation that writes its response itself (an event stream).
type Streamed func(http.ResponseWriter)

// DecodeJSON reads the JSON body into v; an unreadable body is a SerializationException.
//
// The body is read to its end, so that bytes after the JSON document are refused as AWS
// refuses them.
func DecodeJSON(req *http.Request, v any) error {
	body, err := readBody(req)
	if err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "could not read the request body: %v", err)
	}
	if err := unmarshal(body, v); err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "could not parse request body: %v", err)
	}
	return nil
}

// ReadJSON is DecodeJSON for protocols that phrase the failure themselves: it returns the
// read or parse error as it is.
func ReadJSON(req *http.Request, v any) error {
	body, err := readBody(req)
	if err != nil {
		return err
	}
	return unmarshal(body, v)
}

// readBody reads a JSON request body to its end, at most 1 MiB.
func readBody(req *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(nil, req.Body, 1<<20))
}

// unmarshal decodes body into v; an empty body leaves v as it is.
func unmarshal(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return json.Unmarshal(body, v)
}

// Epoch is how awsJson encodes timestamps: seconds since the epoch, fractional.
type Epoch time.Time

// MarshalJSON implements json.Marshaler.
func (t Epoch) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%.3f", float64(time.Time(t).UnixMilli())/1000)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*t = Epoch(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

// QueryService answers the operations of one awsQuery service, named by the Action parameter
// of a form-encoded POST or a GET's query string. An operation returns its result element
// (a struct whose XMLName is <ActionResult>).
type QueryService[S any] struct {
	Version  string // the API version, e.g. "2011-06-15"
	Protocol Query
	Ops      map[string]func(S, url.Values) (any, error)
}

// Serve dispatches req to the operation its Action names.
func (sv *QueryService[S]) Serve(s S, w http.ResponseWriter, req *http.Request) {
	w.Header().Set("x-amzn-RequestId", RequestID())
	if err := req.ParseForm(); err != nil {
		sv.Protocol.WriteError(w, req, Errorf(http.StatusBadRequest, "MalformedQueryString", "could not parse the request: %v", err))
		return
	}
	action := req.Form.Get("Action")
	op, ok := sv.Ops[action]
	version := sv.Version
	if v := req.Form.Get("Version"); v != "" && ok {
		version = v
	}
	switch {
	case action == "":
		sv.Protocol.WriteError(w, req, Errorf(http.StatusBadRequest, "MissingAction", "Missing Action"))
		return
	case !ok || version != sv.Version:
		sv.Protocol.WriteError(w, req, Errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, version))
		return
	}
	out, err := op(s, req.Form)
	if err != nil {
		sv.Protocol.WriteError(w, req, err)
		return
	}
	sv.Protocol.Write(w, action, out)
}

// ---- REST protocols: restJson1, rest-xml, the registry ----

// Route is one row of a REST service's table: a method ("" for any), a path pattern, an
// optional condition on the rest of the request, and the operation.
//
// A pattern's segments are literals, {name} (one segment) or {name...} (one or more
// segments; when it is not last, it leaves the pattern's remaining segments to the end of
// the path). Matching uses the escaped path, so a percent-encoded slash stays inside its
// segment; the values, unescaped, are the request's PathValue(name). A trailing slash is
// ignored, except inside a {name...} that ends the pattern.
type Route[S any] struct {
	Method string
	Path   string
	If     func(*http.Request) bool
	Op     func(S, http.ResponseWriter, *http.Request) error
}

// Routes answers a REST service's requests by its table: the first row that matches runs.
type Routes[S any] struct {
	Protocol Protocol
	Table    []Route[S]
	// NotFound is the error for a request no row matches.
	NotFound func(*http.Request) error
}

// Serve runs the operation of the first row that matches req; its error goes to the
// protocol's encoder.
func (t *Routes[S]) Serve(s S, w http.ResponseWriter, req *http.Request) {
	if err := t.serve(s, w, req); err != nil {
		t.Protocol.WriteError(w, req, err)
	}
}

func (t *Routes[S]) serve(s S, w http.ResponseWriter, req *http.Request) error {
	path := req.URL.EscapedPath()
	for _, rt := range t.Table {
		if rt.Method != "" && rt.Method != req.Method {
			continue
		}
		vals, ok := Match(rt.Path, path)
		if !ok || (rt.If != nil && !rt.If(req)) {
			continue
		}
		for i := 0; i+1 < len(vals); i += 2 {
			v, err := url.PathUnescape(vals[i+1])
			if err != nil {
				return &Error{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf("invalid %s in path: %v", vals[i], err)}
			}
			req.SetPathValue(vals[i], v)
		}
		return rt.Op(s, w, req)
	}
	return t.NotFound(req)
}

// Match matches an escaped path against a pattern (see Route) and returns the names and raw
// values of its wildcards, in pairs.
func Match(pattern, path string) ([]string, bool) {
	pat := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return nil, false
	}
	if pattern == "/" {
		return nil, rest == ""
	}
	var vals []string
	for i, seg := range pat {
		if name, ok := strings.CutSuffix(seg, "...}"); ok && strings.HasPrefix(name, "{") {
			name = name[1:]
			if i == len(pat)-1 {
				if rest == "" {
					return nil, false
				}
				return append(vals, name, rest), true
			}
			// The remaining segments of the pattern match the end of the path.
			tail := strings.TrimSuffix(rest, "/")
			parts := strings.Split(tail, "/")
			n := len(pat) - i - 1
			if len(parts) <= n {
				return nil, false
			}
			v := strings.Join(parts[:len(parts)-n], "/")
			if v == "" {
				return nil, false
			}
			vals = append(vals, name, v)
			rest = strings.Join(parts[len(parts)-n:], "/")
			continue
		}
		if rest == "" {
			return nil, false
		}
		part, after, _ := strings.Cut(rest, "/")
		switch {
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			if part == "" {
				return nil, false
			}
			vals = append(vals, seg[1:len(seg)-1], part)
		case part != seg:
			return nil, false
		}
		rest = after
	}
	return vals, rest == ""
}

// HasQuery is a Route condition: the query string has parameter k (a sub-resource).
func HasQuery(k string) func(*http.Request) bool {
	return func(r *http.Request) bool { _, ok := r.URL.Query()[k]; return ok }
}

// QueryIs is a Route condition: query parameter k is v.
func QueryIs(k, v string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Get(k) == v }
}

// NoQuery is a Route condition: the request has no query string.
func NoQuery(r *http.Request) bool { return len(r.URL.Query()) == 0 }

// HasHeader is a Route condition: header k is set.
func HasHeader(k string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get(k) != "" }
}

// HasAnyQuery is a Route condition: the query string has one of the parameters keys.
func HasAnyQuery(keys ...string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		q := r.URL.Query()
		for _, k := range keys {
			if _, ok := q[k]; ok {
				return true
			}
		}
		return false
	}
}

// All is a Route condition: every one of conds holds.
func All(conds ...func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, c := range conds {
			if !c(r) {
				return false
			}
		}
		return true
	}
}
