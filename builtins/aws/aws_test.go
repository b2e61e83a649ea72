package aws_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

func TestCallerAgainstMoto(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	awstest.UseEnv(t, h, awstest.Moto(t))
	res := h.Do(t, `
		local c = aws.caller()
		local g = aws.guard()
		return c.account, c.arn, c.userId, g.account`)
	if res[0].String() != awstest.Account || !strings.HasPrefix(res[1].String(), "arn:aws:") ||
		res[2].String() == "" || res[3].String() != awstest.Account {
		t.Fatalf("caller = %v", res)
	}
	t.Logf("moto caller: %v", res)
}

func TestGuardWrongAccount(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, awstest.Moto(t))
	env.Account = "999999999999"
	err := h.Err(`aws.guard()`)
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *engine.Error, got %v", err)
	}
	for _, want := range []string{"999999999999", awstest.Account, `"test"`} {
		if !strings.Contains(e.Msg, want) {
			t.Errorf("message %q does not name %s", e.Msg, want)
		}
	}
	if e.Code != engine.ExitUsage || !strings.Contains(e.Hint, "profile") {
		t.Errorf("code %d hint %q", e.Code, e.Hint)
	}
	// and pcall sees it as a table with the code
	res := h.Do(t, `local ok, err = pcall(aws.guard) return ok, err.code`)
	if res[0] != lua.LFalse || res[1].String() != "2" {
		t.Errorf("pcall = %v", res)
	}
}

func TestMissingProfile(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, awstest.Moto(t))
	env.Profile = "no-such-profile"
	err := h.Err(`aws.caller()`)
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *engine.Error, got %v", err)
	}
	if !strings.Contains(e.Msg, `"no-such-profile"`) || !strings.Contains(e.Msg, "not found") ||
		!strings.Contains(e.Hint, "aws configure --profile no-such-profile") || e.Code != engine.ExitUsage {
		t.Errorf("got %q / hint %q / code %d", e.Msg, e.Hint, e.Code)
	}
}

func TestNoCredentials(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	awstest.UseEnv(t, h, awstest.Moto(t))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	err := h.Err(`aws.caller()`)
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *engine.Error, got %v", err)
	}
	for _, want := range []string{"no usable AWS credentials", "AWS_ACCESS_KEY_ID", `profile "default"`, "EC2 instance"} {
		if !strings.Contains(e.Msg, want) {
			t.Errorf("message %q lacks %q", e.Msg, want)
		}
	}
	for _, want := range []string{"AWS_PROFILE", "aws configure", "aws sso login"} {
		if !strings.Contains(e.Hint, want) {
			t.Errorf("hint %q lacks %q", e.Hint, want)
		}
	}
}

func TestEnv(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, "http://127.0.0.1:1")
	env.Profile = "dev"
	res := h.Do(t, `local e = aws.env() return e.name, e.provider, e.region, e.account, e.endpoint_url, e.profile`)
	want := []string{"test", "aws", "us-east-1", awstest.Account, "http://127.0.0.1:1", "dev"}
	for i, w := range want {
		if res[i].String() != w {
			t.Errorf("field %d = %v, want %s", i, res[i], w)
		}
	}
}

func TestLocalProviderWithoutEndpoint(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, "")
	env.Provider = "local"
	err := h.Err(`aws.caller()`)
	if err == nil || !strings.Contains(err.Error(), "local provider") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorCode(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	res := h.Do(t, `
		local t = {message = "ResourceNotFoundException: getting agent runtime x: nope"}
		return aws.error_code(t), aws.is_not_found(t),
			aws.error_code("test.lua:3: AccessDeniedException: creating x: no"),
			aws.error_code("environment dev: no usable AWS credentials"),
			aws.is_not_found("x.lua:1: RepositoryNotFoundException: describing: gone"),
			aws.error_code("[G]: ThrottlingException: listing: slow down"),
			aws.error_code(nil)`)
	if res[0].String() != "ResourceNotFoundException" || res[1] != lua.LTrue ||
		res[2].String() != "AccessDeniedException" || res[3] != lua.LNil || res[4] != lua.LTrue ||
		res[5].String() != "ThrottlingException" || res[6] != lua.LNil {
		t.Fatalf("got %v", res)
	}
}

// TestLocalProvider points the local provider at moto (it speaks the same APIs as the local
// endpoint): the credentials of the layer's Local.Credentials, the default region, and the
// endpoint from Local.Endpoint, which may use run values itself.
func TestLocalProvider(t *testing.T) {
	url := awstest.Moto(t)
	var h *enginetest.Harness
	starts := 0
	a := awscall.New(awscall.Local{
		Endpoint: func(ctx context.Context) (string, error) {
			v, err := h.Run.Value("local.endpoint", func() (any, error) { starts++; return url, nil })
			if err != nil {
				return "", err
			}
			return v.(string), nil
		},
		Credentials: func() (string, string, error) { return "AKIALOCALTEST", "local-secret", nil },
	})
	h = enginetest.New(t, aws.New(a))
	env := awstest.UseEnv(t, h, "")
	env.Provider, env.Region, env.Account, env.Profile = "local", "", "", "does-not-matter-locally"
	t.Setenv("AWS_ACCESS_KEY_ID", "") // the local provider needs no credentials
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	res := h.Do(t, `local e = aws.env() local c = aws.caller() aws.guard() return e.provider, e.region, c.account`)
	if res[0].String() != "local" || res[1].String() != "us-east-1" || res[2].String() != awstest.Account {
		t.Fatalf("got %v", res)
	}
	s, err := engine.Unlocked(h.VM.L, func(ctx context.Context) (*awscall.Session, error) { return a.Session(ctx, h.Run) })
	if err != nil || s.Endpoint() != url || s.Config.Region != "us-east-1" || starts != 1 {
		t.Fatalf("Session = %v %v (endpoint started %d times)", s, err, starts)
	}
	cfg := s.Config
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIALOCALTEST" || creds.SecretAccessKey != "local-secret" {
		t.Fatalf("credentials = %+v %v", creds, err)
	}
}

func TestCallerIsCachedPerRun(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	awstest.UseEnv(t, h, awstest.Moto(t))
	h.Do(t, `assert(aws.caller().arn == aws.caller().arn)`)
	// A second run starts afresh: the cache lives in the run.
	h2 := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h2, awstest.Moto(t))
	env.Account = "111111111111"
	if err := h2.Err(`aws.guard()`); err == nil {
		t.Fatal("guard passed in a run for another account")
	}
}

func TestNoRegion(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, awstest.Moto(t))
	env.Region = ""
	err := h.Err(`aws.caller()`)
	if err == nil || !strings.Contains(err.Error(), "no AWS region configured") || engine.ExitCode(err) != engine.ExitUsage {
		t.Fatalf("err = %v", err)
	}
}

// TestProfileWithoutCredentials: a profile that exists but holds nothing usable.
func TestProfileWithoutCredentials(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, awstest.Moto(t))
	env.Profile = "empty"
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile empty]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := h.Err(`aws.caller()`)
	var e *engine.Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, `profile "empty" (from agentcore.toml)`) || strings.Contains(e.Msg, "AWS_ACCESS_KEY_ID") ||
		!strings.Contains(e.Hint, "aws configure") {
		t.Fatalf("err = %v", err)
	}
}
