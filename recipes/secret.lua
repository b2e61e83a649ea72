-- secret: the Secrets Manager secrets agents read at run time ({ secret = "NAME" } values).
-- The agents of this environment whose configuration names secret name (variable names).
local function users(name)
  local out = json.array()
  for _, an in ipairs(project.agents()) do
    local agent = project.agent(an, { resolve = false })
    for var, ref in pairs(agent.secrets) do
      if ref.name == name then table.insert(out, an .. "." .. var) end
    end
  end
  table.sort(out)
  return out
end

local function need_name(args)
  if not args.name then
    ui.error(("agentcore secret %s needs the secret's NAME"):format(args.action), { usage = true,
      hint = "agentcore secret " .. args.action .. " openai" })
  end
  return project.secret_id(args.name)
end

local function set(args)
  local id = need_name(args)
  if args.from_env and args.from_file then
    ui.error("give one of --from-env VAR and --from-file FILE (or neither, to read stdin)", { usage = true })
  end
  -- The source is checked before anything is created.
  local source
  if args.from_env then
    if os.getenv(args.from_env) == nil then
      ui.error(("environment variable %s is not set"):format(args.from_env), { usage = true,
        hint = "export " .. args.from_env .. "=... first, or read the value from a file (--from-file) or stdin" })
    end
    source = { from_env = args.from_env }
  elseif args.from_file then
    if not fs.exists(args.from_file) then
      ui.error(("%s does not exist"):format(args.from_file), { usage = true })
    end
    source = { from_file = args.from_file }
  else
    source = { stdin = true }
    ui.info("reading the value from stdin (end it with Ctrl-D; one trailing newline is dropped)")
  end
  aws.guard()
  local e = secrets.ensure { name = id, description = ("agentcore secret %s of project %s, environment %s"):format(args.name, project.name(), env.name()),
    tags = require("deploy").owned_tags("agentcore:managed", "true") }
  source.name = id
  local p = secrets.put(source)
  ui.ok(("secret %s (%s): new value stored, version %s"):format(args.name, id, p.version_id:sub(1, 8)))
  local used = users(args.name)
  if #used > 0 then
    ui.info("used by " .. table.concat(used, ", ") .. ": agentcore update AGENT deploys the new version")
  else
    ui.info(("no agent uses it yet: add NAME_ARN = { secret = %q } to an agent's environment in agentcore.toml"):format(args.name))
  end
  return { name = args.name, id = id, arn = p.arn, version_id = p.version_id, created = e.created, used_by = used }
end

local function list(args)
  local prefix = project.secret_prefix()
  local found, rows, out = {}, {}, json.array()
  for _, s in ipairs(secrets.list { prefix = prefix }) do
    local name = s.name:sub(#prefix + 1)
    found[name] = true
    local used = users(name)
    table.insert(rows, { name, s.version_id and s.last_changed or "(no value)", table.concat(used, ", "), s.arn })
    table.insert(out, { name = name, id = s.name, arn = s.arn, last_changed = s.last_changed,
      has_value = s.version_id ~= nil, used_by = used })
  end
  -- Secrets the configuration names that do not exist yet.
  local wanted = {}
  for _, an in ipairs(project.agents()) do
    for _, ref in pairs(project.agent(an, { resolve = false }).secrets) do
      if not found[ref.name] and not wanted[ref.name] then
        wanted[ref.name] = true
        local used = users(ref.name)
        table.insert(rows, { ref.name, "(missing)", table.concat(used, ", "), "-" })
        table.insert(out, { name = ref.name, id = ref.id, has_value = false, missing = true, used_by = used })
      end
    end
  end
  if #rows == 0 then
    ui.info(("no secrets in %s (%s*)"):format(env.name(), prefix))
  else
    ui.table({ "NAME", "LAST CHANGED", "USED BY", "ARN" }, rows)
  end
  return { environment = env.name(), secrets = out }
end

local function delete(args)
  local id = need_name(args)
  aws.guard()
  local d = secrets.describe { name = id }
  if not d then
    ui.ok(("secret %s (%s) does not exist: nothing to delete"):format(args.name, id))
    return { name = args.name, id = id, deleted = false }
  end
  local used = users(args.name)
  local how = args.force and "at once and for good" or "after a 7-day recovery window"
  ui.info(("%s will be deleted %s"):format(d.arn, how))
  if #used > 0 then
    ui.warn(("%s is used by %s: their runtimes will fail to read it, and the next deploy stops until it has a value again"):format(
      args.name, table.concat(used, ", ")))
  end
  local question = ("delete secret %s of %s?"):format(args.name, env.name())
  local e = env.get()
  if e.protected then
    if not ui.confirm("environment " .. e.name .. " is protected: " .. question, { typed = e.name }) then
      ui.error("not confirmed: nothing deleted", { usage = true, hint = "type the environment name exactly, or pass --yes --confirm " .. e.name })
    end
  elseif not ui.confirm(question) then
    ui.error("not confirmed: nothing deleted", { usage = true })
  end
  local r = args.force and secrets.delete { name = id, force = true } or secrets.delete { name = id, recovery_days = 7 }
  if args.force then
    ui.ok(("deleted secret %s (%s)"):format(args.name, id))
  else
    ui.ok(("secret %s is scheduled for deletion on %s"):format(args.name, tostring(r.deletion_date)))
    ui.info("until then: aws secretsmanager restore-secret --secret-id " .. id .. " restores it; --force deletes it now")
  end
  return { name = args.name, id = id, arn = d.arn, deleted = r.deleted, deletion_date = r.deletion_date, used_by = used }
end

return recipe {
  description = "Set, list or delete the Secrets Manager secrets agents read at run time",
  usage = [[
  set NAME      store a new value of secret NAME, creating it when absent; the value is read
                from stdin (default), --from-env VAR or --from-file FILE, never from the
                command line, and never printed
  list          the environment's secrets: name, last changed, the agents using them, ARN
                (never a value); secrets the configuration names but that do not exist yet
  delete NAME   delete it (after a 7-day recovery window; --force: at once)

A secret is agentcore/PROJECT/ENV/NAME in the environment's Secrets Manager (the local
endpoint's for local environments), tagged agentcore:project and agentcore:environment. An
agent uses it with environment = { OPENAI_KEY_ARN = { secret = "openai" } }: the runtime's
variable holds the secret's ARN, and the agent reads the value with GetSecretValue through its
execution role, which may read exactly the secrets its agent names. After set, agentcore update
deploys a new version (the secret's version is part of the configuration hash).

Examples:
  agentcore secret set openai --from-env OPENAI_API_KEY
  pass show openai | agentcore secret set openai -e prod
  agentcore secret list -o json
  agentcore secret delete openai --force --yes]],
  lock = false,
  args = {
    { name = "action", type = "string", positional = true, required = true, choices = { "set", "list", "delete" },
      help = "set, list or delete" },
    { name = "name", type = "string", positional = true, help = "the secret's NAME, as in { secret = \"NAME\" }" },
    { name = "from-env", type = "string", help = "set: read the value from this environment variable" },
    { name = "from-file", type = "string", help = "set: read the value from this file" },
    { name = "force", type = "bool", help = "delete: at once, without a recovery window" },
  },
  run = function(args)
    if args.action == "set" then return set(args) end
    if args.action == "list" then return list(args) end
    return delete(args)
  end,
}
