-- Unit tests of lib/sessions.lua (run by recipes/lualib_test.go).
local sessions = require("sessions")

local T = {}

function T.test_shell_quote_keeps_every_argument_as_is()
  local cases = {
    { { "ls", "-l", "/tmp" }, "ls -l /tmp" },
    { { "sh", "-c", "exit 3" }, "sh -c 'exit 3'" },
    { { "echo", "it's", "a;b", "$HOME" }, [[echo 'it'\''s' 'a;b' '$HOME']] },
    { { "printf", "" }, "printf ''" },
    { { "k=v", "a.b/c_d:e@f%g+h,i-j" }, "k=v a.b/c_d:e@f%g+h,i-j" },
  }
  for _, c in ipairs(cases) do
    local got = sessions.shell_quote(c[1])
    assert(got == c[2], ("%s: got %s"):format(c[2], got))
  end
end

return T
