-- Unit tests of lib/release.lua (run by recipes/lualib_test.go).
local release = require("release")

local T = {}

function T.test_parse_duration()
  assert(release.parse_duration("1h30m", "--hold") == 5400)
  assert(release.parse_duration("90", "--hold") == 90)
  assert(release.parse_duration("1.5m", "--hold") == 90)
  assert(release.parse_duration(nil, "--hold") == nil)
  assert(release.parse_duration("", "--hold") == nil)
  local ok, err = pcall(release.parse_duration, "soon", "--hold")
  assert(not ok and err.code == 2 and err.message:find("--hold soon is not a duration", 1, true), tostring(err))
end

return T
