-- Shared steps of the stock recipes: repository, image, role and runtime, in the order a
-- deploy takes them. A project can require("deploy") from its own recipes too, or shadow this
-- library with recipes/lib/deploy.lua. What keeps an interrupted run harmless is not here but
-- in Go builtins that a shadowing copy calls the same way: the write-ahead journal and every
-- save of the state (journal), idempotency tokens, name fingerprints and random name parts
-- (naming), the IAM-propagation classifier (retry) and durations (duration).
local M = {}

-- LuaLS types of the tables the functions below pass around (agentcore docs --format luals deploy).
---An agent as project.agent(NAME) returns it for the selected environment.
---@class deploy.Agent
---@field name string
---@field runtime_name string
---@field build "docker"|"go"|"zip"|"image"
---@field environment table<string, string>
---@field execution_role string
---@field [string] any
---The environment's recorded state, as state.load() returns it.
---@class deploy.State
---@field agents table<string, deploy.AgentState>
---@field [string] any
---One agent's entry in the state.
---@class deploy.AgentState
---@field runtime_name string
---@field runtime_id? string
---@field runtime_arn? string
---@field versions deploy.Version[]
---@field endpoints table<string, {version: integer, arn?: string, status: string}>
---@field resources {kind: string, id: string, arn?: string}[]
---@field [string] any
---One runtime version in the state.
---@class deploy.Version
---@field number integer
---@field image string REPO@sha256:... or s3://BUCKET/KEY?versionId=V
---@field digest string
---@field config_hash? string
---@field source_hash? string what a docker or go build was made from (M.source_hash)
---@field created_at? string
---@field status string
---Where the artifact goes and who may read it (ensure_repository_and_role).
---@class deploy.Repo
---@field repositoryUri? string
---@field repositoryArn? string
---@field push_uri? string
---@field bucket? string
---@field prefix? string
---@field role_arn? string
---@field role_fresh? boolean
---@field authorizer? table
---An artifact made on this machine (make_artifact).
---@class deploy.Artifact
---@field kind "docker"|"go"|"zip"|"image"
---@field digest? string
---@field [string] any
---An artifact where the runtime can reach it.
---@class deploy.Published
---@field image string
---@field digest string
---@field source_hash? string
---@field unchanged? boolean
---What update_agent did: changed says whether a new version was made (recreated: the runtime
---was deleted out of band and created again).
---@class deploy.UpdateResult
---@field agent string
---@field changed boolean
---@field version integer
---@field digest string
---@field image? string
---@field recreated? boolean
---A version of an agent in another environment, for carry: from is that environment, auth
---the credentials of its registry (nil for a code zip).
---@class deploy.CarrySource
---@field from string
---@field version? integer (nil: built once for a first wave, deployed nowhere yet)
---@field image string
---@field digest string
---@field auth? {username: string, password: string, server?: string}
---What carry did: version is the target's, source_version the one carried; changed is false
---when the target ran that artifact already.
---@class deploy.CarryResult
---@field agent string
---@field from string
---@field to string
---@field version integer
---@field source_version integer
---@field digest string
---@field changed boolean
---A write-ahead intent recorded before the call it announces (journal.begin).
---@class deploy.Intent
---@field op string
---@field token? string
---@field [string] any
---One agent in the selected environment: what the functions that deploy work on. st is the
---environment's state (state.load), a the agent's entry in it; journal calls save st.
---@class deploy.Context
---@field agent deploy.Agent
---@field st deploy.State
---@field a deploy.AgentState
---@field env string

-- Versions are "1", "2" in the AgentCore API; users may type 2 or V2.
---@param v string|integer|nil
---@return integer?
function M.parse_version(v)
  if v == nil then return nil end
  local n = tonumber((tostring(v):gsub("^[vV]", "")))
  if not n or n < 1 or n ~= math.floor(n) then
    ui.error(("%q is not a version: use a number such as 3 or V3"):format(tostring(v)), { usage = true })
  end
  return n
end

---@param n integer
---@return string
function M.vname(n) return "V" .. tostring(n) end

-- The agent's entry in the environment state, created empty when missing.
---@param st deploy.State
---@param agent deploy.Agent
---@return deploy.AgentState
function M.agent_state(st, agent)
  local a = st.agents[agent.name]
  if not a then
    a = { runtime_name = agent.runtime_name }
    st.agents[agent.name] = a
  end
  a.versions = a.versions or {}
  a.endpoints = a.endpoints or {}
  a.resources = a.resources or {}
  a.runtime_name = a.runtime_name or agent.runtime_name
  return a
end

-- The context of an agent in the selected environment, its entry in st (default: the state
-- loaded now) created when missing.
---@param agent deploy.Agent
---@param st? deploy.State
---@return deploy.Context
function M.context(agent, st)
  st = st or state.load()
  return { agent = agent, st = st, a = M.agent_state(st, agent), env = env.name() }
end

-- Records that agentcore created a resource (destroy deletes only these); saves the state.
---@param c deploy.Context
---@param kind string
---@param id string
---@param arn? string
function M.record_resource(c, kind, id, arn)
  journal.record_resource(c.st, c.agent.name, kind, id, arn)
end

-- Forgets a resource (deleted, or gone); saves the state.
---@param c deploy.Context
---@param kind string
---@param id string
function M.forget_resource(c, kind, id)
  journal.forget_resource(c.st, c.agent.name, kind, id)
end

-- Records the agent's runtime_id, runtime_arn, repository or role_arn; saves the state.
---@param c deploy.Context
---@param fields journal.Record
function M.record(c, fields)
  journal.record(c.st, c.agent.name, fields)
end

---@param a deploy.AgentState
---@param n integer
---@return deploy.Version?
function M.version(a, n)
  for _, v in ipairs(a.versions) do
    if v.number == n then return v end
  end
  return nil
end

---@param a deploy.AgentState
---@return deploy.Version?
function M.latest(a)
  local best
  for _, v in ipairs(a.versions) do
    if not best or v.number > best.number then best = v end
  end
  return best
end

-- Records a version (replacing the one of its number); saves the state.
---@param c deploy.Context
---@param v deploy.Version
function M.set_version(c, v)
  journal.set_version(c.st, c.agent.name, v)
end

---@return string
function M.now()
  return os.date("!%Y-%m-%dT%H:%M:%SZ")
end

---@param d string?
---@return string
function M.short_digest(d)
  if not d or d == "" then return "-" end
  return (d:gsub("^sha256:", "")):sub(1, 12)
end

-- The ECR repository of an agent in an environment: agentcore/<runtime name>, lowercased.
---@param agent deploy.Agent
---@return string
function M.repo_name(agent)
  return "agentcore/" .. agent.runtime_name:lower():gsub("_", "-")
end

-- Stops with a clear message when the agent has no runtime in this environment.
---@param c deploy.Context
---@return deploy.AgentState
function M.require_runtime(c)
  if not c.a.runtime_id then
    ui.error(("agent %s has not been created in environment %s"):format(c.agent.name, env.name()),
      { hint = "create it first: agentcore create " .. c.agent.name .. " -e " .. env.name(), usage = true })
  end
  return c.a
end

---@return boolean
function M.is_local()
  return env.get().is_local
end

-- CloudFormation stack names of an agent's repository and role on AWS environments.
---@param agent deploy.Agent
---@param what string
---@return string
function M.stack_name(agent, what)
  return "agentcore-" .. agent.runtime_name:lower():gsub("_", "-") .. "-" .. what
end

-- The tags of everything agentcore creates for an agent: they tell, after an interrupted run,
-- what this project created from what someone else did. token (the write-ahead intent's
-- client token) names the very run that created it.
---@param agent deploy.Agent
---@param token? string
---@return table<string, string>
function M.tags(agent, token)
  return M.owned_tags("agentcore:agent", agent.name, token)
end

-- The tags of what agentcore creates, naming its owner with key = value (agentcore:agent for
-- an agent's resources, agentcore:memory for a memory the environment's agents share).
---@param key string
---@param value string
---@param token? string
---@return table<string, string>
function M.owned_tags(key, value, token)
  local t = M.user_tags()
  t["agentcore:project"], t["agentcore:environment"], t[key] = project.name(), env.name(), value
  if project.id() ~= "" then t["agentcore:project-id"] = project.id() end
  if token then t["agentcore:token"] = token end
  return t
end
local stack_tags = M.tags

-- The tags agentcore.toml asks for on everything agentcore creates in the selected environment
-- ([project] tags with the environment's over them), a fresh copy. M.owned_tags starts from
-- them, so every resource kind (a gateway's too) gets them by asking for its owned tags.
---@return table<string, string>
function M.user_tags()
  local t = {}
  for k, v in pairs(env.get().tags or {}) do t[k] = v end
  return t
end

-- The user's tags that tags (a resource's live tags) lacks or holds with another value:
-- {key = {want, got}}, empty when they all match. Keys the user does not set are not compared
-- (AWS and agentcore add their own).
---@param tags table<string, string>?
---@return table<string, {want: string, got: string?}>
function M.tag_drift(tags)
  local out = {}
  for k, want in pairs(M.user_tags()) do
    local got = tags and tags[k] or nil
    if got ~= want then out[k] = { want = want, got = got } end
  end
  return out
end

-- Who the tags say made a resource, for this agent in this environment:
--   "ours"   this project (name and, when both have one, id), environment and agent;
--   "other"  another checkout of the same project name: its agentcore:project-id names
--            another id, or this project has none and it does (never adopted: see
--            M.other_checkout_error);
--   "none"   not agentcore's for this agent (other names, no tags).
-- A resource tagged before project ids (no agentcore:project-id) is judged by the names
-- alone, as agentcore did then, so projects made before ids keep working.
---@param tags table<string, string>?
---@param agent deploy.Agent
---@return "ours"|"other"|"none"
function M.owner(tags, agent)
  return M.tag_owner(tags, "agentcore:agent", agent.name)
end

-- Who tags say made a resource whose owner they name with key = value (see M.owner).
---@param tags table<string, string>?
---@param key string
---@param value string
---@return "ours"|"other"|"none"
function M.tag_owner(tags, key, value)
  if tags == nil or tags["agentcore:project"] ~= project.name()
    or tags["agentcore:environment"] ~= env.name() or tags[key] ~= value then
    return "none"
  end
  local theirs = tags["agentcore:project-id"]
  if theirs and theirs ~= "" and theirs ~= project.id() then return "other" end
  return "ours"
end

-- Whether tags say this project created the resource for this agent in this environment.
---@param tags table<string, string>?
---@param agent deploy.Agent
---@return boolean
function M.ours(tags, agent)
  return M.owner(tags, agent) == "ours"
end

-- Stops (exit 1) because what (a runtime, a repository) belongs to another checkout of this
-- project's name: never adopted, whatever the hint; rename this one.
---@param what string
---@param tags table<string, string>
function M.other_checkout_error(what, tags)
  local mine = project.id() ~= "" and ("this checkout's is " .. project.id()) or "this checkout has none"
  ui.error(("%s belongs to another checkout of project %s (its agentcore:project-id is %s; %s): it is not adopted"):format(
    what, project.name(), tags["agentcore:project-id"], mine),
    { hint = ("two checkouts with one project name share resource names in %s: give this one its own name with [project] name = \"%s-2\" (or any other) in agentcore.toml, or deploy it to another environment; the other checkout's resources stay untouched"):format(
      env.name(), project.name()) })
end

-- Says once per run, when this project has no [project] id, how to add one.
local warned_no_id = false
function M.warn_no_id()
  if warned_no_id or project.id() ~= "" then return end
  warned_no_id = true
  ui.warn(("project %s has no [project] id, so a resource made by another checkout with the same name cannot be told from its own: add under [project] in agentcore.toml: id = \"%s\" (12 random hex digits; keep it, and never copy it to another project)"):format(
    project.name(), naming.random_hex(12)))
end

-- Ensures the repository (scan on push, lifecycle policy) and records it when created here.
-- Local environments use the ECR API directly; AWS environments a CloudFormation stack.
-- Returns {repositoryUri, repositoryArn, push_uri}: push_uri is where images are pushed,
-- the environment's registry when it names one (an emulator's registry, a mirror).
---@param c deploy.Context
---@return deploy.Repo
function M.ensure_repository(c)
  local agent = c.agent
  local name = M.repo_name(agent)
  local repo
  local adopted = c.a.adopted and c.a.adopted.repository
  if adopted then
    -- an imported runtime keeps the repository it ran from (agentcore import runtime): used,
    -- never created, changed or deleted
    local r = ecr.describe_repository(adopted)
    if not r then
      ui.error(("repository %s of the imported runtime %s does not exist in %s"):format(adopted, c.a.runtime_id, env.name()),
        { hint = "create it (aws ecr create-repository --repository-name " .. adopted .. "), or import the runtime again" })
    end
    ui.ok(("repository %s (the imported runtime's: used, never deleted)"):format(r.repositoryUri))
    name, repo = adopted, { repositoryUri = r.repositoryUri, repositoryArn = r.repositoryArn }
  elseif M.is_local() then
    local p = not M.has_resource(c, "ecr_repository", name) and M.begin(c, { op = "create_repository", name = name }) or nil
    local r = ecr.ensure_repository(name, { scan_on_push = true, tags = stack_tags(agent) })
    if r.created or M.adopted[name] then
      M.record_resource(c, "ecr_repository", name, r.repositoryArn)
      ecr.put_lifecycle_policy(name, {
        rules = { {
          rulePriority = 1,
          description = "keep the last 30 images",
          selection = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 30 },
          action = { type = "expire" },
        } },
      })
      if r.created then ui.ok("created repository " .. r.repositoryUri) end
    else
      ui.ok("repository " .. r.repositoryUri .. " exists")
    end
    if p then M.finish(c, p) end -- after the record: the intent goes in the save that holds the result
    repo = { repositoryUri = r.repositoryUri, repositoryArn = r.repositoryArn }
  else
    local stack = M.stack_name(agent, "repo")
    local out = M.deploy_stack(c, { stack = stack, template = "ecr-repository", tags = stack_tags(agent),
      parameters = { RepositoryName = name, Project = project.name(), Environment = env.name(), Agent = agent.name } })
    ui.ok(("repository %s (stack %s, %s)"):format(out.outputs.RepositoryUri, stack, out.changed and "deployed" or "unchanged"))
    repo = { repositoryUri = out.outputs.RepositoryUri, repositoryArn = out.outputs.RepositoryArn }
  end
  repo.push_uri = M.push_uri(name, repo.repositoryUri)
  M.record(c, { repository = repo.push_uri })
  return repo
end

-- Where images of repository name (whose URI is uri) are pushed: the environment's registry
-- when it names one (an emulator's registry, a mirror), else the repository itself.
---@param name string
---@param uri string
---@return string
function M.push_uri(name, uri)
  local registry = env.get().registry
  return registry ~= "" and (registry .. "/" .. name) or uri
end

-- The execution role: the agent's execution_role when given (never created or deleted);
-- skipped on local environments; otherwise a least-privilege role from a CloudFormation
-- stack (pull from this agent's repository only, its own log groups, X-Ray, the models it
-- names). Returns the role ARN and whether the stack changed in this run.
---@param c deploy.Context
---@param repo deploy.Repo
---@return string? role_arn
---@return boolean fresh
function M.ensure_role(c, repo)
  local agent = c.agent
  if agent.execution_role ~= "" then
    ui.ok("using the execution role " .. agent.execution_role .. " (brought by you: never created or deleted)")
    return agent.execution_role, false
  end
  local adopted = c.a.adopted and c.a.adopted.role_arn
  if adopted then
    ui.ok("using the execution role " .. adopted .. " (the imported runtime's: never changed or deleted)")
    return adopted, false
  end
  if M.is_local() then
    ui.info("local environment: no IAM role or CloudFormation stack is needed (skipped)")
    return ("arn:aws:iam::%s:role/agentcore-local-execution"):format(aws.caller().account), false
  end
  local region = env.get().region
  local models = {}
  for _, m in ipairs(agent.models) do
    table.insert(models, m:match("^arn:") and m or ("arn:aws:bedrock:%s::foundation-model/%s"):format(region, m))
  end
  local stack = M.stack_name(agent, "role")
  local out = M.deploy_stack(c, { stack = stack, template = "agent-role", capabilities = { "CAPABILITY_NAMED_IAM" },
    tags = stack_tags(agent),
    parameters = {
      RoleName = ("agentcore-" .. agent.runtime_name:lower():gsub("_", "-")):sub(1, 64),
      RepositoryArn = repo.repositoryArn or "", CodeObjectArn = repo.code_object_arn or "",
      RuntimeName = agent.runtime_name,
      ModelArns = table.concat(models, ","),
      SecretArns = table.concat(M.resolve_secrets(agent), ","),
      MemoryArn = c.memory and c.memory.arn or "",
      ApiKeyProviderArns = M.credential_arns(c, "api_key"),
      OAuth2ProviderArns = M.credential_arns(c, "oauth2"),
      ProviderSecretArns = M.credential_arns(c, "secret"),
      Project = project.name(), Environment = env.name(), Agent = agent.name,
      PermissionsBoundary = env.get().permissions_boundary or "",
    } })
  M.record(c, { role_arn = out.outputs.RoleArn })
  ui.ok(("execution role %s (stack %s, %s)"):format(out.outputs.RoleArn, stack, out.changed and "deployed" or "unchanged"))
  return out.outputs.RoleArn, out.changed
end

-- Secrets Manager values ({ secret = "NAME" } in agentcore.toml) ----------------------------
-- Each is the secret agentcore/PROJECT/ENV/NAME, whose value `agentcore secret set NAME` puts.
-- The runtime's variable holds the secret's ARN (never the value: the agent reads it with
-- GetSecretValue through its execution role, which may read exactly these ARNs), and
-- config_hash includes the secret's current version, so a new value makes a new version.

-- Puts each secret's ARN in agent.environment and its current version in
-- agent.secret_versions, once per agent table; stops before any work (exit 2) naming every
-- secret that does not exist or has no value yet. Returns the distinct ARNs, sorted.
---@param agent deploy.Agent
---@return string[]
function M.resolve_secrets(agent)
  if agent.secret_arns then return agent.secret_arns end
  local vars = {}
  for var in pairs(agent.secrets) do table.insert(vars, var) end
  table.sort(vars)
  local versions, arns, seen, missing = {}, {}, {}, {}
  for _, var in ipairs(vars) do
    local ref = agent.secrets[var]
    local d = secrets.describe { name = ref.id }
    if not d or not d.version_id or d.deleted then
      table.insert(missing, { var = var, name = ref.name, why = not d and "does not exist"
        or d.deleted and "is scheduled for deletion" or "has no value yet" })
    else
      agent.environment[var] = d.arn
      versions[var] = d.version_id
      if not seen[d.arn] then
        seen[d.arn] = true
        table.insert(arns, d.arn)
      end
    end
  end
  if #missing > 0 then
    local lines, hints = {}, {}
    for _, m in ipairs(missing) do
      table.insert(lines, ("%s = { secret = %q }: agentcore/%s/%s/%s %s"):format(m.var, m.name, project.name(), env.name(), m.name, m.why))
      table.insert(hints, ("agentcore secret set %s -e %s (from stdin, --from-env VAR or --from-file FILE)"):format(m.name, env.name()))
    end
    ui.error(("%s needs %d secret%s in %s that %s not usable:\n  %s"):format(agent.name, #missing, #missing == 1 and "" or "s",
      env.name(), #missing == 1 and "is" or "are", table.concat(lines, "\n  ")), { usage = true, hint = table.concat(hints, "; ") })
  end
  table.sort(arns)
  agent.secret_versions = versions
  agent.secret_arns = arns
  return arns
end

-- Reads the key (or client secret) of every credential provider the agent lists, so that one
-- not set, or a secret without a value, stops a deploy before any work (exit 2). Recipes that
-- deploy providers call it next to resolve_secrets; rollback, which does not, need not.
---@param agent deploy.Agent
function M.check_credentials(agent)
  for _, name in ipairs(agent.credentials or {}) do identity.key_hash(name) end
end

-- Credential providers ([credentials.NAME]) ---------------------------------------------------
-- Each provider an agent lists is ensured before its runtime: created (write-ahead, tagged
-- agentcore:project/project-id/credential) or, when its key or configuration changed (a keyed
-- hash of them, computed in Go by identity.key_hash: never the key), updated; then recorded in
-- the agent's state entry ({name, provider_name, arn, type, key_hash, created_by, updated}).
-- The runtime gets the provider's name in AGENTCORE_CREDENTIAL_NAME (and an OAuth2 one's scopes,
-- space-separated, in AGENTCORE_CREDENTIAL_NAME_SCOPES); both enter config_hash.

-- The tags of a provider agentcore creates: project, environment and the [credentials] key.
---@param name string the [credentials] key
---@param token? string
---@return table<string, string>
function M.credential_tags(name, token)
  return M.owned_tags("agentcore:credential", name, token)
end

-- The state's record of a provider.
---@param e identity.Ensured|identity.Provider
---@param name string
---@param created_by "agentcore"|"adopted"
---@param key_hash? string
---@return journal.Credential
function M.credential_record(e, name, created_by, key_hash)
  return { name = name, provider_name = e.provider_name, arn = e.arn, type = e.type, secret_arn = e.secret_arn,
    key_hash = key_hash or e.key_hash or "", created_by = created_by, updated = e.updated or "" }
end

---@param a table the agent's state entry
---@param name string
---@return journal.Credential?
function M.credential_of(a, name)
  for _, r in ipairs(a.credentials or {}) do
    if r.name == name then return r end
  end
  return nil
end

-- The record of credential key name by another agent of the environment (saved state).
local function credential_elsewhere(agent_name, name, provider_name)
  for other, a in pairs(state.load().agents or {}) do
    local r = other ~= agent_name and M.credential_of(a, name) or nil
    if r and (r.created_by == "adopted" or r.provider_name == provider_name) then return r end
  end
  return nil
end

local function put_credential_env(agent, cfg, provider_name)
  agent.environment[cfg.env] = provider_name
  if cfg.type == "oauth2" and #cfg.scopes > 0 then
    agent.environment[cfg.env .. "_SCOPES"] = table.concat(cfg.scopes, " ")
  end
end

-- Puts the recorded providers' names in the runtime's environment; for the recipes that deploy
-- a recorded configuration without ensuring it (rollback, an interrupted create). A credential
-- not recorded yet stops: it has to be created first.
---@param c deploy.Context
function M.credentials_env(c)
  for _, name in ipairs(c.agent.credentials or {}) do
    local rec = M.credential_of(c.a, name)
    if not rec then
      ui.error(("agent %s lists credential %s, which is not recorded in %s"):format(c.agent.name, name, env.name()),
        { usage = true, hint = "deploy it first: agentcore update " .. c.agent.name })
    end
    put_credential_env(c.agent, identity.config(name), rec.provider_name)
  end
end

-- The ARNs of the agent's providers of one type ("api_key", "oauth2"), or of their token
-- vault secrets ("secret"), sorted and comma-separated: its role may use exactly these.
---@param c deploy.Context
---@param what "api_key"|"oauth2"|"secret"
---@return string
function M.credential_arns(c, what)
  local out, seen = {}, {}
  for _, r in ipairs(c.credentials or c.a.credentials or {}) do
    local arn = (what == "secret") and r.secret_arn or (r.type == what and r.arn or nil)
    if arn and arn ~= "" and not seen[arn] then
      seen[arn] = true
      table.insert(out, arn)
    end
  end
  table.sort(out)
  return table.concat(out, ",")
end

-- Ensures one provider; returns its record.
local function ensure_credential(c, name)
  local agent, a = c.agent, c.a
  local cfg = identity.config(name)
  local rec = M.credential_of(a, name)
  -- an adopted provider keeps its own name; one agentcore made is named by the configuration
  if rec and rec.created_by ~= "adopted" and rec.provider_name ~= cfg.provider_name then rec = nil end
  rec = rec or credential_elsewhere(agent.name, name, cfg.provider_name)
  local pname = rec and rec.provider_name or cfg.provider_name
  local live = identity.get(cfg.type, pname)
  if rec and not live then
    ui.warn(("credential provider %s recorded in %s no longer exists; creating it again"):format(pname, env.name()))
    rec = nil
  end
  if not rec then
    -- tags, where the service answers them (AWS; the local endpoint keeps no tags of providers)
    local owner = live and M.tag_owner(agentcore.list_tags(live.arn), "agentcore:credential", name) or "none"
    if owner == "other" then
      M.other_checkout_error(("credential provider %s"):format(pname), agentcore.list_tags(live.arn))
    elseif owner == "ours" then
      -- key_hash "": its key is sent again below, as for an adopted one
      rec = M.credential_record(live, name, "agentcore", "")
      journal.set_credential(c.st, agent.name, name, rec)
      ui.ok(("credential provider %s exists and its tags name %s; recorded as created by agentcore"):format(pname, name))
    elseif live then
      -- not recorded by any agent of this environment, and no interrupted run of ours made it
      -- (reconcile recorded those): another checkout's, or made by hand
      ui.error(("credential provider %s already exists in %s and belongs to another checkout or was made outside this environment's agentcore state: it is not adopted"):format(
        pname, env.name()),
        { hint = ("rename with provider_name = \"%s-2\" (or any other) in [credentials.%s], or record it as adopted: agentcore import credential %s --as %s"):format(
          pname, name, pname, name) })
    end
  end
  if not rec then
    local p = M.begin(c, { op = "create_credential", name = pname })
    ui.step(("creating %s credential provider %s"):format(cfg.type == "api_key" and "API key" or "OAuth2", pname))
    local e = identity.create(name, { tags = M.credential_tags(name, p.token) })
    rec = M.credential_record(e, name, "agentcore")
    journal.set_credential(c.st, agent.name, name, rec)
    M.finish(c, p)
    ui.ok(("credential provider %s created (%s)"):format(pname, e.arn))
    return rec
  end
  local h = identity.key_hash(name)
  -- changed behind agentcore's back (a later lastUpdatedTime): given its configuration again
  local touched = (rec.updated or "") ~= "" and live.updated ~= rec.updated
  if h ~= rec.key_hash or touched then
    ui.step(("updating credential provider %s: %s"):format(pname, h ~= rec.key_hash
      and ("its " .. (cfg.type == "api_key" and "key" or "client secret") .. " or configuration changed")
      or ("changed outside agentcore at " .. tostring(live.updated) .. ": its configuration is put back")))
    local e = identity.update(name)
    rec = M.credential_record(e, name, rec.created_by)
    ui.ok(("credential provider %s updated"):format(pname))
  else
    rec = M.credential_record(live, name, rec.created_by, rec.key_hash)
  end
  journal.set_credential(c.st, agent.name, name, rec)
  return rec
end

-- Ensures the credential providers the agent lists and puts their names in the runtime's
-- environment; c.credentials is their records (their ARNs go into the role). The agents of an
-- environment that list one provider take turns (state.with_lock).
---@param c deploy.Context
---@return journal.Credential[]
function M.ensure_credentials(c)
  local agent, a = c.agent, c.a
  local listed = {}
  for _, n in ipairs(agent.credentials or {}) do listed[n] = true end
  for _, r in ipairs(a.credentials or {}) do
    if not listed[r.name] then
      ui.warn(("%s no longer lists credential %s (%s): the provider is kept, and no longer recorded for it"):format(
        agent.name, r.name, r.provider_name))
      journal.set_credential(c.st, agent.name, r.name, nil)
    end
  end
  local out = json.array()
  for _, name in ipairs(agent.credentials or {}) do
    local rec = state.with_lock("credential-" .. name, function() return ensure_credential(c, name) end)
    put_credential_env(agent, identity.config(name), rec.provider_name)
    table.insert(out, rec)
  end
  c.credentials = out
  return out
end

-- Memory ([memories.NAME]) ---------------------------------------------------------------------
-- An agent's memory is ensured before its runtime: created (write-ahead, with a client token)
-- or brought to its configuration by one UpdateMemory (strategies added, modified and deleted
-- by id: the memory and its events are kept), then recorded in the agent's state entry
-- ({name, memory_name, id, arn, created_by, strategies}). The runtime gets its id and name in
-- BEDROCK_AGENTCORE_MEMORY_ID and BEDROCK_AGENTCORE_MEMORY_NAME (the starter toolkit's names);
-- both enter config_hash, so a memory made anew is a new version.

-- The tags of a memory agentcore creates: project, environment and the [memories] key (a
-- memory is the environment's, shared by the agents that name it, not one agent's).
---@param mem project.Memory
---@param token? string
---@return table<string, string>
function M.memory_tags(mem, token)
  return M.owned_tags("agentcore:memory", mem.name, token)
end

-- Who the tags say made a memory: "ours" (this project, environment and memory key), "other"
-- (another checkout of the project's name), "none".
---@param tags table<string, string>?
---@param mem project.Memory
---@return "ours"|"other"|"none"
function M.memory_owner(tags, mem)
  return M.tag_owner(tags, "agentcore:memory", mem.name)
end

-- The state's record of a memory as the service describes it.
---@param name string the [memories] key
---@param live memory.Memory
---@param created_by "agentcore"|"adopted"
---@return journal.Memory
function M.memory_record(name, live, created_by)
  local strategies = json.array()
  for _, s in ipairs(live.strategies or {}) do
    table.insert(strategies, { name = s.name, type = s.type, id = s.id })
  end
  return { name = name, memory_name = live.name, id = live.id, arn = live.arn, created_by = created_by, strategies = strategies }
end

-- Puts the recorded memory's id and name in the runtime's environment (agent.environment);
-- for the recipes that deploy a recorded configuration without ensuring it (rollback). An agent
-- with a memory not recorded yet stops: it has to be created first.
---@param c deploy.Context
function M.memory_env(c)
  local agent, rec = c.agent, c.a.memory
  if not agent.memory then return end
  if not rec or rec.name ~= agent.memory.name then
    ui.error(("agent %s uses memory %s, which is not recorded in %s"):format(agent.name, agent.memory.name, env.name()),
      { usage = true, hint = "deploy it first: agentcore update " .. agent.name })
  end
  agent.environment.BEDROCK_AGENTCORE_MEMORY_ID = rec.id
  agent.environment.BEDROCK_AGENTCORE_MEMORY_NAME = rec.memory_name
end

-- The record of memory key name by another agent of the environment, from the state as saved now.
local function recorded_elsewhere(agent_name, name, memory_name)
  for other, a in pairs(state.load().agents or {}) do
    if other ~= agent_name and a.memory and a.memory.name == name
      and (a.memory.created_by == "adopted" or a.memory.memory_name == memory_name) then
      return a.memory
    end
  end
  return nil
end

-- Ensures the agent's memory and puts it in the runtime's environment; returns the memory
-- (memory.Memory, ACTIVE) or nil for an agent without one. The agents of an environment that
-- name one memory take turns (state.with_lock), so two runs never create it twice.
---@param c deploy.Context
---@return memory.Memory?
function M.ensure_memory(c)
  local agent, a = c.agent, c.a
  local mem = agent.memory
  if not mem then
    if a.memory then
      ui.warn(("%s no longer names memory %s (%s): the memory is kept, and no longer recorded for it"):format(
        agent.name, a.memory.name, a.memory.id))
      journal.set_memory(c.st, agent.name, nil)
    end
    return nil
  end
  return state.with_lock("memory-" .. mem.name, function()
    local rec = a.memory
    -- an adopted memory keeps its own name; one agentcore made is named by the configuration
    if rec and (rec.name ~= mem.name or rec.created_by ~= "adopted" and rec.memory_name ~= mem.memory_name) then rec = nil end
    rec = rec or recorded_elsewhere(agent.name, mem.name, mem.memory_name)
    local live = rec and memory.get(rec.id) or nil
    if rec and not live then
      ui.warn(("memory %s (%s) recorded in %s no longer exists; creating it again (its events are gone)"):format(mem.memory_name, rec.id, env.name()))
      rec = nil
    end
    local created_by = rec and rec.created_by or "agentcore"
    if not live then
      -- not recorded: a run killed before it recorded the memory, or one of another checkout
      local found = memory.find(mem.memory_name)
      if found then
        local tags = agentcore.list_tags(found.arn)
        local owner = M.memory_owner(tags, mem)
        if owner == "other" then
          M.other_checkout_error(("memory %s (%s)"):format(mem.memory_name, found.id), tags)
        elseif owner ~= "ours" then
          ui.error(("a memory named %s already exists in %s (%s) and its tags do not say agentcore made it for memory %s of %s"):format(
            mem.memory_name, env.name(), found.id, mem.name, project.name()),
            { hint = ("agentcore import memory %s --as %s records it as adopted (destroy never deletes it), or give the memory another memory_name in agentcore.toml"):format(found.id, mem.name) })
        end
        ui.ok(("memory %s (%s) exists and its tags name %s; recorded as created by agentcore"):format(mem.memory_name, found.id, mem.name))
        live = found
      else
        local p = M.begin(c, { op = "create_memory", name = mem.memory_name })
        ui.step("creating memory " .. mem.memory_name)
        live = memory.create(mem, { client_token = p.token, tags = M.memory_tags(mem, p.token) })
        journal.set_memory(c.st, agent.name, M.memory_record(mem.name, live, "agentcore"))
        M.finish(c, p)
      end
    end
    if live.status ~= "ACTIVE" then live = memory.wait(live.id) end
    local want = mem
    if live.name ~= mem.memory_name then -- adopted under its own name: the rest follows the configuration
      want = {}
      for k, v in pairs(mem) do want[k] = v end
      want.memory_name = live.name
    end
    local changes = memory.diff(live, want)
    if #changes > 0 then
      local p = M.begin(c, { op = "update_memory", name = live.name, memory_id = live.id })
      ui.step(("updating memory %s (%s): %d change%s, its events kept"):format(live.name, live.id, #changes, #changes == 1 and "" or "s"))
      local r = memory.update(live.id, want, { client_token = p.token })
      for _, ch in ipairs(r.changes) do
        ui.info(("  %s %s%s%s"):format(ch.action, ch.what == "strategy" and ("strategy " .. ch.strategy) or ch.what,
          ch.was and ch.was ~= "" and (": " .. ch.was) or "", ch.now and ch.now ~= "" and (" -> " .. ch.now) or ""))
      end
      journal.set_memory(c.st, agent.name, M.memory_record(mem.name, r.memory, created_by))
      M.finish(c, p)
      live = memory.wait(live.id)
    end
    journal.set_memory(c.st, agent.name, M.memory_record(mem.name, live, created_by))
    ui.ok(("memory %s (%s) is %s with %d strateg%s"):format(live.name, live.id, live.status, #live.strategies, #live.strategies == 1 and "y" or "ies"))
    agent.environment.BEDROCK_AGENTCORE_MEMORY_ID = live.id
    agent.environment.BEDROCK_AGENTCORE_MEMORY_NAME = live.name
    c.memory = live
    return live
  end)
end

-- Inbound auth: nil for IAM (SigV4) callers, otherwise the runtime's custom JWT authorizer:
-- from the agent's own OpenID Connect issuer (type "jwt"), or from a Cognito user pool
-- created for the agent on AWS (type "cognito"; templates/cognito.yaml). Local environments
-- record no Cognito pool (and the local endpoint does not check tokens): they say so.
---@param c deploy.Context
---@return {discovery_url: string, allowed_clients?: string[], allowed_audience?: string[]}?
function M.ensure_auth(c)
  local agent = c.agent
  local auth = agent.auth
  if auth.type == "jwt" then
    return { discovery_url = auth.discovery_url, allowed_clients = auth.allowed_clients, allowed_audience = auth.allowed_audience }
  end
  if auth.type ~= "cognito" then return nil end
  if M.is_local() then
    ui.info("local environment: no Cognito user pool is created and the local endpoint does not check tokens (skipped)")
    return nil
  end
  local stack = M.stack_name(agent, "auth")
  local out = M.deploy_stack(c, { stack = stack, template = "cognito", tags = stack_tags(agent),
    parameters = { PoolName = ("agentcore-" .. agent.runtime_name:lower():gsub("_", "-")):sub(1, 128) } })
  if not out.outputs.DiscoveryUrl or not out.outputs.ClientId then
    ui.error(("stack %s has no DiscoveryUrl and ClientId outputs"):format(stack),
      { hint = "check the stack in the CloudFormation console; delete it to let agentcore create it again" })
  end
  ui.ok(("inbound auth: Cognito user pool (stack %s, client %s)"):format(stack, out.outputs.ClientId))
  return { discovery_url = out.outputs.DiscoveryUrl, allowed_clients = { out.outputs.ClientId } }
end

-- Where the artifact goes and who may read it: the repository (images) or the code bucket
-- (zips), then the role (its policy names exactly that repository or object prefix), and
-- inbound auth.
---@param c deploy.Context
---@return deploy.Repo
function M.ensure_repository_and_role(c)
  local repo
  if c.agent.build == "zip" then
    repo = M.ensure_code_bucket(c)
  else
    repo = M.ensure_repository(c)
  end
  repo.role_arn, repo.role_fresh = M.ensure_role(c, repo)
  repo.authorizer = M.ensure_auth(c)
  return repo
end

-- A short, stable fingerprint of a string for names with length limits (naming.hash8).
M.hash8 = naming.hash8

-- Code zips (build = "zip") live in one bucket per project and environment, under a prefix
-- per agent; the execution role may read exactly that prefix.
---@return string
function M.code_bucket_name()
  local e = env.get()
  return ("agentcore-%s-%s-%s"):format(naming.hash8(project.name() .. "/" .. e.name), aws.caller().account, e.region)
end

---@param agent deploy.Agent
---@return string
function M.code_prefix(agent)
  return "agentcore/" .. agent.runtime_name:lower():gsub("_", "-") .. "/"
end

---@return string
function M.code_stack_name()
  return ("agentcore-%s-%s-code"):format(project.name(), env.name()):gsub("_", "-")
end

-- Ensures the code bucket: a CloudFormation stack on AWS (versioned, encrypted, public access
-- blocked), the S3 API on local environments. The bucket is shared by the environment's zip
-- agents: each records it, and destroy deletes it with the last of them.
---@param c deploy.Context
---@return deploy.Repo
function M.ensure_code_bucket(c)
  local agent = c.agent
  local tags = M.user_tags()
  tags["agentcore:project"], tags["agentcore:environment"] = project.name(), env.name()
  if project.id() ~= "" then tags["agentcore:project-id"] = project.id() end
  local name = M.code_bucket_name()
  -- the bucket is the environment's zip agents' together: runs on two of them (each holding
  -- only its agent's lock) take turns to make it
  state.with_lock("code-bucket", function()
    if M.is_local() then
      -- Recorded whether created now or found: the name is agentcore's own (a hash of project
      -- and environment, the account and the region), so a bucket a killed run created is known
      -- to the next one without an intent.
      local r = s3.ensure_bucket { bucket = name, tags = tags }
      if r.created then ui.ok("created code bucket " .. name) else ui.ok("code bucket " .. name .. " exists") end
      M.record_resource(c, "s3_bucket", name, "arn:aws:s3:::" .. name)
    else
      local stack = M.code_stack_name()
      local out = M.deploy_stack(c, { stack = stack, template = "code-bucket", tags = tags,
        parameters = { BucketName = name, Project = project.name(), Environment = env.name() } })
      name = out.outputs.BucketName or name
      ui.ok(("code bucket %s (stack %s, %s)"):format(name, stack, out.changed and "deployed" or "unchanged"))
    end
  end)
  local prefix = M.code_prefix(agent)
  return { bucket = name, prefix = prefix, code_object_arn = ("arn:aws:s3:::%s/%s*"):format(name, prefix) }
end

-- Registry credentials for the environment's repositories (nil when it names a registry);
-- with_server adds the server, as docker.push takes it.
---@param with_server? boolean
---@return {username: string, password: string, server?: string}?
function M.registry_auth(with_server)
  if env.get().registry ~= "" then return nil end
  local auth = ecr.auth()
  return { username = auth.username, password = auth.password, server = with_server and auth.server or nil }
end

-- Credentials for reading a prebuilt image: the environment's own registry (its ECR, or the
-- local endpoint's) needs its token; any other registry is read anonymously.
---@param ref string
---@return {username: string, password: string}?
function M.source_auth(ref)
  local host = type(ref) == "string" and ref:match("^([^/]+)/") or nil
  if not host or env.get().registry ~= "" then return nil end
  local ok, auth = pcall(ecr.auth)
  if ok and auth.server and auth.server:gsub("^https?://", "") == host then
    return { username = auth.username, password = auth.password }
  end
  return nil
end

-- Whether a platform list (os/arch[/variant]) offers the platform wanted (os/arch[/variant]).
---@param platforms string[]?
---@param want string
---@return boolean
function M.has_platform(platforms, want)
  for _, p in ipairs(platforms or {}) do
    if p == want or p:sub(1, #want + 1) == want .. "/" or want:sub(1, #p + 1) == p .. "/" then return true end
  end
  return false
end

-- Artifacts ----------------------------------------------------------------------------------
-- A version's artifact is recorded as one string, its "image": REPO@sha256:... for a container,
-- s3://BUCKET/KEY?versionId=V for a code zip; its digest is the image digest or the zip's
-- sha256 ("sha256:..."), the identity update compares.

---@param bucket string
---@param key string
---@param version_id? string
---@return string
function M.s3_uri(bucket, key, version_id)
  local u = ("s3://%s/%s"):format(bucket, key)
  if version_id and version_id ~= "" then u = u .. "?versionId=" .. version_id end
  return u
end

---@param uri any
---@return {bucket: string, key: string, version_id?: string}?
function M.parse_s3_uri(uri)
  if type(uri) ~= "string" then return nil end
  local b, k = uri:match("^s3://([^/]+)/([^?]+)")
  if not b then return nil end
  return { bucket = b, key = k, version_id = uri:match("%?versionId=(.+)$") }
end

---@param uri any
---@return boolean
function M.is_code(uri) return M.parse_s3_uri(uri) ~= nil end

-- The artifact string of a runtime (version) as the API returns it.
---@param art table? agentRuntimeArtifact as the API returns it
---@return string?
function M.artifact_uri(art)
  if not art then return nil end
  if art.containerConfiguration then return art.containerConfiguration.containerUri end
  local cc = art.codeConfiguration
  if cc and cc.code and cc.code.s3 then
    return M.s3_uri(cc.code.s3.bucket, cc.code.s3.prefix, cc.code.s3.versionId)
  end
  return nil
end

local function kind_words(is_code) return is_code and "code (a zip on S3)" or "a container image" end

-- AgentCore cannot switch a runtime between a container image and code: refuse before any work.
-- live is the runtime as the API returns it.
---@param agent deploy.Agent
---@param live table the runtime as agentcore.get_runtime returns it
function M.check_artifact_switch(agent, live)
  local was = M.artifact_uri(live.agentRuntimeArtifact)
  if not was then return end
  local was_code, is_code = M.is_code(was), agent.build == "zip"
  if was_code ~= is_code then
    ui.error(("runtime %s of %s runs %s, and agentcore.toml now builds %s (build = %q): AgentCore cannot switch a runtime between the two"):format(
      agent.runtime_name, agent.name, kind_words(was_code), kind_words(is_code), agent.build), { usage = true,
      hint = ("keep the build kind, or replace the runtime: agentcore destroy %s, then agentcore create %s"):format(agent.name, agent.name) })
  end
end

local function build_labels(agent)
  return { ["agentcore.project"] = project.name(), ["agentcore.agent"] = agent.name }
end

-- Checks what can be checked before any work (nothing is written or built): the
-- environment's network (EC2 reads, M.check_network), the artifact's folder and, for a code
-- zip, the entry point.
---@param agent deploy.Agent
function M.preflight(agent)
  M.check_network()
  if agent.build == "image" then return end
  local dir = agent.build == "docker" and agent.dockerfile or agent.context
  if not fs.exists(dir) then
    ui.error(("%s of agent %s does not exist: %s"):format(agent.build == "docker" and "the Dockerfile" or "the folder",
      agent.name, fs.rel(dir)), { usage = true, hint = "fix agents." .. agent.name .. " in agentcore.toml" })
  end
  if agent.build == "zip" then
    local script = agent.entrypoint[#agent.entrypoint]
    if script and script:match("%.[cm]?[jt]s$") or script and script:match("%.py$") then
      if not fs.exists(agent.context .. "/" .. script) then
        ui.error(("the entrypoint %s of agent %s is not in %s"):format(script, agent.name, fs.rel(agent.context)),
          { usage = true, hint = "create it, or fix entrypoint in agentcore.toml (paths are relative to the agent's context)" })
      end
    end
  end
end

-- Checks the environment's network = { subnets, security_groups } once per run and
-- environment, before any work: on AWS each subnet and security group must exist in the
-- environment's region (EC2 says which do not: another region's, or a typo) and the subnets
-- must share one VPC with the security groups (exit 2 otherwise); the local provider accepts
-- VPC mode and says it ignores it.
local network_checked = {}
function M.check_network()
  local e = env.get()
  local net = e.network
  if not net or network_checked[e.name] then return end
  network_checked[e.name] = true
  if e.is_local then
    ui.info(("network: VPC mode (%d subnets, %d security groups) is recorded on the runtime and ignored locally: agents run on this machine's Docker network"):format(
      #net.subnets, #net.security_groups))
    return
  end
  local found = ec2.check_network(net.subnets, net.security_groups)
  local problems = {}
  if #found.missing_subnets > 0 then
    table.insert(problems, ("subnet%s %s %s not exist in %s"):format(#found.missing_subnets == 1 and "" or "s",
      table.concat(found.missing_subnets, ", "), #found.missing_subnets == 1 and "does" or "do", e.region))
  end
  if #found.missing_security_groups > 0 then
    table.insert(problems, ("security group%s %s %s not exist in %s"):format(#found.missing_security_groups == 1 and "" or "s",
      table.concat(found.missing_security_groups, ", "), #found.missing_security_groups == 1 and "does" or "do", e.region))
  end
  if #found.vpcs > 1 then
    table.insert(problems, "the subnets are in several VPCs (" .. table.concat(found.vpcs, ", ") .. "); AgentCore needs one")
  end
  for _, v in ipairs(found.security_group_vpcs) do
    if #found.vpcs == 1 and v ~= found.vpcs[1] then
      table.insert(problems, ("a security group is in %s, the subnets in %s"):format(v, found.vpcs[1]))
    end
  end
  if #problems > 0 then
    ui.error(("network of environment %s: %s"):format(e.name, table.concat(problems, "; ")), { usage = true,
      hint = ("list the IDs of %s with: aws ec2 describe-subnets --region %s (and describe-security-groups), then fix network in [environments.%s] of agentcore.toml"):format(
        e.region, e.region, e.name) })
  end
  ui.ok(("network: VPC %s, subnets %s, security groups %s"):format(found.vpcs[1] or "?",
    table.concat(net.subnets, ", "), table.concat(net.security_groups, ", ")))
end

-- Makes the agent's artifact on this machine, per its build kind; nothing leaves the machine yet.
-- Returns {kind, digest, ...}: a docker image (ref, id), a Go image layout (layout), a zip
-- (path, sha256) or a prebuilt image (ref), checked for the platform AgentCore runs.
---@param agent deploy.Agent
---@return deploy.Artifact
function M.make_artifact(agent)
  local name = agent.runtime_name:lower()
  if agent.build == "go" then
    ui.step(("compiling %s for %s and assembling its image (no Docker)"):format(agent.context_rel, agent.platform))
    local out = oci.build_go(M.go_build_opts(agent))
    ui.ok(("image %s for %s (%d bytes)"):format(M.short_digest(out.digest), out.platform, out.size or 0))
    return { kind = "go", layout = out.path, digest = out.digest }
  elseif agent.build == "zip" then
    local target = M.is_local() and "host" or "aarch64"
    ui.step(("packaging %s for %s (%s)"):format(agent.context_rel, agent.runtime, target == "host" and "this machine's platform" or "linux/arm64"))
    local z = zip.package { dir = agent.context_rel, runtime = agent.runtime, entrypoint = agent.entrypoint,
      target = target, out = ".agentcore/build/" .. name .. ".zip" }
    ui.ok(("code zip %s (%d bytes%s)"):format(z.sha256:sub(1, 12), z.size, z.deps_cached and ", dependencies from the cache" or ""))
    return { kind = "zip", path = z.path, sha256 = z.sha256, digest = "sha256:" .. z.sha256 }
  elseif agent.build == "image" then
    local info = oci.inspect { ref = agent.image, platform = agent.platform, auth = M.source_auth(agent.image) }
    if not M.has_platform(info.platforms, agent.platform) then
      ui.error(("image %s is for %s, and %s needs %s"):format(agent.image, table.concat(info.platforms or {}, ", "),
        M.is_local() and "this machine" or "AgentCore", agent.platform), { usage = true,
        hint = "build it for " .. agent.platform .. " (docker buildx build --platform " .. agent.platform .. "), or let agentcore build it: build = \"docker\" or \"go\"" })
    end
    ui.ok(("prebuilt image %s (%s)"):format(agent.image, M.short_digest(info.digest)))
    return { kind = "image", ref = agent.image, digest = info.digest }
  end
  local built = M.build(agent)
  built.kind = "docker"
  return built
end

-- A new tag in the repository: the time and 4 random hex digits, so two runs never share one.
local function push_tag(repo_uri, prefix)
  return ("%s:%s%s-%s"):format(repo_uri, prefix or "", os.date("!%Y%m%d-%H%M%S"), naming.random_hex(4))
end

-- Publishes an artifact from make_artifact where the runtime can reach it: the repository
-- (images) or the code bucket (zips). known_digest is the latest version's: an unchanged
-- artifact is not sent again. Returns {image, digest, unchanged}.
---@param art deploy.Artifact
---@param repo deploy.Repo
---@param known_digest? string
---@return deploy.Published
function M.publish(art, repo, known_digest)
  if art.kind == "docker" then
    return M.push(art, repo.push_uri, known_digest)
  elseif art.kind == "go" then
    -- tagged by content, so that pushing the same image again sends nothing
    local out = oci.push { path = art.layout, to = repo.push_uri .. ":sha256-" .. M.short_digest(art.digest), auth = M.registry_auth() }
    if out.pushed then
      ui.ok("pushed " .. repo.push_uri .. "@" .. M.short_digest(out.digest))
    else
      ui.ok("image unchanged (" .. M.short_digest(out.digest) .. "): nothing to push")
    end
    return { image = repo.push_uri .. "@" .. out.digest, digest = out.digest, unchanged = not out.pushed }
  elseif art.kind == "image" then
    local target = repo.push_uri .. "@" .. art.digest
    if art.ref == target or art.digest == known_digest then
      return { image = target, digest = art.digest, unchanged = true }
    end
    local out = oci.copy { from = art.ref, from_auth = M.source_auth(art.ref), to = push_tag(repo.push_uri, "prebuilt-"), to_auth = M.registry_auth(),
      platform = art.platform }
    ui.ok(("copied %s to %s"):format(art.ref, repo.push_uri))
    return { image = repo.push_uri .. "@" .. out.digest, digest = out.digest }
  elseif art.kind == "zip" then
    local key = repo.prefix .. art.sha256:sub(1, 32) .. ".zip"
    local out = s3.put { bucket = repo.bucket, key = key, path = art.path,
      metadata = { ["agentcore-project"] = project.name(), ["agentcore-environment"] = env.name() } }
    if out.unchanged then
      ui.ok(("code zip unchanged (s3://%s/%s): nothing to upload"):format(repo.bucket, key))
    else
      ui.ok(("uploaded s3://%s/%s"):format(repo.bucket, key))
    end
    return { image = M.s3_uri(repo.bucket, key, out.version_id), digest = art.digest, unchanged = out.unchanged }
  end
  error("unknown artifact kind " .. tostring(art.kind))
end

-- The repository or bucket and the role, while the artifact is made: both are needed before
-- the runtime, neither depends on the other. Returns the infrastructure and the published
-- artifact.
-- The published artifact carries source_hash (M.source_hash), hashed before the build so that
-- an edit made while it runs is never taken for built.
---@param c deploy.Context
---@param known_digest? string
---@param source_hash? string M.source_hash(c.agent) when already known
---@return deploy.Repo repo
---@return deploy.Published published
function M.prepare(c, known_digest, source_hash)
  local agent = c.agent
  source_hash = source_hash or M.source_hash(agent)
  local r = parallel {
    repository = function() return M.ensure_repository_and_role(c) end,
    artifact = function() return M.make_artifact(agent) end,
  }
  r.artifact.platform = agent.platform
  local pushed = M.publish(r.artifact, r.repository, known_digest)
  pushed.source_hash = source_hash
  return r.repository, pushed
end

-- oci.build_go's options for the agent's image (build = "go").
---@param agent deploy.Agent
---@return oci.BuildGoOpts
function M.go_build_opts(agent)
  return { dir = agent.context_rel, package = agent.package ~= "" and agent.package or ".",
    platform = agent.platform, files = agent.files, base = agent.base_image ~= "" and agent.base_image or nil,
    labels = build_labels(agent), out = ".agentcore/build/" .. agent.runtime_name:lower(),
    -- the local registry is a loopback away: compressing fast beats sending less
    compression = M.is_local() and "fast" or nil }
end

-- docker.build's options for the agent's image (without its tag).
---@param agent deploy.Agent
---@return docker.BuildOpts
function M.build_opts(agent)
  return {
    context = agent.context,
    dockerfile = agent.dockerfile,
    build_args = agent.build_args,
    platform = agent.platform,
    labels = build_labels(agent),
  }
end

-- What the agent's image is built from, as a content hash: for docker, the build context as
-- the build sends it, the Dockerfile, the build options and the identity of each base image
-- (docker.context_hash, nil when a base is not on the engine or cannot be resolved); for go,
-- the module's files, the options and the toolchain (oci.source_hash, nil when files alone
-- cannot tell). nil means: build, and compare the pushed digest instead. Update compares it with the live version's before building, so that a lost build
-- cache (pruned, or the image removed) cannot make a new digest, and so a new version, from
-- unchanged sources, and an unchanged agent is neither built nor pushed. nil for a zip (its
-- sha256 is its identity, computed by packaging) and a prebuilt image (its digest).
---@param agent deploy.Agent
---@return string?
function M.source_hash(agent)
  if agent.build == "docker" then return docker.context_hash(M.build_opts(agent)) end
  if agent.build == "go" then return oci.source_hash(M.go_build_opts(agent)) end
  return nil
end

-- Builds the agent's image under a local tag (no registry needed yet).
---@param agent deploy.Agent
---@return table built
function M.build(agent)
  local ref = ("agentcore.local/%s:build"):format(agent.runtime_name:lower())
  local opts = M.build_opts(agent)
  opts.tags = { ref }
  local img = docker.build(opts)
  return { ref = ref, id = img.id }
end

-- Pushes a built image to the repository; returns {image = "repo@sha256:...", digest}.
-- When the same image was pushed there before, the push is skipped.
---@param built table
---@param repo_uri string
---@param known_digest? string
---@return deploy.Published
function M.push(built, repo_uri, known_digest)
  if known_digest then
    local info = docker.inspect(built.ref)
    for _, rd in ipairs((info and info.repo_digests) or {}) do
      if rd == repo_uri .. "@" .. known_digest then
        ui.ok("image unchanged (" .. M.short_digest(known_digest) .. "): nothing to push")
        return { image = rd, digest = known_digest, unchanged = true }
      end
    end
  end
  local tag = push_tag(repo_uri)
  docker.tag(built.ref, tag)
  local pushed = docker.push(tag, { auth = M.registry_auth(true) })
  return { image = repo_uri .. "@" .. pushed.digest, digest = pushed.digest, tag = tag }
end

-- The runtime's configuration for the artifact image (REPO@sha256:... or an s3:// URI); name
-- is set for create only (a runtime cannot be renamed). repo gives the role (role_arn) and the
-- authorizer (the JWT authorizer from ensure_auth); without one, an update removes any JWT
-- authorizer when the agent is configured for IAM callers, and keeps the current one otherwise
-- (rollback, which does not deploy the auth stack).
---@param agent deploy.Agent
---@param image string
---@param repo {role_arn?: string, authorizer?: table}
---@param for_create boolean
---@return agentcore.RuntimeSpec
function M.runtime_spec(agent, image, repo, for_create)
  local role = repo.role_arn
  local auth = repo.authorizer
  if auth == nil and not for_create and agent.auth.type == "iam" then auth = false end
  local code = M.parse_s3_uri(image)
  if code then
    code.runtime, code.entrypoint = agent.runtime, agent.entrypoint
  end
  -- Always said, so that a network removed from agentcore.toml takes the runtime back to PUBLIC.
  local net = env.get().network
  return {
    network = net and "VPC" or "PUBLIC",
    vpc = net and { subnets = net.subnets, security_groups = net.security_groups } or nil,
    authorizer = auth,
    name = for_create and agent.runtime_name or nil,
    image = not code and image or nil,
    code = code,
    role_arn = role,
    env = agent.environment,
    protocol = agent.protocol,
    description = agent.description ~= "" and agent.description or nil,
    lifecycle = (agent.idle_timeout > 0 or agent.max_lifetime > 0) and {
      idle_timeout = agent.idle_timeout > 0 and agent.idle_timeout or nil,
      max_lifetime = agent.max_lifetime > 0 and agent.max_lifetime or nil,
    } or nil,
  }
end

-- Waits for a runtime version; records its final status in state even when it failed, so
-- the next run converges from what really happened.
---@param c deploy.Context
---@param n integer
---@param art deploy.Published the version's image, digest and source_hash
---@param intent? deploy.Intent the update's, finished once the version is recorded
---@return deploy.Version
function M.wait_version(c, n, art, intent)
  local a = c.a
  local v = { number = n, image = art.image, digest = art.digest, config_hash = c.agent.config_hash,
    source_hash = art.source_hash, created_at = M.now(), status = "CREATING" }
  M.set_version(c, v)
  if intent then M.finish(c, intent) end
  local ok, err = pcall(agentcore.wait_runtime, a.runtime_id, { version = n })
  if not ok then
    v.status = "FAILED"
    M.set_version(c, v)
    error(err, 0)
  end
  v.status = "READY"
  a.endpoints.DEFAULT = { version = n, status = "READY", arn = a.endpoints.DEFAULT and a.endpoints.DEFAULT.arn or nil }
  M.set_version(c, v) -- saves DEFAULT's move with the version
  return v
end

-- A role created moments ago may not be assumable yet (IAM is eventually consistent): that
-- one failure is retried with backoff, for about a minute, and only for a fresh role
-- (retry.is_iam_propagation tells it by its error code). Throttling and 5xx are left to the
-- SDK's retry modes.
M.is_iam_propagation = retry.is_iam_propagation

---@param role_fresh boolean
---@param fn fun(): any
---@return any
function M.with_iam_retry(role_fresh, fn)
  local delay = 2
  while true do
    local ok, res = pcall(fn)
    if ok then return res end
    if not role_fresh or not M.is_iam_propagation(res) or delay > 32 then error(res, 0) end
    ui.info(("the new execution role is not usable yet (IAM propagation); retrying in %ds"):format(delay))
    sleep(delay)
    delay = delay * 2
  end
end

-- Creates the runtime (first version) and records it at once, so an interrupted wait leaves a
-- state the next run converges from. repo gives the role (role_arn, role_fresh) and the
-- authorizer, as ensure_repository_and_role returns them.
---@param c deploy.Context
---@param pushed deploy.Published
---@param repo {role_arn?: string, role_fresh?: boolean, authorizer?: table}
---@return integer version
function M.create_runtime(c, pushed, repo)
  local agent, a = c.agent, c.a
  local p = M.begin(c, { op = "create_runtime", name = agent.runtime_name,
    image = pushed.image, digest = pushed.digest, config_hash = agent.config_hash, source_hash = pushed.source_hash })
  ui.step("creating runtime " .. agent.runtime_name)
  local spec = M.runtime_spec(agent, pushed.image, repo, true)
  spec.tags, spec.client_token = M.tags(agent, p.token), p.token
  local rt = M.with_iam_retry(repo.role_fresh, function() return agentcore.create_runtime(spec) end)
  a.runtime_id = rt.agentRuntimeId
  a.runtime_arn = rt.agentRuntimeArn
  a.role_arn = repo.role_arn
  a.versions = {}
  a.endpoints = {}
  M.record_resource(c, "runtime", rt.agentRuntimeId, rt.agentRuntimeArn)
  M.finish(c, p)
  local n = tonumber(rt.agentRuntimeVersion) or 1
  M.wait_version(c, n, pushed)
  ui.ok(("runtime %s is READY at version %s"):format(rt.agentRuntimeId, M.vname(n)))
  return n
end


-- Write-ahead and reconcile ---------------------------------------------------------------
-- Every create or update call is preceded by an intent saved in the agent's state (pending =
-- {{op, name, token, started_at, ...}}) and the intent is removed in the save that follows
-- the result's record. A run killed between the two leaves the intent; the next run resolves
-- it against what exists (M.reconcile) before it does anything else. The token goes to the
-- service as the idempotency token (clientToken, ClientRequestToken) and into the
-- agentcore:token tag of what the call creates. The journal builtins keep the intents, make
-- the tokens and save the state; this library decides what to call and what to record.

-- A client token (journal.token): 42 characters [a-z0-9-], valid for AgentCore and CloudFormation.
M.new_token = journal.token

-- Records an intent and saves the state before the call it announces.
---@param c deploy.Context
---@param intent deploy.Intent
---@return deploy.Intent
function M.begin(c, intent)
  return journal.begin(c.st, c.agent.name, intent)
end

-- Removes an intent and saves the state with the result the caller recorded in it.
---@param c deploy.Context
---@param intent deploy.Intent
function M.finish(c, intent)
  journal.finish(c.st, c.agent.name, intent)
end

---@param c deploy.Context
---@param kind string
---@param id string
---@return boolean
function M.has_resource(c, kind, id)
  return journal.has_resource(c.st, c.agent.name, kind, id)
end

-- Repositories adopted by reconcile in this run (their lifecycle policy is put again).
M.adopted = {}

-- cfn.deploy with an intent when the stack is not recorded yet, and its token; records the
-- stack as created by agentcore.
---@param c deploy.Context
---@param opts cfn.DeployOpts
---@return cfn.DeployResult
function M.deploy_stack(c, opts)
  local p = not M.has_resource(c, "stack", opts.stack) and M.begin(c, { op = "create_stack", name = opts.stack }) or nil
  if p then opts.client_token = p.token end
  local out = cfn.deploy(opts)
  M.record_resource(c, "stack", opts.stack, out.stack_id)
  if p then M.finish(c, p) end
  return out
end

local settled_version = { READY = "READY", CREATE_FAILED = "FAILED", UPDATE_FAILED = "FAILED" }

local function container_uri(rt)
  local art = rt and rt.agentRuntimeArtifact or {}
  return art.containerConfiguration and art.containerConfiguration.containerUri or nil
end

-- The final status of a version as the service tells it; waits while it is in progress.
local function settle_version(a, n)
  local ok, rt = pcall(agentcore.wait_runtime, a.runtime_id, { version = n })
  if ok and rt then return "READY", rt end
  rt = agentcore.get_runtime(a.runtime_id, { version = n })
  if not rt then return nil end
  return settled_version[rt.status] or "FAILED", rt
end

-- Records the runtime's versions the state does not know (made by an interrupted create or
-- update), and settles the versions it recorded as CREATING. p is the intent whose image,
-- configuration hash and source hash the versions it made carry.
---@param c deploy.Context
---@param p? deploy.Intent
---@return boolean changed
function M.resolve_versions(c, p)
  local a, agent = c.a, c.agent
  if not a.runtime_id then return false end
  local changed = false
  for _, lv in ipairs(agentcore.list_versions(a.runtime_id)) do
    local n = tonumber(lv.agentRuntimeVersion)
    if n and not M.version(a, n) then
      local status, rt = settle_version(a, n)
      if status then
        local image = container_uri(rt) or ""
        local mine = p and p.image == image
        M.set_version(c, { number = n, image = image, digest = image:match("@(sha256:.+)$") or "",
          config_hash = mine and p.config_hash or "", source_hash = mine and p.source_hash or nil,
          created_at = lv.lastUpdatedAt or M.now(), status = status })
        ui.ok(("interrupted run: version %s of %s is %s; recorded"):format(M.vname(n), agent.name, status))
        changed = true
      end
    end
  end
  for _, v in ipairs(a.versions) do
    if v.status ~= "READY" and v.status ~= "FAILED" then
      local status = settle_version(a, v.number)
      ui.ok(("interrupted run: version %s of %s was %s, the service says %s"):format(M.vname(v.number), agent.name, v.status, status or "it is gone"))
      v.status = status or "FAILED"
      M.set_version(c, v)
      changed = true
    end
  end
  if changed then
    local d = agentcore.get_endpoint(a.runtime_id, "DEFAULT")
    if d then
      journal.set_endpoint(c.st, agent.name, "DEFAULT",
        { version = tonumber(d.liveVersion or d.targetVersion), status = d.status, arn = d.agentRuntimeEndpointArn })
    end
  end
  return changed
end

local function adopt_hint(what)
  return ("agentcore drift --fix adopt records %s in the state (as created by agentcore only when its agentcore:project, " ..
    "agentcore:environment and agentcore:agent tags name this project, environment and agent; otherwise destroy leaves it)"):format(what)
end

-- How reconcile resolves each operation an interrupted run left pending: each finds out what
-- the call did and records it (journal.reconcile then removes the intent and saves).
---@type table<string, fun(c: deploy.Context, p: deploy.Intent)>
M.resolve = {}
local resolve = M.resolve

function resolve.create_repository(c, p)
  local agent, a = c.agent, c.a
  local tags = ecr.list_tags(p.name)
  if not tags then
    ui.info(("interrupted run: repository %s was not created"):format(p.name))
  elseif M.ours(tags, agent) then
    local r = ecr.describe_repository(p.name)
    local registry = env.get().registry
    a.repository = a.repository or (registry ~= "" and (registry .. "/" .. p.name) or r.repositoryUri)
    M.record_resource(c, "ecr_repository", p.name, r.repositoryArn)
    M.adopted[p.name] = true
    ui.ok(("interrupted run: repository %s was created by it; recorded as created by agentcore"):format(p.name))
  else
    ui.warn(("repository %s exists but its tags do not name %s in %s: it is used, not recorded as created by agentcore"):format(
      p.name, agent.name, env.name()))
  end
end

function resolve.create_stack(c, p)
  for _, s in ipairs(cfn.list()) do
    if s.name == p.name then
      M.record_resource(c, "stack", p.name, s.stack_id)
      ui.ok(("interrupted run: stack %s (%s) was created by it; recorded"):format(p.name, s.status))
      return
    end
  end
  ui.info(("interrupted run: stack %s was not created"):format(p.name))
end

function resolve.create_runtime(c, p)
  local agent, a = c.agent, c.a
  local found
  for _, r in ipairs(agentcore.list_runtimes()) do
    if r.agentRuntimeName == p.name then found = r end
  end
  if not found then
    ui.info(("interrupted run: runtime %s was not created"):format(p.name))
    return
  end
  local tags = agentcore.list_tags(found.agentRuntimeArn)
  local owner = M.owner(tags, agent)
  if owner == "other" then
    ui.warn(("runtime %s (%s) exists but belongs to another checkout of project %s (agentcore:project-id %s): not recorded, never adopted"):format(
      p.name, found.agentRuntimeId, project.name(), tags["agentcore:project-id"]))
    return
  elseif owner ~= "ours" then
    ui.warn(("runtime %s (%s) exists but its tags do not name %s in %s: not recorded"):format(
      p.name, found.agentRuntimeId, agent.name, env.name()))
    ui.info(adopt_hint("it"))
    return
  end
  a.runtime_id, a.runtime_arn = found.agentRuntimeId, found.agentRuntimeArn
  local live = agentcore.get_runtime(found.agentRuntimeId)
  a.role_arn = a.role_arn or (live and live.roleArn) or nil
  M.record_resource(c, "runtime", found.agentRuntimeId, found.agentRuntimeArn)
  ui.ok(("interrupted run: runtime %s (%s) was created by it%s; recorded as created by agentcore"):format(
    p.name, found.agentRuntimeId, tags["agentcore:token"] == p.token and "" or " (an earlier run's token)"))
  M.resolve_versions(c, p)
end

function resolve.update_runtime(c, p)
  local a = c.a
  if not a.runtime_id or not agentcore.get_runtime(a.runtime_id) then
    ui.info(("interrupted run: runtime %s no longer exists"):format(p.runtime_id or p.name))
    return
  end
  M.resolve_versions(c, p)
end

function resolve.create_memory(c, p)
  local agent = c.agent
  local mem = agent.memory
  local found = memory.find(p.name)
  if not found then
    ui.info(("interrupted run: memory %s was not created"):format(p.name))
    return
  end
  local owner = mem and M.memory_owner(agentcore.list_tags(found.arn), mem) or "none"
  if owner ~= "ours" then
    ui.warn(("memory %s (%s) exists but its tags do not name memory %s of %s in %s: not recorded"):format(
      p.name, found.id, mem and mem.name or "?", project.name(), env.name()))
    return
  end
  journal.set_memory(c.st, agent.name, M.memory_record(mem.name, found, "agentcore"))
  ui.ok(("interrupted run: memory %s (%s) was created by it; recorded as created by agentcore"):format(p.name, found.id))
end

function resolve.create_credential(c, p)
  local agent = c.agent
  local name
  for _, n in ipairs(agent.credentials or {}) do
    if identity.config(n).provider_name == p.name then name = n end
  end
  local found
  if name then found = identity.get(identity.config(name).type, p.name) end
  if not found then
    ui.info(("interrupted run: credential provider %s was not created"):format(p.name))
    return
  end
  -- key_hash "" makes the next ensure send the key again: what the interrupted call sent is not known
  journal.set_credential(c.st, agent.name, name, M.credential_record(found, name, "agentcore", ""))
  ui.ok(("interrupted run: credential provider %s was created by it; recorded as created by agentcore"):format(p.name))
end

function resolve.update_memory(c, p)
  local a = c.a
  local live = memory.get(p.memory_id)
  if not live then
    ui.info(("interrupted run: memory %s (%s) no longer exists"):format(p.name, p.memory_id))
    return
  end
  if a.memory and a.memory.id == live.id then
    journal.set_memory(c.st, c.agent.name, M.memory_record(a.memory.name, live, a.memory.created_by))
  end
  ui.ok(("interrupted run: memory %s (%s) is %s; recorded (the next deploy brings it to its configuration)"):format(p.name, live.id, live.status))
end

local function resolve_endpoint(c, p)
  local agent, a = c.agent, c.a
  local ep = a.runtime_id and agentcore.get_endpoint(a.runtime_id, p.name) or nil
  if not ep then
    ui.info(("interrupted run: endpoint %s was not created"):format(p.name))
    return
  end
  if ep.status ~= "READY" and not ep.status:match("FAILED$") then
    ep = agentcore.wait_endpoint(a.runtime_id, p.name) or ep
  end
  local n = tonumber(ep.liveVersion or ep.targetVersion)
  M.set_endpoint(a, p.name, n, { status = ep.status, arn = ep.agentRuntimeEndpointArn }, "an interrupted run")
  if p.op == "create_endpoint" then
    M.record_resource(c, "endpoint", a.runtime_id .. "/" .. p.name, ep.agentRuntimeEndpointArn)
  end
  ui.ok(("interrupted run: endpoint %s of %s serves %s; recorded"):format(p.name, agent.name, M.vname(n)))
end
resolve.create_endpoint = resolve_endpoint
resolve.update_endpoint = resolve_endpoint

-- The pending intent of this op, or nil.
---@param a deploy.AgentState
---@param op string
---@return deploy.Intent?
function M.pending_op(a, op)
  for _, p in ipairs(a and a.pending or {}) do
    if p.op == op then return p end
  end
  return nil
end

-- A create re-run after one that was interrupted once the runtime existed: the runtime's latest
-- version (settled by reconcile) is the create's result. Ends the create_agent intent.
---@param c deploy.Context
---@param live table
---@param marker deploy.Intent
---@return table result
function M.finish_create(c, live, marker)
  local agent, a = c.agent, c.a
  local n = tonumber(live.agentRuntimeVersion) or 1
  local v = M.version(a, n)
  if not v or v.status ~= "READY" then
    ui.error(("the interrupted create of %s made runtime %s, and its version %s is %s"):format(
      agent.name, a.runtime_id, M.vname(n), v and v.status or "not recorded"),
      { hint = "deploy it again with: agentcore update " .. agent.name .. " (or agentcore destroy " .. agent.name .. " to start over)" })
  end
  ui.ok(("%s is deployed in %s: runtime %s, version %s, endpoint DEFAULT (made by the interrupted create)"):format(
    agent.name, env.name(), a.runtime_id, M.vname(n)))
  local result = { agent = agent.name, environment = env.name(), runtime_id = a.runtime_id,
    runtime_arn = a.runtime_arn, version = n, image = v.image, digest = v.digest }
  M.finish(c, marker)
  return result
end

-- Whether the agent's state holds an interrupted run's traces (a create_agent intent alone is
-- none: create finishes it).
---@param a deploy.AgentState?
---@return boolean
function M.needs_reconcile(a)
  if not a then return false end
  for _, p in ipairs(a.pending or {}) do
    if p.op ~= "create_agent" then return true end
  end
  for _, v in ipairs(a.versions or {}) do
    if v.status ~= "READY" and v.status ~= "FAILED" then return true end
  end
  return false
end

-- Resolves every pending intent of the agent against what exists (journal.reconcile calls
-- M.resolve[op] for each, then removes it and saves), and settles versions left CREATING.
---@param c deploy.Context
---@return deploy.AgentState
function M.reconcile(c)
  if not M.needs_reconcile(c.a) then return c.a end
  local pending = 0
  for _, p in ipairs(c.a.pending or {}) do
    if p.op ~= "create_agent" then pending = pending + 1 end
  end
  ui.step(("resolving what an interrupted run of %s left (%d pending)"):format(c.agent.name, pending))
  local handlers = {}
  for op, fn in pairs(resolve) do handlers[op] = function(p) fn(c, p) end end
  journal.reconcile(c.st, c.agent.name, handlers)
  M.resolve_versions(c, nil)
  return c.a
end

-- Puts agentcore.toml's tags back on the runtime agentcore created when they changed (tags
-- are no part of a version: a changed tag makes none). An adopted runtime is left as it is.
---@param c deploy.Context
function M.ensure_runtime_tags(c)
  local a = c.a
  if not a.runtime_arn or (a.adopted and a.adopted.runtime) or not next(M.user_tags()) then return end
  local want = {}
  for k, d in pairs(M.tag_drift(agentcore.list_tags(a.runtime_arn) or {})) do want[k] = d.want end
  if next(want) then
    agentcore.tag_resource(a.runtime_arn, want)
    ui.ok("runtime " .. a.runtime_id .. " tagged as agentcore.toml says")
  end
end

-- Updates the runtime to an artifact (a new version), write-ahead; waits for the version.
-- repo gives the role and authorizer as in create_runtime.
---@param c deploy.Context
---@param art deploy.Published
---@param repo {role_arn?: string, role_fresh?: boolean, authorizer?: table}
---@return integer? version
function M.update_runtime(c, art, repo)
  local agent, a = c.agent, c.a
  local p = M.begin(c, { op = "update_runtime", name = a.runtime_name, runtime_id = a.runtime_id,
    image = art.image, digest = art.digest, config_hash = agent.config_hash, source_hash = art.source_hash })
  local spec = M.runtime_spec(agent, art.image, repo, false)
  spec.client_token = p.token
  local up = M.with_iam_retry(repo.role_fresh, function() return agentcore.update_runtime(a.runtime_id, spec) end)
  local n = tonumber(up.agentRuntimeVersion)
  M.wait_version(c, n, art, p) -- ends the intent once the version is recorded (CREATING)
  return n
end

-- Records in the agent's state that endpoint name serves version n (fields: status, arn),
-- and, when it moved, the move in its history (from, to, at, by: the recipe that moved it),
-- which rollback follows back. The history keeps the newest state.MaxEndpointHistory moves
-- (the state package trims older ones when it saves). Does not save.
---@param a deploy.AgentState
---@param name string
---@param n integer
---@param fields {status?: string, arn?: string}
---@param by? string
function M.set_endpoint(a, name, n, fields, by)
  local old = a.endpoints[name]
  local history = old and old.history or {}
  local from = old and old.version or nil
  if from ~= n then
    table.insert(history, { from = from, to = n, at = M.now(), by = by })
  end
  a.endpoints[name] = { version = n, status = fields.status or "READY", arn = fields.arn,
    history = #history > 0 and history or nil }
end

-- The version endpoint name served before it last came to the version it serves now, from
-- its recorded history: moves made by rollback are undone in turn (rolling back twice goes
-- two releases back, not back and forth). nil when the history does not say (an endpoint
-- recorded before agentcore kept it, or one created at this version).
---@param ep {version: integer, history?: table[]}
---@return integer?
function M.served_before(ep)
  local h = ep and ep.history or {}
  local cur, undone = ep and ep.version, 0
  for i = #h, 1, -1 do
    local m = h[i]
    if m.to ~= cur then return nil end -- moved outside agentcore's record: the history stops here
    if m.by == "rollback" then
      undone = undone + 1
    elseif undone > 0 then
      undone = undone - 1
    else
      return m.from
    end
    cur = m.from
    if not cur then return nil end
  end
  return nil
end

-- Points a named endpoint at version n, creating it when missing, write-ahead; waits for it.
-- by names the recipe that moves it, recorded in the endpoint's history.
---@param c deploy.Context
---@param name string
---@param n integer
---@param existing? table
---@param by? string
---@return table endpoint
function M.point_endpoint(c, name, n, existing, by)
  local agent, a = c.agent, c.a
  local p = M.begin(c, { op = existing and "update_endpoint" or "create_endpoint", name = name,
    runtime_id = a.runtime_id, version = n })
  if existing then
    agentcore.update_endpoint(a.runtime_id, name, { version = n, client_token = p.token })
  else
    local ep = agentcore.create_endpoint(a.runtime_id, name, { version = n, client_token = p.token, tags = M.tags(agent, p.token) })
    M.record_resource(c, "endpoint", a.runtime_id .. "/" .. name, ep.agentRuntimeEndpointArn)
  end
  local ep = agentcore.wait_endpoint(a.runtime_id, name)
  M.set_endpoint(a, name, n, { status = ep and ep.status or "READY", arn = ep and ep.agentRuntimeEndpointArn or nil }, by)
  M.finish(c, p)
  return ep
end

-- Runs fn again while what it deletes is still held (a runtime DELETING, an image a container
-- still uses): ConflictException and "in use" answers, for about a minute.
---@param what string
---@param fn fun(): any
---@return any
function M.retry_held(what, fn)
  local delay = 1
  while true do
    local ok, res = pcall(fn)
    if ok then return res end
    local msg = tostring(type(res) == "table" and res.message or res):lower()
    local held = type(res) == "table" and res.aws_code == "ConflictException" or msg:find("in use", 1, true)
      or msg:find("is using", 1, true) or msg:find("deleting", 1, true) or msg:find("conflict", 1, true)
    if not held or delay > 32 then error(res, 0) end
    ui.info(("%s is still held (%s); retrying in %ds"):format(what, msg:sub(1, 120), delay))
    sleep(delay)
    delay = delay * 2
  end
end

-- A session id for invoke: 36+ characters as AgentCore requires (at least 33), random.
---@return string
function M.new_session_id()
  local r = naming.random_hex(32)
  return ("%s-%s-%s-%s-%x"):format(r:sub(1, 8), r:sub(9, 16), r:sub(17, 24), r:sub(25, 32), os.time())
end

-- Deploys a change as `agentcore update` does: compared with the runtime's live latest version,
-- a new version only when something changed (or opts.force). A docker build's sources are
-- compared first (source_hash, with the configuration hash): unchanged, nothing is built or
-- pushed. Otherwise the artifact is made again and its digest (a zip's sha256) compared. A
-- runtime deleted out of band is created again.
-- Returns {agent, changed, version, digest, image?, recreated?}.
---@param agent deploy.Agent
---@param opts? {force?: boolean}
---@return deploy.UpdateResult
function M.update_agent(agent, opts)
  opts = opts or {}
  aws.guard()
  M.resolve_secrets(agent) -- a secret without a value stops here, before any work
  M.check_credentials(agent) -- so does a credential provider's key
  M.preflight(agent)
  local c = M.context(agent)
  M.reconcile(c)
  local a = M.require_runtime(c)
  M.ensure_memory(c) -- before the runtime, and before config_hash (which holds its id)
  M.ensure_credentials(c) -- likewise (config_hash holds their names)
  local latest = M.latest(a)
  local live = agentcore.get_runtime(a.runtime_id)
  if live then M.check_artifact_switch(agent, live) end
  if live then M.ensure_runtime_tags(c) end

  -- Compared with the runtime's live latest version (what an interrupted run may have made),
  -- not only with the state.
  local live_n = live and tonumber(live.agentRuntimeVersion)
  local lv = live_n and M.version(a, live_n)
  local live_uri = live and M.artifact_uri(live.agentRuntimeArtifact) or ""
  local function unchanged(v) -- what an unchanged update says and returns
    ui.ok(("%s is up to date: image %s and configuration unchanged; no new version (still %s)"):format(
      agent.name, M.short_digest(v.digest), M.vname(v.number)))
    return { agent = agent.name, changed = false, version = v.number, digest = v.digest, image = v.image }
  end
  local settled = not opts.force and lv and lv.status == "READY" and lv.config_hash == agent.config_hash
  local source_hash = settled and lv.source_hash and M.source_hash(agent) or nil
  if settled and source_hash and lv.source_hash == source_hash and live_uri == lv.image then
    M.ensure_repository_and_role(c)
    require("observe").ensure(c)
    ui.info("sources unchanged (" .. M.short_digest(source_hash) .. "): nothing built or pushed")
    return unchanged(lv)
  end

  local repo, pushed = M.prepare(c, latest and latest.digest, source_hash)

  if not live then
    ui.warn(("runtime %s of %s was deleted outside agentcore; creating it again"):format(a.runtime_id, agent.name))
    M.forget_resource(c, "runtime", a.runtime_id)
    local n = M.create_runtime(c, pushed, repo)
    require("observe").ensure(c)
    return { agent = agent.name, changed = true, recreated = true, version = n, digest = pushed.digest, image = pushed.image }
  end

  -- alarms and the dashboard follow agentcore.toml even without a new version (required here,
  -- not at the top: observe requires this library)
  require("observe").ensure(c)

  local same = live_uri == pushed.image or live_uri:match("@(sha256:.+)$") == pushed.digest
  if settled and same then
    if pushed.source_hash and lv.source_hash ~= pushed.source_hash then
      -- a version recorded without its sources' hash gets it: the next update compares sources
      lv.source_hash = pushed.source_hash
      M.set_version(c, lv)
    end
    return unchanged(lv)
  end

  ui.step("updating runtime " .. a.runtime_id)
  local n = M.update_runtime(c, pushed, repo)
  ui.ok(("%s is now at version %s in %s (DEFAULT follows it; named endpoints stay where they are)"):format(
    agent.name, M.vname(n), env.name()))
  return { agent = agent.name, changed = true, version = n, image = pushed.image, digest = pushed.digest }
end

-- The agents a command acts on: args.agent and args.agents (the positional arguments: the
-- first agent is a string, as a project's recipe that wraps the stock one expects, the rest a
-- list) or, with args.all, every agent of the project, in order and each once. None named: a
-- usage error (exit 2) that lists the project's agents. An unknown name stops with a
-- did-you-mean.
---@param args {agent?: string|string[], agents?: string[], all?: boolean}
---@param verb string the command, for messages
---@return string[]
function M.agent_names(args, verb)
  local names = {}
  for _, given in ipairs({ args.agent, args.agents }) do
    if type(given) == "string" then given = { given } end
    for _, n in ipairs(given or {}) do table.insert(names, n) end
  end
  local all = project.agents()
  if args.all then
    if #names > 0 then
      ui.error(("%s: give agent names or --all, not both"):format(verb), { usage = true })
    end
    names = all
  end
  if #names == 0 then
    if #all == 0 then
      ui.error(("%s needs an agent, and this project has none"):format(verb),
        { usage = true, hint = "add an [agents.NAME] table to agentcore.toml" })
    end
    ui.error(("%s needs an agent: this project has %s"):format(verb, table.concat(all, ", ")),
      { usage = true, hint = ("agentcore %s %s, or agentcore %s --all for every agent"):format(verb, all[1], verb) })
  end
  local seen, out = {}, {}
  for _, n in ipairs(names) do
    if not seen[n] then
      seen[n] = true
      project.agent(n, { resolve = false }) -- an unknown name stops here, with a did-you-mean
      table.insert(out, n)
    end
  end
  return out
end

-- The message of an error value raised by a step.
local function error_text(err)
  return tostring(type(err) == "table" and err.message or err)
end

-- Runs fn(name) for each agent a command acts on. One agent: fn's result as is, under its
-- lock. Several: one after another, each holding its agent's lock
-- (state.with_agent) inside a parallel branch named after the agent, so that every line it
-- prints says which agent it is about; a failure of one does not stop the others. Then one
-- line per agent (describe(result) says what happened), and the result
-- {results = {{agent, ok, result | error}}, failed}, with exit code 1 when any failed.
-- Ctrl-C stops them all.
---@param verb string
---@param names string[]
---@param fn fun(name: string): table
---@param describe fun(result: table): string
---@return table
function M.each_agent(verb, names, fn, describe)
  if #names == 1 then
    -- (held already when the command named it; not when --all found one agent)
    return state.with_agent(names[1], function() return fn(names[1]) end)
  end
  local results, failed = json.array(), {}
  for _, name in ipairs(names) do
    local ok, res = pcall(function()
      return parallel { [name] = function() return state.with_agent(name, function() return fn(name) end) end }[name]
    end)
    if not ok and type(res) == "table" and res.code == 130 then error(res, 0) end -- interrupted: stop
    if ok then
      table.insert(results, { agent = name, ok = true, result = res })
    else
      table.insert(failed, name)
      local msg, label = error_text(res), "[" .. name .. "] "
      if msg:sub(1, #label) == label then msg = msg:sub(#label + 1) end -- the branch's label: the line names it
      table.insert(results, { agent = name, ok = false, error = msg, code = type(res) == "table" and res.code or 1 })
    end
  end
  ui.step(("%s of %d agents in %s"):format(verb, #names, env.name()))
  for _, r in ipairs(results) do
    if r.ok then
      ui.ok(("%s: %s"):format(r.agent, describe(r.result or {})))
    else
      ui.fail(("%s: failed: %s"):format(r.agent, r.error))
    end
  end
  if #failed > 0 then
    ui.fail(("%s failed for %d of %d agents: %s"):format(verb, #failed, #names, table.concat(failed, ", ")))
    ui.exit_code(1)
  end
  return { environment = env.name(), results = results, failed = #failed }
end

-- What a carried artifact is called: its version where it was deployed, else (built once for
-- a first wave, deployed nowhere yet) its digest.
---@param src {version?: integer, digest: string}
---@return string
function M.source_label(src)
  return src.version and M.vname(src.version) or ("build " .. M.short_digest(src.digest))
end

-- Deploys, in the selected environment, the exact artifact of a version of another one, as
-- `promote --to` does: an image copied registry to registry (digest kept), a zip copied
-- object to object; nothing rebuilt. src = {from (environment), version, image, digest, auth
-- (the source registry's credentials)}. A target that already runs that artifact with this
-- environment's configuration gets no new version. Returns {agent, from, to, version,
-- source_version, digest, changed}.
---@param name string
---@param src deploy.CarrySource
---@return deploy.CarryResult
function M.carry(name, src)
  local to = env.name()
  local target = project.agent(name)
  aws.guard()
  M.check_network() -- the target's VPC, before anything is copied
  M.resolve_secrets(target)
  M.check_credentials(target)
  local tc = M.context(target)
  M.reconcile(tc)
  local ta = tc.a
  M.ensure_memory(tc) -- the target's own memory, from its own configuration
  M.ensure_credentials(tc)
  local repo = M.ensure_repository_and_role(tc)
  local pushed
  if M.is_code(src.image) then
    -- a code zip: copied object to object; its sha256 is its identity
    if target.build ~= "zip" then
      ui.error(("%s %s is a code zip, and %s builds %s in %s"):format(name, M.source_label(src), name, target.build, to),
        { usage = true, hint = "a runtime cannot switch between code and a container image: use the same build kind in both environments" })
    end
    local s = M.parse_s3_uri(src.image)
    local key = repo.prefix .. src.digest:gsub("^sha256:", ""):sub(1, 32) .. ".zip"
    if s.bucket == repo.bucket and s.key == key then
      -- already there (a first wave built into this environment's bucket)
      pushed = { image = src.image, digest = src.digest }
    else
      local out = s3.copy { from_bucket = s.bucket, from_key = s.key, from_version_id = s.version_id, bucket = repo.bucket, key = key }
      pushed = { image = M.s3_uri(repo.bucket, key, out.version_id), digest = src.digest }
      ui.ok(("code zip %s copied to s3://%s/%s"):format(M.short_digest(src.digest), repo.bucket, key))
    end
  else
    if target.build == "zip" then
      ui.error(("%s %s is a container image, and %s builds a code zip in %s"):format(name, M.source_label(src), name, to),
        { usage = true, hint = "a runtime cannot switch between code and a container image: use the same build kind in both environments" })
    end
    local copied = oci.copy { from = src.image, to = repo.push_uri .. ":promoted-" .. M.short_digest(src.digest),
      from_auth = src.auth, to_auth = M.registry_auth() }
    if copied.digest ~= src.digest then
      ui.error(("the copied image has digest %s, not %s"):format(copied.digest, src.digest),
        { hint = "the target registry rewrote the manifest; nothing was deployed to " .. to .. ": check its registry, or run agentcore update there" })
    end
    ui.ok(("image %s copied to %s"):format(M.short_digest(src.digest), repo.push_uri))
    pushed = { image = repo.push_uri .. "@" .. src.digest, digest = src.digest }
  end
  local live = ta.runtime_id and agentcore.get_runtime(ta.runtime_id) or nil
  local latest = live and M.version(ta, tonumber(live.agentRuntimeVersion)) or nil
  local tn, changed = nil, true
  if live and latest and latest.status == "READY" and latest.digest == src.digest and latest.config_hash == target.config_hash then
    tn, changed = latest.number, false
    ui.ok(("%s already runs this image in %s (%s): no new version"):format(name, to, M.vname(tn)))
  elseif live then
    ui.step("updating runtime " .. ta.runtime_id .. " in " .. to)
    tn = M.update_runtime(tc, pushed, repo)
  else
    if ta.runtime_id then M.forget_resource(tc, "runtime", ta.runtime_id) end
    tn = M.create_runtime(tc, pushed, repo)
  end
  require("observe").ensure(tc) -- the target's dashboard and alarms, as create makes them
  ui.ok(("%s in %s now runs %s's %s as %s"):format(name, to, src.from, M.source_label(src), M.vname(tn)))
  return { agent = name, from = src.from, to = to, version = tn, source_version = src.version, digest = src.digest, changed = changed }
end

return M
