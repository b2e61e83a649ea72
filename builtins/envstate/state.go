// Package envstate is the Lua state module: the selected environment's recorded state
// (the state package holds its schema and stores), loaded and saved through the run's store
// (atomic, validated against the schema). Sharing it through SSM is builtins/statesync.
package envstate

import (
	"context"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
	st "github.com/agentcore/agentcore/state"
)

// Module is the state module.
var Module = &engine.Module{
	Name: "state",
	Doc:  "The selected environment's recorded state: agents, their runtime, versions, endpoints and the resources agentcore created.",
	Funcs: []engine.Func{
		{Name: "load", Returns: "table",
			Doc: "Loads the state: {schema, environment, serial, updated_at, agents = {NAME = {runtime_name, runtime_id, runtime_arn, repository, role_arn, versions = {{number, image, digest, config_hash, created_at, status}}, endpoints = {NAME = {version, arn, status}}, resources = {{kind, id, arn}}}}}. An environment never deployed gives an empty state.", Go: luaLoad},
		{Name: "save", Params: "state: table", Doc: "Validates the table against the schema (unknown fields, duplicate versions are refused) and saves it atomically; updates serial and updated_at in the table.", Go: luaSave},
		{Name: "path", Returns: "string", Doc: "Where the state is kept, for messages.", Go: luaPath},
		{Name: "with_lock", Params: "name: string, fn: fun(): any", Returns: "any",
			Doc: "Runs fn holding the short lock of a resource the agents of the environment share (name: letters, digits, - and _), waiting for it, and returns fn's (first) result: runs on different agents (which hold only their agent's lock) never make it at once. A run holding the environment's lock holds it already.",
			Fn:  luaWithLock},
		{Name: "with_agent", Params: "agent: string, fn: fun(): any", Returns: "any",
			Doc: "Runs fn holding the lock of one agent of the environment (taken at once: held by another run, it raises naming the holder), and returns fn's (first) result. A recipe declared with lock = \"agent\" acting on several agents locks each this way; while it runs, its saves of the state write only the agents it holds.",
			Fn:  luaWithAgent},
	},
}

func store(L *lua.LState) (*engine.Run, st.Store, error) {
	r := engine.FromL(L)
	if r.Store == nil || r.EnvName == "" {
		return nil, nil, engine.Usagef("run inside a project (agentcore init creates one)", "no environment state here")
	}
	return r, r.Store, nil
}

func luaLoad(L *lua.LState) (lua.LValue, error) {
	r, s, err := store(L)
	if err != nil {
		return nil, err
	}
	doc, err := engine.Unlocked(L, func(ctx context.Context) (any, error) {
		v, err := s.Load(ctx, r.EnvName)
		if err != nil {
			return nil, err
		}
		return toGeneric(v)
	})
	if err != nil {
		return nil, &engine.Error{Code: engine.ExitFailure, Msg: "loading the state of " + r.EnvName + ": " + err.Error(),
			Hint: "fix or move the file aside; agentcore drift compares it with what runs"}
	}
	return engine.ToLua(L, doc), nil
}

func toGeneric(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var g any
	return g, json.Unmarshal(b, &g)
}

// luaSave saves the table t and writes back into it what saving set (serial, updated_at,
// schema, environment), so the recipe's copy stays the saved one.
func luaSave(L *lua.LState, t *lua.LTable) error {
	r, s, err := store(L)
	if err != nil {
		return err
	}
	var doc st.State
	if err := engine.Decode(t, &doc); err != nil {
		return &engine.Error{Code: engine.ExitFailure, Msg: "state.save: the table does not match the state schema: " + err.Error()}
	}
	if doc.Schema == 0 {
		doc.Schema = st.SchemaVersion
	}
	if doc.Agents == nil {
		doc.Agents = map[string]*st.Agent{}
	}
	_, err = engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.Save(ctx, r.EnvName, &doc)
	})
	if err != nil {
		return err
	}
	t.RawSetString("serial", lua.LNumber(doc.Serial))
	t.RawSetString("updated_at", lua.LString(doc.UpdatedAt.Format("2006-01-02T15:04:05.999999999Z07:00")))
	t.RawSetString("schema", lua.LNumber(doc.Schema))
	t.RawSetString("environment", lua.LString(doc.Environment))
	return nil
}

func luaPath(L *lua.LState) (string, error) {
	r, s, err := store(L)
	if err != nil {
		return "", err
	}
	if w, ok := s.(interface{ Where(string) string }); ok {
		return w.Where(r.EnvName), nil
	}
	return r.EnvName, nil
}

var lockNameRE = lazyregexp.New(`^[A-Za-z0-9_-]{1,64}$`)

// luaWithLock is raw (Fn): it calls a Lua function while holding the lock, and releases it
// also when the function raises.
func luaWithLock(L *lua.LState) int {
	name := L.CheckString(1)
	fn := L.CheckFunction(2)
	if !lockNameRE.MatchString(name) {
		engine.RaiseUsage(L, "", "state.with_lock: lock name %q: use 1 to 64 letters, digits, - and _", name)
	}
	return callLocked(L, fn, func() (func(), error) { return engine.LockShared(L, name) })
}

// luaWithAgent is raw (Fn) for the same reason as luaWithLock.
func luaWithAgent(L *lua.LState) int {
	agent := L.CheckString(1)
	fn := L.CheckFunction(2)
	if !lockNameRE.MatchString(agent) {
		engine.RaiseUsage(L, "", "state.with_agent: %q is not an agent name", agent)
	}
	return callLocked(L, fn, func() (func(), error) { return engine.LockAgentOf(L, agent) })
}

func callLocked(L *lua.LState, fn *lua.LFunction, lock func() (func(), error)) int {
	unlock, err := lock()
	if err != nil {
		engine.Raise(L, err)
	}
	top := L.GetTop()
	L.Push(fn)
	perr := L.PCall(0, 1, nil) // one value, as declared
	unlock()
	if perr != nil {
		if ae, ok := perr.(*lua.ApiError); ok {
			L.Error(ae.Object, 0) // re-raised as it was (a table error keeps its code and hint)
		}
		L.RaiseError("%s", perr.Error())
	}
	return L.GetTop() - top
}
