package journal

import (
	"context"
	"encoding/json"
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
			Fields: "op: string, name: string, token?: string, started_at?: string, runtime_id?: string, version?: integer, image?: string, digest?: string, config_hash?: string, source_hash?: string"},
		{Name: "journal.Version", Open: true, Fields: "number: integer, image: string, digest: string, config_hash?: string, source_hash?: string, created_at?: string, status: string"},
		{Name: "journal.Endpoint", Fields: "version: integer, status?: string, arn?: string"},
		{Name: "journal.Record", Doc: "An agent's fields record sets.", Fields: "runtime_name?: string, runtime_id?: string, runtime_arn?: string, repository?: string, role_arn?: string"},
	},
	Funcs: []engine.Func{
		{Name: "token", Returns: "string", Fn: luaToken,
			Doc: "A fresh idempotency token (\"agentcore-\" and 32 random hex digits): valid as AgentCore's clientToken and CloudFormation's ClientRequestToken."},
		{Name: "begin", Params: "state: table, agent: string, intent: journal.Intent", Returns: "journal.Intent", Fn: luaBegin,
			Doc: "Records an intent in the agent's state before the call it announces (a token when it has none, started_at) and saves the state. Returns the recorded intent: pass its token to the call. " +
				"op is one of create_agent, create_repository, create_stack, create_runtime, update_runtime, create_endpoint, update_endpoint; the agent must be in state.agents."},
		{Name: "finish", Params: "state: table, agent: string, intent: journal.Intent|string", Fn: luaFinish,
			Doc: "Removes the intent (or the intent with this token) and saves the state with the result the recipe recorded in it."},
		{Name: "pending", Params: "state: table, agent: string, op?: string", Returns: "journal.Intent[]", Fn: luaPending,
			Doc: "The agent's pending intents (of op only, when given), oldest first; an empty list when there are none."},
		{Name: "reconcile", Params: "state: table, agent: string, handlers: table<string, fun(intent: journal.Intent)>", Returns: "integer", Fn: luaReconcile,
			Doc: "Resolves what an interrupted run left: calls handlers[intent.op](intent) for each pending intent but create_agent (which create finishes itself), " +
				"then removes the intent and saves the state. A pending op without a handler is an error naming it. Returns how many intents were resolved."},
		{Name: "record", Params: "state: table, agent: string, fields: journal.Record", Fn: luaRecord,
			Doc: "Sets the agent's runtime_name, runtime_id, runtime_arn, repository or role_arn and saves the state."},
		{Name: "record_resource", Params: "state: table, agent: string, kind: string, id: string, arn?: string", Fn: luaRecordResource,
			Doc: "Records that agentcore created a resource (destroy deletes only these) and saves the state; a resource recorded already keeps one entry (its ARN updated when arn is given)."},
		{Name: "forget_resource", Params: "state: table, agent: string, kind: string, id: string", Returns: "boolean", Fn: luaForgetResource,
			Doc: "Removes the record of a resource and saves the state; false when it was not recorded."},
		{Name: "has_resource", Params: "state: table, agent: string, kind: string, id: string", Returns: "boolean", Fn: luaHasResource,
			Doc: "Whether agentcore recorded creating the resource."},
		{Name: "set_version", Params: "state: table, agent: string, version: journal.Version", Fn: luaSetVersion,
			Doc: "Records a runtime version (replacing the one of the same number; versions stay sorted) and saves the state."},
		{Name: "set_endpoint", Params: "state: table, agent: string, name: string, endpoint: journal.Endpoint", Fn: luaSetEndpoint,
			Doc: "Records the version an endpoint points at, its status and ARN, and saves the state."},
	},
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

// open reads the state table and the agent's entry (arguments 1 and 2) into typed values.
func open(L *lua.LState) *call {
	c := &call{L: L, table: L.CheckTable(1), name: L.CheckString(2)}
	agents, _ := c.table.RawGetString("agents").(*lua.LTable)
	if agents != nil {
		c.agent, _ = agents.RawGetString(c.name).(*lua.LTable)
	}
	if c.agent == nil {
		engine.Raise(L, engine.Failf("", "journal: agent %s is not in the state (deploy.agent_state adds it)", c.name))
	}
	if err := engine.Decode(c.table, &c.doc); err != nil {
		engine.Raise(L, engine.Failf("", "journal: the state table does not match the state schema: %s", err.Error()))
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
	return c
}

// save saves the typed state through the run's store and puts the saved serial, time,
// schema and environment back into the table.
func (c *call) save() {
	r := engine.FromL(c.L)
	if r.Store == nil || r.EnvName == "" {
		engine.RaiseUsage(c.L, "run inside a project (agentcore init creates one)", "no environment state here")
	}
	s, env := r.Store, r.EnvName
	if _, err := engine.Unlocked(c.L, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Save(ctx, env, &c.doc)
	}); err != nil {
		engine.Raise(c.L, err)
	}
	c.table.RawSetString("serial", lua.LNumber(c.doc.Serial))
	c.table.RawSetString("updated_at", lua.LString(c.doc.UpdatedAt.Format(time.RFC3339Nano)))
	c.table.RawSetString("schema", lua.LNumber(c.doc.Schema))
	c.table.RawSetString("environment", lua.LString(c.doc.Environment))
}

// put replaces a field of the agent's table with its typed value, as state.load renders it.
func (c *call) put(field string, v any) {
	c.agent.RawSetString(field, toLua(c.L, v))
}

func toLua(L *lua.LState, v any) lua.LValue {
	b, err := json.Marshal(v)
	if err != nil {
		engine.Raise(L, err)
	}
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		engine.Raise(L, err)
	}
	if g == nil { // an empty list is an empty table, never nil
		return L.NewTable()
	}
	return engine.ToLua(L, g)
}

func decodeArg[T any](L *lua.LState, n int, what string) T {
	var v T
	if err := engine.Decode(L.CheckTable(n), &v); err != nil {
		engine.Raise(L, engine.Usagef("", "journal: the %s: %s", what, err.Error()))
	}
	return v
}

func luaToken(L *lua.LState) int {
	t, err := NewToken()
	if err != nil {
		engine.Raise(L, err)
	}
	L.Push(lua.LString(t))
	return 1
}

func luaBegin(L *lua.LState) int {
	in := decodeArg[st.Intent](L, 3, "intent")
	c := open(L)
	in, err := Begin(c.a, in, time.Now())
	if err != nil {
		engine.Raise(L, engine.Usagef("", "%s", err.Error()))
	}
	c.save()
	c.put("pending", c.a.Pending)
	L.Push(toLua(L, in))
	return 1
}

func luaFinish(L *lua.LState) int {
	var token string
	switch v := L.Get(3).(type) {
	case lua.LString:
		token = string(v)
	case *lua.LTable:
		token = lua.LVAsString(v.RawGetString("token"))
	}
	if token == "" {
		engine.Raise(L, engine.Usagef("", "journal.finish: the intent has no token (journal.begin gives one)"))
	}
	c := open(L)
	Finish(c.a, token)
	c.save()
	c.put("pending", c.a.Pending)
	return 0
}

func luaPending(L *lua.LState) int {
	c := open(L)
	L.Push(toLua(L, Pending(c.a, L.OptString(3, ""))))
	return 1
}

func luaReconcile(L *lua.LState) int {
	handlers := L.CheckTable(3)
	todo := ToReconcile(open(L).a)
	for _, in := range todo {
		fn, ok := handlers.RawGetString(in.Op).(*lua.LFunction)
		if !ok {
			engine.Raise(L, engine.Failf("the state names an operation this recipe library cannot resolve; run agentcore drift to compare it with what runs",
				"journal.reconcile: no handler for the pending %s of %s (token %s)", in.Op, in.Name, in.Token))
		}
		L.Push(fn)
		L.Push(toLua(L, in))
		L.Call(1, 0)
		c := open(L) // the handler recorded what it found in the table
		Finish(c.a, in.Token)
		c.save()
		c.put("pending", c.a.Pending)
	}
	L.Push(lua.LNumber(len(todo)))
	return 1
}

func luaRecord(L *lua.LState) int {
	type record struct {
		RuntimeName *string `json:"runtime_name"`
		RuntimeID   *string `json:"runtime_id"`
		RuntimeARN  *string `json:"runtime_arn"`
		Repository  *string `json:"repository"`
		RoleARN     *string `json:"role_arn"`
	}
	f := decodeArg[record](L, 3, "fields")
	c := open(L)
	for field, v := range map[string]*string{"runtime_name": f.RuntimeName, "runtime_id": f.RuntimeID,
		"runtime_arn": f.RuntimeARN, "repository": f.Repository, "role_arn": f.RoleARN} {
		if v != nil {
			c.agent.RawSetString(field, lua.LString(*v))
		}
	}
	c = open(L)
	c.save()
	return 0
}

func luaRecordResource(L *lua.LState) int {
	c := open(L)
	RecordResource(c.a, st.Resource{Kind: L.CheckString(3), ID: L.CheckString(4), ARN: L.OptString(5, "")})
	c.save()
	c.put("resources", c.a.Resources)
	return 0
}

func luaForgetResource(L *lua.LState) int {
	c := open(L)
	found := ForgetResource(c.a, L.CheckString(3), L.CheckString(4))
	c.save()
	c.put("resources", c.a.Resources)
	L.Push(lua.LBool(found))
	return 1
}

func luaHasResource(L *lua.LState) int {
	c := open(L)
	L.Push(lua.LBool(HasResource(c.a, L.CheckString(3), L.CheckString(4))))
	return 1
}

func luaSetVersion(L *lua.LState) int {
	v := decodeArg[st.Version](L, 3, "version")
	c := open(L)
	SetVersion(c.a, v)
	c.save()
	c.put("versions", c.a.Versions)
	return 0
}

func luaSetEndpoint(L *lua.LState) int {
	e := decodeArg[st.Endpoint](L, 4, "endpoint")
	c := open(L)
	SetEndpoint(c.a, L.CheckString(3), e)
	c.save()
	c.put("endpoints", c.a.Endpoints)
	return 0
}
