// Package history is the Lua history module: the environment's audit trail as recipes read it
// (history, status) and the notes a recipe adds to its run's entry. Entries are written by the
// engine around every recipe that declares changes (engine/history.go); their schema and file
// are package state's (state/history.go); sync shares them (builtins/statesync).
package history

import (
	"context"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/duration"
	st "github.com/agentcore/agentcore/state"
)

// Module is the history module.
var Module = &engine.Module{
	Name: "history",
	Doc: "The selected environment's audit trail: one entry per run that changed something (who, when, how long, " +
		"from which git commit, what, and the outcome), written ahead by the engine for every recipe declared with changes.",
	Classes: []*engine.Class{
		{Name: "history.ListOpts", Of: listOpts{}},
		{Name: "history.Entry", Of: Entry{}, Doc: "One run's entry: the stored fields (id, recipe, command, agents, who, user, started_at, ended_at, duration_ms, commit, dirty, git, changes, error) with outcome as shown (a started entry whose process is gone reads interrupted), and what: its changes in words."},
		{Name: "history.Change", Of: st.HistoryChange{}},
		{Name: "history.NoteOpts", Of: noteOpts{}},
	},
	Funcs: []engine.Func{
		{Name: "list", Params: "opts?: history.ListOpts", Returns: "history.Entry[]", Go: luaList,
			Doc: "The environment's entries, oldest first: of one agent (opts.agent), since a time (opts.since: a duration back from now such as 2h or 7d, a date 2026-12-01, or an RFC 3339 time), the last opts.limit."},
		{Name: "last", Params: "agent: string", Returns: "history.Entry?", Go: luaLast,
			Doc: "The agent's latest entry in the environment, or nil."},
		{Name: "note", Params: "text: string, opts?: history.NoteOpts", Go: luaNote,
			Doc: "Adds to this run's history entry a change the recorded state does not show (a secret set, a cloud copy pushed): text, and the agent it concerns. Nothing when the run keeps no history (its recipe declares no changes)."},
	},
}

type listOpts struct {
	Agent string `json:"agent,omitempty"`
	Since string `json:"since,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

type noteOpts struct {
	Agent string `json:"agent,omitempty"`
	Kind  string `json:"kind,omitempty" lua:"string"` // default note
}

// Entry is a history entry as recipes see it.
type Entry struct {
	st.HistoryEntry
	What  string `json:"what"`
	Short string `json:"short_commit"` // the commit's first 12 digits, "+dirty" when dirty, or why none
}

// SinceTime reads --since: a duration back from now, a date (YYYY-MM-DD, UTC) or an RFC 3339 time.
func SinceTime(text string, now time.Time) (time.Time, error) {
	s := strings.TrimSpace(text)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, ok := duration.Parse(s); ok && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration back from now (30m, 2h, 7d), a date (2026-12-01) nor an RFC 3339 time (2026-12-01T08:00:00Z)", text)
}

func logOf(L *lua.LState) (*engine.Run, *st.HistoryLog, error) {
	r := engine.FromL(L)
	if r.History == nil || r.EnvName == "" {
		return nil, nil, engine.Usagef("run inside a project (agentcore init creates one) with an environment selected", "history: no environment here")
	}
	return r, r.History, nil
}

func luaList(L *lua.LState, o listOpts) ([]Entry, error) {
	r, log, err := logOf(L)
	if err != nil {
		return nil, err
	}
	var since time.Time
	if o.Since != "" {
		if since, err = SinceTime(o.Since, time.Now()); err != nil {
			return nil, engine.Usagef("--since 7d, --since 2026-12-01 or --since 2026-12-01T08:00:00Z", "history --since: %v", err)
		}
	}
	if o.Limit < 0 {
		return nil, engine.Usagef("", "history: limit %d is negative", o.Limit)
	}
	// an environment whose state is in SSM keeps its history there too: others' entries join
	// the local copy first
	if hs, ok := r.Store.(st.HistorySharer); ok {
		if _, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			shared, err := hs.SharedHistory(ctx, r.EnvName)
			if err != nil {
				return struct{}{}, err
			}
			return struct{}{}, log.Merge(ctx, r.EnvName, shared)
		}); err != nil {
			return nil, &engine.Error{Code: engine.ExitFailure, Msg: "reading the history of " + r.EnvName + " from SSM: " + err.Error()}
		}
	}
	all, err := log.List(r.EnvName)
	if err != nil {
		return nil, &engine.Error{Code: engine.ExitFailure, Msg: err.Error()}
	}
	out := []Entry{}
	for _, e := range all {
		if o.Agent != "" && !concerns(e, o.Agent) {
			continue
		}
		if !since.IsZero() && e.StartedAt.Before(since) {
			continue
		}
		out = append(out, view(e))
	}
	if o.Limit > 0 && len(out) > o.Limit {
		out = out[len(out)-o.Limit:]
	}
	return out, nil
}

func luaLast(L *lua.LState, agent string) (*Entry, error) {
	es, err := luaList(L, listOpts{Agent: agent})
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[len(es)-1], nil
}

func luaNote(L *lua.LState, text string, o noteOpts) error {
	if strings.TrimSpace(text) == "" {
		return engine.Usagef("", "history.note: the text is empty")
	}
	kind := o.Kind
	if kind == "" {
		kind = "note"
	}
	engine.Note(L, st.HistoryChange{Agent: o.Agent, Kind: kind, Text: text})
	return nil
}

func concerns(e st.HistoryEntry, agent string) bool {
	for _, a := range e.Agents {
		if a == agent {
			return true
		}
	}
	for _, c := range e.Changes {
		if c.Agent == agent {
			return true
		}
	}
	return false
}

func view(e st.HistoryEntry) Entry {
	e.Outcome = e.Shown()
	if e.Changes == nil {
		e.Changes = []st.HistoryChange{}
	}
	if e.Agents == nil {
		e.Agents = []string{}
	}
	short := e.Git
	if e.Commit != "" {
		short = e.Commit
		if len(short) > 12 {
			short = short[:12]
		}
		if e.Dirty {
			short += "+dirty"
		}
	}
	return Entry{HistoryEntry: e, What: What(e), Short: short}
}

// What says an entry's changes in words: "my-bot V3 (image sha256:1a2b3c4d5e6f, config
// 0a1b2c3d); my-bot endpoint stable V1 → V3", or what the run set out to do when the state
// shows no change.
func What(e st.HistoryEntry) string {
	var parts []string
	for _, c := range e.Changes {
		parts = append(parts, changeText(c))
	}
	if len(parts) == 0 {
		what := e.Recipe
		if len(e.Agents) > 0 {
			what += " " + strings.Join(e.Agents, ", ")
		}
		if e.Outcome == st.OutcomeOK {
			what += ": no change recorded"
		}
		return what
	}
	return strings.Join(parts, "; ")
}

func changeText(c st.HistoryChange) string {
	prefix := ""
	if c.Agent != "" {
		prefix = c.Agent + " "
	}
	switch c.Kind {
	case "version":
		s := fmt.Sprintf("%sV%d", prefix, c.Version)
		var d []string
		if c.Digest != "" {
			what := "image"
			if strings.HasPrefix(c.Image, "s3://") {
				what = "zip"
			}
			d = append(d, what+" "+shortHash(c.Digest))
		}
		if c.ConfigHash != "" {
			d = append(d, "config "+hexPrefix(c.ConfigHash, 8))
		}
		if len(d) > 0 {
			s += " (" + strings.Join(d, ", ") + ")"
		}
		return s
	case "endpoint":
		switch c.Action {
		case "moved":
			return fmt.Sprintf("%sendpoint %s V%d → V%d", prefix, c.Name, c.From, c.To)
		case "created":
			return fmt.Sprintf("%sendpoint %s created at V%d", prefix, c.Name, c.To)
		default:
			return fmt.Sprintf("%sendpoint %s %s", prefix, c.Name, c.Action)
		}
	case "note", "agent":
		return prefix + c.Text
	default:
		if c.Name == "" && c.Action == "" {
			return prefix + c.Text
		}
		s := fmt.Sprintf("%s%s %s %s", prefix, c.Kind, c.Name, c.Action)
		if c.Text != "" {
			s += " (" + c.Text + ")"
		}
		return strings.Join(strings.Fields(s), " ")
	}
}

// hexPrefix is the first n digits of a hash, without its algorithm.
func hexPrefix(h string, n int) string {
	if _, hex, ok := strings.Cut(h, ":"); ok {
		h = hex
	}
	return h[:min(n, len(h))]
}

func shortHash(h string) string {
	algo, hex, ok := strings.Cut(h, ":")
	if !ok {
		hex, algo = h, ""
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if algo == "" {
		return hex
	}
	return algo + ":" + hex
}
