-- credential: the AgentCore Identity credential providers of the selected environment, as
-- agentcore.toml declares them and AgentCore describes them. Never a value: AgentCore never
-- returns one, and agentcore records only a keyed hash of it.

-- One [credentials] name's row: configuration, record (by whichever agents list it) and the
-- provider as AgentCore describes it.
local function describe(name, st)
  local cfg = identity.config(name)
  local out = { name = name, type = cfg.type, provider_name = cfg.provider_name, env = cfg.env, vendor = cfg.vendor,
    scopes = cfg.scopes, source = cfg.source, agents = json.array(), recorded = false }
  for _, n in ipairs(project.agents()) do
    local agent = project.agent(n, { resolve = false })
    for _, c in ipairs(agent.credentials or {}) do
      if c == name then table.insert(out.agents, n) end
    end
    local a = st.agents[n]
    for _, r in ipairs(a and a.credentials or {}) do
      if r.name == name then
        out.recorded, out.provider_name, out.arn, out.created_by, out.key_hash = true, r.provider_name, r.arn, r.created_by, r.key_hash
      end
    end
  end
  local live = identity.get(cfg.type, out.provider_name)
  out.exists = live ~= nil
  out.status = live and "READY" or (out.recorded and "MISSING" or "NOT CREATED")
  if live then out.arn, out.updated, out.created = live.arn, live.updated, live.created end
  return out
end

local function names()
  local seen, out = {}, {}
  for _, n in ipairs(project.agents()) do
    for _, c in ipairs(project.agent(n, { resolve = false }).credentials or {}) do
      if not seen[c] then seen[c] = true; table.insert(out, c) end
    end
  end
  for _, c in ipairs(project.credentials()) do
    if not seen[c] then seen[c] = true; table.insert(out, c) end
  end
  table.sort(out)
  return out
end

return recipe {
  description = "List or show the credential providers of agentcore.toml in an environment (never a value)",
  usage = [[
  agentcore credential list              every [credentials.NAME]: type, provider name, where its
                                          key comes from, the agents that list it, its status
  agentcore credential show NAME         one of them, with its ARN, who made it and its last change

Neither prints a key or client secret: AgentCore never returns one, and the state keeps only a
keyed hash of it (key_hash), which tells a changed key without revealing it.

Examples:
  agentcore credential list -e prod
  agentcore credential show github -o json]],
  args = {
    { name = "words", type = "list", positional = true, required = true, help = "list | show NAME" },
  },
  run = function(args)
    local verb, name = args.words[1], args.words[2]
    if verb ~= "list" and verb ~= "show" or (verb == "show" and not name) or #args.words > (verb == "show" and 2 or 1) then
      ui.error(("unknown use: agentcore credential %s"):format(table.concat(args.words, " ")),
        { usage = true, hint = "agentcore credential list, or agentcore credential show NAME" })
    end
    local st = state.load()
    if verb == "show" then
      local r = describe(name, st)
      if ui.json_mode() then return r end
      ui.table({ "FIELD", "VALUE" }, {
        { "name", r.name }, { "type", r.type }, { "vendor", r.vendor ~= "" and r.vendor or "-" },
        { "provider_name", r.provider_name }, { "arn", r.arn or "-" }, { "status", r.status },
        { "key from", r.source ~= "" and r.source or "-" }, { "env", r.env },
        { "scopes", #r.scopes > 0 and table.concat(r.scopes, " ") or "-" },
        { "agents", #r.agents > 0 and table.concat(r.agents, ", ") or "-" },
        { "created_by", r.created_by or "-" }, { "last change", r.updated or "-" },
      })
      return r
    end
    local out = json.array()
    for _, n in ipairs(names()) do table.insert(out, describe(n, st)) end
    if ui.json_mode() then return out end
    local rows = {}
    for _, r in ipairs(out) do
      table.insert(rows, { r.name, r.type, r.provider_name, r.source ~= "" and r.source or "-",
        #r.agents > 0 and table.concat(r.agents, ",") or "-", r.status, r.updated or "-" })
    end
    if #rows == 0 then
      ui.info("no [credentials] in agentcore.toml")
      return out
    end
    ui.table({ "NAME", "TYPE", "PROVIDER", "KEY FROM", "AGENTS", "STATUS", "LAST CHANGE" }, rows)
    return out
  end,
}
