-- CI pipelines for a project: what the pipeline must do (read from agentcore.toml and the
-- agents' folders), the GitHub Actions workflow and the GitLab CI file that do it, and the
-- parameters of the deploy role (templates/ci-role.yaml). The ci recipe uses it; a project can
-- shadow it with recipes/lib/ci.lua to change the generated files.
local deploy = require("deploy")

local M = {}

M.files = { github = ".github/workflows/agentcore.yml", gitlab = ".gitlab-ci.yml", jenkins = "Jenkinsfile" }
-- The Jenkins credentials the Jenkinsfile binds (see M.jenkins).
M.jenkins_token_credential = "agentcore-aws-web-identity-token"
M.jenkins_aws_credential = "agentcore-aws"
M.issuers = { github = "token.actions.githubusercontent.com", gitlab = "gitlab.com" }
M.audience = "sts.amazonaws.com"
M.role_variable = "AGENTCORE_DEPLOY_ROLE_ARN"
M.go_version = "1.26"
M.python_version = "3.12"
M.module = "github.com/agentcore/agentcore/cmd/agentcore"

-- Environment names in the order agentcore.toml declares them.
function M.env_order()
  return env.list()
end

-- The project's [rollouts.NAME] table, as a --through value ("a,b|c"), when agentcore.toml has
-- exactly one; several stop with the error that asks to pick one with --through NAME.
function M.rollout_table()
  local ok, r = pcall(project.rollout, "")
  if not ok then
    if tostring(r):match("several rollouts") then error(r, 0) end
    return nil
  end
  local waves = {}
  for _, w in ipairs(r.waves) do table.insert(waves, table.concat(w, "|")) end
  return r.from:match("^%[rollouts%.(.-)%]$"), table.concat(waves, ",")
end

local function aws_envs()
  local names = {}
  for _, n in ipairs(M.env_order()) do
    if env.get(n).provider == "aws" then table.insert(names, n) end
  end
  return names
end

local function split_envs(through)
  local out = {}
  for wave in through:gmatch("[^,]+") do
    for e in wave:gmatch("[^|]+") do
      table.insert(out, (e:gsub("^%s+", ""):gsub("%s+$", "")))
    end
  end
  return out
end

local function is_python(agent)
  return (agent.runtime or ""):match("^PYTHON") ~= nil or fs.exists(agent.context_rel .. "/requirements.txt")
    or fs.exists(agent.context_rel .. "/pyproject.toml")
end

local function has_python_tests(dir)
  if fs.exists(dir .. "/tests") or fs.exists(dir .. "/test") then return true end
  for _, n in ipairs(fs.list(dir)) do
    if n:match("^test_.*%.py$") or n:match("_test%.py$") then return true end
  end
  return false
end

-- What the pipeline needs, from the project: the environments it rolls out through (a
-- --through list, else the first [rollouts.NAME] table, else the aws environments in
-- agentcore.toml's order), their region and protected ones, and per agent how to test it.
-- Stops with exit 2 when there is nothing to deploy to or a name is unknown.
function M.plan(opts)
  local through, source = opts.through, "--through"
  if not through or through == "" then
    local rname, rthrough = M.rollout_table()
    if rname then
      through, source = rthrough, "[rollouts." .. rname .. "]"
    else
      local names = aws_envs()
      if #names == 0 then
        ui.error("agentcore.toml has no aws environment for the pipeline to deploy to", { usage = true,
          hint = "add one, e.g. [environments.prod] with provider = \"aws\" and region = \"us-east-1\", or name them with --through dev,prod" })
      end
      through, source = table.concat(names, ","), "the aws environments of agentcore.toml, in its order"
    end
  end
  local known = {}
  for _, n in ipairs(env.list()) do known[n] = true end
  local envs, protected, states, region = split_envs(through), {}, {}, nil
  for _, n in ipairs(envs) do
    if not known[n] then
      ui.error(("environment %q (from %s) is not in agentcore.toml"):format(n, source), { usage = true,
        hint = "the environments are: " .. table.concat(env.list(), ", ") })
    end
    local e = env.get(n)
    if e.is_local then
      ui.error(("environment %s (from %s) is local: a CI runner cannot deploy to this machine's endpoint"):format(n, source),
        { usage = true, hint = "roll out through aws environments only, e.g. --through " .. table.concat(aws_envs(), ",") })
    end
    if e.protected then table.insert(protected, n) end
    if e.state ~= "ssm" then table.insert(states, n) end
    region = region or e.region
  end
  local agents = {}
  for _, an in ipairs(project.agents()) do
    local a = project.agent(an, { resolve = false })
    local t = { name = an, dir = a.context_rel, build = a.build }
    if a.build ~= "image" and fs.exists(a.context_rel .. "/go.mod") then
      t.lang = "go"
      t.test = "go vet ./... && go test ./..."
      t.lockfile = a.context_rel .. "/go.sum"
    elseif a.build ~= "image" and is_python(a) then
      t.lang = "python"
      local cmds = {}
      if fs.exists(a.context_rel .. "/requirements.txt") then
        table.insert(cmds, "python -m pip install -r requirements.txt")
        t.lockfile = a.context_rel .. "/requirements.txt"
      end
      if has_python_tests(a.context_rel) then
        table.insert(cmds, "python -m pip install pytest")
        table.insert(cmds, "python -m pytest -q")
      else
        table.insert(cmds, "python -m compileall -q .")
      end
      t.test = table.concat(cmds, " && ")
    end
    table.insert(agents, t)
  end
  local any = function(pred)
    for _, a in ipairs(agents) do if pred(a) then return true end end
    return false
  end
  return {
    through = through, through_source = source, envs = envs, protected = protected, not_ssm = states,
    region = region or "us-east-1", agents = agents, branch = opts.branch or "main",
    version = opts.version or "latest",
    python = any(function(a) return a.lang == "python" end),
    docker = any(function(a) return a.build == "docker" end),
    group = "agentcore-deploy-" .. table.concat(envs, "-"),
  }
end

-- The rollout command line of one agent.
local function rollout_cmd(plan, agent)
  local cmd = ("agentcore rollout %s --through %s -o json --yes --wait"):format(agent.name,
    plan.through:find("|", 1, true) and ("'" .. plan.through .. "'") or plan.through)
  if #plan.protected == 1 then cmd = cmd .. " --confirm " .. plan.protected[1] end
  return cmd
end
M.rollout_cmd = rollout_cmd

local function header(plan, kind, w)
  w("# Generated by `agentcore ci init " .. kind .. "`: edit it freely (`agentcore ci init " .. kind .. " --force` writes it again).")
  w("# Every pipeline builds and tests the agents; on the " .. plan.branch .. " branch it then rolls each agent out")
  w("# through " .. plan.through .. " (from " .. plan.through_source .. "), printing one JSON event per step.")
  w("# AWS credentials come from the CI service's OpenID Connect token, exchanged for the deploy role")
  w("# that `agentcore ci role -e " .. plan.envs[#plan.envs] .. " --repo OWNER/NAME" .. (kind == "gitlab" and " --provider gitlab" or "") .. "` creates; set the CI variable")
  w("# " .. M.role_variable .. " to the role ARN it prints. agentcore is installed with go install, pinned")
  w("# by AGENTCORE_VERSION (a release tag such as v1.2.3; latest takes the newest).")
end

local function lines()
  local out = {}
  return out, function(s) table.insert(out, s or "") end
end

local function yaml_str(s)
  return "'" .. tostring(s):gsub("'", "''") .. "'"
end

-- The GitHub Actions workflow.
function M.github(plan)
  local out, w = lines()
  header(plan, "github", w)
  w("name: agentcore")
  w("")
  w('"on":')
  w("  pull_request:")
  w("  push:")
  w("    branches:")
  w("      - " .. yaml_str(plan.branch))
  w("  workflow_dispatch:")
  w("")
  w("permissions:")
  w("  contents: read")
  w("")
  w("env:")
  w("  AGENTCORE_VERSION: " .. yaml_str(plan.version))
  w("")
  w("jobs:")
  local function setup(job_w)
    job_w("      - uses: actions/checkout@v4")
    job_w("      - uses: actions/setup-go@v5")
    job_w("        with:")
    job_w("          go-version: " .. yaml_str(M.go_version))
    job_w("          cache: false")
    if plan.python then
      job_w("      - uses: actions/setup-python@v5")
      job_w("        with:")
      job_w("          python-version: " .. yaml_str(M.python_version))
    end
    job_w("      - name: cache Go and pip downloads")
    job_w("        uses: actions/cache@v4")
    job_w("        with:")
    job_w("          path: |")
    job_w("            ~/go/pkg/mod")
    job_w("            ~/.cache/go-build")
    job_w("            ~/.cache/pip")
    job_w("          key: agentcore-${{ runner.os }}-${{ env.AGENTCORE_VERSION }}-${{ hashFiles('**/go.sum', '**/requirements*.txt') }}")
    job_w("          restore-keys: agentcore-${{ runner.os }}-${{ env.AGENTCORE_VERSION }}-")
    job_w("      - name: install agentcore")
    job_w("        run: go install " .. M.module .. "@${AGENTCORE_VERSION}")
  end
  w("  check:")
  w("    name: build and test")
  w("    runs-on: ubuntu-latest")
  w("    steps:")
  setup(w)
  w("      - name: check agentcore.toml and the recipes")
  w("        run: |")
  w("          agentcore env list")
  w("          agentcore recipes")
  for _, a in ipairs(plan.agents) do
    if a.test then
      w("      - name: test " .. a.name)
      w("        working-directory: " .. a.dir)
      w("        run: " .. a.test)
    end
  end
  w("")
  w("  rollout:")
  w("    name: rollout")
  w("    needs: check")
  w("    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/" .. plan.branch .. "'")
  w("    runs-on: ubuntu-latest")
  w("    permissions:")
  w("      id-token: write")
  w("      contents: read")
  w("    # one deploy at a time through these environments, queued (never cancelled half-way)")
  w("    concurrency:")
  w("      group: " .. plan.group)
  w("      cancel-in-progress: false")
  w("    steps:")
  setup(w)
  if plan.docker then
    w("      - name: emulate arm64 for Dockerfile RUN steps")
    w("        uses: docker/setup-qemu-action@v3")
  end
  w("      - uses: aws-actions/configure-aws-credentials@v4")
  w("        with:")
  w("          role-to-assume: ${{ vars." .. M.role_variable .. " }}")
  w("          role-session-name: agentcore-${{ github.run_id }}")
  w("          aws-region: " .. yaml_str(plan.region))
  for _, a in ipairs(plan.agents) do
    w("      - name: rollout " .. a.name)
    w("        shell: bash")
    w("        run: " .. rollout_cmd(plan, a) .. " | tee rollout-" .. a.name .. ".jsonl")
  end
  w("      - name: keep the rollout events")
  w("        if: always()")
  w("        uses: actions/upload-artifact@v4")
  w("        with:")
  w("          name: agentcore-rollout")
  w("          path: rollout-*.jsonl")
  w("          if-no-files-found: ignore")
  return table.concat(out, "\n") .. "\n"
end

-- The GitLab CI file.
function M.gitlab(plan)
  local out, w = lines()
  header(plan, "gitlab", w)
  w("stages:")
  w("  - test")
  w("  - deploy")
  w("")
  w("variables:")
  w("  AGENTCORE_VERSION: " .. yaml_str(plan.version))
  w("  GOPATH: $CI_PROJECT_DIR/.go")
  w("  GOCACHE: $CI_PROJECT_DIR/.cache/go-build")
  w("  PIP_CACHE_DIR: $CI_PROJECT_DIR/.cache/pip")
  w("")
  w("default:")
  w("  image: golang:" .. M.go_version)
  w("  cache:")
  local files = {}
  for _, a in ipairs(plan.agents) do
    if a.lockfile and #files < 2 then table.insert(files, a.lockfile) end -- GitLab takes two at most
  end
  w("    key:")
  if #files > 0 then
    w("      files:")
    for _, f in ipairs(files) do w("        - " .. f) end
    w("      prefix: agentcore-$AGENTCORE_VERSION")
  else
    w("      prefix: agentcore-$AGENTCORE_VERSION")
    w("      files:")
    w("        - agentcore.toml")
  end
  w("    paths:")
  w("      - .go/pkg/mod")
  w("      - .cache/go-build")
  w("      - .cache/pip")
  w("  before_script:")
  if plan.python then
    w("    - apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv python-is-python3 >/dev/null")
    w("    - export PIP_BREAK_SYSTEM_PACKAGES=1")
  end
  w("    - go install " .. M.module .. "@${AGENTCORE_VERSION}")
  w("    - export PATH=\"$GOPATH/bin:$PATH\"")
  w("")
  w("check:")
  w("  stage: test")
  w("  rules:")
  w("    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"")
  w("    - if: $CI_COMMIT_BRANCH == " .. '"' .. plan.branch .. '"')
  w("  script:")
  w("    - agentcore env list")
  w("    - agentcore recipes")
  for _, a in ipairs(plan.agents) do
    if a.test then
      w("    - (cd " .. a.dir .. " && " .. a.test .. ")")
    end
  end
  w("")
  w("rollout:")
  w("  stage: deploy")
  w("  needs:")
  w("    - check")
  w("  rules:")
  w("    - if: $CI_COMMIT_BRANCH == " .. '"' .. plan.branch .. '"' .. " && $CI_PIPELINE_SOURCE != \"merge_request_event\"")
  w("  # one deploy at a time through these environments, queued (never cancelled half-way)")
  w("  resource_group: " .. plan.group)
  if plan.docker then
    w("  # images are built with Docker: docker:dind needs a runner that allows privileged containers")
    w("  services:")
    w("    - docker:27-dind")
  end
  w("  id_tokens:")
  w("    AGENTCORE_ID_TOKEN:")
  w("      aud: " .. M.audience)
  w("  variables:")
  if plan.docker then
    w("    DOCKER_HOST: tcp://docker:2375")
    w("    DOCKER_TLS_CERTDIR: \"\"")
  end
  w("    AWS_REGION: " .. yaml_str(plan.region))
  w("    AWS_ROLE_ARN: $" .. M.role_variable)
  w("    AWS_ROLE_SESSION_NAME: agentcore-$CI_PIPELINE_ID")
  w("    AWS_WEB_IDENTITY_TOKEN_FILE: $CI_PROJECT_DIR/.agentcore-id-token")
  w("  script:")
  w("    # the AWS SDK exchanges the token for the role's credentials itself (AssumeRoleWithWebIdentity)")
  w("    - printf '%s' \"$AGENTCORE_ID_TOKEN\" > \"$AWS_WEB_IDENTITY_TOKEN_FILE\"")
  w("    - set -o pipefail")
  for _, a in ipairs(plan.agents) do
    w("    - " .. rollout_cmd(plan, a) .. " | tee rollout-" .. a.name .. ".jsonl")
  end
  w("  artifacts:")
  w("    when: always")
  w("    paths:")
  w("      - rollout-*.jsonl")
  return table.concat(out, "\n") .. "\n"
end

-- A Groovy single-quoted string (no interpolation by Groovy: the shell expands $VARS).
local function groovy_str(s)
  return "'" .. tostring(s):gsub("\\", "\\\\"):gsub("'", "\\'") .. "'"
end

-- The Jenkinsfile (declarative pipeline): the stages and commands of the GitHub workflow (build
-- and test on every change; on the branch, rollout), one build at a time. AWS credentials, as
-- OIDC or a role: by default a web-identity token file (an "OpenID Connect id token file"
-- credential of the OpenID Connect Provider plugin, Jenkins being the issuer the deploy role
-- trusts), which the AWS SDK exchanges for the role in AWS_ROLE_ARN itself; the AWS
-- credentials binding (CloudBees AWS Credentials plugin: a key, or a role it assumes) is the
-- commented alternative.
function M.jenkins(plan)
  local out, w = lines()
  local function c(s) w("// " .. s) end
  c("Generated by `agentcore ci init jenkins`: edit it freely (`agentcore ci init jenkins --force` writes it again).")
  c("Every build builds and tests the agents; on the " .. plan.branch .. " branch it then rolls each agent out")
  c("through " .. plan.through .. " (from " .. plan.through_source .. "), printing one JSON event per step.")
  c("The stages and commands are the GitHub workflow's (agentcore ci init github).")
  c("")
  c("AWS credentials (what the rollout stage binds), either:")
  c("  - OIDC: install the OpenID Connect Provider plugin (Jenkins becomes an issuer, https://JENKINS/oidc),")
  c("    add an \"OpenID Connect id token file\" credential with id " .. M.jenkins_token_credential .. " and audience")
  c("    " .. M.audience .. ", and an IAM role trusting that issuer with the permissions of the role")
  c("    `agentcore ci role -e " .. plan.envs[#plan.envs] .. " --repo OWNER/NAME` deploys (templates/ci-role.yaml); set the")
  c("    Jenkins environment variable " .. M.role_variable .. " to its ARN. The AWS SDK exchanges the token file")
  c("    for the role itself (AssumeRoleWithWebIdentity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN).")
  c("  - or the AWS credentials binding (CloudBees AWS Credentials plugin): an \"AWS Credentials\" credential")
  c("    with id " .. M.jenkins_aws_credential .. " (an access key, with \"IAM Role To Use\" set to the deploy role): swap the")
  c("    withCredentials line of the rollout stage for the commented one below it.")
  c("agentcore is installed with go install (Go on the agent), pinned by AGENTCORE_VERSION.")
  w("pipeline {")
  w("  agent any")
  w("  options {")
  w("    // one build at a time: deploys through these environments queue, never interleave")
  w("    disableConcurrentBuilds()")
  w("  }")
  w("  environment {")
  w("    AGENTCORE_VERSION = " .. groovy_str(plan.version))
  w("    GOPATH = \"${WORKSPACE}/.go\"")
  w("    GOCACHE = \"${WORKSPACE}/.cache/go-build\"")
  w("    PIP_CACHE_DIR = \"${WORKSPACE}/.cache/pip\"")
  w("    PATH = \"${WORKSPACE}/.go/bin:${env.PATH}\"")
  w("  }")
  w("  stages {")
  w("    stage('build and test') {")
  w("      steps {")
  w("        sh " .. groovy_str("go install " .. M.module .. "@${AGENTCORE_VERSION}"))
  w("        sh " .. groovy_str("agentcore env list\nagentcore recipes"):gsub("\n", "\\n"))
  for _, a in ipairs(plan.agents) do
    if a.test then
      w("        dir(" .. groovy_str(a.dir) .. ") {")
      w("          sh " .. groovy_str(a.test))
      w("        }")
    end
  end
  w("      }")
  w("    }")
  w("    stage('rollout') {")
  w("      when {")
  w("        branch " .. groovy_str(plan.branch))
  w("      }")
  w("      environment {")
  w("        AWS_REGION = " .. groovy_str(plan.region))
  w("        AWS_ROLE_ARN = \"${env." .. M.role_variable .. "}\"")
  w("        AWS_ROLE_SESSION_NAME = \"agentcore-${env.BUILD_NUMBER}\"")
  w("      }")
  w("      steps {")
  w("        sh " .. groovy_str("go install " .. M.module .. "@${AGENTCORE_VERSION}"))
  w("        withCredentials([file(credentialsId: " .. groovy_str(M.jenkins_token_credential) .. ", variable: 'AWS_WEB_IDENTITY_TOKEN_FILE')]) {")
  w("        // withCredentials([aws(credentialsId: " .. groovy_str(M.jenkins_aws_credential) .. ", accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY')]) {")
  for _, a in ipairs(plan.agents) do
    w("          sh(label: " .. groovy_str("rollout " .. a.name) .. ", script: " ..
      groovy_str("#!/bin/bash\nset -eo pipefail\n" .. rollout_cmd(plan, a) .. " | tee rollout-" .. a.name .. ".jsonl"):gsub("\n", "\\n") .. ")")
  end
  w("        }")
  w("      }")
  w("      post {")
  w("        always {")
  w("          archiveArtifacts(artifacts: 'rollout-*.jsonl', allowEmptyArchive: true)")
  w("        }")
  w("      }")
  w("    }")
  w("  }")
  w("}")
  return table.concat(out, "\n") .. "\n"
end

-- Repository and branch checks: what the token's sub claim will name, exactly.
function M.check_repo(provider, repo)
  if not repo or repo == "" then
    ui.error("ci role needs the repository that may deploy: --repo OWNER/NAME", { usage = true,
      hint = "agentcore ci role -e " .. env.name() .. " --repo my-org/my-project" })
  end
  local ok
  if provider == "github" then
    ok = repo:match("^[%w-]+/[%w._-]+$") ~= nil
  else
    ok = repo:match("^[%w._-]+/[%w._/-]+$") ~= nil and not repo:match("/$") and not repo:match("//")
  end
  if not ok then
    ui.error(("--repo %q is not a %s repository: use OWNER/NAME%s"):format(repo, provider == "github" and "GitHub" or "GitLab",
      provider == "gitlab" and " (or GROUP/SUBGROUP/NAME)" or ""), { usage = true,
      hint = "as in the repository's URL, e.g. --repo my-org/my-project" })
  end
end

-- One branch, no wildcard; letters, digits and ._/- only (what the generated YAML and the CI
-- expressions can hold without quoting).
function M.check_branch(branch)
  if branch == "" or not branch:match("^[%w._/-]+$") or branch:match("^[/.-]") or branch:match("/$")
    or branch:match("%.%.") or branch:match("//") or branch:match("%.lock$") then
    ui.error(("--branch %q is not a branch name agentcore can put in a pipeline: letters, digits, '.', '_', '-' and '/' (no wildcards: the role trusts exactly one branch)"):format(branch),
      { usage = true, hint = "e.g. --branch main or --branch release/v2" })
  end
end

function M.subject(provider, repo, branch)
  if provider == "github" then
    return ("repo:%s:ref:refs/heads/%s"):format(repo, branch)
  end
  return ("project_path:%s:ref_type:branch:ref:%s"):format(repo, branch)
end

local function hyphens(s) return (s:gsub("_", "-")) end

-- The tags of the deploy role's stack: the project's and environment's tags (agentcore.toml)
-- and agentcore's own, as everything agentcore creates gets them (deploy.owned_tags).
function M.stack_tags()
  local t = deploy.user_tags()
  t["agentcore:project"], t["agentcore:environment"] = project.name(), env.name()
  if project.id() ~= "" then t["agentcore:project-id"] = project.id() end
  return t
end

function M.stack_name()
  return ("ci-agentcore-%s-%s"):format(hyphens(project.name()), hyphens(env.name()))
end

-- IAM role names are 64 characters at most: a longer one keeps a hash of the whole name, so two
-- environments never share a role.
function M.role_name()
  local n = ("agentcore-ci-%s-%s"):format(hyphens(project.name()), hyphens(env.name()))
  if #n <= 64 then return n end
  return n:sub(1, 55) .. "-" .. naming.hash8(n)
end

-- The role's name patterns: stacks, execution roles and repositories are agentcore-PREFIX-...
-- (PREFIX: the project name with - for _); runtimes PROJECT_... (runtime names map - to _).
function M.name_prefix() return hyphens(project.name()) end
function M.runtime_prefix() return (project.name():gsub("[^%w_]", "_")) .. "_" end

-- The code buckets of the project's aws environments in this account (deploy.code_bucket_name
-- for each), as bucket and object ARNs.
function M.code_bucket_arns(account)
  local arns = {}
  for _, n in ipairs(env.list()) do
    local e = env.get(n)
    if e.provider == "aws" and (e.account == "" or e.account == account) then
      local b = ("agentcore-%s-%s-%s"):format(naming.hash8(project.name() .. "/" .. n), account, e.region)
      table.insert(arns, "arn:aws:s3:::" .. b)
      table.insert(arns, "arn:aws:s3:::" .. b .. "/*")
    end
  end
  return arns
end

return M
