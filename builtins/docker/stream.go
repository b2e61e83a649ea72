package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// The engine answers builds and pushes with a stream of JSON messages. The two readers below
// turn those into ui events and a result; they run with the interpreter lock released and
// talk to the user only through engine.Output (which is goroutine-safe and masks secrets).

// buildLog reads a classic-builder stream: output lines go to the ui as they come; the image
// ID comes from the aux message. A failed step becomes an error naming the step and carrying
// the step's last output lines.
func buildLog(ctx context.Context, r io.Reader, out *engine.Output, branch string) (string, error) {
	var (
		id      string
		partial string   // output not yet ended by a newline
		step    string   // "Step 2/4 : COPY . /"
		stepOut []string // output lines of the current step, for the error
	)
	line := func(l string) {
		// The engine colours a step's stderr; colour is Output's business.
		l = ansi.ReplaceAllString(strings.TrimRight(l, "\r"), "")
		if strings.TrimSpace(l) == "" {
			return
		}
		out.Log(branch, "docker", l)
		switch {
		case strings.HasPrefix(l, "Step "):
			step, stepOut = l, nil
		case strings.HasPrefix(l, " ---> "), strings.HasPrefix(l, "Removing intermediate container"):
		default:
			stepOut = append(stepOut, l)
		}
	}
	err := readMessages(ctx, r, "build", func(m jsonmessage.JSONMessage) error {
		if m.Stream != "" {
			lines := strings.Split(partial+m.Stream, "\n")
			partial = lines[len(lines)-1]
			for _, l := range lines[:len(lines)-1] {
				line(l)
			}
		}
		if m.Status != "" { // pulling a base image
			line(statusLine(m))
		}
		if m.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
		if msg := errorMessage(m); msg != "" {
			line(partial)
			return stepError(step, stepOut, msg)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	line(partial)
	if id == "" {
		return "", errors.New("the engine finished the build without reporting an image ID")
	}
	return id, nil
}

// stepError says which step failed and with what. The message of a failed RUN ("returned a
// non-zero code: 1") says little on its own, so the step's last output lines come with it.
func stepError(step string, output []string, msg string) error {
	where := ""
	if step != "" {
		// "Step 2/4 : RUN make" -> "step 2/4 (RUN make)"
		n, instr, _ := strings.Cut(strings.TrimPrefix(step, "Step "), " : ")
		where = fmt.Sprintf("step %s (%s)", n, instr)
	}
	return &stepFailure{where: where, output: output, msg: msg}
}

// stepFailure is a build step that failed: where ("step 2/4 (RUN make)", empty when the
// failure is not a step's), the engine's message, and the step's output.
type stepFailure struct {
	where  string
	output []string
	msg    string
}

func (e *stepFailure) Error() string {
	var b strings.Builder
	if e.where != "" {
		b.WriteString(e.where + ": ")
	}
	msg, output := e.msg, e.output
	b.WriteString(strings.TrimSpace(msg))
	const keep = 8
	if len(output) > keep {
		output = output[len(output)-keep:]
	}
	if len(output) > 0 && !strings.Contains(msg, output[len(output)-1]) {
		b.WriteString("\nlast output of the step:\n  ")
		b.WriteString(strings.Join(output, "\n  "))
	}
	return b.String()
}

// readMessages calls fn for each message of an engine's JSON stream until the stream ends or
// fn returns an error. A read cut short by the context reports the context's error.
func readMessages(ctx context.Context, r io.Reader, what string, fn func(jsonmessage.JSONMessage) error) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("reading the %s output: %w", what, err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
}

func errorMessage(m jsonmessage.JSONMessage) string {
	if m.Error != nil {
		return m.Error.Message
	}
	return ""
}

func statusLine(m jsonmessage.JSONMessage) string {
	if m.ID != "" {
		return m.ID + ": " + m.Status
	}
	return m.Status
}

// pushResult is what a push reports to the script.
type pushResult struct {
	Digest   string
	Size     int64
	Pushed   int // layers sent
	Existing int // layers the registry already had
}

var ansi = lazyregexp.New(`\x1b\[[0-9;]*[A-Za-z]`)

var digestLine = lazyregexp.New(`digest: (sha256:[0-9a-f]{64}) size: (\d+)`)

// pushLog reads a push stream: per-layer progress, "already exists" for layers the registry
// has, and the manifest digest at the end (from the aux message, or from the status line
// older engines print).
func pushLog(ctx context.Context, r io.Reader, out *engine.Output, branch string) (pushResult, error) {
	var res pushResult
	last := map[string]time.Time{} // throttle progress events per layer
	totals := map[string]int64{}
	err := readMessages(ctx, r, "push", func(m jsonmessage.JSONMessage) error {
		if msg := errorMessage(m); msg != "" {
			return errors.New(msg)
		}
		if m.Aux != nil {
			var aux struct {
				Digest string
				Size   int64
			}
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.Digest != "" {
				res.Digest, res.Size = aux.Digest, aux.Size
			}
		}
		switch {
		case m.ID == "" && m.Status != "":
			if d := digestLine.FindStringSubmatch(m.Status); d != nil && res.Digest == "" {
				res.Digest = d[1]
				res.Size, _ = strconv.ParseInt(d[2], 10, 64)
			}
			out.Log(branch, "docker", m.Status)
		case m.Status == "Pushing" && m.Progress != nil:
			totals[m.ID] = m.Progress.Total
			if now := time.Now(); now.Sub(last[m.ID]) >= 200*time.Millisecond {
				last[m.ID] = now
				out.Progress(branch, m.ID, "pushing", m.Progress.Current, m.Progress.Total)
			}
		case m.Status == "Pushed":
			res.Pushed++
			out.Progress(branch, m.ID, "pushed", totals[m.ID], totals[m.ID])
		case m.Status == "Layer already exists":
			res.Existing++
			out.Progress(branch, m.ID, "already exists", 0, 0)
		case strings.HasPrefix(m.Status, "Mounted from"):
			res.Existing++
			out.Progress(branch, m.ID, lowerFirst(m.Status), 0, 0)
		case m.Status == "Preparing", m.Status == "Waiting", m.Status == "Pushing":
		default: // "Retrying in 5 seconds" and whatever else engines say about a layer
			out.Progress(branch, m.ID, lowerFirst(m.Status), 0, 0)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if res.Digest == "" {
		return res, errors.New("the engine finished the push without reporting the image digest")
	}
	return res, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
