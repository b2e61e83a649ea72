-- ci: a CI pipeline that tests and rolls out the project, and the AWS role it deploys with.
local ci = require("ci")

local function init(args)
  local kind = args.target
  if kind ~= "github" and kind ~= "gitlab" and kind ~= "jenkins" then
    ui.error(kind and ("unknown CI service %q: use github, gitlab or jenkins"):format(kind) or "ci init needs the CI service: github, gitlab or jenkins",
      { usage = true, hint = "agentcore ci init github (or gitlab, or jenkins)" })
  end
  if args.repo or args.provider then
    ui.error("--repo and --provider are options of ci role, not ci init", { usage = true,
      hint = "agentcore ci init " .. kind .. "; then agentcore ci role -e ENV --repo OWNER/NAME" })
  end
  ci.check_branch(args.branch)
  local path = ci.files[kind]
  if fs.exists(path) and not args.force then
    ui.error(("%s already exists; not overwriting it"):format(path), { usage = true,
      hint = "edit it, or run agentcore ci init " .. kind .. " --force to write it again" })
  end
  local plan = ci.plan { through = args.through, branch = args.branch, version = args.agentcore_version }
  local text = ci[kind](plan)
  local existed = fs.exists(path)
  fs.write(path, text) -- atomic: a temporary file renamed over the old one
  ui.ok(("%s %s: build and test on every change, rollout through %s on %s"):format(existed and "rewrote" or "wrote",
    path, plan.through, plan.branch))
  for _, a in ipairs(plan.agents) do
    ui.info(("%s: %s; then %s"):format(a.name, a.test and ("tests: " .. a.test) or "no tests found (nothing to run before the rollout)",
      ci.rollout_cmd(plan, a)))
  end
  if #plan.not_ssm > 0 then
    ui.warn(("CI runners keep no files between runs, and %s keep%s state in .agentcore/state: set state = \"ssm\" on %s in agentcore.toml (then agentcore sync push -e ENV once) so every run sees the last one's state"):format(
      table.concat(plan.not_ssm, ", "), #plan.not_ssm == 1 and "s its" or " their", #plan.not_ssm == 1 and "it" or "them"))
  end
  if #plan.protected > 1 then
    ui.warn(("%s are protected, and a run confirms one environment (--confirm): edit the rollout lines"):format(table.concat(plan.protected, ", ")))
  end
  local last = plan.envs[#plan.envs]
  if kind == "jenkins" then
    ui.info(("next: give Jenkins AWS credentials, as the comments at the top of %s say: a web-identity token file (credential %s, OpenID Connect Provider plugin) and the role ARN in the environment variable %s, or the AWS credentials binding (credential %s)"):format(
      path, ci.jenkins_token_credential, ci.role_variable, ci.jenkins_aws_credential))
  else
    ui.info(("next: agentcore ci role -e %s --repo OWNER/NAME%s%s, then set the CI variable %s to the role ARN it prints"):format(
      last, plan.branch ~= "main" and (" --branch " .. plan.branch) or "", kind == "gitlab" and " --provider gitlab" or "", ci.role_variable))
  end
  return { file = path, service = kind, through = plan.through, environments = plan.envs, branch = plan.branch,
    agents = plan.agents, rewritten = existed }
end

local function role(args)
  if args.target then
    ui.error("ci role takes no positional argument", { usage = true, hint = "agentcore ci role -e ENV --repo OWNER/NAME" })
  end
  if args.through or args.agentcore_version or args.force then
    ui.error("--through, --agentcore-version and --force are options of ci init", { usage = true })
  end
  local provider = args.provider or "github"
  local e = env.get()
  if e.is_local then
    ui.error(("environment %s is local: a CI deploy role is an AWS IAM role, and local environments have none"):format(e.name),
      { usage = true, hint = "name the aws environment the pipeline deploys to: agentcore ci role -e prod --repo OWNER/NAME" })
  end
  ci.check_repo(provider, args.repo)
  ci.check_branch(args.branch)
  local caller = aws.guard()
  local host = ci.issuers[provider]
  local subject = ci.subject(provider, args.repo, args.branch)
  local stack = ci.stack_name()

  -- One provider per issuer may exist in an account: create it only when the account has none,
  -- and keep it when this stack made it (a rerun must not hand it back to be deleted).
  local prev = cfn.outputs(stack)
  local create
  if prev and prev.ProviderCreated == "true" then
    create = true
  else
    create = true
    for _, p in ipairs(iam.list_oidc_providers()) do
      if p.url == host then create = false end
    end
  end
  ui.step(("deploy role for %s in %s (account %s): %s"):format(args.repo, e.name, caller.account, subject))
  if prev and prev.ProviderCreated == "true" then
    ui.info(("the OpenID Connect provider for %s was made by stack %s: kept"):format(host, stack))
  elseif create then
    ui.info(("the account has no OpenID Connect provider for %s: the stack creates it"):format(host))
  else
    ui.info(("the account's OpenID Connect provider for %s exists: used as it is"):format(host))
  end

  local rprefix = ci.runtime_prefix()
  for _, an in ipairs(project.agents()) do
    local a = project.agent(an, { resolve = false })
    if a.runtime_name:sub(1, #rprefix) ~= rprefix then
      ui.warn(("%s's runtime name %s does not start with %s: the deploy role cannot deploy it (remove its runtime_name, or widen the role in recipes/lib/ci.lua)"):format(an, a.runtime_name, rprefix))
    end
    if a.auth.type == "cognito" then
      ui.warn(("%s uses auth.type = \"cognito\": the deploy role does not cover Cognito user pools, so its stack cannot be deployed from CI"):format(an))
    end
  end

  local out = cfn.deploy { stack = stack, template = "ci-role", capabilities = { "CAPABILITY_NAMED_IAM" },
    tags = ci.stack_tags(),
    parameters = {
      RoleName = ci.role_name(), ProviderHost = host, CreateProvider = create and "true" or "false",
      Audience = ci.audience, Subject = subject, Project = project.name(), Environment = e.name,
      NamePrefix = ci.name_prefix(), RuntimePrefix = rprefix, CodeBucketArns = ci.code_bucket_arns(caller.account),
      PermissionsBoundary = e.permissions_boundary or "",
    } }
  local arn = out.outputs.RoleArn
  ui.ok(("deploy role %s (stack %s, %s)"):format(arn, stack, out.changed and "deployed" or "unchanged"))
  if (e.permissions_boundary or "") ~= "" then
    ui.info("its permissions boundary: " .. e.permissions_boundary)
  end
  ui.info(("only %s can assume it (%s:sub = %s, aud = %s)"):format(args.repo .. "@" .. args.branch, host, subject, ci.audience))
  if provider == "github" then
    ui.info(("set it for the workflow: gh variable set %s --repo %s --body %s"):format(ci.role_variable, args.repo, arn))
    ui.info(("or paste into %s (aws-actions/configure-aws-credentials):"):format(ci.files.github))
    ui.print("          role-to-assume: " .. arn)
  else
    ui.info(("set the CI/CD variable %s to it (Settings > CI/CD > Variables), or paste into %s (rollout variables):"):format(ci.role_variable, ci.files.gitlab))
    ui.print("    AWS_ROLE_ARN: " .. arn)
  end
  return { role_arn = arn, role_name = out.outputs.RoleName, stack = stack, stack_id = out.stack_id, changed = out.changed,
    provider = provider, provider_arn = out.outputs.ProviderArn, provider_created = out.outputs.ProviderCreated == "true",
    subject = subject, repository = args.repo, branch = args.branch, environment = e.name }
end

return recipe {
  description = "Write a CI pipeline (GitHub Actions, GitLab CI or Jenkins) that tests and rolls out the agents, and deploy the AWS role it assumes",
  usage = [[
  init github|gitlab   write .github/workflows/agentcore.yml or .gitlab-ci.yml: on every pull
                       request and push, check agentcore.toml and the recipes and run the agents'
                       tests; on the main branch, agentcore rollout AGENT --through ENVS -o json
                       for each agent, one pipeline at a time (concurrency group / resource_group),
                       with Go and pip downloads cached and AWS credentials from the CI service's
                       OpenID Connect token. Refuses to overwrite the file without --force.
  init jenkins         write a Jenkinsfile (declarative pipeline) with the GitHub workflow's
                       stages and commands, one build at a time; AWS credentials from a
                       web-identity token file (OpenID Connect Provider plugin) or the AWS
                       credentials binding, as its comments say.
  role                 deploy (CloudFormation) the IAM role the pipeline assumes: only --repo's
                       --branch may assume it, and it may do exactly what agentcore does to deploy
                       this project (its stacks, repositories, execution roles, runtimes, state
                       parameters, code buckets). The account's OIDC provider for the CI service is
                       created with it when the account has none. Prints the role ARN.

The environments come from --through, else the first [rollouts.NAME] table's through, else the
aws environments in agentcore.toml's order. agentcore is installed in CI with
go install github.com/agentcore/agentcore/cmd/agentcore@VERSION (--agentcore-version, default latest).

Examples:
  agentcore ci init github
  agentcore ci role -e prod --repo my-org/my-project
  agentcore ci init gitlab --through dev,prod --agentcore-version v1.4.0
  agentcore ci init jenkins --through 'staging,prod-us|prod-eu'
  agentcore ci role -e prod --repo my-group/my-project --provider gitlab --branch release]],
  lock = false,
  args = {
    { name = "action", type = "string", positional = true, required = true, choices = { "init", "role" },
      help = "init (write the pipeline) or role (deploy its AWS role)" },
    { name = "target", type = "string", positional = true, help = "init: github, gitlab or jenkins" },
    { name = "force", type = "bool", help = "init: overwrite an existing pipeline file" },
    { name = "through", type = "string", help = "init: the environments to roll out through, e.g. dev,staging,prod (waves: \"prod-us|prod-eu\")" },
    { name = "agentcore-version", type = "string", help = "init: the agentcore version CI installs (default latest)" },
    { name = "repo", type = "string", help = "role: the repository that may assume the role, OWNER/NAME" },
    { name = "branch", type = "string", default = "main", help = "the branch that deploys" },
    { name = "provider", type = "string", choices = { "github", "gitlab" }, help = "role: github (default) or gitlab" },
  },
  run = function(args)
    if args.action == "init" then return init(args) end
    return role(args)
  end,
}
