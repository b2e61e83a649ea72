package retry

import (
	"testing"

	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestIsIAMPropagation(t *testing.T) {
	for _, c := range []struct {
		code, msg string
		want      bool
	}{
		{"ValidationException", "Role validation failed for role arn:aws:iam::1:role/x", true},
		{"ValidationException", "The service is not authorized to assume the provided role", true},
		{"ValidationException", "Could not assume role: check its trust policy", true},
		{"ValidationException", "containerUri is not a valid image", false},
		{"AccessDeniedException", "not authorized to assume role arn:aws:iam::1:role/x", false},
		{"", "Role validation failed", false},
	} {
		if got := IsIAMPropagation(c.code, c.msg); got != c.want {
			t.Errorf("IsIAMPropagation(%q, %q) = %v, want %v", c.code, c.msg, got, c.want)
		}
	}
}

// From Lua: the code comes from err.aws_code, or from the start of a message that went
// through a string.
func TestLua(t *testing.T) {
	h := enginetest.New(t, Module)
	h.Do(t, `
		assert(retry.is_iam_propagation({ aws_code = "ValidationException", message = "creating runtime x: Role validation failed" }))
		assert(not retry.is_iam_propagation({ aws_code = "ThrottlingException", message = "Role validation failed" }))
		assert(retry.is_iam_propagation("recipe.lua:3: ValidationException: cannot assume role arn:aws:iam::1:role/r"))
		assert(not retry.is_iam_propagation("role could not be assumed"))
		assert(not retry.is_iam_propagation(nil))
	`)
}
