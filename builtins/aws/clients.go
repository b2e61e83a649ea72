package aws

import (
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/agentcore/agentcore/engine"
)

// clients holds a session's SDK clients by service name. A session belongs to one environment
// of one run, so a client kept here talks to that environment's endpoint, region and
// credentials, and with_env gets the other environment's own clients.
type clients struct {
	mu sync.Mutex
	m  map[string]any
}

// Client returns the session's client of service (its SDK package name: "ssm", "ecr",
// "cloudformation"...), made with newClient from the session's config on first use. Every
// AWS builtin gets its clients here:
//
//	c := aws.Client(run, s, "ecr", func(cfg awssdk.Config) api { return ecr.NewFromConfig(cfg) })
//
// C is the builtin's narrow interface of the calls it makes (or the SDK client type). A test
// substitutes a fake for every environment of a run with InjectClient(run, service, fake); the
// fake must implement C.
func Client[C any](run *engine.Run, s *Session, service string, newClient func(awssdk.Config) C) C {
	if run != nil {
		if v, ok := run.Lookup(fakeKey(service)); ok { // never blocks: Client may run inside a Value's make
			return v.(C)
		}
	}
	s.clients.mu.Lock()
	defer s.clients.mu.Unlock()
	if c, ok := s.clients.m[service]; ok {
		return c.(C)
	}
	c := newClient(s.Config)
	if s.clients.m == nil {
		s.clients.m = map[string]any{}
	}
	s.clients.m[service] = c
	return c
}

// InjectClient makes Client return fake for service in every environment of the run: tests
// use it for the paths an emulator cannot produce (failed stacks, throttling).
func InjectClient(run *engine.Run, service string, fake any) {
	_, _ = run.Value(fakeKey(service), func() (any, error) { return fake, nil })
}

func fakeKey(service string) string { return "aws.fake-client:" + service }
