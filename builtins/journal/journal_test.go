package journal

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/engine/enginetest"
	st "github.com/agentcore/agentcore/state"
)

func TestNewToken(t *testing.T) {
	re := regexp.MustCompile(`^agentcore-[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(tok) || seen[tok] {
			t.Fatalf("token %q: malformed or seen before", tok)
		}
		seen[tok] = true
	}
}

func TestBeginFinish(t *testing.T) {
	a := &st.Agent{}
	now := time.Date(2026, 12, 7, 17, 0, 0, 5, time.UTC)
	p1, err := Begin(a, st.Intent{Op: "create_runtime", Name: "r"}, now)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Begin(a, st.Intent{Op: "create_endpoint", Name: "stable", Token: "agentcore-given-token-0123456789abcdef0123"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Token == "" || p2.Token != "agentcore-given-token-0123456789abcdef0123" || !p1.StartedAt.Equal(now.Truncate(time.Second)) {
		t.Fatalf("intents %+v %+v", p1, p2)
	}
	if got := Pending(a, "create_endpoint"); len(got) != 1 || got[0].Name != "stable" {
		t.Fatalf("Pending(create_endpoint) = %+v", got)
	}
	if !Finish(a, p1.Token) || Finish(a, p1.Token) {
		t.Fatal("Finish: want true once, then false")
	}
	if len(a.Pending) != 1 || a.Pending[0].Token != p2.Token {
		t.Fatalf("pending after finish: %+v", a.Pending)
	}
	if _, err := Begin(a, st.Intent{Op: "delete_everything", Name: "x"}, now); err == nil {
		t.Fatal("Begin of an unknown op: no error")
	}
	if _, err := Begin(a, st.Intent{Op: "create_stack"}, now); err == nil {
		t.Fatal("Begin of an intent naming nothing: no error")
	}
}

func TestRecords(t *testing.T) {
	a := &st.Agent{}
	RecordResource(a, st.Resource{Kind: "stack", ID: "s", ARN: "arn:1"})
	RecordResource(a, st.Resource{Kind: "stack", ID: "s"})
	RecordResource(a, st.Resource{Kind: "runtime", ID: "r"})
	if len(a.Resources) != 2 || a.Resources[0].ARN != "arn:1" || !HasResource(a, "runtime", "r") {
		t.Fatalf("resources %+v", a.Resources)
	}
	if !ForgetResource(a, "stack", "s") || ForgetResource(a, "stack", "s") || HasResource(a, "stack", "s") {
		t.Fatalf("forget: %+v", a.Resources)
	}
	SetVersion(a, st.Version{Number: 3, Status: "CREATING"})
	SetVersion(a, st.Version{Number: 1, Status: "READY"})
	SetVersion(a, st.Version{Number: 3, Status: "READY"})
	if len(a.Versions) != 2 || a.Versions[0].Number != 1 || a.Versions[1].Status != "READY" {
		t.Fatalf("versions %+v", a.Versions)
	}
	if got := ToReconcile(&st.Agent{Pending: []st.Intent{{Op: "create_agent"}, {Op: "update_runtime"}}}); len(got) != 1 || got[0].Op != "update_runtime" {
		t.Fatalf("ToReconcile = %+v", got)
	}
}

func harness(t *testing.T) (*enginetest.Harness, *st.FileStore) {
	h := enginetest.New(t, Module)
	fs := st.NewFileStore(t.TempDir())
	h.Run.Store, h.Run.EnvName = fs, "dev"
	return h, fs
}

func load(t *testing.T, fs *st.FileStore) *st.State {
	t.Helper()
	s, err := fs.Load(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// begin is on disk before the call it announces; finish removes it in the save that records
// the result the recipe put in the table.
func TestLuaBeginFinishSave(t *testing.T) {
	h, fs := harness(t)
	h.Do(t, `
		st = { agents = { bot = { runtime_name = "bot", versions = {}, endpoints = {}, resources = {} } } }
		p = journal.begin(st, "bot", { op = "create_runtime", name = "bot", image = "repo@sha256:ab", source_hash = "sha256:cd" })
		assert(p.token:match("^agentcore%-%x+$") and #p.token == 42, p.token)
		assert(#st.agents.bot.pending == 1 and st.agents.bot.pending[1].token == p.token)
		assert(st.serial == 1)
	`)
	s := load(t, fs)
	if p := s.Agents["bot"].Pending; len(p) != 1 || p[0].Op != "create_runtime" || p[0].SourceHash != "sha256:cd" {
		t.Fatalf("saved pending = %+v", p)
	}
	h.Do(t, `
		st.agents.bot.runtime_id = "bot-123"
		journal.finish(st, "bot", p)
		assert(#st.agents.bot.pending == 0 and #journal.pending(st, "bot") == 0)
	`)
	s = load(t, fs)
	if a := s.Agents["bot"]; len(a.Pending) != 0 || a.RuntimeID != "bot-123" {
		t.Fatalf("after finish: %+v", a)
	}
}

func TestLuaRecords(t *testing.T) {
	h, fs := harness(t)
	h.Do(t, `
		st = { agents = { bot = { runtime_name = "bot", versions = {}, endpoints = {}, resources = {} } } }
		journal.record_resource(st, "bot", "stack", "s1", "arn:s1")
		journal.record_resource(st, "bot", "stack", "s1")
		assert(journal.has_resource(st, "bot", "stack", "s1") and #st.agents.bot.resources == 1)
		journal.set_version(st, "bot", { number = 2, image = "i2", digest = "d2", status = "CREATING", created_at = "2026-12-07T17:00:00Z" })
		journal.set_version(st, "bot", { number = 1, image = "i1", digest = "d1", status = "READY", source_hash = "sha256:s1" })
		assert(st.agents.bot.versions[1].number == 1 and st.agents.bot.versions[2].number == 2)
		journal.set_endpoint(st, "bot", "DEFAULT", { version = 2, status = "READY" })
		journal.record(st, "bot", { role_arn = "arn:role", repository = "repo" })
		assert(st.agents.bot.role_arn == "arn:role")
		assert(journal.forget_resource(st, "bot", "stack", "s1") and not journal.forget_resource(st, "bot", "stack", "s1"))
	`)
	a := load(t, fs).Agents["bot"]
	if len(a.Versions) != 2 || a.Versions[0].SourceHash != "sha256:s1" || a.Endpoints["DEFAULT"].Version != 2 ||
		a.RoleARN != "arn:role" || a.Repository != "repo" || len(a.Resources) != 0 {
		t.Fatalf("saved agent = %+v", a)
	}
}

// reconcile calls the op's handler for every pending intent but create_agent, removing each
// once its handler returned; a handler's failure leaves the intent for the next run.
func TestLuaReconcile(t *testing.T) {
	h, fs := harness(t)
	h.Do(t, `
		st = { agents = { bot = { runtime_name = "bot", versions = {}, endpoints = {}, resources = {} } } }
		journal.begin(st, "bot", { op = "create_agent", name = "bot" })
		journal.begin(st, "bot", { op = "create_repository", name = "agentcore/bot" })
		journal.begin(st, "bot", { op = "create_stack", name = "s" })
		seen = {}
		n = journal.reconcile(st, "bot", {
			create_repository = function(p) table.insert(seen, p.name); journal.record_resource(st, "bot", "ecr_repository", p.name) end,
			create_stack = function(p) table.insert(seen, p.name) end,
		})
		assert(n == 2 and seen[1] == "agentcore/bot" and seen[2] == "s", n)
		assert(#st.agents.bot.pending == 1 and st.agents.bot.pending[1].op == "create_agent")
	`)
	if a := load(t, fs).Agents["bot"]; len(a.Pending) != 1 || len(a.Resources) != 1 {
		t.Fatalf("saved agent = %+v", a)
	}
	h.Do(t, `journal.begin(st, "bot", { op = "update_endpoint", name = "stable" })`)
	err := h.Err(`journal.reconcile(st, "bot", { update_endpoint = function() error("the service is down") end })`)
	if err == nil || !strings.Contains(err.Error(), "the service is down") {
		t.Fatalf("failing handler: err = %v", err)
	}
	if a := load(t, fs).Agents["bot"]; len(a.Pending) != 2 {
		t.Fatalf("a failed handler removed its intent: %+v", a.Pending)
	}
	err = h.Err(`journal.reconcile(st, "bot", {})`)
	if err == nil || !strings.Contains(err.Error(), "no handler for the pending update_endpoint") {
		t.Fatalf("missing handler: err = %v", err)
	}
}

func TestLuaErrors(t *testing.T) {
	h, _ := harness(t)
	for src, want := range map[string]string{
		`journal.begin({ agents = {} }, "bot", { op = "create_stack", name = "s" })`:                                                   "agent bot is not in the state",
		`journal.begin({ agents = { bot = {} } }, "bot", { op = "drop_tables", name = "s" })`:                                          "not an operation",
		`journal.finish({ agents = { bot = {} } }, "bot", { op = "create_stack", name = "s" })`:                                        "has no token",
		`journal.set_version({ agents = { bot = {} } }, "bot", { number = 1, image = "i", digest = "d", status = "READY", typo = 1 })`: "typo",
	} {
		if err := h.Err(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// An agent that never had an intent has no pending list in its state: pending still returns a
// list, all or of one op (the result check refuses an empty table not marked as one).
func TestLuaPendingOfAFreshAgentIsAList(t *testing.T) {
	h, _ := harness(t)
	h.Do(t, `
		st = { agents = { bot = { runtime_name = "bot", versions = {}, endpoints = {}, resources = {} } } }
		assert(#journal.pending(st, "bot") == 0 and #journal.pending(st, "bot", "create_runtime") == 0)
	`)
}
