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

// runtimeSpec is the options table of create_runtime and update_runtime.
type runtimeSpec struct {
	Name        string           `json:"name"`
	Image       string           `json:"image"`
	Code        *codeSpec        `json:"code"`
	RoleArn     string           `json:"role_arn"`
	Env         engine.StringMap `json:"env"`
	Protocol    string           `json:"protocol" lua:"\"HTTP\"|\"MCP\"|\"A2A\"|\"AGUI\""`
	Network     string           `json:"network"`
	Description *string          `json:"description"`
	Lifecycle   *struct {
		IdleTimeout *Seconds `json:"idle_timeout" lua:"number|string"`
		MaxLifetime *Seconds `json:"max_lifetime" lua:"number|string"`
	} `json:"lifecycle"`
	Tags        engine.StringMap `json:"tags"`
	ClientToken string           `json:"client_token"`
	// Authorizer is inbound JWT auth (a custom JWT authorizer: Cognito or any OIDC issuer);
	// without it callers sign with IAM (SigV4). On update, false removes it.
	Authorizer *authorizerSpec `json:"authorizer" lua:"agentcore.Authorizer|false"`
}

// codeSpec is a direct code deployment: a zip in S3 run by an AgentCore managed runtime.
type codeSpec struct {
	Bucket     string            `json:"bucket"`
	Key        string            `json:"key"`
	VersionID  string            `json:"version_id"`
	Runtime    string            `json:"runtime"`
	Entrypoint engine.StringList `json:"entrypoint"`
}

type authorizerSpec struct {
	DiscoveryURL    string            `json:"discovery_url"`
	AllowedClients  engine.StringList `json:"allowed_clients"`
	AllowedAudience engine.StringList `json:"allowed_audience"`
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

// check validates what can be checked without AWS, raising usage errors.
func (s *runtimeSpec) check(L *lua.LState, fn string) {
	if s.Name != "" && !runtimeName.MatchString(s.Name) {
		engine.RaiseUsage(L, "runtime names start with a letter and hold up to 48 letters, digits and underscores (no hyphens)",
			"%s: %q is not a valid runtime name", fn, s.Name)
	}
	s.Protocol = strings.ToUpper(s.Protocol)
	switch types.ServerProtocol(s.Protocol) {
	case "", types.ServerProtocolHttp, types.ServerProtocolMcp, types.ServerProtocolA2a, types.ServerProtocolAgui:
	default:
		engine.RaiseUsage(L, "use HTTP, MCP, A2A or AGUI", "%s: protocol %q is not known", fn, s.Protocol)
	}
	if a := s.Authorizer; a != nil && !a.remove {
		if !strings.HasPrefix(a.DiscoveryURL, "https://") || !strings.HasSuffix(a.DiscoveryURL, "/.well-known/openid-configuration") {
			engine.RaiseUsage(L, "the issuer's https://.../.well-known/openid-configuration URL",
				"%s: authorizer.discovery_url %q is not an OpenID Connect discovery URL", fn, a.DiscoveryURL)
		}
		if len(a.AllowedClients) == 0 && len(a.AllowedAudience) == 0 {
			engine.RaiseUsage(L, "", "%s: authorizer needs allowed_clients or allowed_audience", fn)
		}
	}
	s.Network = strings.ToUpper(s.Network)
	switch s.Network {
	case "", string(types.NetworkModePublic):
	case string(types.NetworkModeVpc):
		engine.RaiseUsage(L, `use network = "PUBLIC"`, "%s: VPC networking is not supported yet", fn)
	default:
		engine.RaiseUsage(L, `use network = "PUBLIC"`, "%s: network %q is not known", fn, s.Network)
	}
}

func (s *runtimeSpec) lifecycle() *types.LifecycleConfiguration {
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
func (s *runtimeSpec) artifact() types.AgentRuntimeArtifact {
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

// checkArtifact validates the artifact fields: exactly one of image and code.
func (s *runtimeSpec) checkArtifact(L *lua.LState, fn string, required bool) {
	if s.Code != nil && s.Image != "" {
		engine.RaiseUsage(L, "a runtime runs either a container image or code", "%s: give image or code, not both", fn)
	}
	if s.Code == nil {
		if required && s.Image == "" {
			engine.RaiseUsage(L, "", "%s: image (or code = {bucket, key, runtime, entrypoint}) is required", fn)
		}
		return
	}
	c := s.Code
	if c.Bucket == "" || c.Key == "" || c.Runtime == "" || len(c.Entrypoint) == 0 {
		engine.RaiseUsage(L, "code = {bucket =, key =, runtime = \"PYTHON_3_12\", entrypoint = {\"main.py\"}}",
			"%s: code needs bucket, key, runtime and entrypoint", fn)
	}
	valid := types.AgentManagedRuntimeType("").Values()
	for _, v := range valid {
		if string(v) == c.Runtime {
			return
		}
	}
	engine.RaiseUsage(L, fmt.Sprintf("use one of %v", valid), "%s: code.runtime %q is not a managed runtime", fn, c.Runtime)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func createRuntime(L *lua.LState) int {
	const fn = "agentcore.create_runtime"
	var spec runtimeSpec
	if L.Get(1) == lua.LNil {
		engine.RaiseUsage(L, "", "%s: expects a table {name=, image=, role_arn=, ...}", fn)
	}
	engine.OptionsArg(L, 1, fn, &spec)
	spec.checkArtifact(L, fn, true)
	for _, req := range []struct{ name, val string }{{"name", spec.Name}, {"role_arn", spec.RoleArn}} {
		if req.val == "" {
			engine.RaiseUsage(L, "", "%s: %s is required", fn, req.name)
		}
	}
	spec.check(L, fn)
	if len(spec.Env) == 0 {
		spec.Env = nil // env = {} on create: no variables, rather than an empty map on the wire
	}
	in := &control.CreateAgentRuntimeInput{
		AgentRuntimeName:       &spec.Name,
		AgentRuntimeArtifact:   spec.artifact(),
		RoleArn:                &spec.RoleArn,
		NetworkConfiguration:   &types.NetworkConfiguration{NetworkMode: types.NetworkMode(orDefault(spec.Network, "PUBLIC"))},
		ProtocolConfiguration:  &types.ProtocolConfiguration{ServerProtocol: types.ServerProtocol(orDefault(spec.Protocol, "HTTP"))},
		Description:            spec.Description,
		EnvironmentVariables:   spec.Env,
		LifecycleConfiguration: spec.lifecycle(),
		Tags:                   spec.Tags,
	}
	if spec.Authorizer != nil {
		in.AuthorizerConfiguration = spec.Authorizer.config()
	}
	if spec.ClientToken != "" {
		in.ClientToken = &spec.ClientToken
	}
	out := awscall.CallOrRaise(L, controlPlane, fmt.Sprintf("creating agent runtime %q", spec.Name), func(ctx context.Context, c controlAPI) (*control.CreateAgentRuntimeOutput, error) {
		return c.CreateAgentRuntime(ctx, in)
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

func updateRuntime(L *lua.LState) int {
	const fn = "agentcore.update_runtime"
	id := engine.StringArg(L, 1, fn, "runtime id")
	var spec runtimeSpec
	engine.OptionsArg(L, 2, fn, &spec)
	if spec.Name != "" {
		engine.RaiseUsage(L, "a runtime cannot be renamed: create a new one", "%s: name cannot be changed", fn)
	}
	if spec.Tags != nil {
		engine.RaiseUsage(L, "", "%s: tags are set on creation only", fn)
	}
	spec.check(L, fn)
	spec.checkArtifact(L, fn, false)
	out := awscall.CallOrRaise(L, controlPlane, fmt.Sprintf("updating agent runtime %s", id), func(ctx context.Context, c controlAPI) (*control.UpdateAgentRuntimeOutput, error) {
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
		if spec.Network != "" || in.NetworkConfiguration == nil {
			in.NetworkConfiguration = &types.NetworkConfiguration{NetworkMode: types.NetworkMode(orDefault(spec.Network, "PUBLIC"))}
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
	L.Push(engine.ToLua(L, out))
	return 1
}

type getOpts struct {
	Version Version `json:"version" lua:"string|integer"`
}

func getRuntime(L *lua.LState) int {
	const fn = "agentcore.get_runtime"
	id := engine.StringArg(L, 1, fn, "runtime id")
	var o getOpts
	engine.OptionsArg(L, 2, fn, &o)
	out, err := awscall.Try(L, controlPlane, func(ctx context.Context, c controlAPI) (*control.GetAgentRuntimeOutput, error) {
		return c.GetAgentRuntime(ctx, &control.GetAgentRuntimeInput{AgentRuntimeId: &id, AgentRuntimeVersion: o.Version.ptr()})
	})
	pushOrNil(L, out, err, "getting agent runtime "+id)
	return 1
}

// pushOrNil pushes out, or nil when err is a not-found error; any other error is raised.
func pushOrNil(L *lua.LState, out any, err error, doing string) {
	if awscall.IsNotFound(err) {
		L.Push(lua.LNil)
		return
	}
	if err != nil {
		engine.Raise(L, controlPlane.Error(doing, err))
	}
	L.Push(engine.ToLua(L, out))
}

func listRuntimes(L *lua.LState) int {
	all := awscall.CallOrRaise(L, controlPlane, "listing agent runtimes", func(ctx context.Context, c controlAPI) ([]types.AgentRuntime, error) {
		return allPages(ctx, control.NewListAgentRuntimesPaginator(c, &control.ListAgentRuntimesInput{}),
			func(o *control.ListAgentRuntimesOutput) []types.AgentRuntime { return o.AgentRuntimes })
	})
	L.Push(listToLua(L, all))
	return 1
}

func listVersions(L *lua.LState) int {
	id := engine.StringArg(L, 1, "agentcore.list_versions", "runtime id")
	all := awscall.CallOrRaise(L, controlPlane, "listing the versions of agent runtime "+id, func(ctx context.Context, c controlAPI) ([]types.AgentRuntime, error) {
		return allPages(ctx, control.NewListAgentRuntimeVersionsPaginator(c, &control.ListAgentRuntimeVersionsInput{AgentRuntimeId: &id}),
			func(o *control.ListAgentRuntimeVersionsOutput) []types.AgentRuntime { return o.AgentRuntimes })
	})
	sortNewestFirst(all)
	L.Push(listToLua(L, all))
	return 1
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

// listToLua converts a slice to a Lua list; an empty slice is an empty table, never nil.
func listToLua[T any](L *lua.LState, items []T) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for _, it := range items {
		t.Append(engine.ToLua(L, it))
	}
	return t
}

func deleteRuntime(L *lua.LState) int {
	id := engine.StringArg(L, 1, "agentcore.delete_runtime", "runtime id")
	out := awscall.CallOrRaise(L, controlPlane, "deleting agent runtime "+id, func(ctx context.Context, c controlAPI) (*control.DeleteAgentRuntimeOutput, error) {
		return c.DeleteAgentRuntime(ctx, &control.DeleteAgentRuntimeInput{AgentRuntimeId: &id})
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

type endpointOpts struct {
	Version     Version          `json:"version" lua:"string|integer"`
	Description *string          `json:"description"`
	Tags        engine.StringMap `json:"tags"`
	ClientToken string           `json:"client_token"`
}

func (o endpointOpts) token() *string {
	if o.ClientToken == "" {
		return nil
	}
	return &o.ClientToken
}

func createEndpoint(L *lua.LState) int {
	const fn = "agentcore.create_endpoint"
	id := engine.StringArg(L, 1, fn, "runtime id")
	name := engine.StringArg(L, 2, fn, "endpoint name")
	var o endpointOpts
	engine.OptionsArg(L, 3, fn, &o)
	out := awscall.CallOrRaise(L, controlPlane, fmt.Sprintf("creating endpoint %q of agent runtime %s", name, id), func(ctx context.Context, c controlAPI) (*control.CreateAgentRuntimeEndpointOutput, error) {
		return c.CreateAgentRuntimeEndpoint(ctx, &control.CreateAgentRuntimeEndpointInput{AgentRuntimeId: &id, Name: &name,
			AgentRuntimeVersion: o.Version.ptr(), Description: o.Description, Tags: o.Tags, ClientToken: o.token()})
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

func updateEndpoint(L *lua.LState) int {
	const fn = "agentcore.update_endpoint"
	id := engine.StringArg(L, 1, fn, "runtime id")
	name := engine.StringArg(L, 2, fn, "endpoint name")
	var o endpointOpts
	engine.OptionsArg(L, 3, fn, &o)
	if o.Tags != nil {
		engine.RaiseUsage(L, "", "%s: tags are set on creation only", fn)
	}
	out := awscall.CallOrRaise(L, controlPlane, fmt.Sprintf("updating endpoint %q of agent runtime %s", name, id), func(ctx context.Context, c controlAPI) (*control.UpdateAgentRuntimeEndpointOutput, error) {
		return c.UpdateAgentRuntimeEndpoint(ctx, &control.UpdateAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name,
			AgentRuntimeVersion: o.Version.ptr(), Description: o.Description, ClientToken: o.token()})
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

func getEndpoint(L *lua.LState) int {
	const fn = "agentcore.get_endpoint"
	id := engine.StringArg(L, 1, fn, "runtime id")
	name := engine.StringArg(L, 2, fn, "endpoint name")
	out, err := awscall.Try(L, controlPlane, func(ctx context.Context, c controlAPI) (*control.GetAgentRuntimeEndpointOutput, error) {
		return c.GetAgentRuntimeEndpoint(ctx, &control.GetAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name})
	})
	pushOrNil(L, out, err, fmt.Sprintf("getting endpoint %q of agent runtime %s", name, id))
	return 1
}

func listEndpoints(L *lua.LState) int {
	id := engine.StringArg(L, 1, "agentcore.list_endpoints", "runtime id")
	all := awscall.CallOrRaise(L, controlPlane, "listing the endpoints of agent runtime "+id, func(ctx context.Context, c controlAPI) ([]types.AgentRuntimeEndpoint, error) {
		return allPages(ctx, control.NewListAgentRuntimeEndpointsPaginator(c, &control.ListAgentRuntimeEndpointsInput{AgentRuntimeId: &id}),
			func(o *control.ListAgentRuntimeEndpointsOutput) []types.AgentRuntimeEndpoint {
				return o.RuntimeEndpoints
			})
	})
	L.Push(listToLua(L, all))
	return 1
}

func deleteEndpoint(L *lua.LState) int {
	const fn = "agentcore.delete_endpoint"
	id := engine.StringArg(L, 1, fn, "runtime id")
	name := engine.StringArg(L, 2, fn, "endpoint name")
	out := awscall.CallOrRaise(L, controlPlane, fmt.Sprintf("deleting endpoint %q of agent runtime %s", name, id), func(ctx context.Context, c controlAPI) (*control.DeleteAgentRuntimeEndpointOutput, error) {
		return c.DeleteAgentRuntimeEndpoint(ctx, &control.DeleteAgentRuntimeEndpointInput{AgentRuntimeId: &id, EndpointName: &name})
	})
	L.Push(engine.ToLua(L, out))
	return 1
}
