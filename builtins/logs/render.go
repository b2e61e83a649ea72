package logs

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/agentcore/agentcore/engine"
)

// printer writes events for a person (time, stream or session, message; coloured by level
// on a terminal) or, with -o json, as one JSON object per line. Every line goes through the
// run's secret masker. Printing is done here rather than in Lua: 100,000 events are printed
// in a blink, not through 100,000 Lua calls.
type printer struct {
	out   *engine.Output
	w     *bufio.Writer
	paint map[string]*color.Color
	dim   *color.Color
	who   *color.Color
}

func newPrinter(out *engine.Output) *printer {
	p := &printer{out: out, w: bufio.NewWriterSize(out.Stdout, 64<<10)}
	if out.Color && !out.JSON {
		mk := func(a ...color.Attribute) *color.Color { c := color.New(a...); c.EnableColor(); return c }
		p.paint = map[string]*color.Color{"ERROR": mk(color.FgRed), "WARN": mk(color.FgYellow), "DEBUG": mk(color.Faint)}
		p.dim, p.who = mk(color.Faint), mk(color.FgCyan)
	}
	return p
}

// jsonLine is what -o json prints for an event.
type jsonLine struct {
	Type string `json:"type"` // "log_event"
	Event
}

// who names where an event comes from: its session when known, else its stream's own part
// (what follows "[runtime-logs]"), else the stream.
func who(e *Event) string {
	if e.Session != "" {
		return e.Session
	}
	if i := strings.LastIndexByte(e.Stream, ']'); i >= 0 && i+1 < len(e.Stream) {
		return e.Stream[i+1:]
	}
	return e.Stream
}

func (p *printer) print(e *Event) {
	if p.out.JSON {
		b, err := json.Marshal(jsonLine{Type: "log_event", Event: *e})
		if err != nil {
			return
		}
		_, _ = io.WriteString(p.w, p.out.Mask(string(b)))
		_ = p.w.WriteByte('\n')
		return
	}
	ts := strings.Replace(strings.TrimSuffix(e.Time, "Z"), "T", " ", 1)
	src := who(e)
	msg := p.out.Mask(strings.TrimRight(display(e.Message), "\r\n"))
	if p.paint != nil {
		ts, src = p.dim.Sprint(ts), p.who.Sprint(src)
		if c := p.paint[e.Level]; c != nil {
			msg = c.Sprint(msg)
		}
	}
	_, _ = io.WriteString(p.w, ts)
	_, _ = io.WriteString(p.w, "  ")
	_, _ = io.WriteString(p.w, src)
	_, _ = io.WriteString(p.w, "  ")
	_, _ = io.WriteString(p.w, msg)
	_ = p.w.WriteByte('\n')
}

func (p *printer) flush() { _ = p.w.Flush() }

// display is what text output shows of a message: a structured record's own text (an OTEL
// log record's body, a JSON log line's message or msg), so that a reader sees what was said
// rather than the record around it; any other message as it is. -o json keeps the whole
// record.
func display(msg string) string {
	if !strings.HasPrefix(msg, "{") {
		return msg
	}
	var m map[string]any
	if json.Unmarshal([]byte(msg), &m) != nil {
		return msg
	}
	for _, k := range []string{"body", "message", "msg"} {
		switch v := m[k].(type) {
		case string:
			return v
		case nil:
		default:
			if b, err := json.Marshal(v); err == nil {
				return string(b)
			}
		}
	}
	return msg
}
