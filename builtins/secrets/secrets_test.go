package secrets_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/builtins/secrets"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	localsm "github.com/agentcore/agentcore/local/secretsmanager"
)

func TestMain(m *testing.M) { awstest.Main(m) }

// localEndpoint serves the local endpoint's Secrets Manager (the same handler `agentcore
// local` mounts) on a test server.
func localEndpoint(t testing.TB) string {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := localsm.New(localsm.Config{DB: db, Account: awstest.Account, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); db.Close() })
	return srv.URL
}

// value reads a secret's current value behind the module's back (it never returns one).
func value(t testing.TB, endpoint, name string) string {
	c := sm.New(sm.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	out, err := c.GetSecretValue(context.Background(), &sm.GetSecretValueInput{SecretId: &name})
	if err != nil {
		t.Fatalf("GetSecretValue %s: %v", name, err)
	}
	return awssdk.ToString(out.SecretString)
}

func TestSecrets(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint func(testing.TB) string
	}{{"moto", awstest.Moto}, {"local", localEndpoint}} {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := tc.endpoint(t)
			h := enginetest.New(t, aws.New(awstest.AWS()), secrets.New(awstest.AWS()), jsonmod.Module)
			awstest.UseEnv(t, h, endpoint)
			// Names of their own, so that the test can run again against the same moto (-count).
			prefix := fmt.Sprintf("agentcore/test-%d/dev/", time.Now().UnixNano())
			t.Setenv("SECRETS_TEST_VALUE", "marker-from-env-7f3a")
			if err := os.WriteFile(filepath.Join(h.Run.Dir, "value.txt"), []byte("marker-from-file-91bc\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			h.Run.Stdin = strings.NewReader("marker-from-stdin-c2d4\n")
			h.Do(t, strings.ReplaceAll(`
				local n = "PREFIXopenai"
				assert(secrets.describe{name = n} == nil, "missing is nil")
				local e = secrets.ensure{name = n, tags = {["agentcore:project"] = "shop"}}
				assert(e.created == true and e.name == n and e.arn:find("^arn:aws:secretsmanager:us%-east%-1:"), json.encode(e))
				local again = secrets.ensure{name = n}
				assert(again.created == false and again.arn == e.arn, "ensure twice: " .. json.encode(again))
				local d = secrets.describe{name = n}
				assert(d.arn == e.arn and d.version_id == nil and d.deleted == false, "no value yet: " .. json.encode(d))
				assert(d.tags["agentcore:project"] == "shop", "tags: " .. json.encode(d.tags))

				local p1 = secrets.put{name = n, from_env = "SECRETS_TEST_VALUE"}
				assert(p1.arn == e.arn and #p1.version_id >= 32, json.encode(p1))
				d = secrets.describe{name = e.arn}
				assert(d.version_id == p1.version_id and type(d.last_changed) == "string", "by ARN: " .. json.encode(d))
				_G.p1 = p1.version_id
			`, "PREFIX", prefix))
			if got := value(t, endpoint, prefix+"openai"); got != "marker-from-env-7f3a" {
				t.Fatalf("value from env = %q", got)
			}
			h.Do(t, strings.ReplaceAll(`
				local n = "PREFIXopenai"
				local p2 = secrets.put{name = n, from_file = "value.txt"}
				assert(p2.version_id ~= p1, "a new version")
				assert(secrets.describe{name = n}.version_id == p2.version_id, "current is the new one")
			`, "PREFIX", prefix))
			if got := value(t, endpoint, prefix+"openai"); got != "marker-from-file-91bc" {
				t.Fatalf("value from file = %q (one trailing newline dropped)", got)
			}
			h.Do(t, strings.ReplaceAll(`
				secrets.ensure{name = "PREFIXother"}
				secrets.put{name = "PREFIXother", stdin = true}
				secrets.ensure{name = "PREFIXzz-novalue"}
				secrets.put{name = "PREFIXother", value = "marker-inline-55aa"}
				local l = secrets.list{prefix = "PREFIX"}
				assert(#l == 3 and l[1].name == "PREFIXopenai" and l[2].name == "PREFIXother" and l[3].version_id == nil, json.encode(l))
				assert(json.encode(l):find("marker") == nil, "no value in a listing")

				local ok, err = pcall(secrets.put, {name = "PREFIXmissing", value = "abcdef"})
				assert(not ok and aws.error_code(err) == "ResourceNotFoundException", tostring(err))
				assert(err.hint:find("secret set"), err.hint)

				local del = secrets.delete{name = "PREFIXother", recovery_days = 7}
				assert(del.deleted == true and del.arn and del.deletion_date, json.encode(del))
				assert(secrets.describe{name = "PREFIXother"}.deleted == true, "scheduled")
				assert(#secrets.list{prefix = "PREFIX"} == 2, "a scheduled deletion is not listed")
				ok, err = pcall(secrets.ensure, {name = "PREFIXother"})
				assert(not ok and tostring(err):find("scheduled for deletion"), tostring(err))
				assert(secrets.delete{name = "PREFIXother", force = true}.deleted == true, "forced")
				assert(secrets.describe{name = "PREFIXother"} == nil, "gone")
				assert(secrets.delete{name = "PREFIXother", force = true}.deleted == false, "nothing to delete")
				secrets.delete{name = "PREFIXopenai", force = true}
				secrets.delete{name = "PREFIXzz-novalue", force = true}
			`, "PREFIX", prefix))
			for _, marker := range []string{"marker-from-env-7f3a", "marker-from-file-91bc", "marker-from-stdin-c2d4", "marker-inline-55aa"} {
				if got := h.Run.Out.Mask("value: " + marker); strings.Contains(got, "marker") {
					t.Errorf("%s is not registered as a secret: %q", marker, got)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), secrets.New(awstest.AWS()))
	awstest.UseEnv(t, h, "http://127.0.0.1:1")
	t.Setenv("SECRETS_EMPTY", "")
	os.Unsetenv("SECRETS_UNSET")
	for src, want := range map[string]string{
		`secrets.put{name = "x"}`:                                     "exactly one of value, from_env, from_file, stdin",
		`secrets.put{name = "x", value = "a", from_env = "B"}`:        "exactly one of",
		`secrets.put{name = "x", from_env = "SECRETS_UNSET"}`:         "SECRETS_UNSET is not set",
		`secrets.put{name = "x", from_env = "SECRETS_EMPTY"}`:         "is empty",
		`secrets.put{name = "x", value = string.rep("a", 65537)}`:     "over 65536 bytes",
		`secrets.put{name = "x", from_file = "nope.txt"}`:             "reading nope.txt",
		`secrets.ensure{tags = {}}`:                                   "field name is required (a string)",
		`secrets.put{value = "v"}`:                                    "field name is required (a string)",
		`secrets.ensure("x")`:                                         "argument #1 (opts) must be a table",
		`secrets.delete{name = "x", force = true, recovery_days = 7}`: "not both",
		`secrets.delete{name = "x", recovery_days = 3}`:               "7 to 30",
		`secrets.describe{name = "x", value = 1}`:                     "value",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) || engine.ExitCode(err) != engine.ExitUsage {
			t.Errorf("%s: err = %v, want %q (exit 2)", src, err, want)
		}
	}
}

// The reference and the editor stubs show what the Go code needs: every field a function
// cannot do without is declared required, the others optional.
func TestRequiredFieldsAreDeclared(t *testing.T) {
	awstest.RequiredFields(t, secrets.New(awstest.AWS()), map[string]string{
		"secrets.EnsureOpts":   "name",
		"secrets.PutOpts":      "name",
		"secrets.NameRef":      "name",
		"secrets.ListOpts":     "",
		"secrets.DeleteOpts":   "name",
		"secrets.Ensured":      "name arn created",
		"secrets.PutResult":    "name arn version_id",
		"secrets.DeleteResult": "deleted",
	})
}
