package agentcore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// runtimeSpec is the options table of create_runtime: a new runtime's name and role, its tags,
// and its settings.
type runtimeSpec struct {
	Name    string           `json:"name"`
	RoleArn string           `json:"role_arn"`
	Tags    engine.StringMap `json:"tags,omitempty"`
	runtimeSettings
}

// runtimeUpdate is the options table of update_runtime: the settings to change, and the role.
type runtimeUpdate struct {
	RoleArn string `json:"role_arn,omitempty"`
	runtimeSettings
}

// runtimeSettings are what create_runtime and update_runtime both take.
type runtimeSettings struct {
	Image    string           `json:"image,omitempty"`
	Code     *codeSpec        `json:"code,omitempty"`
	Env      engine.StringMap `json:"env,omitempty"`
	Protocol string           `json:"protocol,omitempty" lua:"\"HTTP\"|\"MCP\"|\"A2A\"|\"AGUI\""`
	Network  string           `json:"network,omitempty" lua:"\"PUBLIC\"|\"VPC\""`
	// Vpc is where a runtime in VPC mode puts its network interfaces (network = "VPC").
	Vpc         *vpcSpec       `json:"vpc,omitempty"`
	Description *string        `json:"description,omitempty"`
	Lifecycle   *lifecycleSpec `json:"lifecycle,omitempty"`
	ClientToken string         `json:"client_token,omitempty"`
	// Authorizer is inbound JWT auth (a custom JWT authorizer: Cognito or any OIDC issuer);
	// without it callers sign with IAM (SigV4). On update, false removes it.
	Authorizer *authorizerSpec `json:"authorizer,omitempty" lua:"agentcore.Authorizer|false"`
}

// vpcSpec is AgentCore's VpcConfig: the subnets and security groups of the runtime's ENIs.
type vpcSpec struct {
	Subnets        engine.StringList `json:"subnets"`
	SecurityGroups engine.StringList `json:"security_groups"`
}

// networkConfig is the API's network configuration of the settings, nil when they leave it out.
func (s *runtimeSettings) networkConfig() *types.NetworkConfiguration {
	if s.Network == "" {
		return nil
	}
	nc := &types.NetworkConfiguration{NetworkMode: types.NetworkMode(s.Network)}
	if s.Vpc != nil {
		nc.NetworkModeConfig = &types.VpcConfig{Subnets: s.Vpc.Subnets, SecurityGroups: s.Vpc.SecurityGroups}
	}
	return nc
}

// lifecycleSpec is a runtime's session lifecycle: seconds, or durations such as "15m".
type lifecycleSpec struct {
	IdleTimeout *Seconds `json:"idle_timeout,omitempty" lua:"number|string"`
	MaxLifetime *Seconds `json:"max_lifetime,omitempty" lua:"number|string"`
}

// codeSpec is a direct code deployment: a zip in S3 run by an AgentCore managed runtime.
type codeSpec struct {
	Bucket     string            `json:"bucket"`
	Key        string            `json:"key"`
	VersionID  string            `json:"version_id,omitempty"`
	Runtime    string            `json:"runtime"`
	Entrypoint engine.StringList `json:"entrypoint"`
}

type authorizerSpec struct {
	DiscoveryURL    string            `json:"discovery_url"`
	AllowedClients  engine.StringList `json:"allowed_clients,omitempty"`
	AllowedAudience engine.StringList `json:"allowed_audience,omitempty"`
	remove          bool
}

// UnmarshalJSON takes a table, or false (on update: back to IAM auth).
func (a *authorizerSpec) UnmarshalJSON(b []byte) error {
	if string(b) == "false" {
		a.remove = true
		return nil
	}
	type plain authorizerSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = authorizerSpec(p)
	return nil
}

// config is the API's authorizer configuration, nil for none.
func (a *authorizerSpec) config() types.AuthorizerConfiguration {
	if a == nil || a.remove {
		return nil
	}
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl:    awssdk.String(a.DiscoveryURL),
		AllowedClients:  a.AllowedClients,
		AllowedAudience: a.AllowedAudience,
	}}
}

// check validates what can be checked without AWS, as usage errors.
func (s *runtimeSettings) check(fn string) error {
	s.Protocol = strings.ToUpper(s.Protocol)
	switch types.ServerProtocol(s.Protocol) {
	case "", types.ServerProtocolHttp, types.ServerProtocolMcp, types.ServerProtocolA2a, types.ServerProtocolAgui:
	default:
		return engine.Usagef("use HTTP, MCP, A2A or AGUI", "%s: protocol %q is not known", fn, s.Protocol)
	}
	if a := s.Authorizer; a != nil && !a.remove {
		if !strings.HasPrefix(a.DiscoveryURL, "https://") || !strings.HasSuffix(a.DiscoveryURL, "/.well-known/openid-configuration") {
			return engine.Usagef("the issuer's https://.../.well-known/openid-configuration URL",
				"%s: authorizer.discovery_url %q is not an OpenID Connect discovery URL", fn, a.DiscoveryURL)
		}
		if len(a.AllowedClients) == 0 && len(a.AllowedAudience) == 0 {
			return engine.Usagef("", "%s: authorizer needs allowed_clients or allowed_audience", fn)
		}
	}
	s.Network = strings.ToUpper(s.Network)
	if s.Network == "" && s.Vpc != nil {
		s.Network = string(types.NetworkModeVpc)
	}
	switch s.Network {
	case "", string(types.NetworkModePublic):
		if s.Vpc != nil {
			return engine.Usagef(`leave vpc out, or use network = "VPC"`, "%s: vpc is given with network = %q", fn, s.Network)
		}
	case string(types.NetworkModeVpc):
		if s.Vpc == nil || len(s.Vpc.Subnets) == 0 || len(s.Vpc.SecurityGroups) == 0 {
			return engine.Usagef(`network = "VPC", vpc = {subnets = {"subnet-..."}, security_groups = {"sg-..."}}`,
				"%s: network VPC needs vpc.subnets and vpc.security_groups", fn)
		}
	default:
		return engine.Usagef(`use network = "PUBLIC" or "VPC"`, "%s: network %q is not known", fn, s.Network)
	}
	return nil
}

func (s *runtimeSettings) lifecycle() *types.LifecycleConfiguration {
	if s.Lifecycle == nil {
		return nil
	}
	return &types.LifecycleConfiguration{
		IdleRuntimeSessionTimeout: s.Lifecycle.IdleTimeout.int32Ptr(),
		MaxLifetime:               s.Lifecycle.MaxLifetime.int32Ptr(),
	}
}

// artifact is the runtime's artifact: the code zip when the spec has one, else the image; nil
// when the spec has neither (update keeps the current one).
func (s *runtimeSettings) artifact() types.AgentRuntimeArtifact {
	if c := s.Code; c != nil {
		loc := types.S3Location{Bucket: awssdk.String(c.Bucket), Prefix: awssdk.String(c.Key)}
		if c.VersionID != "" {
			loc.VersionId = awssdk.String(c.VersionID)
		}
		return &types.AgentRuntimeArtifactMemberCodeConfiguration{Value: types.CodeConfiguration{
			Code:       &types.CodeMemberS3{Value: loc},
			Runtime:    types.AgentManagedRuntimeType(c.Runtime),
			EntryPoint: c.Entrypoint,
		}}
	}
	if s.Image == "" {
		return nil
	}
	return &types.AgentRuntimeArtifactMemberContainerConfiguration{
		Value: types.ContainerConfiguration{ContainerUri: awssdk.String(s.Image)}}
}

// checkArtifact validates the artifact fields: one of image and code (exactly one when
// required), and a code package's managed runtime.
func (s *runtimeSettings) checkArtifact(fn string, required bool) error {
	if s.Code != nil && s.Image != "" {
		return engine.Usagef("a runtime runs either a container image or code", "%s: give image or code, not both", fn)
	}
	if s.Code == nil {
		if required && s.Image == "" {
			return engine.Usagef("", "%s: image (or code = {bucket, key, runtime, entrypoint}) is required", fn)
		}
		return nil
	}
	c := s.Code
	if len(c.Entrypoint) == 0 {
		return engine.Usagef("code = {bucket =, key =, runtime = \"PYTHON_3_12\", entrypoint = {\"main.py\"}}",
			"%s: code.entrypoint is empty", fn)
	}
	valid := types.AgentManagedRuntimeType("").Values()
	for _, v := range valid {
		if string(v) == c.Runtime {
			return nil
		}
	}
	return engine.Usagef(fmt.Sprintf("use one of %v", valid), "%s: code.runtime %q is not a managed runtime", fn, c.Runtime)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m *module) luaCreateRuntime(L *lua.LState, spec runtimeSpec) (*control.CreateAgentRuntimeOutput, error) {
	const fn = "agentcore.create_runtime"
	if err := spec.checkArtifact(fn, true); err != nil {
		return nil, err
	}
	if !runtimeName.MatchString(spec.Name) {
		return nil, engine.Usagef("runtime names start with a letter and hold up to 48 letters, digits and underscores (no hyphens)",
			"%s: %q is not a valid runtime name", fn, spec.Name)
	}
	if err := spec.check(fn); err != nil {
		return nil, err
	}
	if len(spec.Env) == 0 {
		spec.Env = nil // env = {} on create: no variables, rather than an empty map on the wire
	}
	in := &control.CreateAgentRuntimeInput{
		AgentRuntimeName:       &spec.Name,
		AgentRuntimeArtifact:   spec.artifact(),
		RoleArn:                &spec.RoleArn,
		NetworkConfiguration:   spec.networkConfig(),
		ProtocolConfiguration:  &types.ProtocolConfiguration{ServerProtocol: types.ServerProtocol(orDefault(spec.Protocol, "HTTP"))},
		Description:            spec.Description,
		EnvironmentVariables:   spec.Env,
		LifecycleConfiguration: spec.lifecycle(),
		Tags:                   spec.Tags,
	}
	if in.NetworkConfiguration == nil {
		in.NetworkConfiguration = &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}
	}
	if spec.Authorizer != nil {
		in.AuthorizerConfiguration = spec.Authorizer.config()
	}
	if spec.ClientToken != "" {
		in.ClientToken = &spec.ClientToken
	}
	return awscall.Call(L, m.controlPlane, fmt.Sprintf("creating agent runtime %q", spec.Name), func(ctx context.Context, c controlAPI) (*control.CreateAgentRuntimeOutput, error) {
		return c.CreateAgentRuntime(ctx, in)
	})
}

func (m *module) luaUpdateRuntime(L *lua.LState, id string, spec runtimeUpdate) (*control.UpdateAgentRuntimeOutput, error) {
	const fn = "agentcore.update_runtime"
	if err := spec.check(fn); err != nil {
		return nil, err
	}
	if err := spec.checkArtifact(fn, false); err != nil {
		return nil, err
	}
	return awscall.Call(L, m.controlPlane, fmt.Sprintf("updating agent runtime %s", id), func(ctx context.Context, c controlAPI) (*control.UpdateAgentRuntimeOutput, error) {
		// UpdateAgentRuntime replaces the whole configuration: start from the current one so
		// that what the caller leaves out keeps its value.
		cur, err := c.GetAgentRuntime(ctx, &control.GetAgentRuntimeInput{AgentRuntimeId: &id})
		if err != nil {
			return nil, err
		}
		in := &control.UpdateAgentRuntimeInput{
			AgentRuntimeId:                &id,
			AgentRuntimeArtifact:          cur.AgentRuntimeArtifact,
			RoleArn:                       cur.RoleArn,
			NetworkConfiguration:          cur.NetworkConfiguration,
			ProtocolConfiguration:         cur.ProtocolConfiguration,
			Description:                   cur.Description,
			EnvironmentVariables:          cur.EnvironmentVariables,
			LifecycleConfiguration:        cur.LifecycleConfiguration,
			AuthorizerConfiguration:       cur.AuthorizerConfiguration,
			RequestHeaderConfiguration:    cur.RequestHeaderConfiguration,
			AllowedPorts:                  cur.AllowedPorts,
			CapacityProviderConfiguration: cur.CapacityProviderConfiguration,
			FilesystemConfigurations:      cur.FilesystemConfigurations,
			HooksConfiguration:            cur.HooksConfiguration,
			MetadataConfiguration:         cur.MetadataConfiguration,
			PlatformVersion:               cur.PlatformVersion,
			ResourceConfigurations:        cur.ResourceConfigurations,
		}
		if art := spec.artifact(); art != nil {
			in.AgentRuntimeArtifact = art
		}
		if spec.RoleArn != "" {
			in.RoleArn = &spec.RoleArn
		}
		if nc := spec.networkConfig(); nc != nil {
			in.NetworkConfiguration = nc
		} else if in.NetworkConfiguration == nil {
			in.NetworkConfiguration = &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}
		}
		if spec.Protocol != "" {
			in.ProtocolConfiguration = &types.ProtocolConfiguration{ServerProtocol: types.ServerProtocol(spec.Protocol)}
		}
		if spec.Description != nil {
			in.Description = spec.Description
		}
		if spec.Env != nil {
			in.EnvironmentVariables = spec.Env
		}
		if lc := spec.lifecycle(); lc != nil {
			in.LifecycleConfiguration = lc
		}
		if spec.Authorizer != nil {
			in.AuthorizerConfiguration = spec.Authorizer.config()
		}
		if spec.ClientToken != "" {
			in.ClientToken = &spec.ClientToken
		}
		return c.UpdateAgentRuntime(ctx, in)
	})
}

type getOpts struct {
	Version Version `json:"version,omitempty" lua:"string|integer"`
}

func (m *module) luaGetRuntime(L *lua.LState, id string, o getOpts) (*control.GetAgentRuntimeOutput, error) {
	out, err := awscall.Try(L, m.controlPlane, func(ctx context.Context, c controlAPI) (*control.GetAgentRuntimeOutput, error) {
		return c.GetAgentRuntime(ctx, &control.GetAgentRuntimeInput{AgentRuntimeId: &id, AgentRuntimeVersion: o.Version.ptr()})
	})
	return orNil(m.controlPlane, out, err, "getting agent runtime "+id)
}

// orNil returns out, nil for a not-found error, and any other error explained by sv.
func orNil[T any](sv *awscall.Service[controlAPI], out *T, err error, doing string) (*T, error) {
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, sv.Error(doing, err)
	}
	return out, nil
}

func (m *module) luaListRuntimes(L *lua.LState) ([]types.AgentRuntime, error) {
	return awscall.Call(L, m.controlPlane, "listing agent runtimes", func(ctx context.Context, c controlAPI) ([]types.AgentRuntime, error) {
		return allPages(ctx, control.NewListAgentRuntimesPaginator(c, &control.ListAgentRuntimesInput{}),
			func(o *control.ListAgentRuntimesOutput) []types.AgentRuntime { return o.AgentRuntimes })
	})
}

func (m *module) luaListVersions(L *lua.LState, id string) ([]types.AgentRuntime, error) {
	all, err := awscall.Call(L, m.controlPlane, "listing the versions of agent runtime "+id, func(ctx context.Context, c controlAPI) ([]types.AgentRuntime, error) {
		return allPages(ctx, control.NewListAgentRuntimeVersionsPaginator(c, &control.ListAgentRuntimeVersionsInput{AgentRuntimeId: &id}),
			func(o *control.ListAgentRuntimeVersionsOutput) []types.AgentRuntime { return o.AgentRuntimes })
	})
	sortNewestFirst(all)
	return all, err
}

// pager is what the SDK's paginators of this service have in common.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*control.Options)) (O, error)
}

// allPages follows every page and collects the items each one holds.
func allPages[O any, T any](ctx context.Context, p pager[O], items func(O) []T) ([]T, error) {
	var all []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, items(page)...)
	}
	return all, nil
}

func (m *module) luaDeleteRuntime(L *lua.LState, id string) (*control.DeleteAgentRuntimeOutput, error) {
	return awscall.Call(L, m.controlPlane, "deleting agent runtime "+id, func(ctx context.Context, c controlAPI) (*control.DeleteAgentRuntimeOutput, error) {
		return c.DeleteAgentRuntime(ctx, &control.DeleteAgentRuntimeInput{AgentRuntimeId: &id})
	})
}

// endpointOpts is the options table of create_endpoint.
type endpointOpts struct {
	endpointUpdate
	Tags engine.StringMap `json:"tags,omitempty"`
}

// endpointUpdate is the options table of update_endpoint (tags are set on creation only).
type endpointUpdate struct {
	Version     Version `json:"version,omitempty" lua:"string|integer"`
	Description *string `json:"description,omitempty"`
	ClientToken string  `json:"client_token,omitempty"`
}

func (o endpointUpdate) token() *string {
	if o.ClientToken == "" {
		return nil
	}
	return &o.ClientToken
}

func (m *module) luaCreateEndpoint(L *lua.LState, id, name string, o endpointOpts) (*control.CreateAgentRuntimeEndpointOutput, error) {
	return awscall.Call(L, m.controlPlane, fmt.Sprintf("creating endpoint %q of agent runtime %s", name, id), func(ctx context.Context, c controlAPI) (*control.CreateAgentRuntimeEndpointOutput, error) {
		return c.CreateAgentRuntimeEndpoint(ctx, &control.CreateAgentRuntimeEndpointInput{AgentRuntimeId: &id, Name: &name,
			AgentRuntimeVersion: o.Version.ptr(), Description: o.Description, Tags: o.Tags, ClientToken: o.token()})
	})
}

func (m *module) luaUpdateEndpoint(L *lua.LState, id, name string, o endpointUpdate) (*control.UpdateAgentRuntimeEndpointOutput, error) {
	return awscall.Call(L, m.controlPlane, fmt.Sprintf("updating endpoint %q of agent runtime %s", name, id), func(ctx context.Context, c controlAPI) (*control.UpdateAgentRuntimeEndpointOutput, error) {
		return c.UpdateAgentRuntimeEndpoint(ctx, &control.UpdateAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name,
			AgentRuntimeVersion: o.Version.ptr(), Description: o.Description, ClientToken: o.token()})
	})
}

func (m *module) luaGetEndpoint(L *lua.LState, id, name string) (*control.GetAgentRuntimeEndpointOutput, error) {
	out, err := awscall.Try(L, m.controlPlane, func(ctx context.Context, c controlAPI) (*control.GetAgentRuntimeEndpointOutput, error) {
		return c.GetAgentRuntimeEndpoint(ctx, &control.GetAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name})
	})
	return orNil(m.controlPlane, out, err, fmt.Sprintf("getting endpoint %q of agent runtime %s", name, id))
}

func (m *module) luaListEndpoints(L *lua.LState, id string) ([]types.AgentRuntimeEndpoint, error) {
	return awscall.Call(L, m.controlPlane, "listing the endpoints of agent runtime "+id, func(ctx context.Context, c controlAPI) ([]types.AgentRuntimeEndpoint, error) {
		return allPages(ctx, control.NewListAgentRuntimeEndpointsPaginator(c, &control.ListAgentRuntimeEndpointsInput{AgentRuntimeId: &id}),
			func(o *control.ListAgentRuntimeEndpointsOutput) []types.AgentRuntimeEndpoint {
				return o.RuntimeEndpoints
			})
	})
}

func (m *module) luaDeleteEndpoint(L *lua.LState, id, name string) (*control.DeleteAgentRuntimeEndpointOutput, error) {
	return awscall.Call(L, m.controlPlane, fmt.Sprintf("deleting endpoint %q of agent runtime %s", name, id), func(ctx context.Context, c controlAPI) (*control.DeleteAgentRuntimeEndpointOutput, error) {
		return c.DeleteAgentRuntimeEndpoint(ctx, &control.DeleteAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name})
	})
}
