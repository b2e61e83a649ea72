package project

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// The release and rollout views of agentcore.toml (project/release.go, smoke.go).
func init() {
	Module.Classes = append(Module.Classes,
		&engine.Class{Name: "project.Rollout", Doc: "The waves of a rollout (each a list of environments deployed in parallel), in order, and where they come from.",
			Of: rollout{}},
		&engine.Class{Name: "project.SmokeCheck", Doc: "A smoke check: prompt (sent as {\"prompt\": ...}) or payload (JSON text sent as is); " +
			"or, for an MCP server, tool (the tool tools/call calls) with args (the JSON text of its arguments); " +
			"expect, text the answer contains; expect_json, dotted paths into a JSON answer (a tool's structured content) and the values they hold; timeout in seconds; where, its place in agentcore.toml.",
			Fields: "prompt?: string, payload?: string, tool?: string, args?: string, expect?: string, expect_json?: table<string, any>, timeout: integer, where?: string"},
	)
	Module.Funcs = append(Module.Funcs,
		engine.Func{Name: "rollout", Params: "through?: string", Returns: "project.Rollout",
			Doc: "The environments a rollout goes through, in waves (a wave's environments are deployed in parallel): through names a [rollouts.NAME] table, or lists environments separated by ',' (one after the other) and '|' (in parallel), e.g. \"dev,staging,prod-us|prod-eu\"; \"\" means the project's only [rollouts.NAME]. from says which (\"--through\" or \"[rollouts.NAME]\"). Unknown or repeated environments stop with a usage error (exit 2) and a did-you-mean.",
			Go:  luaRollout},
		engine.Func{Name: "parse_smoke", Params: "text: string", Returns: "project.SmokeCheck",
			Doc: "Reads a smoke check given on the command line: PROMPT=>TEXT (send PROMPT, expect TEXT in the answer), PROMPT alone (expect an answer), or a JSON object with the keys of [[agents.NAME.smoke]] ({\"prompt\": \"hi\", \"expect_json\": {\"status\": \"ok\"}, \"timeout\": \"10s\"}; an MCP tool: {\"tool\": \"add\", \"args\": {\"a\": 2, \"b\": 2}, \"expect\": \"4\"}). Bad input stops with a usage error (exit 2).",
			Go:  luaParseSmoke},
	)
}

type rollout struct {
	Waves [][]string `json:"waves"`
	From  string     `json:"from"`
}

func luaRollout(L *lua.LState, through string) (rollout, error) {
	p, err := engine.FromL(L).NeedProject()
	if err != nil {
		return rollout{}, err
	}
	waves, from, err := p.RolloutWaves(through)
	if err != nil {
		return rollout{}, engine.Usagef("agentcore env list shows the environments", "%v", err)
	}
	return rollout{Waves: waves, From: from}, nil
}

func luaParseSmoke(text string) (map[string]any, error) {
	c, err := proj.ParseSmokeFlag(text)
	if err != nil {
		return nil, engine.Usagef("--smoke 'PROMPT=>EXPECTED TEXT', or --smoke '{\"prompt\": \"...\", \"expect\": \"...\"}'", "%v", err)
	}
	return c.Table(), nil
}

func smokeTables(checks []proj.SmokeCheck) []map[string]any {
	out := make([]map[string]any, 0, len(checks))
	for _, c := range checks {
		out = append(out, c.Table())
	}
	return out
}
