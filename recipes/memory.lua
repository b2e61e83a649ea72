-- memory: read what an AgentCore memory holds (its events, its long-term records, a search of
-- them), or forget one actor (their events and records).

-- The memory NAME stands for in the selected environment: a [memories] name, its AgentCore name
-- or its id as the state records them; a [memories] name an agent uses, found by its AgentCore
-- name (a memory kept by destroy --keep-memory); or the id of any memory.
local function resolve(name)
  local st = state.load()
  for _, a in pairs(st.agents or {}) do
    local rec = a.memory
    if rec and (rec.name == name or rec.memory_name == name or rec.id == name) then
      return rec.id, rec.memory_name
    end
  end
  -- a [memories] name whose memory no agent records now (destroy --keep-memory): its AgentCore name
  for _, agent_name in ipairs(project.agents()) do
    local m = project.agent(agent_name, { resolve = false }).memory
    if m and m.name == name then
      local live = memory.find(m.memory_name)
      if live then return live.id, live.name end
    end
  end
  local id = name:match("memory/(.+)$") or name
  if id:match("^[%a][%w_-]*%-%w%w%w%w%w%w%w%w%w%w$") then
    local ok, live = pcall(memory.get, id)
    if ok and live then return live.id, live.name end
  end
  ui.error(("no memory %q in %s: it is neither a [memories] name recorded there nor a memory's id"):format(name, env.name()),
    { usage = true, hint = "agentcore create AGENT makes the memory an agent names; agentcore status AGENT shows it; " ..
      "agentcore import memory ID --as NAME records one made elsewhere" })
end

local function first_line(s, n)
  s = (s or ""):gsub("%s+", " ")
  if #s > n then s = s:sub(1, n - 1) .. "…" end
  return s
end

local usage_line = "agentcore memory events|records MEMORY, agentcore memory search MEMORY TEXT, agentcore memory forget MEMORY --actor ID"

return recipe {
  description = "Read an AgentCore memory (events, long-term records, search) or forget an actor",
  usage = [[
MEMORY is a [memories] name of agentcore.toml (the memory the selected environment recorded for
it), the memory's AgentCore name, or its id.

  agentcore memory events MEMORY [--actor A] [--session S]   the events, oldest first per session
  agentcore memory records MEMORY [--namespace /facts]        the long-term records under a namespace
  agentcore memory search MEMORY TEXT [--top 5]               the records most relevant to TEXT
  agentcore memory forget MEMORY --actor A                    deletes the actor's events, and the
                                                              records in namespaces naming the actor

A memory holds users' data: forget asks first (--yes answers). Records in namespaces without the
actor's id ({actorId}) cannot be told apart and are kept; forget says how many it deleted.
On the local provider, records come from a deterministic extractor and search ranks them by
BM25 (docs/local-memory.md); on AWS, from the memory's strategies' models.

Examples:
  agentcore memory events chat --actor user-1
  agentcore memory search chat "what does the user drink" -o json
  agentcore memory forget chat --actor user-1 --yes]],
  lock = false,
  changes = function(args) return args.words[1] == "forget" end,
  args = {
    { name = "words", type = "list", positional = true, required = true, help = "events|records|search|forget MEMORY [TEXT]" },
    { name = "actor", type = "string", help = "events: only this actor's; forget: the actor to forget" },
    { name = "session", type = "string", help = "events: only this session's (with --actor)" },
    { name = "namespace", type = "string", help = "records, search: a namespace prefix (default /: all)" },
    { name = "top", type = "int", default = 10, help = "search: how many records" },
    { name = "max", type = "int", default = 1000, help = "events, records: at most this many" },
  },
  run = function(args)
    local w = args.words
    local verb, name = w[1], w[2]
    local verbs = { events = true, records = true, search = true, forget = true }
    if not verbs[verb] then
      ui.error(("unknown memory command %q"):format(verb), { usage = true, hint = usage_line })
    end
    if not name then
      ui.error(("agentcore memory %s needs the memory: a [memories] name, or a memory's id"):format(verb), { usage = true, hint = usage_line })
    end
    if verb ~= "search" and #w > 2 then
      ui.error(("unexpected argument %q"):format(w[3]), { usage = true, hint = usage_line })
    end
    if args.session and not args.actor then
      ui.error("--session goes with --actor (a session belongs to an actor)", { usage = true })
    end
    if verb == "forget" and not args.actor then
      ui.error("say whose memories to forget: --actor ID", { usage = true, hint = "agentcore memory events " .. name .. " lists the actors" })
    end
    aws.guard()
    local id, memory_name = resolve(name)
    local result = { environment = env.name(), memory = { id = id, name = memory_name } }

    if verb == "events" then
      local events = memory.events(id, { actor = args.actor, session = args.session, max = args.max })
      result.events = events
      if ui.json_mode() then return result end
      if #events == 0 then
        ui.ok(("memory %s holds no events%s"):format(memory_name, args.actor and (" of actor " .. args.actor) or ""))
        return result
      end
      local rows = {}
      for _, e in ipairs(events) do
        table.insert(rows, { e.timestamp, e.actor_id, e.session_id, first_line(table.concat(e.messages, " | "), 100) })
      end
      ui.table({ "TIME", "ACTOR", "SESSION", "MESSAGES" }, rows)
      return result
    end

    if verb == "records" then
      local recs = memory.records(id, { namespace = args.namespace, max = args.max })
      result.records = recs
      if ui.json_mode() then return result end
      if #recs == 0 then
        ui.ok(("memory %s holds no long-term records under %s"):format(memory_name, args.namespace or "/"))
        return result
      end
      local rows = {}
      for _, r in ipairs(recs) do
        table.insert(rows, { table.concat(r.namespaces, ","), first_line(r.text, 100), r.created_at })
      end
      ui.table({ "NAMESPACE", "RECORD", "CREATED" }, rows)
      return result
    end

    if verb == "search" then
      local text = table.concat(w, " ", 3)
      if text == "" then
        ui.error("say what to look for: agentcore memory search " .. name .. " \"what the user prefers\"", { usage = true })
      end
      local recs = memory.search(id, text, { namespace = args.namespace, top = args.top })
      result.query, result.records = text, recs
      if ui.json_mode() then return result end
      if #recs == 0 then
        ui.ok(("nothing in memory %s matches %q"):format(memory_name, text))
        return result
      end
      local rows = {}
      for _, r in ipairs(recs) do
        table.insert(rows, { r.score and ("%.3f"):format(r.score) or "", table.concat(r.namespaces, ","), first_line(r.text, 100) })
      end
      ui.table({ "SCORE", "NAMESPACE", "RECORD" }, rows)
      return result
    end

    -- forget
    if not ui.confirm(("delete every event of actor %s from memory %s, and the long-term records in namespaces naming %s? (users' data; this cannot be undone)"):format(
        args.actor, memory_name, args.actor)) then
      ui.error("not confirmed: nothing was deleted", { usage = true })
    end
    local res = memory.forget(id, args.actor)
    result.actor, result.deleted = args.actor, res
    if res.records_failed > 0 then
      ui.warn(("%d records of %s could not be deleted: run agentcore memory forget again"):format(res.records_failed, args.actor))
    end
    ui.ok(("forgot actor %s in memory %s: %d events and %d long-term records deleted"):format(args.actor, memory_name, res.events, res.records))
    history.note(("memory %s: forgot actor %s (%d events, %d records)"):format(memory_name, args.actor, res.events, res.records), { kind = "memory" })
    return result
  end,
}
