package cfn

import (
	"context"
	"fmt"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/agentcore/agentcore/engine"
)

// The event source and its rendering are kept apart, as in the AWS Copilot CLI's stack
// streamer: a poller turns DescribeStackEvents into StackEvents, oldest first and each once;
// a renderer turns a StackEvent into an engine.Event (a text line, or a JSON line with -o json).

// StackEvent is one resource status change of a stack.
type StackEvent struct {
	ID           string
	Time         time.Time
	Stack        string
	LogicalID    string
	PhysicalID   string
	ResourceType string
	Status       string
	Reason       string
}

// Failed reports a *_FAILED status.
func (e StackEvent) Failed() bool { return strings.HasSuffix(e.Status, "_FAILED") }

// poller reads the new events of one stack. DescribeStackEvents answers newest first, in
// pages; the poller reads until the newest event it has already seen, so every call returns
// only what happened since the previous one, whatever the clocks say.
type poller struct {
	c     api
	stack string // name or id
	last  string // id of the newest event seen
	all   []StackEvent
}

// newPoller returns a poller that skips the events the stack already has: only what the
// coming operation causes is reported. A stack that does not exist yet has none.
func newPoller(ctx context.Context, c api, stack string) (*poller, error) {
	p := &poller{c: c, stack: stack}
	out, err := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: &stack})
	if err != nil {
		if isStackMissing(err) {
			return p, nil
		}
		return nil, err
	}
	if len(out.StackEvents) > 0 {
		p.last = awssdk.ToString(out.StackEvents[0].EventId)
	}
	return p, nil
}

// poll returns the events since the previous call, oldest first.
func (p *poller) poll(ctx context.Context) ([]StackEvent, error) {
	var fresh []StackEvent // newest first
	in := &cloudformation.DescribeStackEventsInput{StackName: &p.stack}
pages:
	for {
		out, err := p.c.DescribeStackEvents(ctx, in)
		if err != nil {
			if isStackMissing(err) { // deleted (by name) or not created yet
				break
			}
			return nil, err
		}
		for _, e := range out.StackEvents {
			if awssdk.ToString(e.EventId) == p.last && p.last != "" {
				break pages
			}
			fresh = append(fresh, fromSDK(e))
		}
		if out.NextToken == nil || len(out.StackEvents) == 0 {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(fresh) > 0 {
		p.last = fresh[0].ID
	}
	for i, j := 0, len(fresh)-1; i < j; i, j = i+1, j-1 {
		fresh[i], fresh[j] = fresh[j], fresh[i]
	}
	p.all = append(p.all, fresh...)
	return fresh, nil
}

// firstFailure returns the earliest failed resource of the operation, preferring a real cause
// over the "Resource creation cancelled" failures it drags along; ok is false when none failed.
func (p *poller) firstFailure() (StackEvent, bool) {
	var cancelled *StackEvent
	for i, e := range p.all {
		if !e.Failed() {
			continue
		}
		if strings.Contains(strings.ToLower(e.Reason), "cancelled") {
			if cancelled == nil {
				cancelled = &p.all[i]
			}
			continue
		}
		return e, true
	}
	if cancelled != nil {
		return *cancelled, true
	}
	return StackEvent{}, false
}

func fromSDK(e types.StackEvent) StackEvent {
	return StackEvent{
		ID:           awssdk.ToString(e.EventId),
		Time:         awssdk.ToTime(e.Timestamp),
		Stack:        awssdk.ToString(e.StackName),
		LogicalID:    awssdk.ToString(e.LogicalResourceId),
		PhysicalID:   awssdk.ToString(e.PhysicalResourceId),
		ResourceType: awssdk.ToString(e.ResourceType),
		Status:       string(e.ResourceStatus),
		Reason:       awssdk.ToString(e.ResourceStatusReason),
	}
}

// renderer shows stack events to the user.
type renderer interface {
	Render(StackEvent)
}

// outputRenderer renders through the run's Output: an in-progress status is a progress event
// (drawn in place on a terminal, one line elsewhere), any other status an info line; with -o
// json each is one JSON line whose fields carry the event's parts.
type outputRenderer struct {
	out    *engine.Output
	branch string
}

func (r outputRenderer) Render(e StackEvent) {
	typ := "info"
	if strings.HasSuffix(e.Status, "_IN_PROGRESS") {
		typ = "progress"
	}
	fields := map[string]any{"stack": e.Stack, "status": e.Status, "logical_id": e.LogicalID,
		"resource_type": e.ResourceType, "time": e.Time.UTC().Format(time.RFC3339)}
	if e.PhysicalID != "" {
		fields["physical_id"] = e.PhysicalID
	}
	if e.Reason != "" {
		fields["reason"] = e.Reason
	}
	r.out.Emit(engine.Event{Type: typ, Branch: r.branch, Message: formatEvent(e), Fields: fields})
}

// formatEvent is the line of one event: `STATUS  LogicalId (ResourceType) reason`, the status
// padded so that consecutive lines align.
func formatEvent(e StackEvent) string {
	s := fmt.Sprintf("%-28s  %s (%s)", e.Status, e.LogicalID, e.ResourceType)
	if e.Reason != "" {
		s += " " + e.Reason
	}
	return s
}
