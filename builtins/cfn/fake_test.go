package cfn

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// fakeCFN is a scripted CloudFormation for the paths moto cannot produce: resources that
// fail, rollbacks, stacks that take several polls, many pages of events. An operation
// (create, update, delete) plays its script: each DescribeStacks advances one phase, which
// adds its events and sets the stack's status.
type fakeCFN struct {
	mu       sync.Mutex
	stacks   map[string]*fakeStack // by name; deleted ones move to deleted
	deleted  map[string]*fakeStack // by id: AWS describes a deleted stack by id
	scripts  map[string][]phase    // "create", "update", "delete"
	csStatus types.ChangeSetStatus // what DescribeChangeSet answers
	csReason string
	calls    []string
	pageSize int
	seq      int
}

type phase struct {
	status string
	events []ev // oldest first
}

// ev is a resource event: logical id, type, status, reason.
type ev struct{ id, typ, status, reason string }

type fakeStack struct {
	id, name string
	status   string
	events   []types.StackEvent // oldest first
	pending  []phase
	outputs  map[string]string
	params   []types.Parameter
	tags     []types.Tag
}

func newFake() *fakeCFN {
	return &fakeCFN{stacks: map[string]*fakeStack{}, deleted: map[string]*fakeStack{}, scripts: map[string][]phase{}, pageSize: 2,
		csStatus: types.ChangeSetStatusCreateComplete}
}

func validation(msg string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: msg}
}

func (f *fakeCFN) find(nameOrID string) *fakeStack {
	for _, s := range f.stacks {
		if s.name == nameOrID || s.id == nameOrID {
			return s
		}
	}
	return nil
}

func (f *fakeCFN) addStack(name, status string) *fakeStack {
	f.seq++
	s := &fakeStack{id: fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:stack/%s/%d", name, f.seq),
		name: name, status: status, outputs: map[string]string{}}
	f.stacks[name] = s
	return s
}

func (f *fakeCFN) event(s *fakeStack, e ev) {
	f.seq++
	s.events = append(s.events, types.StackEvent{
		EventId: awssdk.String(strconv.Itoa(f.seq)), StackId: &s.id, StackName: &s.name,
		LogicalResourceId: awssdk.String(e.id), ResourceType: awssdk.String(e.typ),
		ResourceStatus: types.ResourceStatus(e.status), ResourceStatusReason: awssdk.String(e.reason),
		Timestamp: awssdk.Time(time.Date(2026, 1, 1, 0, 0, f.seq, 0, time.UTC)),
	})
}

func (f *fakeCFN) start(s *fakeStack, op string) {
	s.pending = append([]phase(nil), f.scripts[op]...)
	if len(s.pending) == 0 {
		final := map[string]string{"create": "CREATE_COMPLETE", "update": "UPDATE_COMPLETE", "delete": "DELETE_COMPLETE"}[op]
		s.pending = []phase{{status: final, events: []ev{{s.name, "AWS::CloudFormation::Stack", final, ""}}}}
	}
}

func (f *fakeCFN) CreateStack(_ context.Context, in *cloudformation.CreateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "CreateStack")
	if f.find(*in.StackName) != nil {
		return nil, &smithy.GenericAPIError{Code: "AlreadyExistsException", Message: "Stack [" + *in.StackName + "] already exists"}
	}
	s := f.addStack(*in.StackName, "CREATE_IN_PROGRESS")
	s.params, s.tags = in.Parameters, in.Tags
	f.event(s, ev{s.name, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"})
	f.start(s, "create")
	return &cloudformation.CreateStackOutput{StackId: &s.id}, nil
}

func (f *fakeCFN) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "DeleteStack")
	if s := f.find(*in.StackName); s != nil {
		s.status = "DELETE_IN_PROGRESS"
		f.event(s, ev{s.name, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"})
		f.start(s, "delete")
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "DescribeStacks")
	var out []types.Stack
	for _, s := range f.stacks {
		if in.StackName != nil && s.name != *in.StackName && s.id != *in.StackName {
			continue
		}
		if len(s.pending) > 0 {
			p := s.pending[0]
			s.pending = s.pending[1:]
			for _, e := range p.events {
				f.event(s, e)
			}
			s.status = p.status
		}
		st := types.Stack{StackId: awssdk.String(s.id), StackName: awssdk.String(s.name),
			StackStatus: types.StackStatus(s.status), Tags: s.tags, Parameters: s.params,
			CreationTime: awssdk.Time(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
		for k, v := range s.outputs {
			st.Outputs = append(st.Outputs, types.Output{OutputKey: awssdk.String(k), OutputValue: awssdk.String(v)})
		}
		out = append(out, st)
		if s.status == "DELETE_COMPLETE" {
			delete(f.stacks, s.name)
			f.deleted[s.id] = s
		}
	}
	if in.StackName != nil && len(out) == 0 {
		return nil, validation("Stack with id " + *in.StackName + " does not exist")
	}
	return &cloudformation.DescribeStacksOutput{Stacks: out}, nil
}

func (f *fakeCFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "DescribeStackEvents")
	s := f.find(*in.StackName)
	if s == nil {
		s = f.deleted[*in.StackName]
	}
	if s == nil {
		return nil, validation("Stack [" + *in.StackName + "] does not exist")
	}
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	var page []types.StackEvent
	for i := len(s.events) - 1 - start; i >= 0 && len(page) < f.pageSize; i-- {
		page = append(page, s.events[i])
	}
	out := &cloudformation.DescribeStackEventsOutput{StackEvents: page}
	if next := start + len(page); next < len(s.events) {
		out.NextToken = awssdk.String(strconv.Itoa(next))
	}
	return out, nil
}

func (f *fakeCFN) CreateChangeSet(_ context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "CreateChangeSet")
	s := f.find(*in.StackName)
	if s == nil {
		return nil, validation("Stack [" + *in.StackName + "] does not exist")
	}
	s.params, s.tags = in.Parameters, in.Tags
	return &cloudformation.CreateChangeSetOutput{Id: awssdk.String("cs-" + *in.ChangeSetName), StackId: &s.id}, nil
}

func (f *fakeCFN) DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "DescribeChangeSet")
	return &cloudformation.DescribeChangeSetOutput{Status: f.csStatus, StatusReason: awssdk.String(f.csReason)}, nil
}

func (f *fakeCFN) ExecuteChangeSet(_ context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "ExecuteChangeSet")
	s := f.find(*in.StackName)
	s.status = "UPDATE_IN_PROGRESS"
	f.event(s, ev{s.name, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"})
	f.start(s, "update")
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func (f *fakeCFN) DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "DeleteChangeSet")
	return &cloudformation.DeleteChangeSetOutput{}, nil
}

func (f *fakeCFN) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

// recorder is a renderer that keeps the lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Render(e StackEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, formatEvent(e))
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
