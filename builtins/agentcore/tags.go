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

func (m *module) luaTagResource(L *lua.LState, arn string, tags engine.StringMap) error {
	_, err := awscall.Call(L, m.controlPlane, "tagging "+arn, func(ctx context.Context, c controlAPI) (*control.TagResourceOutput, error) {
		return c.TagResource(ctx, &control.TagResourceInput{ResourceArn: &arn, Tags: tags})
	})
	return err
}

func (m *module) luaUntagResource(L *lua.LState, arn string, keys engine.StringList) error {
	_, err := awscall.Call(L, m.controlPlane, "untagging "+arn, func(ctx context.Context, c controlAPI) (*control.UntagResourceOutput, error) {
		return c.UntagResource(ctx, &control.UntagResourceInput{ResourceArn: &arn, TagKeys: keys})
	})
	return err
}

func (m *module) luaListTags(L *lua.LState, arn string) (map[string]string, error) {
	out, err := awscall.Try(L, m.controlPlane, func(ctx context.Context, c controlAPI) (*control.ListTagsForResourceOutput, error) {
		return c.ListTagsForResource(ctx, &control.ListTagsForResourceInput{ResourceArn: &arn})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.controlPlane.Error("listing the tags of "+arn, err)
	}
	if out.Tags == nil {
		return map[string]string{}, nil
	}
	return out.Tags, nil
}
