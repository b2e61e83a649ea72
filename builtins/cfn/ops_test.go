package cfn

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestFormatEvent(t *testing.T) {
	for _, tc := range []struct {
		e    StackEvent
		want string
	}{
		{StackEvent{Status: "CREATE_IN_PROGRESS", LogicalID: "Repository", ResourceType: "AWS::ECR::Repository"},
			"CREATE_IN_PROGRESS            Repository (AWS::ECR::Repository)"},
		{StackEvent{Status: "CREATE_FAILED", LogicalID: "Role", ResourceType: "AWS::IAM::Role", Reason: "Access denied"},
			"CREATE_FAILED                 Role (AWS::IAM::Role) Access denied"},
		{StackEvent{Status: "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", LogicalID: "s", ResourceType: "AWS::CloudFormation::Stack"},
			"UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS  s (AWS::CloudFormation::Stack)"},
	} {
		if got := formatEvent(tc.e); got != tc.want {
			t.Errorf("formatEvent = %q\n          want %q", got, tc.want)
		}
	}
}

// testOps returns ops on f that record rendered lines and never really sleep.
func testOps(f *fakeCFN) (*ops, *recorder, *int) {
	rec := &recorder{}
	o := newOps(f, rec)
	sleeps := 0
	o.sleep = func(ctx context.Context, _ time.Duration) error { sleeps++; return ctx.Err() }
	return o, rec, &sleeps
}

func input(stack string) deployInput {
	return deployInput{Stack: stack, Body: "{}", Timeout: time.Minute, Tags: map[string]string{managedTag: "true"}}
}

const (
	stackType = "AWS::CloudFormation::Stack"
	repoType  = "AWS::ECR::Repository"
	roleType  = "AWS::IAM::Role"
)

// A stack that takes three polls: every event is shown once, oldest first, across pages.
func TestCreateStreamsEachEventOnce(t *testing.T) {
	f := newFake()
	f.scripts["create"] = []phase{
		{"CREATE_IN_PROGRESS", []ev{{"Repo", repoType, "CREATE_IN_PROGRESS", ""}, {"Role", roleType, "CREATE_IN_PROGRESS", ""}}},
		{"CREATE_IN_PROGRESS", []ev{{"Repo", repoType, "CREATE_IN_PROGRESS", "Resource creation Initiated"}, {"Repo", repoType, "CREATE_COMPLETE", ""}, {"Role", roleType, "CREATE_IN_PROGRESS", "Eventual consistency check initiated"}}},
		{"CREATE_COMPLETE", []ev{{"Role", roleType, "CREATE_COMPLETE", ""}, {"s", stackType, "CREATE_COMPLETE", ""}}},
	}
	o, rec, sleeps := testOps(f)
	res, err := o.deploy(context.Background(), input("s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "CREATE_COMPLETE" || !res.Changed || res.Operation != "create" {
		t.Fatalf("result %+v", res)
	}
	want := []string{
		"CREATE_IN_PROGRESS            s (AWS::CloudFormation::Stack) User Initiated",
		"CREATE_IN_PROGRESS            Repo (AWS::ECR::Repository)",
		"CREATE_IN_PROGRESS            Role (AWS::IAM::Role)",
		"CREATE_IN_PROGRESS            Repo (AWS::ECR::Repository) Resource creation Initiated",
		"CREATE_COMPLETE               Repo (AWS::ECR::Repository)",
		"CREATE_IN_PROGRESS            Role (AWS::IAM::Role) Eventual consistency check initiated",
		"CREATE_COMPLETE               Role (AWS::IAM::Role)",
		"CREATE_COMPLETE               s (AWS::CloudFormation::Stack)",
	}
	if got := rec.text(); got != strings.Join(want, "\n") {
		t.Fatalf("rendered:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if *sleeps != 2 {
		t.Errorf("slept %d times between 3 polls", *sleeps)
	}
}

func TestCreateFailureNamesFirstFailedResource(t *testing.T) {
	f := newFake()
	f.scripts["create"] = []phase{
		{"CREATE_IN_PROGRESS", []ev{{"Repo", repoType, "CREATE_IN_PROGRESS", ""}, {"Role", roleType, "CREATE_IN_PROGRESS", ""}}},
		{"ROLLBACK_IN_PROGRESS", []ev{
			{"Repo", repoType, "CREATE_FAILED", "Resource creation cancelled"},
			{"Role", roleType, "CREATE_FAILED", "Resource handler returned message: \"MalformedPolicyDocument\""},
			{"s", stackType, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Role, Repo]."}}},
		{"ROLLBACK_COMPLETE", []ev{{"Repo", repoType, "DELETE_COMPLETE", ""}, {"s", stackType, "ROLLBACK_COMPLETE", ""}}},
	}
	o, rec, _ := testOps(f)
	_, err := o.deploy(context.Background(), input("s"), nil)
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v", err)
	}
	want := `creating stack "s" failed (ROLLBACK_COMPLETE): Role (AWS::IAM::Role) CREATE_FAILED: Resource handler returned message: "MalformedPolicyDocument"`
	if e.Msg != want {
		t.Errorf("message\n%s\nwant\n%s", e.Msg, want)
	}
	if !strings.Contains(e.Hint, "replace_failed") {
		t.Errorf("hint %q", e.Hint)
	}
	if !strings.Contains(rec.text(), "ROLLBACK_COMPLETE             s (AWS::CloudFormation::Stack)") {
		t.Errorf("final events not shown:\n%s", rec.text())
	}
}

// An update shows only its own events, not the stack's history, and a rollback is an error.
func TestUpdateRollback(t *testing.T) {
	f := newFake()
	s := f.addStack("s", "CREATE_COMPLETE")
	f.event(s, ev{"Old", repoType, "CREATE_COMPLETE", "history"})
	f.scripts["update"] = []phase{
		{"UPDATE_ROLLBACK_IN_PROGRESS", []ev{{"Repo", repoType, "UPDATE_FAILED", "Invalid parameter"}}},
		{"UPDATE_ROLLBACK_COMPLETE", []ev{{"s", stackType, "UPDATE_ROLLBACK_COMPLETE", ""}}},
	}
	o, rec, _ := testOps(f)
	existing, _ := o.describe(context.Background(), "s")
	_, err := o.deploy(context.Background(), input("s"), existing)
	if err == nil || !strings.Contains(err.Error(), `updating stack "s" failed (UPDATE_ROLLBACK_COMPLETE): Repo (AWS::ECR::Repository) UPDATE_FAILED: Invalid parameter`) {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(rec.text(), "history") {
		t.Errorf("old events shown:\n%s", rec.text())
	}
	if f.called("ExecuteChangeSet") != 1 {
		t.Errorf("calls %v", f.calls)
	}
}

func TestChangeSetWithoutChanges(t *testing.T) {
	for _, reason := range []string{
		"The submitted information didn't contain changes. Submit different information to create a change set.",
		"No updates are to be performed.",
	} {
		f := newFake()
		s := f.addStack("s", "UPDATE_COMPLETE")
		s.outputs["Uri"] = "x"
		f.csStatus, f.csReason = types.ChangeSetStatusFailed, reason
		o, _, _ := testOps(f)
		existing, _ := o.describe(context.Background(), "s")
		res, err := o.deploy(context.Background(), input("s"), existing)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed || res.Operation != "none" || res.Outputs["Uri"] != "x" || res.Status != "UPDATE_COMPLETE" {
			t.Errorf("%q: result %+v", reason, res)
		}
		if f.called("DeleteChangeSet") != 1 || f.called("ExecuteChangeSet") != 0 {
			t.Errorf("%q: calls %v", reason, f.calls)
		}
	}
}

func TestChangeSetFailed(t *testing.T) {
	f := newFake()
	f.addStack("s", "CREATE_COMPLETE")
	f.csStatus, f.csReason = types.ChangeSetStatusFailed, "Template format error: Unresolved resource dependencies [Nope]"
	o, _, _ := testOps(f)
	existing, _ := o.describe(context.Background(), "s")
	_, err := o.deploy(context.Background(), input("s"), existing)
	if err == nil || !strings.Contains(err.Error(), "Unresolved resource dependencies [Nope]") {
		t.Fatalf("error %v", err)
	}
	if f.called("DeleteChangeSet") != 1 {
		t.Errorf("the failed change set was kept: %v", f.calls)
	}
}

func TestBusyStack(t *testing.T) {
	f := newFake()
	f.addStack("s", "UPDATE_IN_PROGRESS")
	o, _, _ := testOps(f)
	existing := &types.Stack{StackName: strp("s"), StackStatus: "UPDATE_IN_PROGRESS"}
	if _, err := o.deploy(context.Background(), input("s"), existing); err == nil || !strings.Contains(err.Error(), "busy (UPDATE_IN_PROGRESS)") {
		t.Fatalf("error %v", err)
	}
}

func strp(s string) *string { return &s }

// Right after ExecuteChangeSet the stack may still show the previous operation's final
// status; until the update's first event it is not taken for the update's.
func TestStaleStatusAfterExecute(t *testing.T) {
	f := newFake()
	s := f.addStack("s", "UPDATE_ROLLBACK_COMPLETE")
	f.event(s, ev{"s", stackType, "UPDATE_ROLLBACK_COMPLETE", "an earlier failure"})
	f.scripts["update"] = []phase{
		{status: "UPDATE_ROLLBACK_COMPLETE"}, // stale, no event yet
		{"UPDATE_IN_PROGRESS", []ev{{"s", stackType, "UPDATE_IN_PROGRESS", "User Initiated"}}},
		{"UPDATE_COMPLETE", []ev{{"s", stackType, "UPDATE_COMPLETE", ""}}},
	}
	o, rec, _ := testOps(f)
	existing, _ := o.describe(context.Background(), "s")
	f.mu.Lock()
	s.events = s.events[:1] // the fake's ExecuteChangeSet event would end the staleness at once
	f.mu.Unlock()
	o.c = noExecuteEvent{f}
	res, err := o.deploy(context.Background(), input("s"), existing)
	if err != nil || res.Status != "UPDATE_COMPLETE" {
		t.Fatalf("result %+v, error %v\n%s", res, err, rec.text())
	}
}

// noExecuteEvent is the fake whose ExecuteChangeSet records no event (as AWS may not have yet).
type noExecuteEvent struct{ *fakeCFN }

func (n noExecuteEvent) ExecuteChangeSet(_ context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.find(*in.StackName)
	n.start(s, "update")
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func TestTimeoutAndInterrupt(t *testing.T) {
	slow := make([]phase, 1000)
	for i := range slow {
		slow[i] = phase{status: "CREATE_IN_PROGRESS"}
	}
	f := newFake()
	f.scripts["create"] = slow
	o := newOps(f, &recorder{})
	o.interval = 5 * time.Millisecond
	in := input("s")
	in.Timeout = 30 * time.Millisecond
	_, err := o.deploy(context.Background(), in, nil)
	if err == nil || !strings.Contains(err.Error(), `creating stack "s": timed out after 30ms (last status CREATE_IN_PROGRESS)`) {
		t.Fatalf("error %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("not a deadline error: %v", err)
	}

	f = newFake()
	f.scripts["create"] = slow
	o = newOps(f, &recorder{})
	o.interval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = o.deploy(ctx, input("s"), nil)
	if !errors.Is(err, context.Canceled) || engine.ExitCode(err) != engine.ExitInterrupted {
		t.Fatalf("interrupted: %v (exit %d)", err, engine.ExitCode(err))
	}
}

func TestDeleteFailed(t *testing.T) {
	f := newFake()
	f.addStack("s", "CREATE_COMPLETE")
	f.scripts["delete"] = []phase{{"DELETE_FAILED", []ev{
		{"Repo", repoType, "DELETE_FAILED", "The repository cannot be deleted because it still contains images"},
		{"s", stackType, "DELETE_FAILED", "The following resource(s) failed to delete: [Repo]."}}}}
	o, _, _ := testOps(f)
	_, deleted, err := o.remove(context.Background(), "s", time.Minute)
	if !deleted || err == nil || !strings.Contains(err.Error(), "Repo (AWS::ECR::Repository) DELETE_FAILED: The repository cannot be deleted") {
		t.Fatalf("deleted %v, error %v", deleted, err)
	}
	if e := (*engine.Error)(nil); !errors.As(err, &e) || !strings.Contains(e.Hint, "remove what holds it") {
		t.Errorf("hint: %v", err)
	}
}

// The Lua side with the fake client: the ROLLBACK_COMPLETE confirmation and -o json events.
func fakeHarness(t *testing.T, f *fakeCFN) *enginetest.Harness {
	t.Helper()
	a := awstest.AWS()
	h := enginetest.New(t, aws.New(a), New(a))
	awstest.UseEnv(t, h, "http://127.0.0.1:1") // never reached: the fake answers
	newModule(a).service.Inject(h.Run, f)
	return h
}

func TestReplaceRollbackComplete(t *testing.T) {
	const deploy = `return cfn.deploy{stack = "s", body = "{}" %s}`
	setup := func() *fakeCFN {
		f := newFake()
		f.addStack("s", "ROLLBACK_COMPLETE")
		return f
	}

	f := setup()
	h := fakeHarness(t, f)
	_, err := h.VM.DoString("test.lua", strings.Replace(deploy, "%s", "", 1))
	if err == nil || engine.ExitCode(err) != engine.ExitUsage || !strings.Contains(err.Error(), "ROLLBACK_COMPLETE and was not replaced") {
		t.Fatalf("without a terminal or --yes: %v", err)
	}
	if f.called("DeleteStack") != 0 {
		t.Fatal("deleted without confirmation")
	}
	if !strings.Contains(h.Stderr.String(), "can only delete such a stack") {
		t.Errorf("no explanation: %s", h.Stderr)
	}

	f = setup()
	h = fakeHarness(t, f)
	h.Run.Interactive, h.Run.Stdin = true, strings.NewReader("n\n")
	if err := h.Err(strings.Replace(deploy, "%s", "", 1)); err == nil || f.called("DeleteStack") != 0 {
		t.Fatalf("answered no: %v, calls %v", err, f.calls)
	}

	for _, tc := range []struct {
		name  string
		setup func(h *enginetest.Harness)
		extra string
	}{
		{"answered yes", func(h *enginetest.Harness) { h.Run.Interactive, h.Run.Stdin = true, strings.NewReader("y\n") }, ""},
		{"--yes", func(h *enginetest.Harness) { h.Run.Yes = true }, ""},
		{"replace_failed", func(*enginetest.Harness) {}, ", replace_failed = true"},
	} {
		f := setup()
		h := fakeHarness(t, f)
		tc.setup(h)
		res := h.Do(t, strings.Replace(deploy, "%s", tc.extra, 1)+`.operation`)
		if res[0].String() != "replace" || f.called("DeleteStack") != 1 || f.called("CreateStack") != 1 {
			t.Errorf("%s: operation %v, calls %v", tc.name, res[0], f.calls)
		}
		if !strings.Contains(h.Stdout.String(), "DELETE_COMPLETE") || !strings.Contains(h.Stdout.String(), "CREATE_COMPLETE") {
			t.Errorf("%s: events not shown:\n%s", tc.name, h.Stdout)
		}
	}
}

func TestJSONEvents(t *testing.T) {
	f := newFake()
	f.scripts["create"] = []phase{{"CREATE_COMPLETE", []ev{{"Repo", repoType, "CREATE_COMPLETE", ""}, {"s", stackType, "CREATE_COMPLETE", ""}}}}
	h := fakeHarness(t, f)
	h.Run.Out.JSON = true
	h.Do(t, `cfn.deploy{stack = "s", body = "{}", tags = {team = "a"}}`)
	sc := bufio.NewScanner(strings.NewReader(h.Stdout.String()))
	var types []string
	for sc.Scan() {
		var e engine.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		types = append(types, e.Type+" "+e.Fields["status"].(string)+" "+e.Fields["logical_id"].(string))
		if e.Fields["resource_type"] == nil || e.Fields["stack"] != "s" {
			t.Errorf("fields %v", e.Fields)
		}
	}
	want := "progress CREATE_IN_PROGRESS s|info CREATE_COMPLETE Repo|info CREATE_COMPLETE s"
	if got := strings.Join(types, "|"); got != want {
		t.Errorf("events %s\nwant   %s", got, want)
	}
	// The stack is tagged as ours, with the given tags.
	tags := map[string]string{}
	for _, tag := range f.stacks["s"].tags {
		tags[*tag.Key] = *tag.Value
	}
	if tags[managedTag] != "true" || tags["team"] != "a" || len(tags) != 2 {
		t.Errorf("tags %v", tags)
	}
}
