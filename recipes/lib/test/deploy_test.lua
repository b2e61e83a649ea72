-- Unit tests of lib/deploy.lua (run by recipes/lualib_test.go): the orchestration with the AWS
-- and Docker builtins faked in Lua; the journal, naming, state and project builtins are real.
local deploy = require("deploy")

local T = {}

local function eq(got, want, what)
  if got ~= want then
    error(("%s: got %s, want %s"):format(what or "value", inspect(got), inspect(want)), 2)
  end
end

-- A stand-in for a builtin module: the functions given, and an error for any other call, so a
-- test also says what the library must not call.
local function fake(name, fns)
  return setmetatable(fns, { __index = function(_, k)
    error(("unexpected call of %s.%s"):format(name, k), 2)
  end })
end

local IMG1 = "127.0.0.1:1/agentcore/demo-bot-dev@sha256:d1"

-- The fakes of a local deploy: the repository exists, the caller is a local account.
local function local_infra()
  aws = fake("aws", { guard = function() return { account = "000000000000" } end,
    caller = function() return { account = "000000000000" } end })
  ecr = fake("ecr", {
    ensure_repository = function(name) return { created = false, repositoryUri = "127.0.0.1:1/" .. name, repositoryArn = "arn:repo/" .. name } end,
    auth = function() return { username = "AWS", password = "pw", server = "127.0.0.1:1" } end,
  })
end

-- An agent deployed at V1 from the current sources: the state says so, the runtime too.
local function deployed_v1(agent)
  local c = deploy.context(agent)
  c.a.runtime_id, c.a.runtime_arn = "rt-1", "arn:rt-1"
  deploy.set_version(c, { number = 1, image = IMG1, digest = "sha256:d1", config_hash = agent.config_hash,
    source_hash = deploy.source_hash(agent), created_at = deploy.now(), status = "READY" })
  return c
end

local function live_runtime(version, uri)
  return { agentRuntimeVersion = tostring(version), agentRuntimeArtifact = { containerConfiguration = { containerUri = uri } } }
end

function T.test_names_keep_the_lua_fnv()
  eq(deploy.hash8("demo/dev"), "d634b86a", "hash8")
  eq(deploy.hash8("demo/prod"), "d2e00b32", "hash8")
  aws = fake("aws", { caller = function() return { account = "000000000000" } end })
  eq(deploy.code_bucket_name(), "agentcore-d634b86a-000000000000-" .. env.get().region, "code bucket")
end

function T.test_session_ids_are_random()
  local a, b = deploy.new_session_id(), deploy.new_session_id()
  assert(a:match("^%x+%-%x+%-%x+%-%x+%-%x+$") and #a >= 33, a)
  assert(a ~= b, "two session ids are the same")
end

-- update with unchanged sources and configuration: nothing is built or pushed (a lost build
-- cache could otherwise make a new digest), no version is made.
function T.test_update_unchanged_sources_build_nothing()
  local agent = project.agent("bot")
  local_infra()
  deployed_v1(agent)
  docker = fake("docker", { context_hash = docker.context_hash })
  agentcore = fake("agentcore", { get_runtime = function(id) eq(id, "rt-1", "runtime id") return live_runtime(1, IMG1) end })
  local r = deploy.update_agent(agent)
  eq(r.changed, false, "changed")
  eq(r.version, 1, "version")
  eq(#state.load().agents.bot.versions, 1, "versions")
end

-- changed sources: built, pushed, a new version recorded with the new sources' hash; the
-- update's intent is on disk while the call runs, and gone after.
function T.test_update_changed_sources_make_a_version()
  local agent = project.agent("bot")
  local_infra()
  deployed_v1(agent)
  fs.write("agents/bot/agent", "a new static binary")
  local want_hash = deploy.source_hash(agent)
  local built = false
  docker = fake("docker", {
    context_hash = docker.context_hash,
    build = function(o) built = true eq(o.labels["agentcore.project"], "demo", "label") return { id = "sha256:i2" } end,
    inspect = function() return { repo_digests = {} } end,
    tag = function() end,
    push = function(tag)
      assert(tag:match("^127%.0%.0%.1:1/agentcore/demo%-bot%-dev:%d+%-%d+%-%x%x%x%x$"), tag)
      return { digest = "sha256:d2" }
    end,
  })
  agentcore = fake("agentcore", {
    get_runtime = function() return live_runtime(1, IMG1) end,
    update_runtime = function(id, spec)
      local pending = state.load().agents.bot.pending
      eq(#pending, 1, "intents on disk during the call")
      eq(pending[1].op, "update_runtime", "op")
      eq(pending[1].token, spec.client_token, "token sent")
      eq(pending[1].source_hash, want_hash, "intent's source hash")
      return { agentRuntimeVersion = "2" }
    end,
    wait_runtime = function() return {} end,
  })
  local r = deploy.update_agent(agent)
  assert(built, "nothing was built")
  eq(r.changed, true, "changed")
  eq(r.version, 2, "version")
  local a = state.load().agents.bot
  eq(#(a.pending or {}), 0, "intents left")
  eq(a.versions[2].source_hash, want_hash, "recorded source hash")
  eq(a.versions[2].digest, "sha256:d2", "digest")
  eq(a.versions[2].status, "READY", "status")
  eq(a.endpoints.DEFAULT.version, 2, "DEFAULT")
end

-- A version recorded before sources were hashed gets the hash when an update finds its digest
-- unchanged; the next update then builds nothing.
function T.test_unchanged_digest_records_the_source_hash()
  local agent = project.agent("bot")
  local_infra()
  local c = deployed_v1(agent)
  local v = deploy.version(c.a, 1)
  v.source_hash = nil
  deploy.set_version(c, v)
  docker = fake("docker", {
    context_hash = docker.context_hash,
    build = function() return { id = "sha256:i1" } end,
    inspect = function() return { repo_digests = { IMG1 } } end,
  })
  agentcore = fake("agentcore", { get_runtime = function() return live_runtime(1, IMG1) end })
  eq(deploy.update_agent(agent).changed, false, "changed")
  eq(state.load().agents.bot.versions[1].source_hash, deploy.source_hash(agent), "recorded")
end

-- reconcile after an update killed once the call was sent: the version it made is recorded
-- with the intent's configuration and source hashes, and the intent is gone.
function T.test_reconcile_records_an_interrupted_update()
  local agent = project.agent("bot")
  local c = deployed_v1(agent)
  deploy.begin(c, { op = "update_runtime", name = "demo_bot_dev", runtime_id = "rt-1",
    image = "127.0.0.1:1/agentcore/demo-bot-dev@sha256:d2", digest = "sha256:d2", config_hash = "cfg", source_hash = "sha256:src" })
  agentcore = fake("agentcore", {
    get_runtime = function() return live_runtime(2, "127.0.0.1:1/agentcore/demo-bot-dev@sha256:d2") end,
    list_versions = function() return { { agentRuntimeVersion = "1" }, { agentRuntimeVersion = "2", lastUpdatedAt = "2026-12-07T17:00:00Z" } } end,
    wait_runtime = function(_, o) return live_runtime(o.version, "127.0.0.1:1/agentcore/demo-bot-dev@sha256:d2") end,
    get_endpoint = function() return { liveVersion = "2", status = "READY", agentRuntimeEndpointArn = "arn:ep" } end,
  })
  deploy.reconcile(deploy.context(agent))
  local a = state.load().agents.bot
  eq(#(a.pending or {}), 0, "intents left")
  eq(a.versions[2].config_hash, "cfg", "config hash")
  eq(a.versions[2].source_hash, "sha256:src", "source hash")
  eq(a.versions[2].digest, "sha256:d2", "digest")
  eq(a.endpoints.DEFAULT.version, 2, "DEFAULT")
end

-- A failing resolution leaves the intent for the next run.
function T.test_reconcile_keeps_the_intent_when_it_fails()
  local agent = project.agent("bot")
  local c = deployed_v1(agent)
  deploy.begin(c, { op = "create_endpoint", name = "stable", runtime_id = "rt-1", version = 1 })
  agentcore = fake("agentcore", { get_endpoint = function() error("the service is down") end })
  local ok, err = pcall(deploy.reconcile, deploy.context(agent))
  assert(not ok and tostring(err):find("the service is down"), tostring(err))
  eq(#state.load().agents.bot.pending, 1, "intents left")
end

-- A stack is recorded before its intent goes: a run killed between the two finds it recorded.
function T.test_deploy_stack_records_before_finishing()
  local agent = project.agent("bot")
  local c = deploy.context(agent)
  cfn = fake("cfn", { deploy = function(o)
    assert(o.client_token and #o.client_token == 42, "a token is sent")
    eq(state.load().agents.bot.pending[1].op, "create_stack", "intent on disk")
    return { stack_id = "arn:stack/s", outputs = {}, changed = true }
  end })
  deploy.deploy_stack(c, { stack = "s", template = "cognito" })
  local a = state.load().agents.bot
  eq(#(a.pending or {}), 0, "intents left")
  eq(a.resources[1].id, "s", "recorded stack")
  -- recorded: the next deploy sends no intent
  cfn = fake("cfn", { deploy = function(o) eq(o.client_token, nil, "token") return { stack_id = "arn:stack/s", outputs = {} } end })
  deploy.deploy_stack(c, { stack = "s", template = "cognito" })
end

-- A fresh role's IAM propagation error is retried; any other error, or a role that is not
-- fresh, is not.
function T.test_iam_retry()
  -- counters live in a table: gopher-lua closes a main chunk's upvalue when pcall unwinds an
  -- error, so a plain local would stop seeing the closure's updates
  local n = { calls = 0, slept = 0 }
  sleep = function(s) n.slept = n.slept + s end
  local function flaky()
    n.calls = n.calls + 1
    if n.calls == 1 then error({ message = "Role validation failed for arn:aws:iam::1:role/r", aws_code = "ValidationException" }) end
    return "done"
  end
  eq(deploy.with_iam_retry(true, flaky), "done", "result")
  eq(n.calls, 2, "calls")
  eq(n.slept, 2, "slept")
  n.calls = 0
  local ok = pcall(deploy.with_iam_retry, false, flaky)
  assert(not ok and n.calls == 1, "a role that is not fresh is not retried")
  n.calls = 0
  ok = pcall(deploy.with_iam_retry, true, function() n.calls = n.calls + 1 error({ message = "bad image", aws_code = "ValidationException" }) end)
  assert(not ok and n.calls == 1, "another error is not retried")
end

-- The runtime's configuration: an image or a code zip, the role and the authorizer from repo;
-- an update without an authorizer removes a JWT one from an agent for IAM callers.
function T.test_runtime_spec()
  local agent = project.agent("bot")
  local create = deploy.runtime_spec(agent, IMG1, { role_arn = "arn:role" }, true)
  eq(create.name, agent.runtime_name, "name on create")
  eq(create.image, IMG1, "image")
  eq(create.role_arn, "arn:role", "role")
  eq(create.authorizer, nil, "authorizer on create")
  local update = deploy.runtime_spec(agent, "s3://b/k.zip?versionId=7", {}, false)
  eq(update.name, nil, "name on update")
  eq(update.image, nil, "image of a zip")
  eq(update.code.bucket, "b", "bucket")
  eq(update.code.version_id, "7", "object version")
  eq(update.authorizer, false, "authorizer removed for IAM callers")
  local jwt = { discovery_url = "https://issuer/.well-known/openid-configuration" }
  eq(deploy.runtime_spec(agent, IMG1, { authorizer = jwt }, false).authorizer, jwt, "authorizer kept")
end

-- rollback's question: which version did the endpoint serve before? Moves by rollback undo
-- the move before them.
function T.test_served_before_follows_the_history()
  local a = { endpoints = {} }
  deploy.set_endpoint(a, "stable", 1, {}, "release")
  eq(deploy.served_before(a.endpoints.stable), nil, "created at V1")
  deploy.set_endpoint(a, "stable", 3, {}, "release")
  eq(deploy.served_before(a.endpoints.stable), 1, "V1 -> V3")
  deploy.set_endpoint(a, "stable", 3, {}, "release")
  eq(#a.endpoints.stable.history, 2, "no move when the version is the same")
  deploy.set_endpoint(a, "stable", 4, {}, "release")
  deploy.set_endpoint(a, "stable", 3, {}, "rollback")
  eq(deploy.served_before(a.endpoints.stable), 1, "after rolling V4 back to V3, V3 came from V1")
  deploy.set_endpoint(a, "stable", 1, {}, "rollback")
  eq(deploy.served_before(a.endpoints.stable), nil, "two rollbacks: back at the start")
  eq(deploy.served_before({ version = 2 }), nil, "no history (an older state)")
  eq(deploy.served_before({ version = 5, history = { { from = 1, to = 3 } } }), nil, "moved outside the record")
end

-- Tags: a resource of another checkout (another id, or an id when this project has none) is
-- "other"; one tagged before ids, by names alone.
function T.test_owner_of_tags()
  local agent = project.agent("bot", { resolve = false })
  local t = deploy.tags(agent)
  eq(t["agentcore:project-id"], nil, "a project without an id tags none")
  eq(deploy.owner(t, agent), "ours", "own tags")
  t["agentcore:project-id"] = "0123456789ab"
  eq(deploy.owner(t, agent), "other", "another checkout's id")
  eq(deploy.ours(t, agent), false, "another checkout's is not ours")
  eq(deploy.owner({ ["agentcore:project"] = "demo", ["agentcore:environment"] = "dev", ["agentcore:agent"] = "other" }, agent), "none", "another agent")
  eq(deploy.owner(nil, agent), "none", "no tags")
end

-- A command that needs an agent lists the project's; --all is every agent; names are checked.
function T.test_agent_names()
  eq(table.concat(deploy.agent_names({ all = true }, "update"), ","), "bot", "--all")
  eq(table.concat(deploy.agent_names({ agent = "bot", agents = { "bot" } }, "update"), ","), "bot", "each once")
  local ok, err = pcall(deploy.agent_names, {}, "update")
  assert(not ok and err.message:find("update needs an agent: this project has bot", 1, true), inspect(err))
  ok, err = pcall(deploy.agent_names, { agent = "bot", all = true }, "deploy")
  assert(not ok and err.message:find("give agent names or --all, not both", 1, true), inspect(err))
end


-- Memory -------------------------------------------------------------------------------------

local function with_memory(agent)
  agent.memory = { name = "chat", memory_name = "demo_chat_dev", event_expiry_days = 30,
    strategies = { { type = "semantic", name = "semantic", namespace = "/facts/{actorId}" } } }
  return agent
end

local function live_memory(status)
  return { id = "demo_chat_dev-0123456789", arn = "arn:aws:bedrock-agentcore:us-east-1:000000000000:memory/demo_chat_dev-0123456789",
    name = "demo_chat_dev", status = status, event_expiry_days = 30,
    strategies = { { id = "s-1", name = "semantic", type = "semantic", api_type = "SEMANTIC", namespaces = { "/facts/{actorId}" } } } }
end

-- A new memory: the intent and its token are saved before CreateMemory, which carries the
-- token and the memory's tags; the memory is recorded before the wait, and the runtime's
-- environment gets its id and name.
function T.test_memory_is_created_write_ahead()
  local agent = with_memory(project.agent("bot"))
  local c = deploy.context(agent)
  local seen_token
  memory = fake("memory", {
    find = function() return nil end,
    create = function(spec, opts)
      local p = state.load().agents.bot.pending
      eq(#p, 1, "intents saved before CreateMemory")
      eq(p[1].op, "create_memory", "op")
      eq(p[1].name, "demo_chat_dev", "name")
      eq(opts.client_token, p[1].token, "client token")
      eq(opts.tags["agentcore:memory"], "chat", "memory tag")
      eq(opts.tags["agentcore:token"], p[1].token, "token tag")
      eq(spec.memory_name, "demo_chat_dev", "spec")
      seen_token = opts.client_token
      return live_memory("CREATING")
    end,
    wait = function(id)
      local rec = state.load().agents.bot.memory
      eq(rec and rec.id, id, "recorded before the wait")
      eq(#(state.load().agents.bot.pending or {}), 0, "intent finished with the record")
      return live_memory("ACTIVE")
    end,
    diff = function() return {} end,
  })
  local m = deploy.ensure_memory(c)
  assert(seen_token, "CreateMemory was called")
  eq(m.status, "ACTIVE", "status")
  local rec = state.load().agents.bot.memory
  eq(rec.created_by, "agentcore", "created_by")
  eq(rec.strategies[1].id, "s-1", "strategy id")
  eq(agent.environment.BEDROCK_AGENTCORE_MEMORY_ID, "demo_chat_dev-0123456789", "env id")
  eq(agent.environment.BEDROCK_AGENTCORE_MEMORY_NAME, "demo_chat_dev", "env name")
end

-- A recorded memory that differs from its configuration: one update, written ahead with the
-- memory's id, never a create.
function T.test_memory_changes_are_one_update()
  local agent = with_memory(project.agent("bot"))
  local c = deploy.context(agent)
  journal.set_memory(c.st, "bot", deploy.memory_record("chat", live_memory("ACTIVE"), "agentcore"))
  local updated = false
  memory = fake("memory", {
    get = function() return live_memory("ACTIVE") end,
    diff = function() return { { what = "strategy", action = "add", strategy = "summary", now = "summary" } } end,
    update = function(id, spec, opts)
      local p = state.load().agents.bot.pending
      eq(p[1].op, "update_memory", "op")
      eq(p[1].memory_id, id, "memory id in the intent")
      eq(opts.client_token, p[1].token, "client token")
      updated = true
      local m = live_memory("ACTIVE")
      table.insert(m.strategies, { id = "s-2", name = "summary", type = "summary", api_type = "SUMMARIZATION", namespaces = {} })
      return { memory = m, changed = true, changes = { { what = "strategy", action = "add", strategy = "summary", now = "summary" } } }
    end,
    wait = function()
      local m = live_memory("ACTIVE")
      table.insert(m.strategies, { id = "s-2", name = "summary", type = "summary", api_type = "SUMMARIZATION", namespaces = {} })
      return m
    end,
  })
  deploy.ensure_memory(c)
  assert(updated, "UpdateMemory was called")
  local rec = state.load().agents.bot.memory
  eq(#rec.strategies, 2, "strategies recorded")
  eq(rec.id, "demo_chat_dev-0123456789", "the same memory")
  eq(#(state.load().agents.bot.pending or {}), 0, "no intent left")
end

-- A memory of that name made by another checkout is never adopted.
function T.test_memory_of_another_checkout_is_refused()
  local agent = with_memory(project.agent("bot"))
  local c = deploy.context(agent)
  memory = fake("memory", { find = function() return live_memory("ACTIVE") end })
  agentcore = fake("agentcore", { list_tags = function()
    return { ["agentcore:project"] = "demo", ["agentcore:environment"] = "dev", ["agentcore:memory"] = "chat", ["agentcore:project-id"] = "ffffffffffff" }
  end })
  local ok, err = pcall(deploy.ensure_memory, c)
  assert(not ok, "adopted another checkout's memory")
  assert(tostring(err.message or err):find("another checkout", 1, true), tostring(err.message or err))
  eq((state.load().agents.bot or {}).memory, nil, "nothing recorded")
end

-- Credential providers: the identity builtin faked, its config as [credentials.github] gives it.
local function fake_identity(fns)
  fns.config = fns.config or function(name)
    return { name = name, type = "api_key", provider_name = "demo-" .. name .. "-dev", env = "AGENTCORE_CREDENTIAL_" .. name:upper(), scopes = {}, source = "env GH" }
  end
  fns.key_hash = fns.key_hash or function() return "hmac-sha256:k1" end
  identity = fake("identity", fns)
end

local function live_provider(updated)
  return { provider_name = "demo-github-dev", arn = "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/apikeycredentialprovider/demo-github-dev",
    type = "api_key", updated = updated or "2026-01-01T00:00:00.001Z", secret_arn = "arn:secret" }
end

-- A new provider: the intent is saved before the create call, which carries the credential's
-- tags; the record holds the key's hash (never a key), and the runtime gets the provider's name.
function T.test_credential_is_created_write_ahead()
  local agent = project.agent("bot")
  agent.credentials = { "github" }
  local c = deploy.context(agent)
  local seen = {}
  fake_identity({
    get = function() return nil end,
    create = function(name, opts)
      local p = state.load().agents.bot.pending
      eq(#p, 1, "intent saved before the create call")
      eq(p[1].op, "create_credential", "op")
      eq(p[1].name, "demo-github-dev", "name")
      eq(opts.tags["agentcore:credential"], "github", "credential tag")
      eq(opts.tags["agentcore:token"], p[1].token, "token tag")
      seen.created = true
      local e = live_provider()
      e.name, e.key_hash = name, "hmac-sha256:k1"
      return e
    end,
  })
  local recs = deploy.ensure_credentials(c)
  assert(seen.created, "not created")
  eq(#recs, 1, "records")
  local rec = state.load().agents.bot.credentials[1]
  eq(rec.name, "github", "name")
  eq(rec.created_by, "agentcore", "created_by")
  eq(rec.key_hash, "hmac-sha256:k1", "key hash")
  eq(rec.secret_arn, "arn:secret", "secret arn")
  eq(#(state.load().agents.bot.pending or {}), 0, "no intent left")
  eq(agent.environment.AGENTCORE_CREDENTIAL_GITHUB, "demo-github-dev", "env")
  eq(deploy.credential_arns(c, "api_key"), live_provider().arn, "role's provider ARNs")
  eq(deploy.credential_arns(c, "oauth2"), "", "no oauth2")
end

-- A provider of that name that the state does not record: tagged by another checkout, refused
-- as such; tagged by this project, environment and credential, recorded and given its key;
-- without tags (made by hand), refused with how to rename or adopt it.
function T.test_unrecorded_credential_providers()
  local agent = project.agent("bot")
  agent.credentials = { "github" }
  local c = deploy.context(agent)
  local live = {} -- live.tags: what ListTagsForResource answers
  agentcore = fake("agentcore", { list_tags = function() return live.tags end })
  fake_identity({ get = function() return live_provider() end,
    update = function(name) live.updated = true; local e = live_provider("2026-01-02T00:00:00.000Z"); e.key_hash = "hmac-sha256:k1"; return e end })

  live.tags = { ["agentcore:project"] = "demo", ["agentcore:environment"] = "dev", ["agentcore:credential"] = "github", ["agentcore:project-id"] = "ffffffffffff" }
  local ok, err = pcall(deploy.ensure_credentials, c)
  assert(not ok, "adopted another checkout's provider")
  assert(tostring(err.message or err):find("another checkout", 1, true), tostring(err.message or err))
  eq((state.load().agents.bot or {}).credentials, nil, "nothing recorded")

  live.tags = nil
  ok, err = pcall(deploy.ensure_credentials, c)
  assert(not ok, "adopted a provider made by hand")
  assert(tostring(err.message or err):find("belongs to another checkout", 1, true), tostring(err.message or err))
  assert(tostring(err.hint or ""):find("provider_name", 1, true), tostring(err.hint))

  live.tags = deploy.credential_tags("github")
  deploy.ensure_credentials(c)
  assert(live.updated, "the key was not sent to a provider found by its tags")
  local rec = state.load().agents.bot.credentials[1]
  eq(rec.created_by, "agentcore", "created_by")
  eq(rec.key_hash, "hmac-sha256:k1", "key hash")
end

return T
