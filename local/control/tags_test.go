package control

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// TestTags: tags given at creation, TagResource, UntagResource, ListTagsForResource on a
// runtime and an endpoint, and the model's errors.
func TestTags(t *testing.T) {
	e := newEnv(t, "", 2*time.Second)
	ctx := context.Background()
	in := createInput("tagged", agentImage(t), nil)
	in.Tags = map[string]string{"agentcore:project": "p", "team": "a"}
	out, err := e.ctl.CreateAgentRuntime(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	arn := out.AgentRuntimeArn
	list := func(arn *string) map[string]string {
		t.Helper()
		l, err := e.ctl.ListTagsForResource(ctx, &ctl.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		return l.Tags
	}
	if got := list(arn); got["agentcore:project"] != "p" || got["team"] != "a" || len(got) != 2 {
		t.Fatalf("tags at creation: %v", got)
	}
	if _, err := e.ctl.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"team": "b", "cost": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ctl.UntagResource(ctx, &ctl.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"agentcore:project"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(arn); got["team"] != "b" || got["cost"] != "1" || len(got) != 2 {
		t.Fatalf("after tag and untag: %v", got)
	}
	e.waitRuntime(*out.AgentRuntimeId)
	ep, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, &ctl.CreateAgentRuntimeEndpointInput{AgentRuntimeId: out.AgentRuntimeId,
		Name: aws.String("stable"), AgentRuntimeVersion: aws.String("1"), Tags: map[string]string{"agentcore:agent": "bot"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := list(ep.AgentRuntimeEndpointArn); got["agentcore:agent"] != "bot" {
		t.Fatalf("endpoint tags: %v", got)
	}
	var nf *types.ResourceNotFoundException
	if _, err := e.ctl.ListTagsForResource(ctx, &ctl.ListTagsForResourceInput{ResourceArn: aws.String(strings.Replace(*arn, "tagged-", "ghost-", 1))}); !errors.As(err, &nf) {
		t.Fatalf("unknown runtime: %v", err)
	}
	var ve *types.ValidationException
	if _, err := e.ctl.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"aws:x": "1"}}); !errors.As(err, &ve) {
		t.Fatalf("aws: key: %v", err)
	}
	many := map[string]string{}
	for i := range 49 {
		many["k"+strings.Repeat("x", i)] = "v"
	}
	var qe *types.ServiceQuotaExceededException
	if _, err := e.ctl.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: arn, Tags: many}); !errors.As(err, &qe) {
		t.Fatalf("51 tags: %v", err)
	}
}

// TestClientToken: a retried create or update with the same token and parameters returns the
// first result and makes nothing new; the same token with other parameters is a conflict.
func TestClientToken(t *testing.T) {
	e := newEnv(t, "", 2*time.Second)
	ctx := context.Background()
	uri := agentImage(t)
	tok := "agentcore-" + strings.Repeat("0123456789", 3)
	in := createInput("idem", uri, nil)
	in.ClientToken = aws.String(tok)
	a, err := e.ctl.CreateAgentRuntime(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.ctl.CreateAgentRuntime(ctx, in)
	if err != nil || *b.AgentRuntimeId != *a.AgentRuntimeId {
		t.Fatalf("retried create: %+v %v", b, err)
	}
	var ce *types.ConflictException
	other := createInput("idem", uri, map[string]string{"X": "1"})
	other.ClientToken = aws.String(tok)
	if _, err := e.ctl.CreateAgentRuntime(ctx, other); !errors.As(err, &ce) || !strings.Contains(err.Error(), "different") {
		t.Fatalf("same token, other parameters: %v", err)
	}
	e.waitRuntime(*a.AgentRuntimeId)

	up := updateInput(*a.AgentRuntimeId, uri, map[string]string{"V": "2"})
	up.ClientToken = aws.String(tok + "u")
	u1, err := e.ctl.UpdateAgentRuntime(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	// retried while the version is still rolling out, and after
	u2, err := e.ctl.UpdateAgentRuntime(ctx, up)
	if err != nil || *u2.AgentRuntimeVersion != *u1.AgentRuntimeVersion {
		t.Fatalf("retried update: %+v %v", u2, err)
	}
	e.waitRuntime(*a.AgentRuntimeId)
	u3, err := e.ctl.UpdateAgentRuntime(ctx, up)
	if err != nil || *u3.AgentRuntimeVersion != "2" {
		t.Fatalf("retried update after it settled: %+v %v", u3, err)
	}
	vers, err := e.ctl.ListAgentRuntimeVersions(ctx, &ctl.ListAgentRuntimeVersionsInput{AgentRuntimeId: a.AgentRuntimeId})
	if err != nil || len(vers.AgentRuntimes) != 2 {
		t.Fatalf("versions after retries: %+v %v", vers, err)
	}
	up.EnvironmentVariables = map[string]string{"V": "3"}
	if _, err := e.ctl.UpdateAgentRuntime(ctx, up); !errors.As(err, &ce) {
		t.Fatalf("update, same token, other parameters: %v", err)
	}

	ein := &ctl.CreateAgentRuntimeEndpointInput{AgentRuntimeId: a.AgentRuntimeId, Name: aws.String("stable"),
		AgentRuntimeVersion: aws.String("1"), ClientToken: aws.String(tok + "e")}
	if _, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, ein); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, ein); err != nil {
		t.Fatalf("retried endpoint create: %v", err)
	}
	ein.AgentRuntimeVersion = aws.String("2")
	if _, err := e.ctl.CreateAgentRuntimeEndpoint(ctx, ein); !errors.As(err, &ce) {
		t.Fatalf("endpoint create, same token, other version: %v", err)
	}
	for i := 0; ; i++ {
		g, err := e.ctl.GetAgentRuntimeEndpoint(ctx, &ctl.GetAgentRuntimeEndpointInput{AgentRuntimeId: a.AgentRuntimeId, EndpointName: aws.String("stable")})
		if err != nil || i > 300 {
			t.Fatalf("endpoint never settled: %+v %v", g, err)
		}
		if g.Status == types.AgentRuntimeEndpointStatusReady {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	eup := &ctl.UpdateAgentRuntimeEndpointInput{AgentRuntimeId: a.AgentRuntimeId, EndpointName: aws.String("stable"),
		AgentRuntimeVersion: aws.String("2"), ClientToken: aws.String(tok + "f")}
	for range 2 { // the second while UPDATING: not a conflict, the same call
		if _, err := e.ctl.UpdateAgentRuntimeEndpoint(ctx, eup); err != nil {
			t.Fatalf("endpoint update: %v", err)
		}
	}
}
