// Package ecr is the `ecr` Lua module: the image repositories agents are pushed to, and the
// registry login docker needs. Results are shaped like the ECR API's output (repositoryUri,
// imageDigest...). It reaches ECR through builtins/aws/awscall.
package ecr

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// New returns the ecr Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "ecr",
		Doc: "Amazon ECR repositories of the selected environment (or the local endpoint's registry): " +
			"create them idempotently, log docker in, list and prune images. Errors keep the ECR error " +
			"code first (\"RepositoryNotFoundException: ...\"); err.aws_code holds it after pcall.",
		Classes: []*engine.Class{
			{Name: "ecr.EnsureOpts", Of: ensureOpts{}},
			{Name: "ecr.DeleteOpts", Of: deleteOpts{}},
			{Name: "ecr.ImageFilter", Of: imageFilter{}},
			{Name: "ecr.Repository", Open: true, Doc: "A repository as ECR's API describes it (DescribeRepositories), with created from ensure_repository.",
				Fields: "repositoryName: string, repositoryUri: string, repositoryArn: string, registryId: string, createdAt?: string, imageScanningConfiguration?: table, imageTagMutability?: string, created?: boolean"},
			{Name: "ecr.Login", Of: Login{}},
			{Name: "ecr.Image", Open: true, Doc: "An image as ECR's API describes it (DescribeImages).",
				Fields: "imageDigest: string, imageTags?: string[], imagePushedAt?: string, imageSizeInBytes?: integer, repositoryName?: string, registryId?: string"},
			{Name: "ecr.BatchDeleteResult", Fields: "imageIds: table[], failures: table[]"},
			{Name: "ecr.LifecyclePolicy", Fields: "registryId: string, repositoryName: string, lifecyclePolicyText: string"},
		},
		Funcs: []engine.Func{
			{Name: "ensure_repository", Params: "name: string, opts?: ecr.EnsureOpts", Returns: "ecr.Repository",
				Doc: "Creates the repository, or describes it when it exists (created = false). For an existing " +
					"repository, scan_on_push is brought in line when given; tags and tag_mutability only apply " +
					"on creation.",
				Go: m.luaEnsureRepository},
			{Name: "describe_repository", Params: "name: string", Returns: "ecr.Repository?",
				Doc: "The repository, or nil when it does not exist.",
				Go:  m.luaDescribeRepository},
			{Name: "list_tags", Params: "name: string", Returns: "table<string, string>?",
				Doc: "The repository's tags (ListTagsForResource), or nil when it does not exist: tells a " +
					"repository agentcore created (agentcore:project, agentcore:environment, agentcore:agent) from others.",
				Go: m.luaListTags},
			{Name: "delete_repository", Params: "name: string, opts?: ecr.DeleteOpts", Returns: "ecr.Repository",
				Doc: "Deletes the repository; force = true deletes it with its images (otherwise ECR refuses " +
					"a repository that holds images: RepositoryNotEmptyException).",
				Go: m.luaDeleteRepository},
			{Name: "auth", Returns: "ecr.Login",
				Doc: "A docker login for the registry (GetAuthorizationToken): username \"AWS\", the token as " +
					"password (masked in all output) and server, the registry host. Valid for 12 hours.",
				Go: m.luaAuth},
			{Name: "describe_images", Params: "repo: string, opts?: ecr.ImageFilter", Returns: "ecr.Image[]",
				Doc: "The images of a repository (all pages), or only those with the given tags or digests.",
				Go:  m.luaDescribeImages},
			{Name: "batch_delete_images", Params: "repo: string, opts: ecr.ImageFilter", Returns: "ecr.BatchDeleteResult",
				Doc: "Deletes images by digest and/or tag. Images that do not exist come back in failures; it does not raise for them.",
				Go:  m.luaBatchDeleteImages},
			{Name: "put_lifecycle_policy", Params: "repo: string, policy: string|table", Returns: "ecr.LifecyclePolicy",
				Doc: "Sets the repository's lifecycle policy: JSON text, or a table encoded as JSON.",
				Go:  m.luaPutLifecyclePolicy},
		},
	}
}

// named refuses an empty repository name before ECR is asked: a usage error (exit 2) naming
// the argument, as for a missing one.
func named(fn, arg, name string) error {
	if name == "" {
		return engine.Usagef("", "%s: argument #1 (%s) must be a non-empty string, got an empty string", fn, arg)
	}
	return nil
}

type ensureOpts struct {
	ScanOnPush    *bool            `json:"scan_on_push,omitempty"`
	TagMutability string           `json:"tag_mutability,omitempty"`
	Tags          engine.StringMap `json:"tags,omitempty"`
}

// ensured is what ensure_repository returns: the repository, and whether this call created it.
type ensured struct {
	types.Repository
	Created bool `json:"created"`
}

func (m *module) luaEnsureRepository(L *lua.LState, name string, o ensureOpts) (*ensured, error) {
	if err := named("ecr.ensure_repository", "name", name); err != nil {
		return nil, err
	}
	switch strings.ToUpper(o.TagMutability) {
	case "", "MUTABLE", "IMMUTABLE":
	default:
		return nil, engine.Usagef(`use "MUTABLE" or "IMMUTABLE"`, "ecr.ensure_repository: tag_mutability %q is not known", o.TagMutability)
	}
	return awscall.Call(L, m.service, fmt.Sprintf("ensuring ECR repository %q", name), func(ctx context.Context, c api) (*ensured, error) {
		repo, err := describe(ctx, c, name)
		if err != nil && !awscall.IsNotFound(err) {
			return nil, err
		}
		if err == nil {
			if o.ScanOnPush != nil && (repo.ImageScanningConfiguration == nil || repo.ImageScanningConfiguration.ScanOnPush != *o.ScanOnPush) {
				out, err := c.PutImageScanningConfiguration(ctx, &ecr.PutImageScanningConfigurationInput{
					RepositoryName:             &name,
					ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: *o.ScanOnPush},
				})
				if err != nil {
					return nil, err
				}
				repo.ImageScanningConfiguration = out.ImageScanningConfiguration
			}
			return &ensured{Repository: *repo}, nil
		}
		in := &ecr.CreateRepositoryInput{RepositoryName: &name,
			ImageTagMutability: types.ImageTagMutability(strings.ToUpper(o.TagMutability))}
		if o.ScanOnPush != nil {
			in.ImageScanningConfiguration = &types.ImageScanningConfiguration{ScanOnPush: *o.ScanOnPush}
		}
		for k, v := range o.Tags {
			in.Tags = append(in.Tags, types.Tag{Key: awssdk.String(k), Value: awssdk.String(v)})
		}
		out, err := c.CreateRepository(ctx, in)
		if awscall.ErrorCode(err) == "RepositoryAlreadyExistsException" { // created concurrently
			repo, err := describe(ctx, c, name)
			if err != nil {
				return nil, err
			}
			return &ensured{Repository: *repo}, nil
		}
		if err != nil {
			return nil, err
		}
		return &ensured{Repository: *out.Repository, Created: true}, nil
	})
}

func describe(ctx context.Context, c api, name string) (*types.Repository, error) {
	out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	if err != nil {
		return nil, err
	}
	if len(out.Repositories) == 0 {
		return nil, &types.RepositoryNotFoundException{Message: awssdk.String("no repository named " + name)}
	}
	return &out.Repositories[0], nil
}

func (m *module) luaDescribeRepository(L *lua.LState, name string) (*types.Repository, error) {
	if err := named("ecr.describe_repository", "name", name); err != nil {
		return nil, err
	}
	repo, err := awscall.Try(L, m.service, func(ctx context.Context, c api) (*types.Repository, error) { return describe(ctx, c, name) })
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.service.Error(fmt.Sprintf("describing ECR repository %q", name), err)
	}
	return repo, nil
}

type deleteOpts struct {
	Force bool `json:"force,omitempty"`
}

func (m *module) luaDeleteRepository(L *lua.LState, name string, o deleteOpts) (*types.Repository, error) {
	if err := named("ecr.delete_repository", "name", name); err != nil {
		return nil, err
	}
	out, err := awscall.Call(L, m.service, fmt.Sprintf("deleting ECR repository %q", name), func(ctx context.Context, c api) (*ecr.DeleteRepositoryOutput, error) {
		return c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: &name, Force: o.Force})
	})
	if err != nil {
		return nil, err
	}
	return out.Repository, nil
}

// Login is a docker login for an ECR registry.
type Login struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Server        string `json:"server"`
	ProxyEndpoint string `json:"proxyEndpoint"`
	ExpiresAt     string `json:"expiresAt,omitempty"`
}

func loginFrom(out *ecr.GetAuthorizationTokenOutput) (*Login, error) {
	if len(out.AuthorizationData) == 0 {
		return nil, errors.New("getting an ECR login: the answer holds no authorization data")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(awssdk.ToString(d.AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("getting an ECR login: the token is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, errors.New("getting an ECR login: the token is not USER:PASSWORD")
	}
	l := &Login{Username: user, Password: pass, ProxyEndpoint: awssdk.ToString(d.ProxyEndpoint)}
	l.Server = l.ProxyEndpoint
	if u, err := url.Parse(l.ProxyEndpoint); err == nil && u.Host != "" {
		l.Server = u.Host
	}
	if d.ExpiresAt != nil {
		l.ExpiresAt = d.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return l, nil
}

func (m *module) luaAuth(L *lua.LState) (*Login, error) {
	out, err := awscall.Call(L, m.service, "getting an ECR login (GetAuthorizationToken)", func(ctx context.Context, c api) (*ecr.GetAuthorizationTokenOutput, error) {
		return c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	})
	if err != nil {
		return nil, err
	}
	login, err := loginFrom(out)
	if err != nil {
		return nil, err
	}
	engine.FromL(L).Out.AddSecret(login.Password)
	return login, nil
}

type imageFilter struct {
	Tags    engine.StringList `json:"tags,omitempty"`
	Digests engine.StringList `json:"digests,omitempty"`
}

func (f imageFilter) ids() []types.ImageIdentifier {
	var ids []types.ImageIdentifier
	for _, d := range f.Digests {
		ids = append(ids, types.ImageIdentifier{ImageDigest: awssdk.String(d)})
	}
	for _, t := range f.Tags {
		ids = append(ids, types.ImageIdentifier{ImageTag: awssdk.String(t)})
	}
	return ids
}

func (m *module) luaDescribeImages(L *lua.LState, repo string, o imageFilter) ([]types.ImageDetail, error) {
	if err := named("ecr.describe_images", "repo", repo); err != nil {
		return nil, err
	}
	return awscall.Call(L, m.service, fmt.Sprintf("describing the images of ECR repository %q", repo), func(ctx context.Context, c api) ([]types.ImageDetail, error) {
		var all []types.ImageDetail
		p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: &repo, ImageIds: o.ids()})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			all = append(all, page.ImageDetails...)
		}
		return all, nil
	})
}

func (m *module) luaBatchDeleteImages(L *lua.LState, repo string, o imageFilter) (*ecr.BatchDeleteImageOutput, error) {
	if err := named("ecr.batch_delete_images", "repo", repo); err != nil {
		return nil, err
	}
	ids := o.ids()
	if len(ids) == 0 {
		return &ecr.BatchDeleteImageOutput{}, nil
	}
	return awscall.Call(L, m.service, fmt.Sprintf("deleting %d images from ECR repository %q", len(ids), repo), func(ctx context.Context, c api) (*ecr.BatchDeleteImageOutput, error) {
		return c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: &repo, ImageIds: ids})
	})
}

func (m *module) luaPutLifecyclePolicy(L *lua.LState, repo string, policy lua.LValue) (*ecr.PutLifecyclePolicyOutput, error) {
	if err := named("ecr.put_lifecycle_policy", "repo", repo); err != nil {
		return nil, err
	}
	var text string
	switch v := policy.(type) {
	case lua.LString:
		text = string(v)
	case *lua.LTable:
		g, err := engine.ToGo(v)
		if err != nil {
			return nil, engine.Usagef("", "ecr.put_lifecycle_policy: policy: %v", err)
		}
		b, err := json.Marshal(g)
		if err != nil {
			return nil, engine.Usagef("", "ecr.put_lifecycle_policy: policy: %v", err)
		}
		text = string(b)
	default:
		return nil, engine.Usagef("pass the policy as JSON text or as a table", "ecr.put_lifecycle_policy: policy is a %s", policy.Type())
	}
	return awscall.Call(L, m.service, fmt.Sprintf("setting the lifecycle policy of ECR repository %q", repo), func(ctx context.Context, c api) (*ecr.PutLifecyclePolicyOutput, error) {
		return c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: &repo, LifecyclePolicyText: &text})
	})
}

func (m *module) luaListTags(L *lua.LState, name string) (map[string]string, error) {
	if err := named("ecr.list_tags", "name", name); err != nil {
		return nil, err
	}
	tags, err := awscall.Try(L, m.service, func(ctx context.Context, c api) (map[string]string, error) {
		repo, err := describe(ctx, c, name)
		if err != nil {
			return nil, err
		}
		out, err := c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: repo.RepositoryArn})
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, t := range out.Tags {
			m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
		}
		return m, nil
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.service.Error(fmt.Sprintf("listing the tags of ECR repository %q", name), err)
	}
	return tags, nil
}
