package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	st "github.com/agentcore/agentcore/state"
)

// Module is the journal module.
var Module = &engine.Module{
	Name: "journal",
	Doc: "The write-ahead journal and the records of an agent's state (state.load's table). Every function that " +
		"changes the state saves it, with whatever else the recipe changed in that table, so an interrupted run " +
		"always leaves a state the next run converges from.",
	Classes: []*engine.Class{
		{Name: "journal.Intent", Open: true, Doc: "A started operation: op, name, token and started_at, and what it deploys (runtime_id, version, image, digest, config_hash, source_hash).",
			Of: Intent{}},
		{Name: "journal.Version", Open: true, Of: Version{}},
		{Name: "journal.Endpoint", Of: st.Endpoint{}},
		{Name: "journal.Record", Doc: "An agent's fields record sets.", Of: Record{}},
		{Name: "journal.Memory", Doc: "The memory an agent uses: its [memories] key, AgentCore name, id and ARN, who made it (agentcore or adopted) and its strategies' ids.", Of: st.Memory{}},
		{Name: "journal.MemoryStrategy", Of: st.MemoryStrategyID{}},
		{Name: "journal.Gateway", Doc: "A gateway an agent calls: its [gateways] key, AgentCore name, id, ARN, URL, who made it (agentcore or adopted), its role (and the stack agentcore made it with) and its targets.", Of: st.Gateway{}},
		{Name: "journal.GatewayTarget", Doc: "A target of a recorded gateway: name, id, type, hash (of what it is made from), its last change, and for a target served by the project's agent, that agent and the version whose tools the gateway listed.", Of: st.GatewayTarget{}},
		{Name: "journal.Credential", Doc: "A credential provider an agent reads: its [credentials] key, provider name, ARN, type, key_hash (never the key), who made it (agentcore or adopted) and its last change.", Of: st.Credential{}},
	},
	Funcs: []engine.Func{
		{Name: "token", Returns: "string", Go: luaToken,
			Doc: "A fresh idempotency token (\"agentcore-\" and 32 random hex digits): valid as AgentCore's clientToken and CloudFormation's ClientRequestToken."},
		{Name: "begin", Params: "state: table, agent: string, intent: journal.Intent", Returns: "journal.Intent", Go: luaBegin,
			Doc: "Records an intent in the agent's state before the call it announces (a token when it has none, started_at) and saves the state. Returns the recorded intent: pass its token to the call. " +
				"op is one of create_agent, create_repository, create_stack, create_runtime, update_runtime, create_endpoint, update_endpoint, create_memory, update_memory, create_credential, create_gateway, create_gateway_target; the agent must be in state.agents."},
		{Name: "finish", Params: "state: table, agent: string, intent: journal.Intent|string", Go: luaFinish,
			Doc: "Removes the intent (or the intent with this token) and saves the state with the result the recipe recorded in it."},
		{Name: "pending", Params: "state: table, agent: string, op?: string", Returns: "journal.Intent[]", Go: luaPending,
			Doc: "The agent's pending intents (of op only, when given), oldest first; an empty list when there are none."},
		{Name: "reconcile", Params: "state: table, agent: string, handlers: table<string, fun(intent: journal.Intent)>", Returns: "integer", Go: luaReconcile,
			Doc: "Resolves what an interrupted run left: calls handlers[intent.op](intent) for each pending intent but create_agent (which create finishes itself), " +
				"then removes the intent and saves the state. A pending op without a handler is an error naming it. Returns how many intents were resolved."},
		{Name: "record", Params: "state: table, agent: string, fields: journal.Record", Go: luaRecord,
			Doc: "Sets the agent's runtime_name, runtime_id, runtime_arn, repository or role_arn and saves the state."},
		{Name: "record_resource", Params: "state: table, agent: string, kind: string, id: string, arn?: string", Go: luaRecordResource,
			Doc: "Records that agentcore created a resource (destroy deletes only these) and saves the state; a resource recorded already keeps one entry (its ARN updated when arn is given)."},
		{Name: "forget_resource", Params: "state: table, agent: string, kind: string, id: string", Returns: "boolean", Go: luaForgetResource,
			Doc: "Removes the record of a resource and saves the state; false when it was not recorded."},
		{Name: "has_resource", Params: "state: table, agent: string, kind: string, id: string", Returns: "boolean", Go: luaHasResource,
			Doc: "Whether agentcore recorded creating the resource."},
		{Name: "set_memory", Params: "state: table, agent: string, memory?: journal.Memory", Go: luaSetMemory,
			Doc: "Records the memory the agent uses (nil: none any more); saves."},
		{Name: "set_gateway", Params: "state: table, agent: string, name: string, gateway?: journal.Gateway", Go: luaSetGateway,
			Doc: "Records the gateway [gateways.NAME] the agent calls, with its targets (nil: forgets it); the list stays sorted by name; saves."},
		{Name: "set_credential", Params: "state: table, agent: string, name: string, credential?: journal.Credential", Go: luaSetCredential,
			Doc: "Records the credential provider [credentials.NAME] the agent reads (nil: forgets it); the list stays sorted by name; saves."},
		{Name: "set_version", Params: "state: table, agent: string, version: journal.Version", Go: luaSetVersion,
			Doc: "Records a runtime version (replacing the one of the same number; versions stay sorted) and saves the state."},
		{Name: "set_endpoint", Params: "state: table, agent: string, name: string, endpoint: journal.Endpoint", Go: luaSetEndpoint,
			Doc: "Records the version an endpoint points at, its status and ARN, and saves the state."},
	},
}

// Intent is a journal.Intent as Lua passes and sees it: st.Intent with the fields begin fills
// (token, started_at) optional. Its fields are st.Intent's, so each converts to the other.
type Intent struct {
	Op         string    `json:"op"`
	Name       string    `json:"name"`
	Token      string    `json:"token,omitempty"`
	StartedAt  time.Time `json:"started_at,omitempty"`
	RuntimeID  string    `json:"runtime_id,omitempty"`
	MemoryID   string    `json:"memory_id,omitempty"`
	GatewayID  string    `json:"gateway_id,omitempty"`
	Version    int       `json:"version,omitempty"`
	Image      string    `json:"image,omitempty"`
	Digest     string    `json:"digest,omitempty"`
	ConfigHash string    `json:"config_hash,omitempty"`
	SourceHash string    `json:"source_hash,omitempty"`
}

// Version is a journal.Version as Lua passes it: st.Version with config_hash and created_at
// optional. Its fields are st.Version's, so each converts to the other.
type Version struct {
	Number     int       `json:"number"`
	Image      string    `json:"image"`
	Digest     string    `json:"digest"`
	ConfigHash string    `json:"config_hash,omitempty"`
	SourceHash string    `json:"source_hash,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitempty"`
	Status     string    `json:"status"`
}

// Record is what journal.record sets: the agent's fields that are given.
type Record struct {
	RuntimeName *string `json:"runtime_name,omitempty"`
	RuntimeID   *string `json:"runtime_id,omitempty"`
	RuntimeARN  *string `json:"runtime_arn,omitempty"`
	Repository  *string `json:"repository,omitempty"`
	RoleARN     *string `json:"role_arn,omitempty"`
}

// call is one journal call: the state table, the agent's table in it and their typed copy.
type call struct {
	L     *lua.LState
	table *lua.LTable // the state, as state.load gave it
	name  string
	agent *lua.LTable // table.agents[name]
	doc   st.State
	a     *st.Agent
}

// open reads the state table and the agent's entry into typed values.
func open(L *lua.LState, table *lua.LTable, name string) (*call, error) {
	c := &call{L: L, table: table, name: name}
	agents, _ := c.table.RawGetString("agents").(*lua.LTable)
	if agents != nil {
		c.agent, _ = agents.RawGetString(c.name).(*lua.LTable)
	}
	if c.agent == nil {
		return nil, engine.Failf("", "journal: agent %s is not in the state (deploy.agent_state adds it)", c.name)
	}
	if err := engine.Decode(c.table, &c.doc); err != nil {
		return nil, engine.Failf("", "journal: the state table does not match the state schema: %s", err.Error())
	}
	if c.doc.Schema == 0 {
		c.doc.Schema = st.SchemaVersion
	}
	c.a = c.doc.Agents[c.name]
	if c.a == nil { // an agent entry that decodes as null: an empty table
		c.a = &st.Agent{}
		if c.doc.Agents == nil {
			c.doc.Agents = map[string]*st.Agent{}
		}
		c.doc.Agents[c.name] = c.a
	}
	return c, nil
}

// save saves the typed state through the run's store and puts the saved serial, time,
// schema and environment back into the table; then, when field is given, it replaces that
// field of the agent's table with its typed value v, as state.load renders it.
func (c *call) save(field string, v any) error {
	r := engine.FromL(c.L)
	if r.Store == nil || r.EnvName == "" {
		return engine.Usagef("run inside a project (agentcore init creates one)", "no environment state here")
	}
	s, env := r.Store, r.EnvName
	if _, err := engine.Unlocked(c.L, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Save(ctx, env, &c.doc)
	}); err != nil {
		return err
	}
	c.table.RawSetString("serial", lua.LNumber(c.doc.Serial))
	c.table.RawSetString("updated_at", lua.LString(c.doc.UpdatedAt.Format(time.RFC3339Nano)))
	c.table.RawSetString("schema", lua.LNumber(c.doc.Schema))
	c.table.RawSetString("environment", lua.LString(c.doc.Environment))
	if field == "" {
		return nil
	}
	lv, err := stateValue(c.L, v)
	if err != nil {
		return err
	}
	c.agent.RawSetString(field, lv)
	return nil
}

// stateValue renders v as state.load does: through its JSON form, an empty list as an empty
// table (never nil).
func stateValue(L *lua.LState, v any) (lua.LValue, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if g == nil {
		return L.NewTable(), nil
	}
	return engine.ToLua(L, g), nil
}

func luaToken() (string, error) { return NewToken() }

func luaBegin(L *lua.LState, state *lua.LTable, agent string, in Intent) (Intent, error) {
	c, err := open(L, state, agent)
	if err != nil {
		return Intent{}, err
	}
	p, err := Begin(c.a, st.Intent(in), time.Now())
	if err != nil {
		return Intent{}, engine.Usagef("", "%s", err.Error())
	}
	if err := c.save("pending", c.a.Pending); err != nil {
		return Intent{}, err
	}
	return Intent(p), nil
}

// luaFinish takes the intent as journal.begin returned it, or its token.
func luaFinish(L *lua.LState, state *lua.LTable, agent string, intent lua.LValue) error {
	var token string
	switch v := intent.(type) {
	case lua.LString:
		token = string(v)
	case *lua.LTable:
		token = lua.LVAsString(v.RawGetString("token"))
	}
	if token == "" {
		return engine.Usagef("", "journal.finish: the intent has no token (journal.begin gives one)")
	}
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	Finish(c.a, token)
	return c.save("pending", c.a.Pending)
}

func luaPending(L *lua.LState, state *lua.LTable, agent string, op *string) ([]Intent, error) {
	c, err := open(L, state, agent)
	if err != nil {
		return nil, err
	}
	only := ""
	if op != nil {
		only = *op
	}
	var out []Intent
	for _, p := range Pending(c.a, only) {
		out = append(out, Intent(p))
	}
	return out, nil
}

// luaReconcile calls the Lua handlers it is given, one per pending intent, with the lock held
// (they run as Lua does).
func luaReconcile(L *lua.LState, state *lua.LTable, agent string, handlers *lua.LTable) (int, error) {
	c, err := open(L, state, agent)
	if err != nil {
		return 0, err
	}
	todo := ToReconcile(c.a)
	for _, in := range todo {
		fn, ok := handlers.RawGetString(in.Op).(*lua.LFunction)
		if !ok {
			return 0, engine.Failf("the state names an operation this recipe library cannot resolve; run agentcore drift to compare it with what runs",
				"journal.reconcile: no handler for the pending %s of %s (token %s)", in.Op, in.Name, in.Token)
		}
		L.Push(fn)
		L.Push(engine.ToLuaAs(L, Intent(in), "journal.Intent"))
		L.Call(1, 0)
		c, err := open(L, state, agent) // the handler recorded what it found in the table
		if err != nil {
			return 0, err
		}
		Finish(c.a, in.Token)
		if err := c.save("pending", c.a.Pending); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

func luaRecord(L *lua.LState, state *lua.LTable, agent string, f Record) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	for field, v := range map[string]*string{"runtime_name": f.RuntimeName, "runtime_id": f.RuntimeID,
		"runtime_arn": f.RuntimeARN, "repository": f.Repository, "role_arn": f.RoleARN} {
		if v != nil {
			c.agent.RawSetString(field, lua.LString(*v))
		}
	}
	if c, err = open(L, state, agent); err != nil {
		return err
	}
	return c.save("", nil)
}

func luaRecordResource(L *lua.LState, state *lua.LTable, agent, kind, id string, arn *string) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	r := st.Resource{Kind: kind, ID: id}
	if arn != nil {
		r.ARN = *arn
	}
	RecordResource(c.a, r)
	return c.save("resources", c.a.Resources)
}

func luaForgetResource(L *lua.LState, state *lua.LTable, agent, kind, id string) (bool, error) {
	c, err := open(L, state, agent)
	if err != nil {
		return false, err
	}
	found := ForgetResource(c.a, kind, id)
	return found, c.save("resources", c.a.Resources)
}

func luaHasResource(L *lua.LState, state *lua.LTable, agent, kind, id string) (bool, error) {
	c, err := open(L, state, agent)
	if err != nil {
		return false, err
	}
	return HasResource(c.a, kind, id), nil
}

func luaSetVersion(L *lua.LState, state *lua.LTable, agent string, v Version) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	SetVersion(c.a, st.Version(v))
	return c.save("versions", c.a.Versions)
}

func luaSetEndpoint(L *lua.LState, state *lua.LTable, agent, name string, e st.Endpoint) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	SetEndpoint(c.a, name, e)
	return c.save("endpoints", c.a.Endpoints)
}

func luaSetMemory(L *lua.LState, state *lua.LTable, agent string, m *st.Memory) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	if m != nil && m.Strategies == nil {
		m.Strategies = []st.MemoryStrategyID{}
	}
	c.a.Memory = m
	if m == nil {
		return c.save("memory", nil)
	}
	return c.save("memory", m)
}

func luaSetCredential(L *lua.LState, state *lua.LTable, agent, name string, cr *st.Credential) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	SetCredential(c.a, name, cr)
	if c.a.Credentials == nil {
		return c.save("credentials", nil)
	}
	return c.save("credentials", c.a.Credentials)
}

func luaSetGateway(L *lua.LState, state *lua.LTable, agent, name string, g *st.Gateway) error {
	c, err := open(L, state, agent)
	if err != nil {
		return err
	}
	SetGateway(c.a, name, g)
	if c.a.Gateways == nil {
		return c.save("gateways", nil)
	}
	return c.save("gateways", c.a.Gateways)
}
