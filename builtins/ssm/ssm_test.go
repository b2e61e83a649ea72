package ssm_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/builtins/ssm"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

func TestParameters(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), ssm.New(awstest.AWS()))
	awstest.UseEnv(t, h, awstest.Moto(t))
	// A path of its own, so that the test can run again against the same moto (-count).
	prefix := fmt.Sprintf("/agentcore/test-%d", time.Now().UnixNano())
	h.Do(t, strings.ReplaceAll(`
		assert(ssm.get_parameter("/agentcore/test/missing") == nil, "missing is nil")
		local p = ssm.put_parameter("/agentcore/test/lock", "holder-1", {tags = {project = "test"}})
		assert(p.version == 1, "version 1")

		local ok, err = pcall(ssm.put_parameter, "/agentcore/test/lock", "holder-2")
		assert(not ok and aws.error_code(err) == "ParameterAlreadyExists", "a lock: " .. tostring(err))

		p = ssm.put_parameter("/agentcore/test/lock", "holder-2", {overwrite = true, tags = {owner = "me"}})
		assert(p.version == 2, "version 2")
		local g = ssm.get_parameter("/agentcore/test/lock")
		assert(g.value == "holder-2" and g.type == "String" and g.version == 2 and g.name:find("/lock$"), "read back")
		assert(type(g.lastModifiedDate) == "string" and g.ARN:find("^arn:aws:ssm:"), "shape")

		ssm.put_parameter("/agentcore/test/secret", "hunter2-sekrit", {type = "SecureString"})
		local s = ssm.get_parameter("/agentcore/test/secret")
		assert(s.type == "SecureString" and s.value == "hunter2-sekrit", "decrypted")

		local all = ssm.get_parameters_by_path("/agentcore/test")
		assert(#all == 2, "two under the path, got " .. #all)

		assert(ssm.delete_parameter("/agentcore/test/lock") == true, "deleted")
		assert(ssm.delete_parameter("/agentcore/test/lock") == false, "nothing to delete")
		assert(ssm.get_parameter("/agentcore/test/lock") == nil, "gone")
		ssm.delete_parameter("/agentcore/test/secret")
	`, "/agentcore/test", prefix))
	if got := h.Run.Out.Mask("the secret is hunter2-sekrit"); strings.Contains(got, "hunter2") {
		t.Fatalf("SecureString value not masked: %q", got)
	}
}

func TestUsage(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), ssm.New(awstest.AWS()))
	awstest.UseEnv(t, h, "http://127.0.0.1:1")
	for src, want := range map[string]string{
		`ssm.put_parameter("/x", "v", {type = "Secret"})`: `type "Secret" is not known`,
		`ssm.put_parameter("/x")`:                         "argument #2 (value)",
		`ssm.get_parameter("/x", {recursive = true})`:     "recursive is an option of ssm.get_parameters_by_path",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) || engine.ExitCode(err) != engine.ExitUsage {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// A path without parameters gives a list that encodes as [], not {}: the declaration decides.
func TestEmptyPathIsAnEmptyList(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), ssm.New(awstest.AWS()), jsonmod.Module)
	awstest.UseEnv(t, h, awstest.Moto(t))
	res := h.Do(t, fmt.Sprintf(`return json.encode(ssm.get_parameters_by_path("/agentcore/none-%d"))`, time.Now().UnixNano()))
	if res[0].String() != "[]" {
		t.Fatalf("empty path encodes as %s, want []", res[0])
	}
}
