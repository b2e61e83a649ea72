// Package iam is the `iam` Lua module: what recipes need to know about the account's IAM
// before they deploy a stack that would create something only one of may exist (the OpenID
// Connect provider of a CI service). Roles and policies themselves are CloudFormation's job
// (templates/): this module only reads.
package iam

import (
	"context"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// New returns the iam Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "iam",
		Doc: "IAM of the selected environment's account, read-only: the OpenID Connect providers " +
			"(one per issuer URL may exist in an account, so a stack that creates one must know first).",
		Classes: []*engine.Class{
			{Name: "iam.OIDCProvider", Of: Provider{}, Doc: "An OpenID Connect provider of the account: its ARN and the issuer URL (without scheme) it names."},
		},
		Funcs: []engine.Func{
			{Name: "list_oidc_providers", Returns: "iam.OIDCProvider[]",
				Doc: "The account's OpenID Connect identity providers (IAM ListOpenIDConnectProviders), " +
					"sorted by ARN; url is the issuer without its scheme, as IAM keeps it " +
					"(\"token.actions.githubusercontent.com\"), read from the ARN.",
				Go: m.luaListOIDCProviders},
		},
	}
}

// Provider is one OpenID Connect provider of the account.
type Provider struct {
	ARN string `json:"arn" lua:"string"`
	URL string `json:"url" lua:"string"`
}

// ProviderURL is the issuer an OIDC provider's ARN names (arn:aws:iam::ACCOUNT:oidc-provider/URL).
func ProviderURL(arn string) string {
	_, url, ok := strings.Cut(arn, ":oidc-provider/")
	if !ok {
		return ""
	}
	return url
}

// module is the iam module built with the program's AWS layer.
type module struct {
	service *awscall.Service[*iam.Client] // IAM
}

func newModule(a *awscall.AWS) *module {
	return &module{service: &awscall.Service[*iam.Client]{AWS: a, Name: "iam",
		New: func(s *awscall.Session) *iam.Client { return iam.NewFromConfig(s.Config) }}}
}

func (m *module) luaListOIDCProviders(L *lua.LState) ([]Provider, error) {
	return awscall.Call(L, m.service, "listing the IAM OpenID Connect providers", func(ctx context.Context, c *iam.Client) ([]Provider, error) {
		res, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
		if err != nil {
			return nil, err
		}
		ps := make([]Provider, 0, len(res.OpenIDConnectProviderList))
		for _, p := range res.OpenIDConnectProviderList {
			arn := awssdk.ToString(p.Arn)
			ps = append(ps, Provider{ARN: arn, URL: ProviderURL(arn)})
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].ARN < ps[j].ARN })
		return ps, nil
	})
}
