package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
)

// memoryCall answers a payload {"remember": TEXT, "actor": A}: with the AWS credentials and
// endpoint of its environment (the SDK's default chain, as any agent) it writes TEXT as a USER
// event of its session in the memory BEDROCK_AGENTCORE_MEMORY_ID names (as agentcore deploys
// it), then lists the session's events and answers the earlier turns: what it remembers.
func memoryCall(ctx context.Context, req map[string]any, session string) map[string]any {
	text, _ := req["remember"].(string)
	actor, _ := req["actor"].(string)
	if actor == "" {
		actor = "user-1"
	}
	out := map[string]any{}
	id := os.Getenv("BEDROCK_AGENTCORE_MEMORY_ID")
	if id == "" {
		out["error"] = "BEDROCK_AGENTCORE_MEMORY_ID is not set"
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		out["error"] = "loading the AWS config: " + err.Error()
		return out
	}
	dp := bedrockagentcore.NewFromConfig(cfg)
	var earlier []string
	p := bedrockagentcore.NewListEventsPaginator(dp, &bedrockagentcore.ListEventsInput{MemoryId: &id, ActorId: &actor,
		SessionId: &session, IncludePayloads: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			out["error"] = "ListEvents: " + err.Error()
			return out
		}
		for _, e := range page.Events {
			for _, pl := range e.Payload {
				if c, ok := pl.(*types.PayloadTypeMemberConversational); ok {
					if t, ok := c.Value.Content.(*types.ContentMemberText); ok {
						earlier = append(earlier, t.Value)
					}
				}
			}
		}
	}
	_, err = dp.CreateEvent(ctx, &bedrockagentcore.CreateEventInput{MemoryId: &id, ActorId: &actor, SessionId: &session,
		EventTimestamp: aws.Time(time.Now()), Payload: []types.PayloadType{&types.PayloadTypeMemberConversational{Value: types.Conversational{
			Role: types.RoleUser, Content: &types.ContentMemberText{Value: text}}}}})
	if err != nil {
		out["error"] = "CreateEvent: " + err.Error()
		return out
	}
	if earlier == nil {
		earlier = []string{}
	}
	out["remembered"] = earlier
	out["memoryId"] = id
	return out
}

func writeMemory(w http.ResponseWriter, r *http.Request, req map[string]any, session string) {
	writeJSON(w, memoryCall(r.Context(), req, session))
}
