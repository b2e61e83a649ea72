// Package ssm is the `ssm` Lua module: SSM Parameter Store parameters of the selected
// environment (configuration, secrets, the state store's lock and pointer). Results are shaped
// like the SSM API's output (name, value, type, version, lastModifiedDate). It reaches SSM
// through builtins/aws/awscall (AWS.SSM, which the state store shares).
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

// New returns the ssm Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
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
				Go:  m.luaGetParameter},
			{Name: "put_parameter",
				Params:  "name: string, value: string, opts?: ssm.PutOpts",
				Returns: "ssm.PutResult",
				Doc: "Creates the parameter, or with overwrite = true replaces its value (a new version). " +
					"Without overwrite an existing parameter raises ParameterAlreadyExists, which makes it " +
					"usable as a lock. tags are applied on creation and, with overwrite, added afterwards.",
				Go: m.luaPutParameter},
			{Name: "delete_parameter", Params: "name: string", Returns: "boolean",
				Doc: "Deletes the parameter: true when it existed, false when there was nothing to delete.",
				Go:  m.luaDeleteParameter},
			{Name: "get_parameters_by_path", Params: "path: string, opts?: ssm.ReadOpts", Returns: "ssm.Parameter[]",
				Doc: "Every parameter under a path such as /agentcore/my-project/ (all pages).",
				Go:  m.luaGetParametersByPath},
		},
	}
}

// module is the ssm module built with the program's AWS layer.
type module struct {
	ssm *awscall.Service[*ssm.Client]
}

func newModule(a *awscall.AWS) *module { return &module{ssm: a.SSM()} }

type readOpts struct {
	Decrypt   *bool `json:"decrypt,omitempty"`
	Recursive *bool `json:"recursive,omitempty"`
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

func (m *module) luaGetParameter(L *lua.LState, name string, o readOpts) (*types.Parameter, error) {
	if o.Recursive != nil {
		return nil, engine.Usagef("", "ssm.get_parameter: recursive is an option of ssm.get_parameters_by_path")
	}
	out, err := awscall.Try(L, m.ssm, func(ctx context.Context, c *ssm.Client) (*ssm.GetParameterOutput, error) {
		return c.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: awssdk.Bool(orTrue(o.Decrypt))})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.ssm.Error(fmt.Sprintf("reading SSM parameter %s", name), err)
	}
	maskSecrets(L, *out.Parameter)
	return out.Parameter, nil
}

type putOpts struct {
	Type        string           `json:"type,omitempty"`
	Overwrite   bool             `json:"overwrite,omitempty"`
	Description *string          `json:"description,omitempty"`
	KeyID       *string          `json:"key_id,omitempty"`
	Tier        string           `json:"tier,omitempty"`
	Tags        engine.StringMap `json:"tags,omitempty"`
}

func (m *module) luaPutParameter(L *lua.LState, name, value string, o putOpts) (*ssm.PutParameterOutput, error) {
	const fn = "ssm.put_parameter"
	typ := types.ParameterTypeString
	switch strings.ToLower(o.Type) {
	case "", "string":
	case "stringlist":
		typ = types.ParameterTypeStringList
	case "securestring":
		typ = types.ParameterTypeSecureString
	default:
		return nil, engine.Usagef(`use "String", "StringList" or "SecureString"`, "%s: type %q is not known", fn, o.Type)
	}
	if typ == types.ParameterTypeSecureString {
		engine.FromL(L).Out.AddSecret(value)
	}
	var tags []types.Tag
	for k, v := range o.Tags {
		tags = append(tags, types.Tag{Key: awssdk.String(k), Value: awssdk.String(v)})
	}
	return awscall.Call(L, m.ssm, fmt.Sprintf("writing SSM parameter %s", name), func(ctx context.Context, c *ssm.Client) (*ssm.PutParameterOutput, error) {
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
}

func (m *module) luaDeleteParameter(L *lua.LState, name string) (bool, error) {
	_, err := awscall.Try(L, m.ssm, func(ctx context.Context, c *ssm.Client) (*ssm.DeleteParameterOutput, error) {
		return c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: &name})
	})
	if awscall.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, m.ssm.Error(fmt.Sprintf("deleting SSM parameter %s", name), err)
	}
	return true, nil
}

func (m *module) luaGetParametersByPath(L *lua.LState, path string, o readOpts) ([]types.Parameter, error) {
	params, err := awscall.Call(L, m.ssm, fmt.Sprintf("reading SSM parameters under %s", path), func(ctx context.Context, c *ssm.Client) ([]types.Parameter, error) {
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
	return params, err
}
