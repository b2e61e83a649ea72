package project

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/engine/project"
)

// The release and rollout views of agentcore.toml (engine/project/release.go, smoke.go).
func init() {
	Module.Classes = append(Module.Classes,
		&engine.Class{Name: "project.Rollout", Doc: "The waves of a rollout (each a list of environments deployed in parallel), in order, and where they come from.",
			Fields: "waves: string[][], from: string"},
		&engine.Class{Name: "project.SmokeCheck", Doc: "A smoke check: prompt (sent as {\"prompt\": ...}) or payload (JSON text sent as is); " +
			"expect, text the answer contains; expect_json, dotted paths into a JSON answer and the values they hold; timeout in seconds; where, its place in agentcore.toml.",
			Fields: "prompt?: string, payload?: string, expect?: string, expect_json?: table<string, any>, timeout: integer, where?: string"},
	)
	Module.Funcs = append(Module.Funcs,
		engine.Func{Name: "rollout", Params: "through?: string", Returns: "project.Rollout",
			Doc: "The environments a rollout goes through, in waves (a wave's environments are deployed in parallel): through names a [rollouts.NAME] table, or lists environments separated by ',' (one after the other) and '|' (in parallel), e.g. \"dev,staging,prod-us|prod-eu\"; \"\" means the project's only [rollouts.NAME]. from says which (\"--through\" or \"[rollouts.NAME]\"). Unknown or repeated environments stop with a usage error (exit 2) and a did-you-mean.",
			Fn:  luaRollout},
		engine.Func{Name: "parse_smoke", Params: "text: string", Returns: "project.SmokeCheck",
			Doc: "Reads a smoke check given on the command line: PROMPT=>TEXT (send PROMPT, expect TEXT in the answer), PROMPT alone (expect an answer), or a JSON object with the keys of [[agents.NAME.smoke]] ({\"prompt\": \"hi\", \"expect_json\": {\"status\": \"ok\"}, \"timeout\": \"10s\"}). Bad input stops with a usage error (exit 2).",
			Fn:  luaParseSmoke},
	)
}

func luaRollout(L *lua.LState) int {
	p := mustProject(L)
	waves, from, err := p.RolloutWaves(L.OptString(1, ""))
	if err != nil {
		engine.RaiseUsage(L, "agentcore env list shows the environments", "%v", err)
	}
	L.Push(engine.ToLua(L, map[string]any{"waves": waves, "from": from}))
	return 1
}

func luaParseSmoke(L *lua.LState) int {
	c, err := proj.ParseSmokeFlag(L.CheckString(1))
	if err != nil {
		engine.RaiseUsage(L, "--smoke 'PROMPT=>EXPECTED TEXT', or --smoke '{\"prompt\": \"...\", \"expect\": \"...\"}'", "%v", err)
	}
	L.Push(engine.ToLua(L, c.Table()))
	return 1
}

func smokeTables(checks []proj.SmokeCheck) []any {
	out := make([]any, 0, len(checks))
	for _, c := range checks {
		out = append(out, c.Table())
	}
	return out
}
