-- gateway: list and call the tools of a gateway of the project, through its MCP URL, with the
-- gateway's own inbound auth (SigV4 for iam, a bearer token for jwt).

local usage_line = "agentcore gateway tools GATEWAY, agentcore gateway call GATEWAY TOOL --args JSON"

-- The recorded gateway GATEWAY stands for in the selected environment: a [gateways] name, the
-- gateway's AgentCore name or its id, as an agent's state records it.
local function resolve(name)
  for _, a in pairs(state.load().agents or {}) do
    for _, r in ipairs(a.gateways or {}) do
      if r.name == name or r.gateway_name == name or r.id == name then return r end
    end
  end
  local known = project.gateways()
  local hint = ("agentcore create AGENT (an agent with gateways = [\"%s\"]) makes it"):format(name)
  for _, g in ipairs(known) do
    if g == name then
      ui.error(("gateway %s is not deployed in %s: no agent records it"):format(name, env.name()), { usage = true, hint = hint })
    end
  end
  ui.error(("no gateway %q in %s%s"):format(name, env.name(), #known > 0 and (" (the project's: " .. table.concat(known, ", ") .. ")") or ""),
    { usage = true, hint = "gateways are defined under [gateways.NAME] in agentcore.toml; " .. hint:gsub("%[\"[^\"]*\"%]", "[\"NAME\"]") })
end

local function tool_args(t)
  local out = {}
  for _, a in ipairs(t.args or {}) do
    table.insert(out, ("%s%s: %s"):format(a.name, a.required and "" or "?", a.type ~= "" and a.type or "any"))
  end
  return table.concat(out, ", ")
end

local function one_line(s, n)
  s = tostring(s or ""):gsub("%s+", " ")
  if #s > n then s = s:sub(1, n - 3) .. "..." end
  return s
end

return recipe {
  description = "List or call the tools of a gateway of the project (its MCP URL, with the gateway's own inbound auth)",
  usage = [[
GATEWAY is a [gateways] name of agentcore.toml (the gateway the selected environment recorded for
it), its AgentCore name, or its id. Tools are named TARGET___TOOL, as AgentCore names them.

  agentcore gateway tools GATEWAY                       tools/list: name, description, arguments
  agentcore gateway call GATEWAY TOOL --args JSON       tools/call; the tool's text (or -o json)

A gateway with auth = "iam" is called signed with SigV4 (the environment's credentials; the
local endpoint's keys locally). One with jwt auth takes a bearer token: --token TOKEN, or the
variable AGENTCORE_GATEWAY_TOKEN of agentcore's environment (never printed).

Examples:
  agentcore gateway tools tools
  agentcore gateway call tools weather___getWeather --args '{"city": "Oslo"}'
  AGENTCORE_GATEWAY_TOKEN=$(get-token) agentcore gateway tools public -e prod]],
  lock = false,
  args = {
    { name = "words", type = "list", positional = true, required = true, help = "tools GATEWAY | call GATEWAY TOOL" },
    { name = "args", type = "string", help = "call: the tool's arguments, a JSON object" },
    { name = "token", type = "string", help = "a jwt gateway's bearer token (default: $AGENTCORE_GATEWAY_TOKEN)" },
  },
  run = function(args)
    local w = args.words
    local verb, name, tool = w[1], w[2], w[3]
    if verb ~= "tools" and verb ~= "call" then
      ui.error(("unknown gateway command %q"):format(tostring(verb)), { usage = true, hint = usage_line })
    end
    if not name then
      ui.error(("agentcore gateway %s needs the gateway: a [gateways] name"):format(verb), { usage = true, hint = usage_line })
    end
    if verb == "call" and not tool then
      ui.error("agentcore gateway call needs the tool: TARGET___TOOL as agentcore gateway tools " .. name .. " lists it", { usage = true, hint = usage_line })
    end
    if verb == "tools" and (tool or args.args) then
      ui.error("agentcore gateway tools takes the gateway only", { usage = true, hint = usage_line })
    end
    if args.args then
      local ok, v = pcall(json.decode, args.args)
      if not ok then ui.error("--args is not valid JSON: " .. tostring(type(v) == "table" and v.message or v), { usage = true }) end
      if type(v) ~= "table" or (#v > 0) then ui.error("--args is not a JSON object", { usage = true, hint = "--args '{\"city\": \"Oslo\"}'" }) end
    end
    local rec = resolve(name)
    local auth = "iam"
    for _, g in ipairs(project.gateways()) do
      if g == rec.name then auth = gateway.config(g).auth_type or "iam" end
    end
    local live = gateway.get(rec.id)
    if not live then
      ui.error(("gateway %s (%s) is recorded in %s but does not exist"):format(rec.gateway_name, rec.id, env.name()),
        { hint = "agentcore update AGENT (an agent that uses it) makes it again" })
    end
    auth = live.auth_type or auth
    local inbound = gateway.inbound(auth, args.token)
    local opts = { sigv4 = inbound.sigv4 or nil, bearer = inbound.bearer, label = "gateway " .. rec.gateway_name }
    local out = { gateway = rec.name, gateway_name = rec.gateway_name, url = live.url }
    if verb == "tools" then
      local r = mcp.tools(live.url, opts)
      out.tools = r.tools
      if not ui.json_mode() then
        local rows = {}
        for _, t in ipairs(r.tools) do table.insert(rows, { t.name, one_line(t.description, 60), tool_args(t) }) end
        if #rows == 0 then ui.print(("gateway %s has no tools"):format(rec.name)) else ui.table({ "TOOL", "DESCRIPTION", "ARGUMENTS" }, rows) end
      end
      return out
    end
    local r = mcp.call(live.url, tool, args.args or "{}", opts)
    out.tool, out.content, out.structuredContent, out.isError, out.text = tool, r.content, r.structuredContent, r.isError, r.text
    if r.isError then
      ui.error(("tool %s of gateway %s failed: %s"):format(tool, rec.name, r.text ~= "" and r.text or json.encode(r.content)),
        { hint = "agentcore gateway tools " .. name .. " lists the tools and their arguments" })
    end
    if not ui.json_mode() then
      local shown = false
      for _, c in ipairs(r.content) do
        if c.type == "text" then
          ui.print(c.text); shown = true
        end
      end
      if not shown and r.structuredContent ~= nil then ui.print(json.encode(r.structuredContent)) end
    end
    return out
  end,
}
