package agentcore

import (
	"context"
	"fmt"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

const (
	defaultWaitTimeout  = 10 * time.Minute
	defaultWaitInterval = 3 * time.Second
	// firstWaitInterval starts the default polling: a change that is ready within a second
	// (the local endpoint, an endpoint move) is seen at once, and the interval doubles up to
	// defaultWaitInterval so that long waits on AWS poll no more than before.
	firstWaitInterval = 200 * time.Millisecond
	// localWaitInterval is the local endpoint's: a poll costs it well under a millisecond, and a
	// version is READY a few hundred milliseconds after the update (verify, one sandbox
	// started), so a coarser poll is most of what the update waits.
	localWaitInterval = 20 * time.Millisecond
)

// waitOpts is the options table of wait_endpoint.
type waitOpts struct {
	Timeout  *Seconds `json:"timeout,omitempty" lua:"number|string"`
	Interval *Seconds `json:"interval,omitempty" lua:"number|string"`
}

// runtimeWaitOpts is the options table of wait_runtime: waitOpts and the version to wait for.
type runtimeWaitOpts struct {
	Version Version `json:"version,omitempty" lua:"string|integer"`
	waitOpts
}

func (o waitOpts) durations() (timeout, interval time.Duration) {
	timeout, interval = defaultWaitTimeout, defaultWaitInterval
	if o.Timeout != nil {
		timeout = time.Duration(*o.Timeout)
	}
	if o.Interval != nil && *o.Interval > 0 {
		interval = time.Duration(*o.Interval)
	}
	return timeout, interval
}

// backoff returns the pause before the next poll: a fixed interval when one was given,
// otherwise doubling from firstWaitInterval up to defaultWaitInterval.
func backoff(prev, interval time.Duration) time.Duration {
	if interval != defaultWaitInterval {
		return interval
	}
	if prev == 0 {
		return firstWaitInterval
	}
	return min(prev*2, interval)
}

// polled is one look at a resource being waited for.
type polled struct {
	status  string
	failure string
	value   any // the Get output, the wait's result
}

// wait polls get until the status is terminal: READY returns the last Get output, *_FAILED
// raises with the failure reason, and a resource that does not exist (already deleted, or gone
// after DELETING) returns nil. One that disappears while CREATING or UPDATING raises.
// Each status change is shown as it is seen. Polls and sleeps run with the interpreter lock
// released; ctx cancellation (Ctrl-C, a failed parallel sibling) stops the wait.
func (m *module) wait(L *lua.LState, what string, timeout, interval time.Duration, get func(ctx context.Context, c controlAPI) (polled, error)) (any, error) {
	run := engine.FromL(L)
	branch := run.Branch(L)
	deadline := time.Now().Add(timeout)
	last := ""
	var pause time.Duration
	// The local endpoint answers a poll in well under a millisecond and makes a version READY
	// in well under a second: poll it every localWaitInterval rather than backing off.
	s, _ := engine.Unlocked(L, func(ctx context.Context) (*awscall.Session, error) { return m.controlPlane.AWS.Session(ctx, run) })
	local := s != nil && s.Provider == "local"
	for {
		p, err := awscall.Try(L, m.controlPlane, get)
		if err != nil {
			if awscall.IsNotFound(err) && (last == "" || last == "DELETING") {
				run.Out.Info(branch, what+": deleted")
				return nil, nil
			}
			return nil, m.controlPlane.Error("waiting for "+what, err)
		}
		if p.status != last {
			run.Out.Info(branch, fmt.Sprintf("%s: %s", what, p.status))
			last = p.status
		}
		switch {
		case p.status == "READY":
			return p.value, nil
		case strings.HasSuffix(p.status, "_FAILED"):
			reason := p.failure
			if reason == "" {
				reason = "AgentCore gave no failure reason"
			}
			return nil, engine.Failf("read the reason, fix the image or configuration and deploy again; the runtime's CloudWatch logs may say more",
				"%s is %s: %s", what, p.status, reason)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, engine.Failf("it may still finish: check again later, or wait longer with {timeout = SECONDS}",
				"timed out after %s waiting for %s (last status %s)", timeout, what, last)
		}
		pause = backoff(pause, interval)
		if local && interval == defaultWaitInterval {
			pause = localWaitInterval
		}
		if _, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, engine.Sleep(ctx, min(pause, left))
		}); err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", what, err)
		}
	}
}

func (m *module) luaWaitRuntime(L *lua.LState, id string, o runtimeWaitOpts) (any, error) {
	timeout, interval := o.durations()
	what := "agent runtime " + id
	if o.Version != "" {
		what += " version " + string(o.Version)
	}
	return m.wait(L, what, timeout, interval, func(ctx context.Context, c controlAPI) (polled, error) {
		out, err := c.GetAgentRuntime(ctx, &control.GetAgentRuntimeInput{AgentRuntimeId: &id, AgentRuntimeVersion: o.Version.ptr()})
		if err != nil {
			return polled{}, err
		}
		return polled{status: string(out.Status), failure: awssdk.ToString(out.FailureReason), value: out}, nil
	})
}

func (m *module) luaWaitEndpoint(L *lua.LState, id, name string, o waitOpts) (any, error) {
	timeout, interval := o.durations()
	what := fmt.Sprintf("endpoint %q of agent runtime %s", name, id)
	return m.wait(L, what, timeout, interval, func(ctx context.Context, c controlAPI) (polled, error) {
		out, err := c.GetAgentRuntimeEndpoint(ctx, &control.GetAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name})
		if err != nil {
			return polled{}, err
		}
		return polled{status: string(out.Status), failure: awssdk.ToString(out.FailureReason), value: out}, nil
	})
}
