package cfn

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// ops carries out stack operations in Go, without Lua: the Lua functions in cfn.go take
// their arguments, call these with the interpreter lock released, and build the results.
type ops struct {
	c        api
	r        renderer
	interval time.Duration                              // between two polls of a stack or change set
	now      func() time.Time                           // names change sets
	sleep    func(context.Context, time.Duration) error // waits between polls; ctx ends it early
}

func newOps(c api, r renderer) *ops {
	return &ops{c: c, r: r, interval: 2 * time.Second, now: time.Now, sleep: engine.Sleep}
}

// deployInput is a resolved cfn.deploy call.
type deployInput struct {
	Stack        string
	Body         string
	Parameters   map[string]string
	Tags         map[string]string // agentcore:managed included
	Capabilities []string
	Timeout      time.Duration
	ClientToken  string // ClientRequestToken of CreateStack and ExecuteChangeSet
}

// clientTokenPattern is CloudFormation's ClientRequestToken (up to 128 characters).
var clientTokenPattern = lazyregexp.New(`^[a-zA-Z0-9][-a-zA-Z0-9]*$`)

func tokenPtr(t string) *string {
	if t == "" {
		return nil
	}
	return &t
}

// deployResult is what cfn.deploy returns.
type deployResult struct {
	StackID   string            `json:"stack_id"`
	Status    string            `json:"status"`
	Outputs   map[string]string `json:"outputs"`
	Changed   bool              `json:"changed"`
	Operation string            `json:"operation" lua:"\"create\"|\"update\"|\"replace\"|\"none\""` // replace: a failed stack deleted and created again
}

const (
	statusRollbackComplete = "ROLLBACK_COMPLETE"
	statusDeleteComplete   = "DELETE_COMPLETE"
)

// describe returns the stack, or nil when it does not exist.
func (o *ops) describe(ctx context.Context, stack string) (*types.Stack, error) {
	out, err := o.c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &stack})
	if err != nil {
		if isStackMissing(err) {
			return nil, nil
		}
		return nil, err
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// isStackMissing reports CloudFormation's answer for a stack that does not exist: a
// ValidationError "Stack with id NAME does not exist" (there is no dedicated error code).
func isStackMissing(err error) bool {
	return awscall.ErrorCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist")
}

// deploy creates the stack, or updates it through a change set. existing is the stack as
// described before (nil when missing); a ROLLBACK_COMPLETE one is deleted first (the caller
// has asked for confirmation).
func (o *ops) deploy(ctx context.Context, in deployInput, existing *types.Stack) (deployResult, error) {
	ctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	op := "create"
	if existing != nil && string(existing.StackStatus) == statusRollbackComplete {
		if err := o.deleteAndWait(ctx, awssdk.ToString(existing.StackId), in.Stack, in.Timeout); err != nil {
			return deployResult{}, err
		}
		existing, op = nil, "replace"
	}
	if existing == nil {
		st, err := o.create(ctx, in)
		if err != nil {
			return deployResult{}, err
		}
		return result(st, true, op), nil
	}
	if status := string(existing.StackStatus); status == "REVIEW_IN_PROGRESS" {
		return deployResult{}, engine.Failf(
			"delete it (cfn.delete) and deploy again",
			"stack %q is in REVIEW_IN_PROGRESS: it was made by a change set that was never executed", in.Stack)
	} else if strings.HasSuffix(status, "_IN_PROGRESS") {
		return deployResult{}, engine.Failf(
			"wait for the running operation to end (watch it in the CloudFormation console), then deploy again",
			"stack %q is busy (%s): it cannot be updated now", in.Stack, status)
	}
	return o.update(ctx, in, existing)
}

func result(st *types.Stack, changed bool, op string) deployResult {
	return deployResult{StackID: awssdk.ToString(st.StackId), Status: string(st.StackStatus),
		Outputs: outputs(st), Changed: changed, Operation: op}
}

func outputs(st *types.Stack) map[string]string {
	m := make(map[string]string, len(st.Outputs))
	for _, o := range st.Outputs {
		m[awssdk.ToString(o.OutputKey)] = awssdk.ToString(o.OutputValue)
	}
	return m
}

func (o *ops) create(ctx context.Context, in deployInput) (*types.Stack, error) {
	p, err := newPoller(ctx, o.c, in.Stack)
	if err != nil {
		return nil, hints.Error(fmt.Sprintf("reading the events of stack %q", in.Stack), err)
	}
	out, err := o.c.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:          &in.Stack,
		TemplateBody:       &in.Body,
		Parameters:         sdkParameters(in.Parameters),
		Tags:               sdkTags(in.Tags),
		Capabilities:       sdkCapabilities(in.Capabilities),
		OnFailure:          types.OnFailureRollback,
		ClientRequestToken: tokenPtr(in.ClientToken),
	})
	if err != nil {
		return nil, hints.Error(fmt.Sprintf("creating stack %q", in.Stack), err)
	}
	id := awssdk.ToString(out.StackId)
	p.stack = id
	return o.wait(ctx, p, id, in.Stack, "creating", "CREATE_COMPLETE", in.Timeout)
}

func (o *ops) update(ctx context.Context, in deployInput, existing *types.Stack) (deployResult, error) {
	id := awssdk.ToString(existing.StackId)
	// Change sets are addressed by stack name: AWS takes a name or an id, moto only a name.
	stack := in.Stack
	name := fmt.Sprintf("agentcore-%d", o.now().UnixMilli())
	cs, err := o.c.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{
		StackName:     &stack,
		ChangeSetName: &name,
		ChangeSetType: types.ChangeSetTypeUpdate,
		TemplateBody:  &in.Body,
		Parameters:    sdkParameters(in.Parameters),
		Tags:          sdkTags(in.Tags),
		Capabilities:  sdkCapabilities(in.Capabilities),
	})
	if err != nil && noChanges(err.Error()) {
		// moto refuses an empty change set at once (AWS creates it FAILED, handled below)
		st, derr := o.describe(ctx, id)
		if derr != nil || st == nil {
			return deployResult{}, hints.Error(fmt.Sprintf("describing stack %q", in.Stack), orMissing(derr, in.Stack))
		}
		return result(st, false, "none"), nil
	}
	if err != nil {
		return deployResult{}, hints.Error(fmt.Sprintf("creating a change set for stack %q", in.Stack), err)
	}
	csID := awssdk.ToString(cs.Id)
	doing := fmt.Sprintf("waiting for change set %s of stack %q", name, in.Stack)
	for {
		d, err := o.c.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: &csID, StackName: &stack})
		if err != nil {
			return deployResult{}, o.waitErr(ctx, doing, err, in.Timeout, "")
		}
		switch d.Status {
		case types.ChangeSetStatusCreateComplete:
			return o.execute(ctx, in, id, csID)
		case types.ChangeSetStatusFailed:
			reason := awssdk.ToString(d.StatusReason)
			// Deleted either way: a change set that cannot run is of no use, and they pile up.
			_, derr := o.c.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: &csID, StackName: &stack})
			if noChanges(reason) {
				if derr != nil {
					return deployResult{}, hints.Error(fmt.Sprintf("deleting the empty change set %s of stack %q", name, in.Stack), derr)
				}
				st, err := o.describe(ctx, id)
				if err != nil || st == nil {
					return deployResult{}, hints.Error(fmt.Sprintf("describing stack %q", in.Stack), orMissing(err, in.Stack))
				}
				return result(st, false, "none"), nil
			}
			return deployResult{}, engine.Failf("fix the template or the parameters and deploy again",
				"stack %q: change set %s failed: %s", in.Stack, name, reason)
		}
		if err := o.sleep(ctx, o.interval); err != nil {
			return deployResult{}, o.waitErr(ctx, doing, err, in.Timeout, string(d.Status))
		}
	}
}

// noChanges recognises the two ways CloudFormation says a change set would change nothing.
func noChanges(reason string) bool {
	return strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed")
}

func (o *ops) execute(ctx context.Context, in deployInput, id, csID string) (deployResult, error) {
	p, err := newPoller(ctx, o.c, id)
	if err != nil {
		return deployResult{}, hints.Error(fmt.Sprintf("reading the events of stack %q", in.Stack), err)
	}
	if _, err := o.c.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: &csID, StackName: &in.Stack, ClientRequestToken: tokenPtr(in.ClientToken)}); err != nil {
		return deployResult{}, hints.Error(fmt.Sprintf("executing the change set of stack %q", in.Stack), err)
	}
	st, err := o.wait(ctx, p, id, in.Stack, "updating", "UPDATE_COMPLETE", in.Timeout)
	if err != nil {
		return deployResult{}, err
	}
	return result(st, true, "update"), nil
}

// remove deletes a stack and waits until it is gone; deleted is false when it did not exist.
func (o *ops) remove(ctx context.Context, stack string, timeout time.Duration) (id string, deleted bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := o.describe(ctx, stack)
	if err != nil {
		return "", false, hints.Error(fmt.Sprintf("describing stack %q", stack), err)
	}
	if st == nil {
		return "", false, nil
	}
	id = awssdk.ToString(st.StackId)
	return id, true, o.deleteAndWait(ctx, id, stack, timeout)
}

func (o *ops) deleteAndWait(ctx context.Context, id, name string, timeout time.Duration) error {
	p, err := newPoller(ctx, o.c, id)
	if err != nil {
		return hints.Error(fmt.Sprintf("reading the events of stack %q", name), err)
	}
	if _, err := o.c.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: &id}); err != nil {
		return hints.Error(fmt.Sprintf("deleting stack %q", name), err)
	}
	_, err = o.wait(ctx, p, id, name, "deleting", statusDeleteComplete, timeout)
	return err
}

// wait polls the stack (by id) and renders its new events until it reaches a final status:
// want is success, anything else a failure explained by the first failed resource.
func (o *ops) wait(ctx context.Context, p *poller, id, name, doing, want string, timeout time.Duration) (*types.Stack, error) {
	what := fmt.Sprintf("%s stack %q", doing, name)
	last := ""
	for polls := 1; ; polls++ {
		st, err := o.describe(ctx, id)
		if err != nil {
			return nil, o.waitErr(ctx, what, err, timeout, last)
		}
		// Events after the status, so that the events leading to a final status are shown.
		events, err := p.poll(ctx)
		if err != nil {
			return nil, o.waitErr(ctx, what, err, timeout, last)
		}
		for _, e := range events {
			o.r.Render(e)
		}
		if st == nil { // gone: the end of a delete (AWS describes a deleted stack by id; moto too)
			if want == statusDeleteComplete {
				return &types.Stack{StackId: &id, StackStatus: statusDeleteComplete}, nil
			}
			return nil, engine.Failf("", "%s: the stack disappeared", what)
		}
		last = string(st.StackStatus)
		// Until the operation's first event shows, a final status may be the previous
		// operation's (an update of an UPDATE_ROLLBACK_COMPLETE stack): look again, a few times.
		stale := len(p.all) == 0 && polls < staleLimit
		switch {
		case stale && !strings.HasSuffix(last, "_IN_PROGRESS"):
		case last == want:
			return st, nil
		case !strings.HasSuffix(last, "_IN_PROGRESS"):
			return nil, o.failure(p, st, name, doing)
		}
		if err := o.sleep(ctx, o.interval); err != nil {
			return nil, o.waitErr(ctx, what, err, timeout, last)
		}
	}
}

// staleLimit is how many polls a final status without any event of the operation is taken
// for the previous operation's.
const staleLimit = 5

// failure explains a stack that ended in a failed status, naming the first failed resource.
func (o *ops) failure(p *poller, st *types.Stack, name, doing string) error {
	status := string(st.StackStatus)
	msg := fmt.Sprintf("%s stack %q failed (%s)", doing, name, status)
	if e, ok := p.firstFailure(); ok {
		msg += fmt.Sprintf(": %s (%s) %s", e.LogicalID, e.ResourceType, e.Status)
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
	} else if r := awssdk.ToString(st.StackStatusReason); r != "" {
		msg += ": " + r
	}
	hint := "fix the template or the parameters and deploy again"
	switch status {
	case statusRollbackComplete:
		hint = "fix the template or the parameters and deploy again: the failed stack is deleted and created again after a confirmation (or with replace_failed = true / --yes)"
	case "UPDATE_ROLLBACK_COMPLETE":
		hint = "the stack is back as it was before this update; " + hint
	case "DELETE_FAILED":
		hint = "a resource could not be deleted (not empty, or in use): remove what holds it and delete again"
	case "ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED":
		hint = "the rollback failed too: see the stack's events in the CloudFormation console; an UPDATE_ROLLBACK_FAILED stack can be fixed with `aws cloudformation continue-update-rollback`"
	}
	return &engine.Error{Code: engine.ExitFailure, Msg: msg, Hint: hint}
}

// waitErr explains why a wait stopped: the timeout, an interruption, or an API error.
func (o *ops) waitErr(ctx context.Context, doing string, err error, timeout time.Duration, last string) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		status := ""
		if last != "" {
			status = " (last status " + last + ")"
		}
		return &engine.Error{Code: engine.ExitFailure, Err: context.DeadlineExceeded,
			Msg:  fmt.Sprintf("%s: timed out after %s%s", doing, timeout, status),
			Hint: "CloudFormation goes on without us: watch the stack in the console, or deploy again with a longer timeout"}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", doing, ctx.Err())
	}
	return hints.Error(doing, err)
}

func orMissing(err error, stack string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("stack %q does not exist", stack)
}

func sdkParameters(m map[string]string) []types.Parameter {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]types.Parameter, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Parameter{ParameterKey: awssdk.String(k), ParameterValue: awssdk.String(m[k])})
	}
	return out
}

func sdkTags(m map[string]string) []types.Tag {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: awssdk.String(k), Value: awssdk.String(m[k])})
	}
	return out
}

func sdkCapabilities(caps []string) []types.Capability {
	out := make([]types.Capability, 0, len(caps))
	for _, c := range caps {
		out = append(out, types.Capability(c))
	}
	return out
}

// managedStacks lists the stacks tagged agentcore:managed=true, by name.
func (o *ops) managedStacks(ctx context.Context) ([]types.Stack, error) {
	var out []types.Stack
	pages := cloudformation.NewDescribeStacksPaginator(o.c, &cloudformation.DescribeStacksInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, hints.Error("listing stacks", err)
		}
		for _, st := range page.Stacks {
			if st.StackStatus == statusDeleteComplete {
				continue
			}
			for _, t := range st.Tags {
				if awssdk.ToString(t.Key) == managedTag && awssdk.ToString(t.Value) == "true" {
					out = append(out, st)
					break
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return awssdk.ToString(out[i].StackName) < awssdk.ToString(out[j].StackName) })
	return out, nil
}

// managedTag marks the stacks agentcore deployed (cfn.list finds them by it).
const managedTag = "agentcore:managed"
