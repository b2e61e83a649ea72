package local

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/internal/dockerclient"
	testagent "github.com/agentcore/agentcore/internal/testagent/build"
)

// dockerEngine is a client of the Docker engine, its API version negotiated (before concurrent
// use: the client's negotiation races); the test is skipped without an engine.
func dockerEngine(t testing.TB) *client.Client {
	t.Helper()
	cli, err := dockerclient.New()
	if err == nil {
		_, err = cli.Ping(context.Background())
		cli.NegotiateAPIVersion(context.Background())
	}
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	return cli
}

// containerAgent builds the test agent, pushes it to a new repository of r's ECR and creates a
// runtime from it (with env), READY; it returns the runtime's id and ARN and the image URI.
func containerAgent(t testing.TB, r *running, cli *client.Client, repoName, runtimeName string, env map[string]string) (id, arn, uri string) {
	t.Helper()
	uri = pushTestAgent(t, r, cli, repoName)
	id, arn = createRuntime(t, r, runtimeName, uri, "", env)
	waitReady(t, ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) }), id)
	return id, arn, uri
}

// pushTestAgent builds the test agent and pushes it to a new repository of r's ECR; it returns
// the image URI.
func pushTestAgent(t testing.TB, r *running, cli *client.Client, repoName string) (uri string) {
	t.Helper()
	ctx := context.Background()
	ecrc := ecr.NewFromConfig(r.cfg, func(o *ecr.Options) { o.BaseEndpoint = aws.String(r.url) })
	repo, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repoName)})
	if err != nil {
		t.Fatal(err)
	}
	uri = aws.ToString(repo.Repository.RepositoryUri) + ":v1"
	if err := testagent.Image(t, cli, uri, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testagent.RemoveImage(cli, uri) })
	login, err := ecrc.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := testagent.Push(ctx, cli, uri, registryAuth(t, login, r.url)); err != nil {
		t.Fatal(err)
	}
	return uri
}

// createRuntime creates a runtime of the image uri serving protocol ("" leaves
// protocolConfiguration out: HTTP), with env; it does not wait for READY.
func createRuntime(t testing.TB, r *running, runtimeName, uri string, protocol types.ServerProtocol, env map[string]string) (id, arn string) {
	t.Helper()
	ctlc := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	in := &ctl.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String(runtimeName),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String(uri)}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: env,
	}
	if protocol != "" {
		in.ProtocolConfiguration = &types.ProtocolConfiguration{ServerProtocol: protocol}
	}
	created, err := ctlc.CreateAgentRuntime(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return *created.AgentRuntimeId, *created.AgentRuntimeArn
}
