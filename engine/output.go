package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
)

// Output is the one place that decides how a run talks to the user: coloured text on a
// terminal, plain text otherwise, or one JSON event per line with -o json. Every string goes
// through the secret masker first. It is safe for concurrent use (parallel branches).
type Output struct {
	Stdout io.Writer
	Stderr io.Writer
	JSON   bool // -o json: events and a final result object on stdout
	Color  bool // colours (a terminal, no --no-color, no NO_COLOR)
	Fancy  bool // a terminal: symbols and in-place progress
	// Verbose shows debug events and Lua tracebacks.
	Verbose bool

	mu      sync.Mutex
	secrets []string
	lastLen int // length of the in-place progress line, when one is shown
}

// Event is one line of -o json output. Type is step, ok, warn, fail, info, log, progress,
// table, debug or result.
type Event struct {
	Type    string         `json:"type"`
	Time    string         `json:"time,omitempty"`
	Branch  string         `json:"branch,omitempty"`
	Message string         `json:"message,omitempty"`
	Source  string         `json:"source,omitempty"` // log: which tool produced the line
	ID      string         `json:"id,omitempty"`     // progress: which item (a layer, a stack)
	Current int64          `json:"current,omitempty"`
	Total   int64          `json:"total,omitempty"`
	Headers []string       `json:"headers,omitempty"`
	Rows    [][]string     `json:"rows,omitempty"`
	Fields  map[string]any `json:"fields,omitempty"`
}

// AddSecret registers a value that must never be printed; it is replaced by "****".
// Values shorter than 4 characters are not masked (they would mask ordinary words).
func (o *Output) AddSecret(v string) {
	if len(v) < 4 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.secrets {
		if s == v {
			return
		}
	}
	o.secrets = append(o.secrets, v)
	// Longest first so that a secret containing another is masked whole.
	sort.Slice(o.secrets, func(i, j int) bool { return len(o.secrets[i]) > len(o.secrets[j]) })
}

// Mask replaces every registered secret in s.
func (o *Output) Mask(s string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.maskLocked(s)
}

func (o *Output) maskLocked(s string) string {
	for _, sec := range o.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "****")
		}
	}
	return s
}

// Emit writes one event.
func (o *Output) Emit(ev Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ev.Message = o.maskLocked(ev.Message)
	for i, r := range ev.Rows {
		for j := range r {
			ev.Rows[i][j] = o.maskLocked(r[j])
		}
	}
	if o.JSON {
		if ev.Type == "debug" && !o.Verbose {
			return
		}
		ev.Time = time.Now().UTC().Format(time.RFC3339Nano)
		b, err := json.Marshal(ev)
		if err != nil { // Fields held something unencodable: say so rather than drop it
			b, _ = json.Marshal(Event{Type: "warn", Message: "unencodable event: " + err.Error()})
		}
		b = []byte(o.maskLocked(string(b)))
		o.clearProgress()
		fmt.Fprintf(o.Stdout, "%s\n", b)
		return
	}
	o.text(ev)
}

func (o *Output) paint(attr color.Attribute, s string) string {
	if !o.Color {
		return s
	}
	c := color.New(attr)
	c.EnableColor()
	return c.Sprint(s)
}

func (o *Output) sym(fancy, plain string) string {
	if o.Fancy {
		return fancy
	}
	return plain
}

func (o *Output) text(ev Event) {
	prefix := ""
	if ev.Branch != "" {
		prefix = o.paint(color.FgMagenta, "["+ev.Branch+"]") + " "
	}
	w := o.Stdout
	var line string
	switch ev.Type {
	case "step":
		line = o.paint(color.FgCyan, o.sym("==>", "==>")) + " " + o.paint(color.Bold, ev.Message)
	case "ok":
		line = o.paint(color.FgGreen, o.sym("✓", "ok:")) + " " + ev.Message
	case "warn":
		line = o.paint(color.FgYellow, o.sym("!", "warning:")) + " " + ev.Message
		w = o.Stderr
	case "fail":
		line = o.paint(color.FgRed, o.sym("✗", "error:")) + " " + ev.Message
		w = o.Stderr
	case "info":
		line = "    " + ev.Message
	case "debug":
		if !o.Verbose {
			return
		}
		line = o.paint(color.Faint, "debug: "+ev.Message)
		w = o.Stderr
	case "log":
		src := ""
		if ev.Source != "" {
			src = ev.Source + " "
		}
		line = o.paint(color.Faint, "    "+src+"│ ") + ev.Message
	case "progress":
		o.progress(prefix, ev)
		return
	case "table":
		o.clearProgress()
		o.table(prefix, ev)
		return
	default:
		line = ev.Message
	}
	o.clearProgress()
	for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
		fmt.Fprintf(w, "%s%s\n", prefix, l)
	}
}

// progress draws an in-place line on a terminal; elsewhere it prints only the start and end
// of each item, so logs stay short.
func (o *Output) progress(prefix string, ev Event) {
	label := ev.Message
	if ev.ID != "" {
		label = ev.ID + " " + label
	}
	amount := ""
	if ev.Total > 0 {
		amount = fmt.Sprintf(" %s/%s", human(ev.Current), human(ev.Total))
	} else if ev.Current > 0 {
		amount = " " + human(ev.Current)
	}
	if o.Fancy {
		s := fmt.Sprintf("\r%s    %s%s", prefix, label, amount)
		pad := o.lastLen - len(s)
		if pad > 0 {
			s += strings.Repeat(" ", pad)
		}
		fmt.Fprint(o.Stdout, s)
		o.lastLen = len(s)
		return
	}
	if ev.Current == 0 || (ev.Total > 0 && ev.Current >= ev.Total) {
		fmt.Fprintf(o.Stdout, "%s    %s%s\n", prefix, label, amount)
	}
}

func (o *Output) clearProgress() {
	if o.lastLen > 0 {
		fmt.Fprintf(o.Stdout, "\r%s\r", strings.Repeat(" ", o.lastLen))
		o.lastLen = 0
	}
}

func (o *Output) table(prefix string, ev Event) {
	cols := len(ev.Headers)
	for _, r := range ev.Rows {
		cols = max(cols, len(r))
	}
	widths := make([]int, cols)
	for i, h := range ev.Headers {
		widths[i] = len([]rune(h))
	}
	for _, r := range ev.Rows {
		for i := range r {
			if i < len(widths) && len([]rune(r[i])) > widths[i] {
				widths[i] = len([]rune(r[i]))
			}
		}
	}
	row := func(cells []string, bold bool) {
		var b strings.Builder
		for i := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i < len(widths)-1 {
				c += strings.Repeat(" ", widths[i]-len([]rune(c))+2)
			}
			b.WriteString(c)
		}
		s := strings.TrimRight(b.String(), " ")
		if bold {
			s = o.paint(color.Bold, s)
		}
		fmt.Fprintf(o.Stdout, "%s%s\n", prefix, s)
	}
	if len(ev.Headers) > 0 {
		row(ev.Headers, true)
	}
	for _, r := range ev.Rows {
		row(r, false)
	}
}

// Step, OK, Warn, Fail, Info, Debug and Log are shorthands for Emit.
func (o *Output) Step(branch, msg string) { o.Emit(Event{Type: "step", Branch: branch, Message: msg}) }
func (o *Output) OK(branch, msg string)   { o.Emit(Event{Type: "ok", Branch: branch, Message: msg}) }
func (o *Output) Warn(branch, msg string) { o.Emit(Event{Type: "warn", Branch: branch, Message: msg}) }
func (o *Output) Fail(branch, msg string) { o.Emit(Event{Type: "fail", Branch: branch, Message: msg}) }
func (o *Output) Info(branch, msg string) { o.Emit(Event{Type: "info", Branch: branch, Message: msg}) }
func (o *Output) Debug(branch, msg string) {
	o.Emit(Event{Type: "debug", Branch: branch, Message: msg})
}

// Log emits one line of a tool's own output (a build step, a container's log).
func (o *Output) Log(branch, source, line string) {
	o.Emit(Event{Type: "log", Branch: branch, Source: source, Message: line})
}

// Progress reports progress of one item (id) of a longer operation.
func (o *Output) Progress(branch, id, label string, current, total int64) {
	o.Emit(Event{Type: "progress", Branch: branch, ID: id, Message: label, Current: current, Total: total})
}

// Result writes the final result object of a -o json run. Text mode prints nothing here:
// recipes print their own summary.
func (o *Output) Result(recipe string, value any, err *Error) {
	if !o.JSON {
		return
	}
	type resultError struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
		Hint    string `json:"hint,omitempty"`
	}
	res := struct {
		Type     string       `json:"type"`
		Recipe   string       `json:"recipe"`
		OK       bool         `json:"ok"`
		ExitCode int          `json:"exit_code"`
		Result   any          `json:"result"`
		Error    *resultError `json:"error,omitempty"`
	}{Type: "result", Recipe: recipe, OK: err == nil, Result: value}
	if err != nil {
		res.Error = &resultError{Message: err.Error(), Code: err.Code, Hint: err.Hint}
		res.ExitCode = err.Code
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b, jerr := json.Marshal(res)
	if jerr != nil {
		b, _ = json.Marshal(map[string]any{"type": "result", "recipe": recipe, "ok": false,
			"error": map[string]any{"message": "result not encodable as JSON: " + jerr.Error(), "code": ExitFailure}})
	}
	fmt.Fprintf(o.Stdout, "%s\n", o.maskLocked(string(b)))
}

// PrintError writes a failed run's error for a person: the message, the hint, and with -v the
// Lua traceback. In JSON mode the result object carries it and stderr gets the short form.
func (o *Output) PrintError(err *Error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clearProgress()
	msg := o.maskLocked(err.Error())
	fmt.Fprintf(o.Stderr, "%s %s\n", o.paint(color.FgRed, "error:"), msg)
	if err.Hint != "" {
		fmt.Fprintf(o.Stderr, "%s %s\n", o.sym("💡", "hint:"), o.maskLocked(err.Hint))
	}
	if o.Verbose && err.Trace != "" {
		fmt.Fprintf(o.Stderr, "%s\n", o.maskLocked(err.Trace))
	}
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// StreamMasker masks a stream that arrives in pieces (an agent's streamed answer): a secret
// split across two pieces is still masked, because the end of a piece that could be the
// start of a secret is held back until the next piece (or Flush) settles it.
type StreamMasker struct {
	o       *Output
	pending string
}

// StreamMasker returns a masker for one stream.
func (o *Output) StreamMasker() *StreamMasker { return &StreamMasker{o: o} }

// Write takes the next piece and returns what may be shown now, masked.
func (m *StreamMasker) Write(s string) string {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	buf := m.o.maskLocked(m.pending + s)
	hold := 0
	for _, sec := range m.o.secrets {
		for k := min(len(sec)-1, len(buf)); k > hold; k-- {
			if strings.HasSuffix(buf, sec[:k]) {
				hold = k
				break
			}
		}
	}
	m.pending = buf[len(buf)-hold:]
	return buf[:len(buf)-hold]
}

// Flush returns what is held back, masked: call it when the stream ends.
func (m *StreamMasker) Flush() string {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	s := m.o.maskLocked(m.pending)
	m.pending = ""
	return s
}
