// Package envstate is the Lua state module: the selected environment's recorded state
// (the state package holds its schema and stores), loaded and saved through the run's store
// (atomic, validated against the schema). Sharing it through SSM is builtins/statesync.
package envstate

import (
	"context"
	"encoding/json"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
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
