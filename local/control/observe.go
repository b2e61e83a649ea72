package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/agentcore/agentcore/local/logs"
)

// What AgentCore Runtime does with an agent's output, and what the local endpoint copies:
//
//   - stdout and stderr go to the log group /aws/bedrock-agentcore/runtimes/<agentRuntimeId>-<endpointName>,
//     one per endpoint, in streams named "YYYY/MM/DD/[runtime-logs]<id>"; OTEL structured logs
//     go to the stream otel-rt-logs of the same group
//     (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-view.html,
//     "Application log data" in https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-runtime-metrics.html);
//   - locally, <id> is the session id when exactly one invocation was in flight on the agent's
//     instance when the line was written, and the instance id otherwise (the container's id, 12
//     hex digits, or host-<pid> for a code version run as a host process).

// RuntimeLogGroup is the log group of a runtime's endpoint.
func RuntimeLogGroup(runtimeID, endpoint string) string {
	return "/aws/bedrock-agentcore/runtimes/" + runtimeID + "-" + endpoint
}

// OTELStream is the stream of structured (OTEL) runtime logs in a runtime's log groups.
const OTELStream = "otel-rt-logs"

// RuntimeLogStream is the stream of stdout/stderr lines written at t by id (session or instance).
func RuntimeLogStream(t time.Time, id string) string {
	return t.UTC().Format("2006/01/02") + "/[runtime-logs]" + id
}

// AgentInfo describes an agent being started, for Config.AgentEnv.
type AgentInfo struct {
	RuntimeID   string
	RuntimeName string
	RuntimeArn  string
	Version     int
	Container   bool     // a container (else a host process)
	LogGroups   []string // of the endpoints serving or about to serve the version
}

// Workloads is the workload identity directory (local/identity), for Config.Workloads.
type Workloads interface {
	EnsureRuntimeWorkload(runtimeID, name string) (arn string, err error)
	RemoveRuntimeWorkload(runtimeID, name string) error
}

// RuntimeExists tells whether an agent runtime exists and is not being deleted: the sandbox
// credentials of one that does not are refused (local/auth).
func (s *Service) RuntimeExists(id string) bool {
	rt, err := s.store.cachedRuntime(id)
	return err == nil && rt.Status != statusDeleting
}

// RuntimeEnvValues lists the values of the environment variables of every version of a
// runtime: the secrets an agent is given by ARN or name there are the ones its sandbox
// credentials may read (local/agentcreds.go).
func (s *Service) RuntimeEnvValues(id string) []string {
	rt, err := s.store.cachedRuntime(id)
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range rt.Versions {
		for _, val := range v.Config.EnvironmentVariables {
			out = append(out, val)
		}
	}
	return out
}

// Invocation is one InvokeAgentRuntime as seen by the endpoint, for Config.Observe.
type Invocation struct {
	RuntimeID, RuntimeName, RuntimeArn, Endpoint string
	SessionID                                    string
	NewSession                                   bool
	Start                                        time.Time
	FirstByte                                    time.Time // zero when nothing was sent
	End                                          time.Time
	Status                                       int // the HTTP status answered
	ErrorType                                    string
}

// LogGroups lists the log groups of the endpoints that serve (or are being moved to) a version.
func (s *Service) LogGroups(runtimeID string, version int) []string {
	eps, err := s.store.endpoints(runtimeID)
	if err != nil {
		return nil
	}
	v := itoa(version)
	var out []string
	for _, e := range eps {
		if e.Status == statusDeleting {
			continue
		}
		if e.LiveVersion == v || e.TargetVersion == v {
			out = append(out, RuntimeLogGroup(runtimeID, e.Name))
		}
	}
	sort.Strings(out)
	return out
}

// agentEnv is what the observability of an agent needs in its environment (Config.AgentEnv).
func (s *Service) agentEnv(runtimeID string, version int, container bool) []string {
	if s.cfg.AgentEnv == nil {
		return nil
	}
	info := AgentInfo{RuntimeID: runtimeID, Version: version, Container: container, RuntimeArn: s.runtimeArn(runtimeID),
		LogGroups: s.LogGroups(runtimeID, version)}
	if rt, err := s.store.cachedRuntime(runtimeID); err == nil {
		info.RuntimeName = rt.Name
	}
	return s.cfg.AgentEnv(info)
}

// ---- invocations in flight, for session attribution ----

type call struct {
	session    string
	start, end time.Time // end zero while in flight
}

// activity keeps a version's invocations in flight and those ended in the last minute. A log
// line is attributed by sessionAt, which the feeders call for every line: it looks at the calls
// in flight (a few) and, newest first, at the ended calls until one ended before the line, so
// it does not scan a busy minute of calls per line under the lock that begin and end take on
// the invoke path.
type activity struct {
	mu     sync.Mutex
	open   []*call   // in flight
	ended  []*call   // in the order they ended
	pruned time.Time // when ended was last pruned
}

func (s *Service) activityOf(runtimeID string, version int) *activity {
	key := containerName(runtimeID, version)
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	if s.acts == nil {
		s.acts = map[string]*activity{}
	}
	a := s.acts[key]
	if a == nil {
		a = &activity{}
		s.acts[key] = a
	}
	return a
}

// begin records a call of session in flight; the function returned ends it.
func (a *activity) begin(session string) func() {
	now := time.Now()
	c := &call{session: session, start: now}
	a.mu.Lock()
	// Forget calls that ended more than a minute ago, at most once a second.
	if now.Sub(a.pruned) >= time.Second {
		a.pruned = now
		i := 0
		for i < len(a.ended) && now.Sub(a.ended[i].end) >= time.Minute {
			i++
		}
		clear(a.ended[:i])
		a.ended = a.ended[i:]
	}
	a.open = append(a.open, c)
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		c.end = time.Now()
		for i, o := range a.open {
			if o == c {
				copy(a.open[i:], a.open[i+1:])
				a.open[len(a.open)-1] = nil
				a.open = a.open[:len(a.open)-1]
				break
			}
		}
		a.ended = append(a.ended, c)
	}
}

// sessionAt is the session of the one invocation in flight at t ("" when none or several);
// slack widens each invocation's end, for sources whose times are when a line was read
// rather than written.
func (a *activity) sessionAt(t time.Time, slack time.Duration) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	found := ""
	for _, c := range a.open {
		if !t.Before(c.start) {
			if found != "" {
				return ""
			}
			found = c.session
		}
	}
	for i := len(a.ended) - 1; i >= 0; i-- {
		c := a.ended[i]
		if t.After(c.end.Add(slack)) {
			break // every call before it ended earlier still
		}
		if !t.Before(c.start) {
			if found != "" {
				return ""
			}
			found = c.session
		}
	}
	return found
}

// ---- following output ----

type line struct {
	t   time.Time
	pos int64 // the source's position after the line (log timestamp in ns, or file offset)
	msg string
}

// feeder writes one source's lines into the log groups of its version, batching what arrives
// within 50 ms, each group's batch in one write together with the source's position.
type feeder struct {
	s          *Service
	key        string // cursor key: "container:<id>" or "process:<runtime>/v<n>"
	instance   string
	runtimeID  string
	version    int
	act        *activity
	slack      time.Duration // see activity.sessionAt
	groups     []string
	groupsRead time.Time
	cursors    map[string]int64
}

func (s *Service) newFeeder(key, instance, runtimeID string, version int) *feeder {
	return &feeder{s: s, key: key, instance: instance, runtimeID: runtimeID, version: version,
		act: s.activityOf(runtimeID, version), cursors: map[string]int64{}}
}

func (f *feeder) currentGroups() []string {
	if time.Since(f.groupsRead) > 2*time.Second {
		f.groups, f.groupsRead = f.s.LogGroups(f.runtimeID, f.version), time.Now()
		for _, g := range f.groups {
			if _, ok := f.cursors[g]; !ok {
				f.cursors[g] = f.s.cfg.Logs.Cursor(g, f.key)
			}
		}
	}
	return f.groups
}

// since is the lowest position every group has (where reading must resume).
func (f *feeder) since() int64 {
	groups := f.currentGroups()
	if len(groups) == 0 {
		return 0
	}
	lo := int64(-1)
	for _, g := range groups {
		if c := f.cursors[g]; lo < 0 || c < lo {
			lo = c
		}
	}
	return lo
}

func (f *feeder) write(lines []line) {
	if len(lines) == 0 {
		return
	}
	for _, g := range f.currentGroups() {
		streams := map[string][]logs.Event{}
		cur := f.cursors[g]
		for _, l := range lines {
			if l.pos <= cur {
				continue // written before a restart
			}
			id := f.act.sessionAt(l.t, f.slack)
			if id == "" {
				id = f.instance
			}
			name := RuntimeLogStream(l.t, id)
			streams[name] = append(streams[name], logs.Event{Timestamp: l.t.UnixMilli(), Message: l.msg})
		}
		pos := lines[len(lines)-1].pos
		if pos <= cur {
			continue
		}
		if err := f.s.cfg.Logs.PutTracked(g, streams, f.key, pos); err != nil {
			f.s.cfg.Logf("control: writing the output of %s to %s: %v", f.instance, g, err)
			continue
		}
		f.cursors[g] = pos
	}
}

// run batches lines from ch until it closes.
func (f *feeder) run(ch <-chan line) {
	var batch []line
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				f.write(batch)
				return
			}
			batch = append(batch, l)
			if len(batch) >= 1000 {
				f.write(batch)
				batch = nil
			}
		case <-tick.C:
			f.write(batch)
			batch = nil
		}
	}
}

// claim marks a source as followed; false when it already is.
func (s *Service) claim(key string) bool {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	if s.following == nil {
		s.following = map[string]bool{}
	}
	if s.following[key] {
		return false
	}
	s.following[key] = true
	return true
}

func (s *Service) release(key string) {
	s.obsMu.Lock()
	delete(s.following, key)
	s.obsMu.Unlock()
}

// followContainer copies a container's output into the log groups of its version for as long
// as it runs, resuming after the last line written (Docker's log timestamps).
func (s *Service) followContainer(id, runtimeID string, version int) {
	if s.cfg.Logs == nil || !s.claim("container:"+id) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release("container:" + id)
		f := s.newFeeder("container:"+id, id[:min(12, len(id))], runtimeID, version)
		// Docker times a line when the engine receives it, which can be after the answer the
		// line came before has reached the endpoint.
		f.slack = 250 * time.Millisecond
		for s.ctx.Err() == nil {
			err := s.readContainer(f, id)
			if s.ctx.Err() != nil {
				return
			}
			info, ierr := s.cfg.Docker.ContainerInspect(s.ctx, id)
			if ierr != nil || info.State == nil || !info.State.Running {
				// Gone or stopped: the session it served has ended (its address may go to
				// another container on the agents' network).
				s.sandboxGone(id)
				return
			}
			if err != nil {
				s.cfg.Logf("control: following the output of container %s: %v", id[:min(12, len(id))], err)
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
}

func (s *Service) readContainer(f *feeder, id string) error {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	if since := f.since(); since > 0 {
		t := time.Unix(0, since)
		opts.Since = fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
	}
	rc, err := s.cfg.Docker.ContainerLogs(s.ctx, id, opts)
	if err != nil {
		return err
	}
	defer rc.Close()
	ch := make(chan line, 1024)
	done := make(chan struct{})
	go func() {
		f.run(ch)
		close(done)
	}()
	out, errw := &lineWriter{ch: ch}, &lineWriter{ch: ch}
	_, err = stdcopy.StdCopy(out, errw, rc)
	out.flush()
	errw.flush()
	close(ch)
	<-done
	if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// lineWriter cuts Docker's timestamped output into lines. stdcopy writes one frame a call, and
// each frame is one log entry, "TIMESTAMP text": a line longer than Docker's 16 KiB buffer
// comes as several entries, each with its own timestamp, only the last ending in a newline.
type lineWriter struct {
	ch      chan<- line
	partial []byte    // text of a line whose end has not come yet
	t       time.Time // time of its first part
}

func (w *lineWriter) Write(p []byte) (int, error) {
	ts, text, ok := strings.Cut(string(p), " ")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil {
		t, text = time.Now(), string(p)
	}
	if len(w.partial) == 0 {
		w.t = t
	}
	for {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			break
		}
		w.partial = append(w.partial, text[:i]...)
		w.emit(string(w.partial), w.t, t)
		w.partial, w.t = w.partial[:0], t
		text = text[i+1:]
	}
	w.partial = append(w.partial, text...)
	return len(p), nil
}

func (w *lineWriter) flush() {
	if len(w.partial) > 0 {
		w.emit(string(w.partial), w.t, w.t)
		w.partial = nil
	}
}

// emit sends a line written at t whose last part was logged at last (its position).
func (w *lineWriter) emit(msg string, t, last time.Time) {
	msg = strings.TrimRight(msg, "\r")
	if msg == "" {
		return // CloudWatch Logs keeps no empty events
	}
	w.ch <- line{t: t, pos: last.UnixNano(), msg: msg}
}

// filePoll is how often a host process's output file is read.
const filePoll = 100 * time.Millisecond

// followFile copies a host process's output (its log file, which outlives the endpoint) into
// the log groups of its version, polling every 100 ms, resuming at the byte offset written last.
func (s *Service) followFile(path, runtimeID string, version, pid int) {
	key := "process:" + path
	if s.cfg.Logs == nil || !s.claim(key) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release(key)
		f := s.newFeeder(key, fmt.Sprintf("host-%d", pid), runtimeID, version)
		f.slack = 250 * time.Millisecond // a line is timed when it is read: up to a poll (100 ms) after it was written
		ch := make(chan line, 1024)
		done := make(chan struct{})
		go func() {
			f.run(ch)
			close(done)
		}()
		defer func() {
			close(ch)
			<-done
		}()
		off := f.since()
		tick := time.NewTicker(filePoll)
		defer tick.Stop()
		missing := 0
		for {
			st, err := os.Stat(path)
			if err != nil {
				if missing++; missing > 20 {
					return // the version's files were removed
				}
			} else {
				missing = 0
				if st.Size() < off {
					off = 0 // replaced
				}
				if st.Size() > off {
					off = readLines(path, off, ch)
				}
			}
			select {
			case <-s.ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// readLines sends the whole lines of path from off on and returns the offset after them.
func readLines(path string, off int64, ch chan<- line) int64 {
	fh, err := os.Open(path)
	if err != nil {
		return off
	}
	defer fh.Close()
	if _, err := fh.Seek(off, io.SeekStart); err != nil {
		return off
	}
	r := bufio.NewReaderSize(fh, 64<<10)
	now := time.Now()
	for {
		s, err := r.ReadString('\n')
		if err != nil {
			return off // a partial last line waits for its end
		}
		off += int64(len(s))
		msg := strings.TrimRight(s, "\r\n")
		if msg == "" || strings.HasPrefix(msg, "--- ") {
			continue // the endpoint's own markers
		}
		ch <- line{t: now, pos: off, msg: msg}
	}
}

// resumeFollowing follows the output of every agent already running (at Start).
func (s *Service) resumeFollowing(ctx context.Context) {
	if s.cfg.Logs == nil {
		return
	}
	found, err := s.run.find(ctx, "", 0)
	if err == nil {
		for _, c := range found {
			if c.State != "running" {
				continue
			}
			var v int
			fmt.Sscan(c.Labels[LabelVersion], &v)
			s.followContainer(c.ID, c.Labels[LabelRuntime], v)
		}
	}
	if recs, err := s.store.processes(""); err == nil {
		for _, rec := range recs {
			if rec.Log != "" {
				s.followFile(rec.Log, rec.RuntimeID, rec.Version, rec.PID)
			}
		}
	}
}

// ---- per-invocation records ----

// statusWriter remembers the status and the time of the first byte of an answer.
type statusWriter struct {
	http.ResponseWriter
	status    int
	firstByte time.Time
	// left is what remains of a sized answer (-1: not sized, or not known yet); lastByte is
	// called once, before the write that completes it (records.reserveRecord).
	left     int64
	lastByte func()
	reserved bool
}

// sized tells the writer the answer's length (its Content-Length), before WriteHeader.
func (w *statusWriter) sized(n int64) { w.left = n }

func (w *statusWriter) complete() {
	if !w.reserved && w.lastByte != nil {
		w.reserved = true
		w.lastByte()
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.firstByte = time.Now()
		if w.left == 0 {
			w.complete()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.left > 0 {
		if int64(len(p)) >= w.left {
			w.complete()
		}
		w.left -= int64(len(p))
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recordInvocations writes each invocation's structured runtime log (stream otel-rt-logs),
// one append per run of the same log group, and hands it to Config.Observe (metrics).
func (s *Service) recordInvocations(invs []Invocation) {
	var group string
	var events []logs.Event
	put := func() {
		if len(events) == 0 {
			return
		}
		if err := s.cfg.Logs.Put(group, OTELStream, events); err != nil {
			s.cfg.Logf("control: writing the runtime log of an invocation: %v", err)
		}
		events = nil
	}
	for _, inv := range invs {
		if s.cfg.Observe != nil {
			s.cfg.Observe(inv)
		}
		if s.cfg.Logs == nil || inv.RuntimeID == "" || inv.Endpoint == "" {
			continue
		}
		g := RuntimeLogGroup(inv.RuntimeID, inv.Endpoint)
		if g != group {
			put()
			group = g
		}
		events = append(events, s.invocationEvent(inv, g))
	}
	put()
}

// invocationEvent is the runtime log's line for inv: an OTEL log record as JSON.
func (s *Service) invocationEvent(inv Invocation, group string) logs.Event {
	severity, number := "INFO", 9
	body := fmt.Sprintf("InvokeAgentRuntime completed with HTTP %d in %d ms", inv.Status, inv.End.Sub(inv.Start).Milliseconds())
	if inv.ErrorType != "" {
		severity, number = "ERROR", 17
		body = fmt.Sprintf("InvokeAgentRuntime failed with HTTP %d (%s) in %d ms", inv.Status, inv.ErrorType, inv.End.Sub(inv.Start).Milliseconds())
	}
	attrs := map[string]any{
		"session.id":                inv.SessionID,
		"aws.agentcore.endpoint":    inv.Endpoint,
		"aws.operation":             "InvokeAgentRuntime",
		"http.response.status_code": inv.Status,
		"duration_ms":               inv.End.Sub(inv.Start).Milliseconds(),
	}
	if inv.ErrorType != "" {
		attrs["error.type"] = inv.ErrorType
	}
	rec := map[string]any{
		"timestamp":         inv.End.UnixNano(),
		"observedTimestamp": inv.End.UnixNano(),
		"severityText":      severity,
		"severityNumber":    number,
		"body":              body,
		"attributes":        attrs,
		"resource": map[string]any{"attributes": map[string]any{
			"service.name":        inv.RuntimeName,
			"cloud.provider":      "aws",
			"cloud.platform":      "aws_bedrock_agentcore",
			"cloud.region":        s.cfg.Region,
			"cloud.resource_id":   inv.RuntimeArn,
			"aws.log.group.names": group,
		}},
		"scope": map[string]any{"name": "agentcore-local"},
	}
	b, _ := json.Marshal(rec)
	return logs.Event{Timestamp: inv.End.UnixMilli(), Message: string(b)}
}
