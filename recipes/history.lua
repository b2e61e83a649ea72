-- history: the environment's audit trail, one entry per run that changed something.
local function short_time(t)
  if not t or t == "" then return "-" end
  return (t:gsub("T", " "):gsub("Z$", ""):gsub("%.%d+", ""))
end

local function took(ms)
  if not ms or ms == 0 then return "-" end
  if ms < 1000 then return ms .. "ms" end
  local s = ms / 1000
  if s < 60 then return ("%.1fs"):format(s) end
  return ("%dm%02ds"):format(math.floor(s / 60), math.floor(s % 60))
end

return recipe {
  description = "Show who changed what in the environment, when, from which commit, and how it ended",
  usage = [[
Every run that changes the environment (create, update, deploy, promote, rollback, release,
rollout, destroy, sync push and pull, drift --fix, secret set and delete, import, memory forget)
writes an entry before it starts and completes it when it ends: who (the caller's ARN from STS
on AWS; user@host on the local provider), when and how long, the git commit of the project and
whether tracked files differed from it ("+dirty"), what changed (versions with their image
digest or zip sha256 and configuration hash, endpoint moves from → to, memories, credential
providers, resources), and the outcome: ok, failed (with the error), or interrupted (the run
was stopped, or killed: its entry stayed "started" and its process is gone). A started entry
of a run on another machine reads "unfinished": it cannot be told from here.

The last 200 entries are kept in .agentcore/state/ENV.history.json; agentcore sync push keeps up
to 1000 in the environment's cloud copy (SSM), merged with what others pushed, and sync pull
brings theirs here.

Examples:
  agentcore history
  agentcore history my-bot --since 7d
  agentcore history -e prod -o json]],
  lock = false,
  args = {
    { name = "agent", type = "string", positional = true, help = "only the entries of this agent" },
    { name = "since", type = "string", help = "from when: 2h, 7d, a date (2026-12-01) or an RFC 3339 time" },
    { name = "limit", type = "int", help = "only the last N entries" },
  },
  run = function(args)
    if args.agent then project.agent(args.agent, { resolve = false }) end
    local entries = history.list { agent = args.agent, since = args.since, limit = args.limit }
    local result = { environment = env.name(), agent = args.agent, entries = entries }
    if ui.json_mode() then return result end
    if #entries == 0 then
      ui.ok(("no change recorded in %s%s"):format(env.name(), args.agent and (" for " .. args.agent) or ""))
      return result
    end
    local rows = {}
    for _, e in ipairs(entries) do
      local outcome = e.outcome
      if e.outcome == "failed" and e.error then outcome = "failed: " .. e.error end
      table.insert(rows, { short_time(e.started_at), e.who, e.recipe .. ": " .. e.what, e.short_commit, outcome, took(e.duration_ms) })
    end
    ui.step(("history of %s%s"):format(env.name(), args.agent and (", agent " .. args.agent) or ""))
    ui.table({ "WHEN (UTC)", "WHO", "WHAT", "COMMIT", "OUTCOME", "TOOK" }, rows)
    return result
  end,
}
