package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/agentcore/agentcore/internal/sharefile"
)

// The audit trail of an environment: one entry per run that changed (or set out to change)
// something in it. An entry is written when the run starts ("started", naming its process) and
// rewritten when it ends (ok, failed, interrupted), so a run killed with -9 leaves a started
// entry whose process is gone: Outcome then reads "interrupted". It is kept apart from the
// state document (DIR/ENV.history.json beside DIR/ENV.json) so that concurrent runs on
// different agents, and state = "ssm" environments, each append to it without rewriting the
// state; sync shares it (builtins/statesync), merging by entry id.

// Outcomes of a history entry.
const (
	OutcomeStarted     = "started"
	OutcomeOK          = "ok"
	OutcomeFailed      = "failed"
	OutcomeInterrupted = "interrupted"
	// OutcomeUnfinished is shown (never stored) for a started entry of a process on another
	// host, which cannot be seen from here: still running, or killed there.
	OutcomeUnfinished = "unfinished"
)

// MaxLocalHistory bounds the entries kept on disk per environment: the oldest go first (sync
// push keeps up to MaxSharedHistory of them in the environment's cloud copy).
const MaxLocalHistory = 200

// MaxSharedHistory bounds the entries the cloud copy (SSM) keeps per environment.
const MaxSharedHistory = 1000

// HistoryEntry is one change agentcore made, or set out to make, in an environment.
type HistoryEntry struct {
	// ID orders entries by start and names one across homes: the start time (UTC, to the
	// millisecond) and random hex, e.g. 20261208T014500.123Z-3f9a0c1d.
	ID      string   `json:"id"`
	Recipe  string   `json:"recipe"`  // create, update, promote...
	Command string   `json:"command"` // the command line
	Agents  []string `json:"agents,omitempty"`
	// Who is the caller's identity: its ARN from STS on AWS, user@host on the local provider
	// (and whenever STS did not answer).
	Who  string `json:"who"`
	User string `json:"user"` // the OS user and host that ran it: user@host
	// The process that runs it, so that a started entry whose process is gone reads
	// interrupted (the same test as a stale lock, see Stale).
	PID       int    `json:"pid"`
	Host      string `json:"host"`
	StartTime uint64 `json:"start_time,omitempty"`
	BootID    string `json:"boot_id,omitempty"`

	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	DurationMS int64      `json:"duration_ms,omitempty"`
	// Commit is the project's git commit (HEAD) and Dirty whether tracked files differed
	// from it; Git says why there is no commit ("not a git checkout").
	Commit  string          `json:"commit,omitempty"`
	Dirty   bool            `json:"dirty,omitempty"`
	Git     string          `json:"git,omitempty"`
	Changes []HistoryChange `json:"changes,omitempty"`
	Outcome string          `json:"outcome"`
	Error   string          `json:"error,omitempty"`
}

// HistoryChange is one thing a run changed: what the recorded state shows before and after
// it, or a note the recipe added (history.note).
type HistoryChange struct {
	Agent string `json:"agent,omitempty"`
	// Kind: version (a new runtime version), endpoint (created or moved), agent (created or
	// removed), runtime, memory, credential, resource (created or deleted), note.
	Kind       string `json:"kind"`
	Action     string `json:"action,omitempty"` // created, moved, removed, changed, deleted
	Name       string `json:"name,omitempty"`   // endpoint, memory, credential or resource name
	Version    int    `json:"version,omitempty"`
	From       int    `json:"from,omitempty"` // an endpoint's move: from version (0: created)
	To         int    `json:"to,omitempty"`
	Image      string `json:"image,omitempty"`
	Digest     string `json:"digest,omitempty"` // image digest, or a zip's sha256
	ConfigHash string `json:"config_hash,omitempty"`
	Text       string `json:"text,omitempty"`
}

// ended tells a finished entry from one still started.
func (e *HistoryEntry) ended() bool { return e.Outcome != OutcomeStarted && e.Outcome != "" }

// Shown is the outcome to show: a started entry whose process is gone is interrupted, one
// whose process runs on another host is unfinished (it cannot be told from here).
func (e *HistoryEntry) Shown() string {
	if e.ended() {
		return e.Outcome
	}
	host, _ := os.Hostname()
	if e.Host != host {
		return OutcomeUnfinished
	}
	if stale, _ := Stale(LockInfo{PID: e.PID, Host: e.Host, StartTime: e.StartTime, BootID: e.BootID}); stale {
		return OutcomeInterrupted
	}
	return OutcomeStarted
}

// HistorySharer is a store that keeps the history where it keeps the state (SSM, for
// state = "ssm"): the engine gives it the local history at the end of every run that changed
// something, and takes back the union.
type HistorySharer interface {
	ShareHistory(ctx context.Context, env string, local []HistoryEntry) ([]HistoryEntry, error)
	// SharedHistory reads the shared copy (agentcore history shows it with the local one).
	SharedHistory(ctx context.Context, env string) ([]HistoryEntry, error)
}

// HistoryLog keeps each environment's history in DIR/ENV.history.json, read-modify-written
// under a short gate (DIR/ENV.history.gate) since runs on different agents write at once.
type HistoryLog struct {
	Dir string
}

// NewHistoryLog returns the log rooted at dir (PROJECT/.agentcore/state).
func NewHistoryLog(dir string) *HistoryLog { return &HistoryLog{Dir: dir} }

// Path is the file of env's history.
func (h *HistoryLog) Path(env string) string { return filepath.Join(h.Dir, env+".history.json") }

type historyDoc struct {
	Schema      int            `json:"schema"`
	Environment string         `json:"environment"`
	Entries     []HistoryEntry `json:"entries"`
}

// List returns env's entries, oldest first (none when nothing was recorded).
func (h *HistoryLog) List(env string) ([]HistoryEntry, error) {
	b, err := sharefile.ReadFile(h.Path(env))
	if errors.Is(err, fs.ErrNotExist) {
		return []HistoryEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the history of %s: %w", env, err)
	}
	var d historyDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s is not a history document (%v): move it away and run again (the cloud copy keeps what sync pushed)", h.Path(env), err)
	}
	if d.Entries == nil {
		d.Entries = []HistoryEntry{}
	}
	return d.Entries, nil
}

// Update applies fn to env's entries under the gate and writes the result, bounded to
// MaxLocalHistory (the oldest dropped) and ordered by id.
func (h *HistoryLog) Update(ctx context.Context, env string, fn func([]HistoryEntry) []HistoryEntry) error {
	release, err := (&FileStore{Dir: h.Dir}).gateAt(ctx, env+" history", filepath.Join(h.Dir, env+".history.gate"))
	if err != nil {
		return err
	}
	defer release()
	cur, err := h.List(env)
	if err != nil {
		return err
	}
	out := SortHistory(fn(cur))
	if len(out) == 0 && len(cur) == 0 {
		return nil // nothing to keep: no file for it (a refused run leaves none behind)
	}
	if n := len(out); n > MaxLocalHistory {
		out = out[n-MaxLocalHistory:]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(historyDoc{Schema: 1, Environment: env, Entries: out}); err != nil {
		return err
	}
	return WriteFileAtomic(h.Path(env), buf.Bytes(), 0o644)
}

// Put records e (replacing the entry of the same id). Started entries of processes of this
// host that are gone become interrupted on the way, so a copy shared by sync says so.
func (h *HistoryLog) Put(ctx context.Context, env string, e HistoryEntry) error {
	return h.Update(ctx, env, func(cur []HistoryEntry) []HistoryEntry {
		out := cur[:0:0]
		for _, c := range cur {
			if c.ID == e.ID {
				continue
			}
			if !c.ended() && c.Shown() == OutcomeInterrupted {
				c.Outcome = OutcomeInterrupted
				c.Error = "the run ended without recording how (killed, or the machine stopped)"
			}
			out = append(out, c)
		}
		return append(out, e)
	})
}

// Remove forgets the entry of this id (a run that changed nothing: refused input).
func (h *HistoryLog) Remove(ctx context.Context, env, id string) error {
	return h.Update(ctx, env, func(cur []HistoryEntry) []HistoryEntry {
		out := cur[:0:0]
		for _, c := range cur {
			if c.ID != id {
				out = append(out, c)
			}
		}
		return out
	})
}

// Merge adds entries from elsewhere (a cloud copy) to env's history, by id (see MergeHistory).
func (h *HistoryLog) Merge(ctx context.Context, env string, other []HistoryEntry) error {
	return h.Update(ctx, env, func(cur []HistoryEntry) []HistoryEntry { return MergeHistory(cur, other) })
}

// MergeHistory is the union of two histories by entry id, ordered by id (by start): never an
// overwrite. Of two copies of one entry the further one wins: an ended entry over a started
// one, and of two ended ones the later ended.
func MergeHistory(a, b []HistoryEntry) []HistoryEntry {
	byID := map[string]HistoryEntry{}
	for _, list := range [][]HistoryEntry{a, b} {
		for _, e := range list {
			if have, ok := byID[e.ID]; !ok || further(e, have) {
				byID[e.ID] = e
			}
		}
	}
	out := make([]HistoryEntry, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	return SortHistory(out)
}

func further(e, than HistoryEntry) bool {
	if e.ended() != than.ended() {
		return e.ended()
	}
	if e.EndedAt != nil && than.EndedAt != nil {
		return e.EndedAt.After(*than.EndedAt)
	}
	return false
}

// SortHistory orders entries by start (their ids begin with it), then id.
func SortHistory(es []HistoryEntry) []HistoryEntry {
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].StartedAt.Equal(es[j].StartedAt) {
			return es[i].StartedAt.Before(es[j].StartedAt)
		}
		return es[i].ID < es[j].ID
	})
	return es
}

// NewHistoryID returns an entry id for a run started at t.
func NewHistoryID(t time.Time) string {
	return t.UTC().Format("20060102T150405.000Z") + "-" + randHex()[:8]
}

// DiffForHistory says what changed between two states of an environment: new versions (with
// their digest or zip sha256 and configuration hash), endpoints created or moved (from → to),
// agents created or removed, memories and credential providers recorded or forgotten, and
// resources recorded or forgotten. Agents are visited in name order.
func DiffForHistory(before, after *State) []HistoryChange {
	var out []HistoryChange
	names := map[string]bool{}
	for n := range before.Agents {
		names[n] = true
	}
	for n := range after.Agents {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		out = append(out, diffAgent(n, before.Agents[n], after.Agents[n])...)
	}
	return out
}

func diffAgent(name string, b, a *Agent) []HistoryChange {
	var out []HistoryChange
	switch {
	case b == nil && a == nil:
		return nil
	case a == nil:
		what := "removed from the environment's state"
		if b.RuntimeID != "" {
			what += fmt.Sprintf(" (runtime %s, %d version%s)", b.RuntimeID, len(b.Versions), map[bool]string{true: "", false: "s"}[len(b.Versions) == 1])
		}
		return []HistoryChange{{Agent: name, Kind: "agent", Action: "removed", Text: what}}
	case b == nil:
		b = &Agent{}
		if a.RuntimeID != "" {
			action := "created"
			if a.Adopted != nil {
				action = "adopted" // agentcore import runtime: made elsewhere, recorded here
			}
			out = append(out, HistoryChange{Agent: name, Kind: "runtime", Action: action, Name: a.RuntimeID})
		}
	default:
		if b.RuntimeID != a.RuntimeID {
			switch {
			case a.RuntimeID == "":
				out = append(out, HistoryChange{Agent: name, Kind: "runtime", Action: "deleted", Name: b.RuntimeID})
			default:
				out = append(out, HistoryChange{Agent: name, Kind: "runtime", Action: "created", Name: a.RuntimeID})
			}
		}
	}
	had := map[int]Version{}
	for _, v := range b.Versions {
		had[v.Number] = v
	}
	for _, v := range a.Versions {
		if old, ok := had[v.Number]; !ok || old.Digest != v.Digest || old.ConfigHash != v.ConfigHash {
			out = append(out, HistoryChange{Agent: name, Kind: "version", Action: "created", Version: v.Number,
				Image: v.Image, Digest: v.Digest, ConfigHash: v.ConfigHash})
		}
	}
	eps := map[string]bool{}
	for n := range b.Endpoints {
		eps[n] = true
	}
	for n := range a.Endpoints {
		eps[n] = true
	}
	epNames := make([]string, 0, len(eps))
	for n := range eps {
		epNames = append(epNames, n)
	}
	sort.Strings(epNames)
	for _, n := range epNames {
		be, ae := b.Endpoints[n], a.Endpoints[n]
		switch {
		case ae == nil && be != nil:
			if a.RuntimeID == b.RuntimeID { // not already said by the runtime's deletion
				out = append(out, HistoryChange{Agent: name, Kind: "endpoint", Action: "deleted", Name: n, From: be.Version})
			}
		case be == nil && ae != nil:
			out = append(out, HistoryChange{Agent: name, Kind: "endpoint", Action: "created", Name: n, To: ae.Version})
		case be != nil && ae != nil && be.Version != ae.Version:
			out = append(out, HistoryChange{Agent: name, Kind: "endpoint", Action: "moved", Name: n, From: be.Version, To: ae.Version})
		}
	}
	switch {
	case b.Memory == nil && a.Memory != nil:
		out = append(out, HistoryChange{Agent: name, Kind: "memory", Action: "recorded", Name: a.Memory.MemoryName, Text: a.Memory.ID})
	case b.Memory != nil && a.Memory == nil:
		out = append(out, HistoryChange{Agent: name, Kind: "memory", Action: "forgotten", Name: b.Memory.MemoryName, Text: b.Memory.ID})
	case b.Memory != nil && a.Memory != nil && b.Memory.ID != a.Memory.ID:
		out = append(out, HistoryChange{Agent: name, Kind: "memory", Action: "changed", Name: a.Memory.MemoryName, Text: b.Memory.ID + " → " + a.Memory.ID})
	}
	creds := map[string]Credential{}
	for _, c := range b.Credentials {
		creds[c.Name] = c
	}
	for _, c := range a.Credentials {
		old, ok := creds[c.Name]
		delete(creds, c.Name)
		switch {
		case !ok:
			out = append(out, HistoryChange{Agent: name, Kind: "credential", Action: "recorded", Name: c.ProviderName})
		case old.KeyHash != c.KeyHash || old.ARN != c.ARN:
			out = append(out, HistoryChange{Agent: name, Kind: "credential", Action: "changed", Name: c.ProviderName})
		}
	}
	for _, c := range b.Credentials {
		if _, gone := creds[c.Name]; gone {
			out = append(out, HistoryChange{Agent: name, Kind: "credential", Action: "forgotten", Name: c.ProviderName})
		}
	}
	res := map[string]bool{}
	for _, r := range b.Resources {
		res[r.Kind+"\x00"+r.ID] = true
	}
	for _, r := range a.Resources {
		k := r.Kind + "\x00" + r.ID
		if !res[k] && r.Kind != "runtime" && r.Kind != "endpoint" {
			out = append(out, HistoryChange{Agent: name, Kind: "resource", Action: "created", Name: r.Kind + " " + r.ID})
		}
		delete(res, k)
	}
	for _, r := range b.Resources {
		if res[r.Kind+"\x00"+r.ID] && r.Kind != "runtime" && r.Kind != "endpoint" {
			out = append(out, HistoryChange{Agent: name, Kind: "resource", Action: "deleted", Name: r.Kind + " " + r.ID})
		}
	}
	return out
}
