package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/registry"

	"github.com/agentcore/agentcore/internal/dockerclient"
	testagent "github.com/agentcore/agentcore/internal/testagent/build"
	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/control"
)

type running struct {
	srv  *Server
	url  string
	cfg  aws.Config // signed with the server's own credentials
	done chan error
}

func start(t testing.TB, dir string) *running {
	t.Helper()
	srv, err := New(Config{Dir: dir, PingTimeout: 30 * time.Second, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{srv: srv, url: "http://" + ln.Addr().String(), cfg: awsConfig(srv.Credentials()), done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ln) }()
	return r
}

func (r *running) stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-r.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func awsConfig(c auth.Credentials) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")}
}

// get makes a signed GET, as the CLI's health check does.
func (r *running) get(t *testing.T, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url+path, nil)
	if err := auth.Sign(req, r.srv.Credentials(), "us-east-1", "agentcore-local", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestServer runs the whole endpoint: health, STS, SSM and ECR dispatch, an image pushed to the
// server's own registry, a runtime created from it and invoked, then a restart that finds the
// container again (and recreates it from the registry on its new port), and Reset.
func TestServer(t *testing.T) {
	cli, err := dockerclient.New()
	if err == nil {
		_, err = cli.Ping(context.Background())
		cli.NegotiateAPIVersion(context.Background()) // before concurrent use: the client's negotiation races
	}
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	dir := t.TempDir()
	t.Cleanup(func() { Reset(context.Background(), dir) })
	r := start(t, dir)
	ctx := context.Background()
	cfg := r.cfg

	resp := r.get(t, "/_agentcore/health")
	var health map[string]any
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if health["status"] != "ok" || health["account"] != "123456789012" || health["region"] != "us-east-1" || health["pid"] == nil {
		t.Fatalf("health: %v", health)
	}

	who, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(r.url) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != "123456789012" {
		t.Fatalf("GetCallerIdentity: %+v %v", who, err)
	}
	ssmc := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(r.url) })
	if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/agentcore/test"), Value: aws.String("v"), Type: "String"}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	ecrc := ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = aws.String(r.url) })
	repo, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("server-agent")})
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	uri := aws.ToString(repo.Repository.RepositoryUri) + ":v1"
	if !strings.HasPrefix(uri, strings.TrimPrefix(r.url, "http://")+"/") {
		t.Fatalf("repositoryUri %q does not name the server's address", uri)
	}
	if err := testagent.Image(t, cli, uri, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testagent.RemoveImage(cli, uri) })
	login, err := ecrc.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := testagent.Push(ctx, cli, uri, ""); err == nil || !strings.Contains(err.Error(), "no basic auth credentials") {
		t.Fatalf("push without credentials: %v", err)
	}
	if err := testagent.Push(ctx, cli, uri, registryAuth(t, login, r.url)); err != nil {
		t.Fatal(err)
	}

	ctlc := ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	created, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("server_agent"),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String(uri)}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: map[string]string{"WHO": "server"},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctlc, *created.AgentRuntimeId)
	invoke(t, r, *created.AgentRuntimeArn)
	r.stop(t)

	// Restart on another port: the running container is found again.
	r = start(t, dir)
	invoke(t, r, *created.AgentRuntimeArn)
	// Gone container: recreated from the registry, now on the new port.
	t.Cleanup(func() { testagent.RemoveImage(cli, strings.TrimPrefix(r.url, "http://")+"/server-agent:v1") })
	if err := Reset(ctx, dir); err != nil {
		t.Fatal(err)
	}
	invoke(t, r, *created.AgentRuntimeArn)
	r.stop(t)

	assertNoServerGoroutines(t)

	if err := Reset(ctx, dir); err != nil {
		t.Fatal(err)
	}
	left, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", control.LabelState+"="+dir))})
	if err != nil || len(left) != 0 {
		t.Fatalf("after Reset: %d containers, %v", len(left), err)
	}
}

func waitReady(t testing.TB, c *ctl.Client, id string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := c.GetAgentRuntime(context.Background(), &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		switch out.Status {
		case types.AgentRuntimeStatusReady:
			return
		case types.AgentRuntimeStatusCreating, types.AgentRuntimeStatusUpdating:
		default:
			t.Fatalf("runtime %s: %s: %s", id, out.Status, aws.ToString(out.FailureReason))
		}
		if time.Now().After(deadline) {
			t.Fatalf("runtime %s still %s", id, out.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func invoke(t *testing.T, r *running, arn string) {
	t.Helper()
	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	out, err := dp.InvokeAgentRuntime(context.Background(), &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Payload: []byte(`{"hi":1}`)})
	if err != nil {
		t.Fatalf("InvokeAgentRuntime: %v", err)
	}
	defer out.Response.Close()
	var ans struct {
		Env map[string]string `json:"env"`
	}
	if err := json.NewDecoder(out.Response).Decode(&ans); err != nil || ans.Env["WHO"] != "server" {
		t.Fatalf("agent answered %+v (%v)", ans, err)
	}
}

// registryAuth is the Docker engine's X-Registry-Auth for the login ECR gave, as deploy.push
// passes it.
func registryAuth(t testing.TB, login *ecr.GetAuthorizationTokenOutput, url string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(aws.ToString(login.AuthorizationData[0].AuthorizationToken))
	user, pw, ok := strings.Cut(string(b), ":")
	if err != nil || !ok {
		t.Fatalf("authorizationToken %q", b)
	}
	enc, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: user, Password: pw, ServerAddress: strings.TrimPrefix(url, "http://")})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// assertNoServerGoroutines fails if a goroutine of the server or its services outlives Shutdown.
func assertNoServerGoroutines(t *testing.T) {
	t.Helper()
	var stacks string
	for range 50 {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		leaked := false
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "agentcore/local/control.") || strings.Contains(g, "agentcore/local.(*Server)") {
				leaked = true
			}
		}
		if !leaked {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("goroutines left after Shutdown:\n%s", stacks)
}
