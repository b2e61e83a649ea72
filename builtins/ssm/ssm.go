// Package ssm is the `ssm` Lua module: SSM Parameter Store parameters of the selected
// environment (configuration, secrets, the state store's lock and pointer). Results are shaped
// like the SSM API's output (name, value, type, version, lastModifiedDate). It reaches SSM
// through builtins/aws/awscall (awscall.SSM, which the state store shares).
package ssm

import (
	"context"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// Module is the ssm Lua module.
var Module = &engine.Module{
	Name: "ssm",
	Doc: "SSM Parameter Store of the selected environment. Decrypted SecureString values are masked " +
		"in all output. Errors keep the SSM error code first (\"ParameterAlreadyExists: ...\"); " +
		"err.aws_code holds it after pcall.",
	Classes: []*engine.Class{
		{Name: "ssm.ReadOpts", Of: readOpts{}, Doc: "decrypt (default true) for both; recursive (default true) for get_parameters_by_path."},
		{Name: "ssm.PutOpts", Of: putOpts{}},
		{Name: "ssm.Parameter", Open: true, Fields: "name: string, value: string, type: string, version: integer, lastModifiedDate?: string, ARN?: string, dataType?: string"},
		{Name: "ssm.PutResult", Fields: "version: integer, tier: string"},
	},
	Funcs: []engine.Func{
		{Name: "get_parameter", Params: "name: string, opts?: ssm.ReadOpts", Returns: "ssm.Parameter?",
			Doc: "The parameter, or nil when it does not exist. SecureString values are decrypted unless decrypt = false.",
			Fn:  getParameter},
		{Name: "put_parameter",
			Params:  "name: string, value: string, opts?: ssm.PutOpts",
			Returns: "ssm.PutResult",
			Doc: "Creates the parameter, or with overwrite = true replaces its value (a new version). " +
				"Without overwrite an existing parameter raises ParameterAlreadyExists, which makes it " +
				"usable as a lock. tags are applied on creation and, with overwrite, added afterwards.",
			Fn: putParameter},
		{Name: "delete_parameter", Params: "name: string", Returns: "boolean",
			Doc: "Deletes the parameter: true when it existed, false when there was nothing to delete.",
			Fn:  deleteParameter},
		{Name: "get_parameters_by_path", Params: "path: string, opts?: ssm.ReadOpts", Returns: "ssm.Parameter[]",
			Doc: "Every parameter under a path such as /agentcore/my-project/ (all pages).",
			Fn:  getParametersByPath},
	},
}

type readOpts struct {
	Decrypt   *bool `json:"decrypt"`
	Recursive *bool `json:"recursive"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// maskSecrets registers decrypted SecureString values as secrets of the run.
func maskSecrets(L *lua.LState, params ...types.Parameter) {
	out := engine.FromL(L).Out
	for _, p := range params {
		if p.Type == types.ParameterTypeSecureString && p.Value != nil {
			out.AddSecret(*p.Value)
		}
	}
}

func getParameter(L *lua.LState) int {
	const fn = "ssm.get_parameter"
	name := engine.StringArg(L, 1, fn, "name")
	var o readOpts
	engine.OptionsArg(L, 2, fn, &o)
	if o.Recursive != nil {
		engine.RaiseUsage(L, "", "%s: recursive is an option of ssm.get_parameters_by_path", fn)
	}
	out, err := awscall.Try(L, awscall.SSM, func(ctx context.Context, c *ssm.Client) (*ssm.GetParameterOutput, error) {
		return c.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: awssdk.Bool(orTrue(o.Decrypt))})
	})
	if awscall.IsNotFound(err) {
		L.Push(lua.LNil)
		return 1
	}
	if err != nil {
		engine.Raise(L, awscall.SSM.Error(fmt.Sprintf("reading SSM parameter %s", name), err))
	}
	maskSecrets(L, *out.Parameter)
	L.Push(engine.ToLua(L, out.Parameter))
	return 1
}

type putOpts struct {
	Type        string           `json:"type"`
	Overwrite   bool             `json:"overwrite"`
	Description *string          `json:"description"`
	KeyID       *string          `json:"key_id"`
	Tier        string           `json:"tier"`
	Tags        engine.StringMap `json:"tags"`
}

func putParameter(L *lua.LState) int {
	const fn = "ssm.put_parameter"
	name := engine.StringArg(L, 1, fn, "name")
	value := engine.StringArg(L, 2, fn, "value")
	var o putOpts
	engine.OptionsArg(L, 3, fn, &o)
	typ := types.ParameterTypeString
	switch strings.ToLower(o.Type) {
	case "", "string":
	case "stringlist":
		typ = types.ParameterTypeStringList
	case "securestring":
		typ = types.ParameterTypeSecureString
	default:
		engine.RaiseUsage(L, `use "String", "StringList" or "SecureString"`, "%s: type %q is not known", fn, o.Type)
	}
	if typ == types.ParameterTypeSecureString {
		engine.FromL(L).Out.AddSecret(value)
	}
	var tags []types.Tag
	for k, v := range o.Tags {
		tags = append(tags, types.Tag{Key: awssdk.String(k), Value: awssdk.String(v)})
	}
	out := awscall.CallOrRaise(L, awscall.SSM, fmt.Sprintf("writing SSM parameter %s", name), func(ctx context.Context, c *ssm.Client) (*ssm.PutParameterOutput, error) {
		in := &ssm.PutParameterInput{Name: &name, Value: &value, Type: typ, Overwrite: awssdk.Bool(o.Overwrite),
			Description: o.Description, KeyId: o.KeyID, Tier: types.ParameterTier(o.Tier)}
		if !o.Overwrite {
			in.Tags = tags // SSM refuses tags together with overwrite
		}
		out, err := c.PutParameter(ctx, in)
		if err != nil || !o.Overwrite || len(tags) == 0 {
			return out, err
		}
		_, err = c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceId: &name,
			ResourceType: types.ResourceTypeForTaggingParameter, Tags: tags})
		return out, err
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

func deleteParameter(L *lua.LState) int {
	name := engine.StringArg(L, 1, "ssm.delete_parameter", "name")
	_, err := awscall.Try(L, awscall.SSM, func(ctx context.Context, c *ssm.Client) (*ssm.DeleteParameterOutput, error) {
		return c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: &name})
	})
	if awscall.IsNotFound(err) {
		L.Push(lua.LFalse)
		return 1
	}
	if err != nil {
		engine.Raise(L, awscall.SSM.Error(fmt.Sprintf("deleting SSM parameter %s", name), err))
	}
	L.Push(lua.LTrue)
	return 1
}

func getParametersByPath(L *lua.LState) int {
	const fn = "ssm.get_parameters_by_path"
	path := engine.StringArg(L, 1, fn, "path")
	var o readOpts
	engine.OptionsArg(L, 2, fn, &o)
	params := awscall.CallOrRaise(L, awscall.SSM, fmt.Sprintf("reading SSM parameters under %s", path), func(ctx context.Context, c *ssm.Client) ([]types.Parameter, error) {
		var all []types.Parameter
		p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: &path,
			Recursive: awssdk.Bool(orTrue(o.Recursive)), WithDecryption: awssdk.Bool(orTrue(o.Decrypt))})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			all = append(all, page.Parameters...)
		}
		return all, nil
	})
	maskSecrets(L, params...)
	t := L.CreateTable(len(params), 0)
	for _, p := range params {
		t.Append(engine.ToLua(L, p))
	}
	L.Push(t)
	return 1
}
