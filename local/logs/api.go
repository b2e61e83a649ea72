package logs

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// TargetPrefix is the X-Amz-Target prefix of CloudWatch Logs.
const TargetPrefix = "Logs_20140328."

// api is the table of contents of the service: X-Amz-Target suffix → operation.
var api = &awsproto.JSONService[*Store]{Prefix: TargetPrefix, Protocol: awsproto.JSON{Version: "1.1", BothMessages: true, Internal: "ServiceUnavailableException"}, Ops: map[string]awsproto.Handler[*Store]{
	"CreateLogGroup":     awsproto.Op((*Store).opCreateLogGroup),
	"CreateLogStream":    awsproto.Op((*Store).opCreateLogStream),
	"DeleteLogGroup":     awsproto.Op((*Store).opDeleteLogGroup),
	"DeleteLogStream":    awsproto.Op((*Store).opDeleteLogStream),
	"DescribeLogGroups":  awsproto.Op((*Store).opDescribeLogGroups),
	"DescribeLogStreams": awsproto.Op((*Store).opDescribeLogStreams),
	"PutLogEvents":       awsproto.Op((*Store).opPutLogEvents),
	"GetLogEvents":       awsproto.Op((*Store).opGetLogEvents),
	"FilterLogEvents":    awsproto.Op((*Store).opFilterLogEvents),
	"PutRetentionPolicy": awsproto.Op((*Store).opPutRetentionPolicy),
	"StartLiveTail":      (*Store).opStartLiveTail,
}}

// ServeHTTP dispatches on X-Amz-Target.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) { api.Serve(s, w, r) }

// errorf returns a 400 error of the given code.
func errorf(code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, code, format, args...)
}

func invalidParam(format string, args ...any) error {
	return errorf("InvalidParameterException", format, args...)
}

var (
	errGroupNotFound  = errorf("ResourceNotFoundException", "The specified log group does not exist.")
	errStreamNotFound = errorf("ResourceNotFoundException", "The specified log stream does not exist.")
)

func (s *Store) arn(group string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.cfg.Region, s.cfg.Account, group)
}

// isGroupName is CloudWatch Logs' pattern for a group name, [\.\-_/#A-Za-z0-9]{1,512}, checked
// by hand: as a regexp its 512-fold repeat took ~5 ms to compile at every start of the binary.
func isGroupName(name string) bool {
	if len(name) < 1 || len(name) > 512 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == '_', c == '/', c == '#':
		default:
			return false
		}
	}
	return true
}

func validGroupName(name string) error {
	if !isGroupName(name) {
		return invalidParam("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length between 1 and 512", name)
	}
	return nil
}

func validStreamName(name string) error {
	if name == "" || len(name) > 512 || strings.ContainsAny(name, ":*") {
		return invalidParam("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]* and have length between 1 and 512", name)
	}
	return nil
}

// groupFor resolves logGroupName or logGroupIdentifier (a name or an ARN); the caller holds mu.
func (s *Store) groupFor(name, identifier string) (*group, error) {
	switch {
	case name != "" && identifier != "":
		return nil, invalidParam("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case identifier != "":
		name = identifier
		if rest, ok := strings.CutPrefix(identifier, "arn:"); ok {
			parts := strings.SplitN(rest, ":", 5)
			if len(parts) != 5 || !strings.HasPrefix(parts[4], "log-group:") {
				return nil, invalidParam("invalid logGroupIdentifier %q", identifier)
			}
			name = strings.TrimSuffix(strings.TrimPrefix(parts[4], "log-group:"), ":*")
		}
	case name == "":
		return nil, invalidParam("Either LogGroup name or LogGroup ARN must be provided.")
	}
	g := s.groups[name]
	if g == nil {
		return nil, errGroupNotFound
	}
	return g, nil
}

type createLogGroupInput struct {
	LogGroupName  string            `json:"logGroupName"`
	KmsKeyID      string            `json:"kmsKeyId"`
	Tags          map[string]string `json:"tags"`
	LogGroupClass string            `json:"logGroupClass"`
}

// lockGroup takes the store's lock (for writing when write) and resolves the log group of
// name or identifier (see groupFor); the caller calls unlock when done, error or not.
func (s *Store) lockGroup(write bool, name, identifier string) (g *group, unlock func(), err error) {
	unlock = s.mu.RUnlock
	if write {
		s.mu.Lock()
		unlock = s.mu.Unlock
	} else {
		s.mu.RLock()
	}
	g, err = s.groupFor(name, identifier)
	return g, unlock, err
}

// lockStream is lockGroup that also resolves the group's log stream streamName.
func (s *Store) lockStream(write bool, name, identifier, streamName string) (*group, *stream, func(), error) {
	g, unlock, err := s.lockGroup(write, name, identifier)
	if err != nil {
		return nil, nil, unlock, err
	}
	st := g.streams[streamName]
	if st == nil {
		return nil, nil, unlock, errStreamNotFound
	}
	return g, st, unlock, nil
}

func (s *Store) opCreateLogGroup(in *createLogGroupInput) (any, error) {
	if err := validGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.createGroup(in.LogGroupName, s.cfg.Now().UnixMilli()); err == errGroupExists {
		return nil, errorf("ResourceAlreadyExistsException", "The specified log group already exists")
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type createLogStreamInput struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

func (s *Store) opCreateLogStream(in *createLogStreamInput) (any, error) {
	if err := validStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	g, unlock, err := s.lockGroup(true, in.LogGroupName, "")
	defer unlock()
	if err != nil {
		return nil, err
	}
	if _, err := s.createStream(g, in.LogStreamName, s.cfg.Now().UnixMilli()); err == errStreamExists {
		return nil, errorf("ResourceAlreadyExistsException", "The specified log stream already exists")
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type deleteLogGroupInput struct {
	LogGroupName string `json:"logGroupName"`
}

func (s *Store) opDeleteLogGroup(in *deleteLogGroupInput) (any, error) {
	g, unlock, err := s.lockGroup(true, in.LogGroupName, "")
	defer unlock()
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.deleteGroup(g)
}

type deleteLogStreamInput struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

func (s *Store) opDeleteLogStream(in *deleteLogStreamInput) (any, error) {
	g, st, unlock, err := s.lockStream(true, in.LogGroupName, "", in.LogStreamName)
	defer unlock()
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.deleteStream(g, st)
}

type putRetentionPolicyInput struct {
	LogGroupName    string `json:"logGroupName"`
	RetentionInDays int32  `json:"retentionInDays"`
}

func (s *Store) opPutRetentionPolicy(in *putRetentionPolicyInput) (any, error) {
	g, unlock, err := s.lockGroup(true, in.LogGroupName, "")
	defer unlock()
	if err != nil {
		return nil, err
	}
	// Recorded and reported; the store's size bound, not the retention, decides what is kept.
	g.rec.RetentionInDays = in.RetentionInDays
	return struct{}{}, nil
}

// pageToken is an opaque position: the (timestamp, id) of the last event returned, or an
// offset into a listing.
func encodeToken(kind string, a, b int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(a, 10) + ":" + strconv.FormatInt(b, 10)))
}

func decodeToken(tok, kind string) (int64, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	parts := strings.Split(string(raw), ":")
	if err != nil || len(parts) != 3 || parts[0] != kind {
		return 0, 0, invalidParam("The specified nextToken is invalid.")
	}
	a, err1 := strconv.ParseInt(parts[1], 10, 64)
	b, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, invalidParam("The specified nextToken is invalid.")
	}
	return a, b, nil
}

func limitOf(l *int32, max int32) (int, error) {
	if l == nil {
		return int(max), nil
	}
	if *l < 1 || *l > max {
		return 0, invalidParam("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *l, max)
	}
	return int(*l), nil
}

type describeLogGroupsInput struct {
	LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
	LogGroupNamePattern string `json:"logGroupNamePattern"`
	NextToken           string `json:"nextToken"`
	Limit               *int32 `json:"limit"`
}

func (s *Store) opDescribeLogGroups(in *describeLogGroupsInput) (any, error) {
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, invalidParam("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit, err := limitOf(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var names []string
	for name := range s.groups {
		if strings.HasPrefix(name, in.LogGroupNamePrefix) && (in.LogGroupNamePattern == "" || strings.Contains(strings.ToLower(name), strings.ToLower(in.LogGroupNamePattern))) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	start := 0
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, invalidParam("The specified nextToken is invalid.")
		}
		start = sort.SearchStrings(names, string(raw)+"\x00")
	}
	type lg struct {
		LogGroupName      string `json:"logGroupName"`
		CreationTime      int64  `json:"creationTime"`
		RetentionInDays   int32  `json:"retentionInDays,omitempty"`
		MetricFilterCount int32  `json:"metricFilterCount"`
		Arn               string `json:"arn"`
		LogGroupArn       string `json:"logGroupArn"`
		StoredBytes       int64  `json:"storedBytes"`
		LogGroupClass     string `json:"logGroupClass"`
	}
	out := struct {
		LogGroups []lg   `json:"logGroups"`
		NextToken string `json:"nextToken,omitempty"`
	}{LogGroups: []lg{}}
	for i := start; i < len(names); i++ {
		if len(out.LogGroups) == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[i-1]))
			break
		}
		g := s.groups[names[i]]
		var stored int64
		for _, st := range g.streams {
			stored += st.bytes
		}
		out.LogGroups = append(out.LogGroups, lg{LogGroupName: g.name, CreationTime: g.rec.Created, RetentionInDays: g.rec.RetentionInDays,
			Arn: s.arn(g.name) + ":*", LogGroupArn: s.arn(g.name), StoredBytes: stored, LogGroupClass: "STANDARD"})
	}
	return out, nil
}

type describeLogStreamsInput struct {
	LogGroupName        string `json:"logGroupName"`
	LogGroupIdentifier  string `json:"logGroupIdentifier"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix"`
	OrderBy             string `json:"orderBy"`
	Descending          bool   `json:"descending"`
	NextToken           string `json:"nextToken"`
	Limit               *int32 `json:"limit"`
}

func (s *Store) opDescribeLogStreams(in *describeLogStreamsInput) (any, error) {
	limit, err := limitOf(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	switch in.OrderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		if in.LogStreamNamePrefix != "" {
			return nil, invalidParam("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", in.OrderBy)
	}
	g, unlock, err := s.lockGroup(false, in.LogGroupName, in.LogGroupIdentifier)
	defer unlock()
	if err != nil {
		return nil, err
	}
	var list []*stream
	for name, st := range g.streams {
		if strings.HasPrefix(name, in.LogStreamNamePrefix) {
			list = append(list, st)
		}
	}
	less := func(a, b *stream) bool { return a.name < b.name }
	if in.OrderBy == "LastEventTime" {
		less = func(a, b *stream) bool {
			if a.last != b.last {
				return a.last < b.last
			}
			return a.name < b.name
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if in.Descending {
			return less(list[j], list[i])
		}
		return less(list[i], list[j])
	})
	start := 0
	if in.NextToken != "" {
		off, _, err := decodeToken(in.NextToken, "s")
		if err != nil || off < 0 {
			return nil, invalidParam("The specified nextToken is invalid.")
		}
		start = int(min(off, int64(len(list))))
	}
	type ls struct {
		LogStreamName       string `json:"logStreamName"`
		CreationTime        int64  `json:"creationTime"`
		FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
		LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
		LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
		UploadSequenceToken string `json:"uploadSequenceToken"`
		Arn                 string `json:"arn"`
		StoredBytes         int64  `json:"storedBytes"`
	}
	out := struct {
		LogStreams []ls   `json:"logStreams"`
		NextToken  string `json:"nextToken,omitempty"`
	}{LogStreams: []ls{}}
	for i := start; i < len(list); i++ {
		if len(out.LogStreams) == limit {
			out.NextToken = encodeToken("s", int64(i), 0)
			break
		}
		st := list[i]
		e := ls{LogStreamName: st.name, CreationTime: st.created, UploadSequenceToken: "49039859" + fmt.Sprintf("%048d", st.count),
			Arn: s.arn(g.name) + ":log-stream:" + st.name}
		if st.count > 0 {
			first, last, ingest := st.first, st.last, st.lastIngest
			e.FirstEventTimestamp, e.LastEventTimestamp, e.LastIngestionTime = &first, &last, &ingest
		}
		out.LogStreams = append(out.LogStreams, e)
	}
	return out, nil
}

// Limits of PutLogEvents (CloudWatch Logs quotas).
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1048576
	eventOverhead  = 26
	maxEventBytes  = 1048576 - eventOverhead
)

type putLogEventsInput struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
	LogEvents     []struct {
		Timestamp *int64  `json:"timestamp"`
		Message   *string `json:"message"`
	} `json:"logEvents"`
	SequenceToken string `json:"sequenceToken"`
}

func (s *Store) opPutLogEvents(in *putLogEventsInput) (any, error) {
	if len(in.LogEvents) == 0 || len(in.LogEvents) > maxBatchEvents {
		return nil, invalidParam("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and %d", maxBatchEvents)
	}
	size := 0
	events := make([]Event, 0, len(in.LogEvents))
	for i, e := range in.LogEvents {
		if e.Timestamp == nil || e.Message == nil {
			return nil, invalidParam("1 validation error detected: logEvents.%d: timestamp and message are required", i+1)
		}
		if len(*e.Message) == 0 {
			return nil, invalidParam("1 validation error detected: Value '' at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, invalidParam("Log events in a single PutLogEvents request must be in chronological order.")
		}
		msg := *e.Message
		if len(msg) > maxEventBytes {
			msg = truncateUTF8(msg, maxEventBytes)
		}
		size += len(msg) + eventOverhead
		events = append(events, Event{Timestamp: *e.Timestamp, Message: msg})
	}
	if size > maxBatchBytes {
		return nil, invalidParam("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	g, st, unlock, err := s.lockStream(true, in.LogGroupName, "", in.LogStreamName)
	defer unlock()
	if err != nil {
		return nil, err
	}
	// Events older than 14 days or more than 2 hours ahead are rejected, as by AWS.
	now := s.cfg.Now().UnixMilli()
	tooOld, tooNew := -1, -1
	kept := events[:0]
	for i, e := range events {
		switch {
		case e.Timestamp < now-14*24*3600*1000:
			tooOld = i
		case e.Timestamp > now+2*3600*1000:
			if tooNew < 0 {
				tooNew = i
			}
		default:
			kept = append(kept, e)
		}
	}
	if err := s.append(g, st, kept); err != nil {
		return nil, err
	}
	type rejected struct {
		TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
		TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	}
	out := struct {
		NextSequenceToken     string    `json:"nextSequenceToken"`
		RejectedLogEventsInfo *rejected `json:"rejectedLogEventsInfo,omitempty"`
	}{NextSequenceToken: "49039859" + fmt.Sprintf("%048d", st.count)}
	if tooOld >= 0 || tooNew >= 0 {
		out.RejectedLogEventsInfo = &rejected{}
		if tooOld >= 0 {
			out.RejectedLogEventsInfo.TooOldLogEventEndIndex = &tooOld
		}
		if tooNew >= 0 {
			out.RejectedLogEventsInfo.TooNewLogEventStartIndex = &tooNew
		}
	}
	return out, nil
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type outEvent struct {
	LogStreamName string `json:"logStreamName,omitempty"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId,omitempty"`
}

// maxResponseBytes is the 1 MB a page of GetLogEvents or FilterLogEvents holds at most.
const maxResponseBytes = 1 << 20

type getLogEventsInput struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	LogStreamName      string `json:"logStreamName"`
	StartTime          *int64 `json:"startTime"`
	EndTime            *int64 `json:"endTime"`
	NextToken          string `json:"nextToken"`
	Limit              *int32 `json:"limit"`
	StartFromHead      *bool  `json:"startFromHead"`
}

func (s *Store) opGetLogEvents(in *getLogEventsInput) (any, error) {
	limit, err := limitOf(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	g, st, unlock, err := s.lockStream(true, in.LogGroupName, in.LogGroupIdentifier, in.LogStreamName)
	defer unlock()
	if err != nil {
		return nil, err
	}
	// The stream's events in (timestamp, id) order, within the time range.
	var evs []*event
	for i := range g.events {
		e := &g.events[i]
		if e.stream != st || (in.StartTime != nil && e.ts < *in.StartTime) || (in.EndTime != nil && e.ts >= *in.EndTime) {
			continue
		}
		evs = append(evs, e)
	}
	sortEvents(evs, g.sorted)
	// A position is an index boundary in evs, identified by the (ts, id) just after it.
	forward := in.StartFromHead != nil && *in.StartFromHead
	var lo, hi int
	switch {
	case strings.HasPrefix(in.NextToken, "f/"):
		ts, id, err := decodeToken(in.NextToken[2:], "g")
		if err != nil {
			return nil, err
		}
		lo = sort.Search(len(evs), func(i int) bool { return !before(evs[i], ts, uint64(id)) })
		hi = min(lo+limit, len(evs))
		forward = true
	case strings.HasPrefix(in.NextToken, "b/"):
		ts, id, err := decodeToken(in.NextToken[2:], "g")
		if err != nil {
			return nil, err
		}
		hi = sort.Search(len(evs), func(i int) bool { return !before(evs[i], ts, uint64(id)) })
		lo = max(hi-limit, 0)
		forward = false
	case in.NextToken != "":
		return nil, invalidParam("The specified nextToken is invalid.")
	case forward:
		lo, hi = 0, min(limit, len(evs))
	default:
		hi = len(evs)
		lo = max(hi-limit, 0)
	}
	out := struct {
		Events            []outEvent `json:"events"`
		NextForwardToken  string     `json:"nextForwardToken"`
		NextBackwardToken string     `json:"nextBackwardToken"`
	}{Events: []outEvent{}}
	size := 0
	page := evs[lo:hi]
	if forward {
		for i, e := range page {
			if size += len(e.msg) + eventOverhead; size > maxResponseBytes && i > 0 {
				hi = lo + i
				break
			}
		}
	} else {
		for i := len(page) - 1; i >= 0; i-- {
			if size += len(page[i].msg) + eventOverhead; size > maxResponseBytes && i < len(page)-1 {
				lo = lo + i + 1
				break
			}
		}
	}
	for _, e := range evs[lo:hi] {
		out.Events = append(out.Events, outEvent{Timestamp: e.ts, Message: e.msg, IngestionTime: e.ingest})
	}
	out.NextForwardToken = "f/" + positionToken(evs, hi)
	out.NextBackwardToken = "b/" + positionToken(evs, lo)
	return out, nil
}

// positionToken names the boundary before evs[i] (after the last event when i == len(evs)).
func positionToken(evs []*event, i int) string {
	if i < len(evs) {
		return encodeToken("g", evs[i].ts, int64(evs[i].id))
	}
	if len(evs) == 0 {
		return encodeToken("g", 0, 0)
	}
	last := evs[len(evs)-1]
	return encodeToken("g", last.ts, int64(last.id+1))
}

func before(e *event, ts int64, id uint64) bool {
	return e.ts < ts || (e.ts == ts && e.id < id)
}

func sortEvents(evs []*event, sorted bool) {
	if sorted {
		return // append order is (timestamp, id) order already
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].ts != evs[j].ts {
			return evs[i].ts < evs[j].ts
		}
		return evs[i].id < evs[j].id
	})
}

// FilterInput is FilterLogEvents' input.
type FilterInput struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       string   `json:"filterPattern"`
	NextToken           string   `json:"nextToken"`
	Limit               *int32   `json:"limit"`
	Interleaved         *bool    `json:"interleaved"`
	Unmask              bool     `json:"unmask"`
}

// FilterOutput is FilterLogEvents' output.
type FilterOutput struct {
	Events             []outEvent `json:"events"`
	SearchedLogStreams []struct{} `json:"searchedLogStreams"`
	NextToken          string     `json:"nextToken,omitempty"`
}

func (s *Store) opFilterLogEvents(in *FilterInput) (any, error) {
	return s.Filter(*in)
}

// Filter answers FilterLogEvents: the group's matching events in (timestamp, event id)
// order, a page at a time.
func (s *Store) Filter(in FilterInput) (*FilterOutput, error) {
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, invalidParam("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, invalidParam("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	limit, err := limitOf(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	match, err := compileFilter(in.FilterPattern)
	if err != nil {
		return nil, invalidParam("Invalid filter pattern: %v", err)
	}
	var afterTS int64
	var afterID uint64
	hasAfter := false
	if in.NextToken != "" {
		ts, id, err := decodeToken(in.NextToken, "e")
		if err != nil {
			return nil, err
		}
		afterTS, afterID, hasAfter = ts, uint64(id), true
	}
	g, unlock, err := s.lockGroup(false, in.LogGroupName, in.LogGroupIdentifier)
	defer unlock()
	if err != nil {
		return nil, err
	}
	var only map[*stream]bool
	if len(in.LogStreamNames) > 0 {
		only = map[*stream]bool{}
		for _, n := range in.LogStreamNames {
			st := g.streams[n]
			if st == nil {
				return nil, errStreamNotFound
			}
			only[st] = true
		}
	}
	events := g.events
	if g.sorted && in.StartTime != nil {
		i := sort.Search(len(events), func(i int) bool { return events[i].ts >= *in.StartTime })
		events = events[i:]
	}
	if g.sorted && hasAfter {
		i := sort.Search(len(events), func(i int) bool { return !before(&events[i], afterTS, afterID+1) })
		events = events[i:]
	}
	var hits []*event
	for i := range events {
		e := &events[i]
		if in.StartTime != nil && e.ts < *in.StartTime {
			continue
		}
		if in.EndTime != nil && e.ts > *in.EndTime {
			if g.sorted {
				break
			}
			continue
		}
		if hasAfter && before(e, afterTS, afterID+1) {
			continue
		}
		if only != nil && !only[e.stream] {
			continue
		}
		if in.LogStreamNamePrefix != "" && !strings.HasPrefix(e.stream.name, in.LogStreamNamePrefix) {
			continue
		}
		if !match(e.msg) {
			continue
		}
		hits = append(hits, e)
		if g.sorted && len(hits) > limit {
			break // one more than a page tells that there is a next page
		}
	}
	sortEvents(hits, g.sorted)
	out := &FilterOutput{Events: []outEvent{}, SearchedLogStreams: []struct{}{}}
	size := 0
	for i, e := range hits {
		if i == limit || (size+len(e.msg)+eventOverhead > maxResponseBytes && i > 0) {
			prev := hits[i-1]
			out.NextToken = encodeToken("e", prev.ts, int64(prev.id))
			break
		}
		size += len(e.msg) + eventOverhead
		out.Events = append(out.Events, outEvent{LogStreamName: e.stream.name, Timestamp: e.ts, Message: e.msg,
			IngestionTime: e.ingest, EventID: fmt.Sprintf("%056d", e.id)})
	}
	return out, nil
}
