package project

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Smoke checks: what `agentcore release` and `agentcore rollout` ask a new version before
// callers get it. In agentcore.toml, a list per agent (an environment may override it):
//
//	[[agents.my-bot.smoke]]
//	prompt = "What is 2 + 2?"      # sent as {"prompt": ...}; or payload = { ... } (any JSON)
//	expect = "4"                    # the answer contains this text
//	expect_json = { "result.ok" = true, answer = { value = 4 } } # paths into a JSON answer
//	timeout = "30s"                 # the whole answer within this time (default 30s)
//
// An MCP server (protocol = "MCP") is checked by calling a tool instead of sending a prompt:
//
//	[[agents.tools-bot.smoke]]
//	tool = "add"                    # tools/call through the runtime's invocations URL
//	args = { a = 2, b = 2 }         # the tool's arguments (a table, or a JSON object as text)
//	expect = "4"                    # the tool's text contains this; expect_json reads its structured content
//
// A2A and AG-UI agents take prompt (an A2A message, an AG-UI run's user message) and expect
// checks the text of their answer.

// DefaultSmokeTimeout bounds one smoke check's invocation when it names no timeout.
const DefaultSmokeTimeout = 30

// MaxSmokeTimeout is the longest a smoke check may wait for its answer.
const MaxSmokeTimeout = 15 * 60

// SmokeCheck is one smoke check of an agent.
type SmokeCheck struct {
	Prompt  string // sent as {"prompt": Prompt}, when Payload is empty
	Payload string // JSON text sent as is
	Expect  string // text the answer must contain, "" for none
	// ExpectJSON maps dotted paths into the JSON answer ("result.items.0.name": array indexes
	// count from 0) to the values they must hold; nested tables in the file are flattened.
	ExpectJSON map[string]any
	Timeout    int // seconds
	Line       int // where it is written in agentcore.toml, 0 when not known
	// Tool is the MCP tool a check of an MCP server calls (instead of a prompt), with Args, the
	// JSON text of its arguments ("{}" when none are given).
	Tool string
	Args string
}

type rawSmoke struct {
	Prompt     string         `toml:"prompt"`
	Payload    any            `toml:"payload"` // a table (sent as JSON) or a JSON string
	Expect     string         `toml:"expect"`
	ExpectJSON map[string]any `toml:"expect_json"`
	Timeout    any            `toml:"timeout"` // seconds or a duration string
	Tool       string         `toml:"tool"`
	Args       any            `toml:"args"` // a table or a JSON object as text
}

// smoke validates an agent's smoke list (path is agents.NAME.smoke, or the environment's
// override of it) for an agent serving protocol ("" when unknown: a --smoke flag).
func (v *validator) smoke(path []string, raw []rawSmoke, protocol string) []SmokeCheck {
	out := make([]SmokeCheck, 0, len(raw))
	for i, r := range raw {
		p := append(append([]string{}, path...), strconv.Itoa(i))
		at := func(k string) []string { return append(append([]string{}, p...), k) }
		line, _ := v.pos.at(p...)
		c := SmokeCheck{Prompt: r.Prompt, Expect: r.Expect, Timeout: DefaultSmokeTimeout, Line: line}
		switch x := r.Payload.(type) {
		case nil:
		case string:
			if !json.Valid([]byte(x)) {
				v.addf(at("payload"), "smoke check %d: payload is not valid JSON; write it as a table, payload = { prompt = \"hi\" }", i+1)
			}
			c.Payload = x
		case map[string]any:
			b, err := json.Marshal(x)
			if err != nil {
				v.addf(at("payload"), "smoke check %d: payload: %v", i+1, err)
			}
			c.Payload = string(b)
		default:
			v.addf(at("payload"), "smoke check %d: payload must be a table (sent as JSON) or a JSON string, not %T", i+1, x)
		}
		c.Tool = r.Tool
		switch {
		case r.Tool != "" && (c.Prompt != "" || r.Payload != nil):
			v.addf(at("tool"), "smoke check %d has both tool and %s: a check calls a tool (MCP) or sends a prompt or payload", i+1, map[bool]string{true: "prompt", false: "payload"}[c.Prompt != ""])
		case r.Tool != "" && protocol != "" && protocol != "MCP":
			v.addf(at("tool"), "smoke check %d calls tool %q, but the agent serves protocol %s: tool is for MCP servers (protocol = \"MCP\"); send a prompt instead", i+1, r.Tool, protocol)
		case r.Tool == "" && protocol == "MCP":
			v.addf(p, "smoke check %d: the agent is an MCP server (protocol = \"MCP\"): check a tool, e.g. tool = \"add\", args = { a = 2, b = 2 }, expect = \"4\"", i+1)
		case r.Tool != "":
		case c.Prompt == "" && r.Payload == nil:
			v.addf(p, "smoke check %d needs prompt = \"...\" (sent as {\"prompt\": ...}) or payload = { ... }", i+1)
		case c.Prompt != "" && r.Payload != nil:
			v.addf(at("payload"), "smoke check %d has both prompt and payload: give one", i+1)
		}
		switch x := r.Args.(type) {
		case nil:
			if r.Tool != "" {
				c.Args = "{}"
			}
		case string:
			var obj map[string]any
			if err := json.Unmarshal([]byte(x), &obj); err != nil || obj == nil {
				v.addf(at("args"), "smoke check %d: args is not a JSON object; write it as a table, args = { a = 2, b = 2 }", i+1)
			}
			c.Args = x
		case map[string]any:
			b, err := json.Marshal(x)
			if err != nil {
				v.addf(at("args"), "smoke check %d: args: %v", i+1, err)
			}
			c.Args = string(b)
		default:
			v.addf(at("args"), "smoke check %d: args must be a table of the tool's arguments (or a JSON object as text), not %T", i+1, x)
		}
		if r.Args != nil && r.Tool == "" {
			v.addf(at("args"), "smoke check %d: args goes with tool = \"NAME\" (an MCP tool's arguments)", i+1)
		}
		if r.ExpectJSON != nil {
			c.ExpectJSON = map[string]any{}
			flattenExpect("", r.ExpectJSON, c.ExpectJSON)
			if len(c.ExpectJSON) == 0 {
				v.addf(at("expect_json"), "smoke check %d: expect_json is empty; name a path and its value, e.g. expect_json = { \"status\" = \"ok\" }", i+1)
			}
			for _, k := range sortedKeys(c.ExpectJSON) {
				if strings.Contains(k, "..") || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") {
					v.addf(at("expect_json"), "smoke check %d: expect_json path %q has an empty part", i+1, k)
				}
			}
		}
		if r.Timeout != nil {
			if secs, ok := smokeSeconds(r.Timeout); ok {
				c.Timeout = secs
			} else {
				v.addf(at("timeout"), "smoke check %d: timeout %v is not a duration from 1s to 15m: use seconds (30) or a duration (\"30s\", \"2m\")", i+1, r.Timeout)
			}
		}
		out = append(out, c)
	}
	return out
}

// flattenExpect turns nested tables into dotted paths; lists and scalars are values.
func flattenExpect(prefix string, m map[string]any, out map[string]any) {
	for k, val := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := val.(map[string]any); ok {
			flattenExpect(key, sub, out)
			continue
		}
		if t, ok := val.(time.Time); ok { // a TOML date: compared as the text JSON would hold
			val = t.Format(time.RFC3339)
		}
		out[key] = val
	}
}

func smokeSeconds(val any) (int, bool) {
	var secs int64
	switch x := val.(type) {
	case int64:
		secs = x
	case string:
		d, err := time.ParseDuration(x)
		if err != nil || d%time.Second != 0 {
			return 0, false
		}
		secs = int64(d / time.Second)
	default:
		return 0, false
	}
	return int(secs), secs >= 1 && secs <= MaxSmokeTimeout
}

// ParseSmokeFlag reads a smoke check given on the command line: either a JSON object with
// the keys of a check in agentcore.toml ({"prompt": "hi", "expect": "hello", "timeout": "10s"}),
// or PROMPT=>TEXT (send PROMPT, expect TEXT in the answer), or PROMPT alone (expect an answer).
func ParseSmokeFlag(s string) (SmokeCheck, error) {
	c := SmokeCheck{Timeout: DefaultSmokeTimeout}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		var r map[string]any
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			return c, fmt.Errorf("--smoke %s: not a JSON object: %v", s, err)
		}
		known := tomlKeys(rawSmoke{})
		var raw rawSmoke
		for _, k := range sortedKeys(r) {
			val := r[k]
			switch k {
			case "prompt", "expect", "tool":
				str, ok := val.(string)
				if !ok {
					return c, fmt.Errorf("--smoke: %s must be a string", k)
				}
				switch k {
				case "prompt":
					raw.Prompt = str
				case "tool":
					raw.Tool = str
				default:
					raw.Expect = str
				}
			case "args":
				raw.Args = val
			case "payload":
				raw.Payload = val
			case "expect_json":
				m, ok := val.(map[string]any)
				if !ok {
					return c, fmt.Errorf("--smoke: expect_json must be an object of path: value")
				}
				raw.ExpectJSON = m
			case "timeout":
				if n, ok := val.(json.Number); ok {
					i, err := n.Int64()
					if err != nil {
						return c, fmt.Errorf("--smoke: timeout %s is not a whole number of seconds", n)
					}
					raw.Timeout = i
				} else {
					raw.Timeout = val
				}
			default:
				return c, fmt.Errorf("--smoke: unknown key %q%s", k, Suggest(k, known))
			}
		}
		v := &validator{pos: positions{}}
		checks := v.smoke([]string{"smoke"}, []rawSmoke{raw}, "")
		if len(v.problems) > 0 {
			return c, fmt.Errorf("--smoke %s: %s", s, strings.Replace(v.problems[0].Msg, "smoke check 1", "the check", 1))
		}
		c = checks[0]
		c.ExpectJSON = jsonNumbers(c.ExpectJSON)
		return c, nil
	}
	prompt, expect, _ := strings.Cut(s, "=>")
	c.Prompt, c.Expect = strings.TrimSpace(prompt), strings.TrimSpace(expect)
	if c.Prompt == "" {
		return c, fmt.Errorf("--smoke %q has no prompt: use --smoke 'PROMPT=>EXPECTED TEXT' or a JSON object {\"prompt\": ..., \"expect\": ...}", s)
	}
	return c, nil
}

// jsonNumbers makes json.Number values float64, as a decoded answer holds them.
func jsonNumbers(m map[string]any) map[string]any {
	for k, val := range m {
		if n, ok := val.(json.Number); ok {
			f, _ := n.Float64()
			m[k] = f
		}
	}
	return m
}

// Table is the Lua (and JSON) view of a check.
func (c SmokeCheck) Table() map[string]any {
	t := map[string]any{"timeout": c.Timeout}
	if c.Prompt != "" {
		t["prompt"] = c.Prompt
	}
	if c.Payload != "" {
		t["payload"] = c.Payload
	}
	if c.Tool != "" {
		t["tool"] = c.Tool
		t["args"] = c.Args
	}
	if c.Expect != "" {
		t["expect"] = c.Expect
	}
	if c.ExpectJSON != nil {
		t["expect_json"] = c.ExpectJSON
	}
	if c.Line > 0 {
		t["where"] = fmt.Sprintf("%s:%d", FileName, c.Line)
	}
	return t
}
