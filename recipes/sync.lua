-- sync: share the environment's state through the cloud config store (SSM Parameter Store).

-- What push and pull did with the history, which they merge (never overwrite) either way.
local function history_line(r)
  ui.info(("history: %d entr%s in the cloud copy, %d from others brought here"):format(
    r.history, r.history == 1 and "y" or "ies", r.history_brought))
end
return recipe {
  description = "Push, pull or compare the environment's state with its cloud copy (SSM Parameter Store)",
  usage = [[
  status   in sync, ahead (local changes not pushed), behind (the cloud copy is newer),
           diverged (both changed), or never pushed
  push     write the recorded state to the cloud; refused when the cloud copy is newer
           (--force overwrites it)
  pull     take the cloud copy; refused when local changes were never pushed (--force)

The cloud copy lives under /agentcore/PROJECT/ENV/ in the environment's account and region.
push and pull also merge the environment's history (agentcore history) with the cloud's, by
entry: push shares this checkout's entries and brings others' here, pull brings others' here;
neither overwrites an entry. The cloud keeps the last 1000 entries in pages of 4 KB
(/agentcore/PROJECT/ENV/history/0001...), this checkout the last 200.

Examples:
  agentcore sync push -e prod
  agentcore sync status -o json]],
  changes = function(args) return args.action ~= "status" end,
  args = {
    { name = "action", type = "string", positional = true, required = true, choices = { "push", "pull", "status" },
      help = "push, pull or status" },
    { name = "force", type = "bool", help = "push over a newer cloud copy, or pull over unpushed changes" },
  },
  run = function(args)
    if args.action == "status" then
      local s = store.status()
      local meaning = {
        ["in sync"] = "the recorded state and the cloud copy are the same",
        ahead = "this checkout has changes that are not pushed: agentcore sync push",
        behind = "the cloud copy is newer: agentcore sync pull",
        diverged = "both changed since the last sync: agentcore drift shows how; then pull or push --force",
        ["never pushed"] = "there is no cloud copy yet: agentcore sync push",
      }
      ui.step(("%s: %s"):format(env.name(), s.status))
      ui.info(meaning[s.status])
      if s.cloud then
        ui.info(("cloud copy: serial %d, pushed by %s at %s (%s)"):format(s.cloud.serial, s.cloud.pushed_by, s.cloud.pushed_at, s.path))
      end
      ui.info(("recorded: serial %d"):format(s["local"].serial))
      return s
    elseif args.action == "push" then
      local r = store.push({ force = args.force })
      history_line(r)
      if r.pushed then
        ui.ok(("pushed the state of %s to %s (serial %d, %d parameter%s, %s tier)"):format(
          env.name(), store.path(), r.serial, r.parts, r.parts == 1 and "" or "s", r.tier:lower()))
      else
        ui.ok(("the cloud copy of %s is already this state: nothing to push"):format(env.name()))
      end
      return r
    else
      local r = store.pull({ force = args.force })
      history_line(r)
      if r.pulled then
        ui.ok(("took the cloud copy of %s (serial %d) from %s"):format(env.name(), r.serial, store.path()))
      else
        ui.ok(("the recorded state of %s is already the cloud copy: nothing to pull"):format(env.name()))
      end
      return r
    end
  end,
}
