// Package awscall is the one path by which the AWS builtins reach AWS: the program's AWS
// layer (New, from the local endpoint's Local), the session of the run's current environment
// (AWS.Session: configuration, credentials checked once, the local endpoint for provider
// "local"), one SDK client per service and environment (Service,
// Service.Inject for a test's fake), the calls themselves with the interpreter lock released
// (Call, Try), AWS errors that keep their code and carry hints (Error, ErrorCode, IsNotFound,
// Service.Hint), the identity of the credentials (AWS.Caller), and the HTTP client every SDK
// client uses (HTTPClient).
//
// It is not a Lua module: the aws Lua module and the AWS modules (ecr, agentcore, cfn, ssm,
// s3, secrets, iam, logs, metrics, store) import it, and none of them imports another.
package awscall

import (
	"context"
	"errors"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// Service is one AWS service as a module reaches it: how its client is made from the
// environment's session, and the hints the module adds to that service's errors. A module
// declares one value per service it calls and makes every call through Call or Try:
//
//	func New(a *awscall.AWS) *engine.Module {
//		m := &module{ecr: &awscall.Service[api]{AWS: a, Name: "ecr",
//			New: func(s *awscall.Session) api { return ecr.NewFromConfig(s.Config) }}}
//		...
//	}
//
//	func (m *module) luaDeleteRepository(L *lua.LState, name string, o deleteOpts) (*ecr.DeleteRepositoryOutput, error) {
//		return awscall.Call(L, m.ecr, fmt.Sprintf("deleting ECR repository %q", name),
//			func(ctx context.Context, c api) (*ecr.DeleteRepositoryOutput, error) {
//				return c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: &name, Force: o.Force})
//			})
//	}
//
// C is the module's narrow interface of the calls it makes, or the SDK client type.
type Service[C any] struct {
	// AWS makes the sessions the service's clients are made from: the program's layer, given
	// to the module when it is built. Required.
	AWS *AWS
	// Name is the SDK's package name of the service ("ecr", "cloudformation"...). It keys the
	// session's client cache: modules that declare the same service share one client.
	Name string
	// New makes the client from the session of one environment.
	New func(s *Session) C
	// Hint, when set, adds the module's hints to the service's errors.
	Hint Hints
}

// Hints gives the hint of an error with AWS code code whose message is msg (the full message
// Error built), for the codes the shared hints leave without one; "" for none.
type Hints func(code, msg string) string

// Error is the package's Error with h's hints: how a module explains its service's errors.
func (h Hints) Error(doing string, err error) error {
	out := Error(doing, err)
	var ee *engine.Error
	if h != nil && errors.As(out, &ee) && ee.Hint == "" && ee.AWSCode != "" {
		ee.Hint = h(ee.AWSCode, ee.Msg)
	}
	return out
}

// Client returns the service's client for the session's environment, made on first use. A
// client given to Inject for the run is returned instead.
func (sv *Service[C]) Client(run *engine.Run, s *Session) C {
	if run != nil {
		if v, ok := run.Lookup(fakeKey(sv.Name)); ok { // never blocks: Client may run inside a Value's make
			return v.(C)
		}
	}
	return s.clients.get(sv.Name, func() any { return sv.New(s) }).(C)
}

// Inject makes Client return fake in every environment of the run: tests use it for the
// paths an emulator cannot produce (failed stacks, throttling).
func (sv *Service[C]) Inject(run *engine.Run, fake C) {
	_, _ = run.Value(fakeKey(sv.Name), func() (any, error) { return fake, nil })
}

func fakeKey(service string) string { return "aws.fake-client:" + service }

// Error is the package's Error with the service's own hints: what Call returns.
func (sv *Service[C]) Error(doing string, err error) error { return sv.Hint.Error(doing, err) }

// Call runs fn with the interpreter lock released and the service's client of the run's
// current environment, and returns fn's error as sv.Error(doing, err): what a builtin returns.
func Call[C, T any](L *lua.LState, sv *Service[C], doing string, fn func(ctx context.Context, c C) (T, error)) (T, error) {
	out, err := Try(L, sv, fn)
	if err != nil {
		return out, sv.Error(doing, err)
	}
	return out, nil
}

// Try is Call without the raise, for calls whose errors the caller sorts (a lookup that
// answers nil when not found): fn's error is returned untouched (SDK errors intact for
// ErrorCode and IsNotFound), and a session that cannot be loaded as its *engine.Error.
func Try[C, T any](L *lua.LState, sv *Service[C], fn func(ctx context.Context, c C) (T, error)) (T, error) {
	run := engine.FromL(L)
	return engine.Unlocked(L, func(ctx context.Context) (T, error) {
		c, err := sv.For(ctx, run)
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx, c)
	})
}

// For returns the service's client of the run's current environment, loading the session
// when needed. Call it with the interpreter lock released (inside Call, Try or
// engine.Unlocked): a call that needs a second service's client gets it here.
func (sv *Service[C]) For(ctx context.Context, run *engine.Run) (C, error) {
	s, err := sv.AWS.Session(ctx, run)
	if err != nil {
		var zero C
		return zero, err
	}
	return sv.Client(run, s), nil
}

// clients holds a session's SDK clients by service name. A session belongs to one environment
// of one run, so a client kept here talks to that environment's endpoint, region and
// credentials, and with_env gets the other environment's own clients.
type clients struct {
	mu sync.Mutex
	m  map[string]any
}

func (cs *clients) get(name string, make func() any) any {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.m[name]; ok {
		return c
	}
	c := make()
	if cs.m == nil {
		cs.m = map[string]any{}
	}
	cs.m[name] = c
	return c
}
