package agentcore

import (
	"context"
	"sort"
	"strconv"

	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// sortNewestFirst orders runtime versions by number, the highest first: AWS documents no order
// for ListAgentRuntimeVersions, so callers never depend on the service's.
func sortNewestFirst(vs []types.AgentRuntime) {
	num := func(v types.AgentRuntime) int {
		if v.AgentRuntimeVersion == nil {
			return 0
		}
		n, _ := strconv.Atoi(*v.AgentRuntimeVersion)
		return n
	}
	sort.SliceStable(vs, func(i, j int) bool { return num(vs[i]) > num(vs[j]) })
}

func tagResource(L *lua.LState) int {
	const fn = "agentcore.tag_resource"
	arn := engine.StringArg(L, 1, fn, "resource ARN")
	var tags engine.StringMap
	if err := engine.Decode(L.CheckTable(2), &tags); err != nil {
		engine.RaiseUsage(L, "tags are a table {key = value}", "%s: %v", fn, err)
	}
	awscall.CallOrRaise(L, controlPlane, "tagging "+arn, func(ctx context.Context, c controlAPI) (*control.TagResourceOutput, error) {
		return c.TagResource(ctx, &control.TagResourceInput{ResourceArn: &arn, Tags: tags})
	})
	return 0
}

func untagResource(L *lua.LState) int {
	const fn = "agentcore.untag_resource"
	arn := engine.StringArg(L, 1, fn, "resource ARN")
	var keys engine.StringList
	if err := engine.Decode(L.CheckTable(2), &keys); err != nil {
		engine.RaiseUsage(L, "keys are a list of tag keys", "%s: %v", fn, err)
	}
	awscall.CallOrRaise(L, controlPlane, "untagging "+arn, func(ctx context.Context, c controlAPI) (*control.UntagResourceOutput, error) {
		return c.UntagResource(ctx, &control.UntagResourceInput{ResourceArn: &arn, TagKeys: keys})
	})
	return 0
}

func listTags(L *lua.LState) int {
	arn := engine.StringArg(L, 1, "agentcore.list_tags", "resource ARN")
	out, err := awscall.Try(L, controlPlane, func(ctx context.Context, c controlAPI) (*control.ListTagsForResourceOutput, error) {
		return c.ListTagsForResource(ctx, &control.ListTagsForResourceInput{ResourceArn: &arn})
	})
	if awscall.IsNotFound(err) {
		L.Push(lua.LNil)
		return 1
	}
	if err != nil {
		engine.Raise(L, controlPlane.Error("listing the tags of "+arn, err))
	}
	tags := out.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	L.Push(engine.ToLua(L, tags))
	return 1
}
