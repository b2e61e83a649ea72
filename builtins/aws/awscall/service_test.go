package awscall_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// harness is a run whose environment points at an address nothing answers: sessions load
// (static test credentials, no network), and the tests' clients are fakes.
func harness(t *testing.T) *enginetest.Harness {
	t.Helper()
	h := enginetest.New(t)
	awstest.UseEnv(t, h, "http://127.0.0.1:1")
	return h
}

// thing is a service whose client is a string naming the environment it was made for.
func thing(hint func(code, msg string) string) *awscall.Service[string] {
	return &awscall.Service[string]{AWS: awstest.AWS(), Name: "thing", Hint: hint,
		New: func(s *awscall.Session) string { return "client of " + s.EnvName() }}
}

// probe installs fn as the global Lua function probe.
func probe(h *enginetest.Harness, fn lua.LGFunction) {
	h.VM.L.SetGlobal("probe", h.VM.L.NewFunction(fn))
}

func apiError(code string) error {
	return fmt.Errorf("operation error Thing: %w", &smithy.GenericAPIError{Code: code, Message: "the message"})
}

// Call returns the service's error: the AWS code first, the module's hint where the shared
// hints have none, the shared hint otherwise; raised, it keeps them.
func TestCallErrorHasTheServiceHints(t *testing.T) {
	sv := thing(func(code, msg string) string {
		if code == "NoSuchThing" || code == "AccessDeniedException" {
			return "the module's hint for " + code
		}
		return ""
	})
	for _, tc := range []struct{ code, msg, hint string }{
		{"NoSuchThing", "NoSuchThing: reading the thing: the message", "the module's hint for NoSuchThing"},
		{"AccessDeniedException", "AccessDeniedException: reading the thing: the message", "the credentials lack this permission: check the IAM policies of the identity aws.caller() shows (or `aws sts get-caller-identity`)"},
		{"SomethingElse", "SomethingElse: reading the thing: the message", ""},
	} {
		h := harness(t)
		probe(h, func(L *lua.LState) int {
			_, err := awscall.Call(L, sv, "reading the thing", func(context.Context, string) (int, error) { return 0, apiError(tc.code) })
			engine.Raise(L, err)
			return 0
		})
		err := h.Err(`probe()`)
		var e *engine.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: err = %#v, want an *engine.Error", tc.code, err)
		}
		if e.Msg != tc.msg || e.Hint != tc.hint || e.AWSCode != tc.code || e.Code != engine.ExitFailure {
			t.Errorf("%s: raised %q (hint %q, aws_code %q, exit %d), want %q (hint %q)", tc.code, e.Msg, e.Hint, e.AWSCode, e.Code, tc.msg, tc.hint)
		}
	}
}

// Try gives fn the client of the run's current environment and returns fn's error untouched.
func TestTryReturnsTheErrorUntouched(t *testing.T) {
	h := harness(t)
	var got string
	var err error
	probe(h, func(L *lua.LState) int {
		got, err = awscall.Try(L, thing(nil), func(_ context.Context, c string) (string, error) { return c, apiError("NoSuchThing") })
		return 0
	})
	h.Do(t, `probe()`)
	var e *engine.Error
	if got != "client of test" || awscall.ErrorCode(err) != "NoSuchThing" || errors.As(err, &e) {
		t.Fatalf("Try = %q, %v; want the client of test and the SDK error as it was", got, err)
	}
}

// A session that cannot be loaded is Try's error, explained, and fn does not run.
func TestTryWithoutSession(t *testing.T) {
	h := harness(t)
	h.Run.Project.Environments["test"].Region = ""
	ran := false
	var err error
	probe(h, func(L *lua.LState) int {
		_, err = awscall.Try(L, thing(nil), func(context.Context, string) (int, error) { ran = true; return 0, nil })
		return 0
	})
	h.Do(t, `probe()`)
	if ran || engine.ExitCode(err) != engine.ExitUsage {
		t.Fatalf("fn ran: %v, err = %v; want the no-region usage error", ran, err)
	}
}

// Services declared apart under one name (the ssm module's and the store's SSM) share the
// environment's client; Inject replaces it in every environment of the run.
func TestClientSharedByNameAndInjected(t *testing.T) {
	h := harness(t)
	made := 0
	other := &awscall.Service[string]{AWS: awstest.AWS(), Name: "thing", New: func(*awscall.Session) string { made++; return "other" }}
	s, err := engine.Unlocked(h.VM.L, func(ctx context.Context) (*awscall.Session, error) { return awstest.AWS().Session(ctx, h.Run) })
	if err != nil {
		t.Fatal(err)
	}
	if a, b := thing(nil).Client(h.Run, s), other.Client(h.Run, s); a != "client of test" || b != a || made != 0 {
		t.Fatalf("clients %q and %q (other's New ran %d times), want one shared client", a, b, made)
	}
	thing(nil).Inject(h.Run, "fake")
	if c := other.Client(h.Run, s); c != "fake" {
		t.Fatalf("after Inject: %q", c)
	}
}

// Client may be called while a per-run value is being made (state = "ssm" reads the hash key
// inside run.Value): it must not take the run's value lock.
func TestClientInsideValue(t *testing.T) {
	h := harness(t)
	s, err := engine.Unlocked(h.VM.L, func(ctx context.Context) (*awscall.Session, error) { return awstest.AWS().Session(ctx, h.Run) })
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan any, 1)
	go func() {
		v, _ := h.Run.Value("outer", func() (any, error) { return thing(nil).Client(h.Run, s), nil })
		done <- v
	}()
	select {
	case v := <-done:
		if v != "client of test" {
			t.Fatalf("got %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Service.Client blocked inside run.Value")
	}
}

// A service reaches the local endpoint through its layer's Local only: a layer without one
// says so.
func TestLocalEndpointThroughTheLayer(t *testing.T) {
	h := harness(t)
	h.Run.Project.Environments["test"].Provider = "local"
	endpoint := func(s *awscall.Session) string { return s.Endpoint() }
	bound := &awscall.Service[string]{AWS: awstest.AWS(), Name: "endpoint", New: endpoint}
	_, err := engine.Unlocked(h.VM.L, func(ctx context.Context) (string, error) { return bound.For(ctx, h.Run) })
	if err == nil || !strings.Contains(err.Error(), "no local endpoint is available here") {
		t.Fatalf("with a layer without a local endpoint: %v", err)
	}
	local := &awscall.Service[string]{AWS: awscall.New(awscall.Local{
		Endpoint:    func(context.Context) (string, error) { return "http://127.0.0.1:7", nil },
		Credentials: func() (string, string, error) { return "AKIDLOCAL", "local-secret", nil },
	}), Name: "endpoint", New: endpoint}
	h2 := harness(t)
	h2.Run.Project.Environments["test"].Provider = "local"
	c, err := engine.Unlocked(h2.VM.L, func(ctx context.Context) (string, error) { return local.For(ctx, h2.Run) })
	if err != nil || c != "http://127.0.0.1:7" {
		t.Fatalf("with the layer's local endpoint: %q, %v", c, err)
	}
}
