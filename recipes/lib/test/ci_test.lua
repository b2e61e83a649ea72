-- Unit tests of lib/ci.lua (run by recipes/lualib_test.go).
local ci = require("ci")

local T = {}

function T.test_env_order_is_the_declaration_order()
  local order = ci.env_order()
  assert(table.concat(order, ",") == "staging,dev,prod", table.concat(order, ","))
end

function T.test_names()
  assert(ci.role_name() == "agentcore-ci-demo-dev", ci.role_name())
  -- the code buckets of the aws environments keep the names the Lua FNV gave them
  local arns = ci.code_bucket_arns("123456789012")
  assert(arns[1] == "arn:aws:s3:::agentcore-d2e00b32-123456789012-eu-west-1", arns[1])
  assert(arns[2] == "arn:aws:s3:::agentcore-d2e00b32-123456789012-eu-west-1/*", arns[2])
  assert(#arns == 2, #arns)
end

return T
