package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/bkstatus"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// A BuildKit build's stream carries, instead of text, "moby.buildkit.trace" messages whose aux
// is a StatusResponse (base64 protobuf): the steps (vertexes) as they start and finish, their
// output, and sub-task progress. buildkitLog turns those into the same ui events the classic
// stream gives: one line when a step starts, its output, one line when it is done (or
// cached), and, when it fails, an error naming the step with its last output lines.

// bkStep is what buildkitLog remembers about a vertex.
type bkStep struct {
	name             string
	started, done    bool
	partial          string   // output not yet ended by a newline
	output           []string // the last output lines, for the error
	err              string
	startedAt, ended time.Time
}

// stepName matches the vertexes that are Dockerfile instructions: "[2/3] COPY . /" or, in a
// multi-stage build, "[build 2/4] RUN go build".
var stepName = lazyregexp.New(`^\[([^\]]*\d+/\d+)\] (.*)$`)

type bkLog struct {
	out     *engine.Output
	branch  string
	steps   map[string]*bkStep // by vertex digest
	order   []string           // digests in the order they appeared
	last    string             // the vertex of the last line shown
	lastBar map[string]time.Time
}

// buildkitLog reads a BuildKit build stream and returns the image ID.
func buildkitLog(ctx context.Context, r io.Reader, out *engine.Output, branch string) (string, error) {
	l := &bkLog{out: out, branch: branch, steps: map[string]*bkStep{}, lastBar: map[string]time.Time{}}
	var id string
	err := readMessages(ctx, r, "build", func(m jsonmessage.JSONMessage) error {
		switch {
		case m.ID == "moby.buildkit.trace" && m.Aux != nil:
			var raw []byte // a JSON string: base64
			if err := json.Unmarshal(*m.Aux, &raw); err != nil {
				return fmt.Errorf("reading the build output: a BuildKit trace that is not base64: %w", err)
			}
			s, err := bkstatus.Decode(raw)
			if err != nil {
				return fmt.Errorf("reading the build output: %w", err)
			}
			l.status(s)
		case m.ID == "moby.image.id" && m.Aux != nil:
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		case m.Stream != "": // "Successfully tagged ...", said by the engine itself
			for _, s := range strings.Split(strings.TrimSpace(m.Stream), "\n") {
				if s = strings.TrimSpace(s); s != "" {
					out.Log(branch, "docker", s)
				}
			}
		}
		if msg := errorMessage(m); msg != "" {
			return l.failure(msg)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", errors.New("the engine finished the build without reporting an image ID")
	}
	return id, nil
}

func (l *bkLog) step(digest, name string) *bkStep {
	s, ok := l.steps[digest]
	if !ok {
		s = &bkStep{name: name}
		l.steps[digest] = s
		l.order = append(l.order, digest)
	}
	if name != "" {
		s.name = name
	}
	return s
}

// show writes a line about a step: Dockerfile instructions at the normal level, BuildKit's own
// work ("[internal] load remote build context", "exporting to image") only with --verbose.
func (l *bkLog) show(s *bkStep, line string) {
	if stepName.MatchString(s.name) {
		l.out.Log(l.branch, "docker", line)
	} else {
		l.out.Debug(l.branch, "docker: "+line)
	}
}

func (l *bkLog) status(st bkstatus.Status) {
	for _, v := range st.Vertexes {
		s := l.step(v.Digest, v.Name)
		if v.Error != "" {
			s.err = v.Error
		}
		if !s.started && !v.Started.IsZero() {
			s.started, s.startedAt = true, v.Started
			if v.Cached && !v.Completed.IsZero() {
				s.done = true
				l.show(s, s.name+": cached")
				l.last = v.Digest
				continue
			}
			l.show(s, s.name)
			l.last = v.Digest
		}
		if !s.done && !v.Completed.IsZero() {
			s.done, s.ended = true, v.Completed
			l.flush(v.Digest, s)
			switch {
			case v.Error != "":
				l.show(s, s.name+": failed")
			case v.Cached:
				l.show(s, s.name+": cached")
			default:
				l.show(s, fmt.Sprintf("%s: done in %s", s.name, seconds(v.Completed.Sub(s.startedAt))))
			}
			l.last = v.Digest
		}
	}
	for _, lg := range st.Logs {
		s := l.step(lg.Vertex, "")
		lines := strings.Split(s.partial+string(lg.Msg), "\n")
		s.partial = lines[len(lines)-1]
		for _, line := range lines[:len(lines)-1] {
			l.output(lg.Vertex, s, line)
		}
	}
	for _, p := range st.Statuses {
		// Sub-tasks: layers of a base image being pulled, the context being transferred.
		if p.Total == 0 && p.Current == 0 {
			continue
		}
		done := !p.Completed.IsZero()
		if now := time.Now(); done || now.Sub(l.lastBar[p.ID]) >= 200*time.Millisecond {
			l.lastBar[p.ID] = now
			label := p.Name
			if label == "" {
				label = "downloading"
			}
			id := p.ID
			if strings.HasPrefix(id, "sha256:") {
				id = shortID(id)
			}
			l.out.Progress(l.branch, id, label, p.Current, p.Total)
		}
	}
	for _, w := range st.Warnings {
		msg := w.Short
		if s, ok := l.steps[w.Vertex]; ok && s.name != "" {
			msg = s.name + ": " + msg
		}
		l.out.Warn(l.branch, msg)
	}
}

// output shows one output line of a step. When another step's line came in between, the
// step's name is repeated so that interleaved output (parallel stages) stays attributable.
func (l *bkLog) output(digest string, s *bkStep, line string) {
	line = ansi.ReplaceAllString(strings.TrimRight(line, "\r"), "")
	if strings.TrimSpace(line) == "" {
		return
	}
	if l.last != digest && s.name != "" {
		l.show(s, s.name+" (output)")
	}
	l.last = digest
	l.show(s, "  "+line)
	const keep = 20
	s.output = append(s.output, line)
	if len(s.output) > keep {
		s.output = s.output[len(s.output)-keep:]
	}
}

func (l *bkLog) flush(digest string, s *bkStep) {
	if s.partial != "" {
		line := s.partial
		s.partial = ""
		l.output(digest, s, line)
	}
}

// failure builds the error for the stream's final error message: the failed step (the
// vertex that carries an error) with its output, or the message alone when no step failed
// (a Dockerfile that does not parse, a missing Dockerfile).
func (l *bkLog) failure(msg string) error {
	for _, d := range l.order {
		s := l.steps[d]
		if s.err == "" {
			continue
		}
		l.flush(d, s)
		where := s.name
		if m := stepName.FindStringSubmatch(s.name); m != nil {
			where = fmt.Sprintf("step %s (%s)", m[1], m[2])
		}
		return &stepFailure{where: where, output: s.output, msg: msg}
	}
	return &stepFailure{msg: msg}
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
