package logs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream/eventstreamapi"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// StartLiveTail, as AWS serves it: an awsJson1_1 operation whose output is an event stream
// (application/vnd.amazon.eventstream): the initial-response event (the output's members
// other than the stream: none), sessionStart, then sessionUpdate events carrying the events
// appended since the session started, pushed as they are appended, and an empty update every
// LiveTailHeartbeat when nothing came (AWS sends one a second). The session ends with a
// SessionTimeoutException after LiveTailTimeout (three hours, as AWS), when the client goes
// away, or with a SessionStreamingException when the endpoint stops.
//
// The API model puts the operation on a host prefix (aws-sdk-go-v2 and botocore send it to
// "stream-" before the endpoint's host); a client of the local endpoint turns host prefixes off: aws-sdk-go-v2 with
// smithyhttp.DisableEndpointHostPrefix(ctx, true) (see builtins/logs), botocore with
// Config(inject_host_prefix=False).

// LiveTailTimeout is how long a live tail session lasts (AWS: three hours).
var LiveTailTimeout = 3 * time.Hour

// LiveTailHeartbeat is how often a session with nothing new sends an empty sessionUpdate.
var LiveTailHeartbeat = time.Second

// liveTailMaxEvents is the most events one sessionUpdate carries (AWS samples down to 500 a
// second; here more are sent in further updates, none dropped, sampled stays false).
const liveTailMaxEvents = 500

type liveTailInput struct {
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
	LogStreamNames        []string `json:"logStreamNames"`
	LogStreamNamePrefixes []string `json:"logStreamNamePrefixes"`
	LogEventFilterPattern *string  `json:"logEventFilterPattern"`
}

type liveTailEvent struct {
	LogStreamName      string `json:"logStreamName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	Message            string `json:"message"`
	Timestamp          int64  `json:"timestamp"`
	IngestionTime      int64  `json:"ingestionTime"`
}

// tailed is one log group of a session and the last event id it has sent of it.
type tailed struct {
	ident string // as the caller named it
	g     *group
	last  uint64
	has   bool
}

func (s *Store) opStartLiveTail(r *http.Request) (any, error) {
	in := new(liveTailInput)
	if err := awsproto.DecodeJSON(r, in); err != nil {
		return nil, err
	}
	switch {
	case len(in.LogGroupIdentifiers) == 0:
		return nil, invalidParam("1 validation error detected: Value null at 'logGroupIdentifiers' failed to satisfy constraint: Member must not be null")
	case len(in.LogGroupIdentifiers) > 10:
		return nil, invalidParam("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length less than or equal to 10")
	case len(in.LogStreamNames) > 0 && len(in.LogStreamNamePrefixes) > 0:
		return nil, invalidParam("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
	case len(in.LogStreamNames) > 100:
		return nil, invalidParam("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	case len(in.LogStreamNamePrefixes) > 5:
		return nil, invalidParam("1 validation error detected: Value at 'logStreamNamePrefixes' failed to satisfy constraint: Member must have length less than or equal to 5")
	case (len(in.LogStreamNames) > 0 || len(in.LogStreamNamePrefixes) > 0) && len(in.LogGroupIdentifiers) != 1:
		return nil, invalidParam("logStreamNames and logStreamNamePrefixes can be given only with exactly one log group in logGroupIdentifiers.")
	}
	pattern := ""
	if in.LogEventFilterPattern != nil {
		pattern = *in.LogEventFilterPattern
	}
	match, err := compileFilter(pattern)
	if err != nil {
		return nil, invalidParam("Invalid filter pattern: %v", err)
	}
	names := map[string]bool{}
	for _, n := range in.LogStreamNames {
		names[n] = true
	}
	keep := func(stream string) bool {
		if len(in.LogStreamNames) > 0 {
			return names[stream]
		}
		if len(in.LogStreamNamePrefixes) > 0 {
			for _, p := range in.LogStreamNamePrefixes {
				if strings.HasPrefix(stream, p) {
					return true
				}
			}
			return false
		}
		return true
	}
	s.mu.RLock()
	var groups []*tailed
	for _, ident := range in.LogGroupIdentifiers {
		if strings.HasSuffix(ident, "*") {
			s.mu.RUnlock()
			return nil, invalidParam("The log group ARN %s can't end with an asterisk (*).", ident)
		}
		g, err := s.groupFor("", ident)
		if err != nil {
			s.mu.RUnlock()
			return nil, err
		}
		t := &tailed{ident: ident, g: g}
		if n := len(g.events); n > 0 {
			t.last, t.has = g.events[n-1].id, true
		}
		groups = append(groups, t)
	}
	changed := s.changed
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, awsproto.Errorf(http.StatusBadRequest, "ServiceUnavailableException", "the endpoint is stopping")
	}
	return awsproto.Streamed(func(w http.ResponseWriter) { s.liveTail(w, r, *in, groups, keep, match, changed) }), nil
}

func (s *Store) liveTail(w http.ResponseWriter, r *http.Request, in liveTailInput, groups []*tailed, keep func(string) bool, match matcher, changed chan struct{}) {
	enc := eventstream.NewEncoder()
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	send := func(kind, name string, v any) bool {
		payload, _ := json.Marshal(v)
		var msg eventstream.Message
		msg.Headers.Set(eventstreamapi.MessageTypeHeader, eventstream.StringValue(kind))
		if kind == eventstreamapi.ExceptionMessageType {
			msg.Headers.Set(eventstreamapi.ExceptionTypeHeader, eventstream.StringValue(name))
		} else {
			msg.Headers.Set(eventstreamapi.EventTypeHeader, eventstream.StringValue(name))
		}
		msg.Headers.Set(eventstreamapi.ContentTypeHeader, eventstream.StringValue("application/json"))
		msg.Payload = payload
		var buf bytes.Buffer
		if err := enc.Encode(&buf, msg); err != nil {
			return false
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	if !send(eventstreamapi.EventMessageType, "initial-response", struct{}{}) {
		return
	}
	idents := make([]string, len(groups))
	for i, t := range groups {
		idents[i] = t.ident
	}
	start := map[string]any{"requestId": w.Header().Get("x-amzn-RequestId"), "sessionId": awsproto.RequestID(),
		"logGroupIdentifiers": idents}
	if len(in.LogStreamNames) > 0 {
		start["logStreamNames"] = in.LogStreamNames
	}
	if len(in.LogStreamNamePrefixes) > 0 {
		start["logStreamNamePrefixes"] = in.LogStreamNamePrefixes
	}
	if in.LogEventFilterPattern != nil {
		start["logEventFilterPattern"] = *in.LogEventFilterPattern
	}
	if !send(eventstreamapi.EventMessageType, "sessionStart", start) {
		return
	}
	timeout := time.NewTimer(LiveTailTimeout)
	defer timeout.Stop()
	beat := time.NewTicker(LiveTailHeartbeat)
	defer beat.Stop()
	update := func(evs []liveTailEvent) bool {
		if evs == nil {
			evs = []liveTailEvent{}
		}
		return send(eventstreamapi.EventMessageType, "sessionUpdate", map[string]any{
			"sessionMetadata": map[string]bool{"sampled": false}, "sessionResults": evs})
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-timeout.C:
			send(eventstreamapi.ExceptionMessageType, "SessionTimeoutException",
				map[string]string{"message": "Live Tail session timed out after " + LiveTailTimeout.String()})
			return
		case <-beat.C:
			if !update(nil) {
				return
			}
		case <-changed:
			var evs []liveTailEvent
			s.mu.RLock()
			changed = s.changed
			closed := s.closed
			for _, t := range groups {
				if s.groups[t.g.name] != t.g {
					continue // deleted: nothing more comes from it
				}
				evs = t.collect(evs, keep, match)
			}
			s.mu.RUnlock()
			for len(evs) > 0 {
				n := min(len(evs), liveTailMaxEvents)
				if !update(evs[:n]) {
					return
				}
				evs = evs[n:]
			}
			beat.Reset(LiveTailHeartbeat)
			if closed {
				send(eventstreamapi.ExceptionMessageType, "SessionStreamingException",
					map[string]string{"message": "the endpoint is stopping"})
				return
			}
		}
	}
}

// collect appends the group's events after the last one sent that the session keeps, and
// moves the mark; the caller holds mu. Event ids grow in append order, so the new events are
// the tail of g.events with ids above the mark (whatever older events were dropped).
func (t *tailed) collect(out []liveTailEvent, keep func(string) bool, match matcher) []liveTailEvent {
	evs := t.g.events
	i := len(evs)
	for i > 0 && (!t.has || evs[i-1].id > t.last) {
		i--
	}
	for _, e := range evs[i:] {
		if keep(e.stream.name) && match(e.msg) {
			out = append(out, liveTailEvent{LogStreamName: e.stream.name, LogGroupIdentifier: t.ident,
				Message: e.msg, Timestamp: e.ts, IngestionTime: e.ingest})
		}
	}
	if n := len(evs); n > 0 {
		t.last, t.has = evs[n-1].id, true
	}
	return out
}
