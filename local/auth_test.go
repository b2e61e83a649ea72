package local

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/agentcore/agentcore/local/auth"
)

// cliEnv is what `agentcore local env` exports, for the AWS CLI and boto3 run against r.
func (r *running) cliEnv() []string {
	c := r.srv.Credentials()
	env := []string{"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey,
		"AWS_ENDPOINT_URL=" + r.url, "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// TestAuthEndToEnd runs the real server: the credentials file its first start wrote, the
// AWS CLI and boto3 with the exported variables, unsigned and rebinding requests refused,
// and registry pushes that need ECR's token.
func TestAuthEndToEnd(t *testing.T) {
	dir := t.TempDir()
	r := start(t, dir)
	defer r.stop(t)
	creds, err := auth.Load(filepath.Join(dir, auth.FileName))
	if err != nil || creds != r.srv.Credentials() {
		t.Fatalf("credentials file: %+v %v, server uses %+v", creds, err, r.srv.Credentials())
	}

	t.Run("aws cli", func(t *testing.T) {
		if _, err := exec.LookPath("aws"); err != nil {
			t.Skip("no AWS CLI")
		}
		run := func(args ...string) (string, error) {
			cmd := exec.Command("aws", args...)
			cmd.Env = r.cliEnv()
			out, err := cmd.CombinedOutput()
			return strings.TrimSpace(string(out)), err
		}
		if out, err := run("sts", "get-caller-identity", "--query", "Account", "--output", "text"); err != nil || out != "123456789012" {
			t.Fatalf("sts get-caller-identity: %s %v", out, err)
		}
		if out, err := run("ecr", "create-repository", "--repository-name", "cli-repo", "--query", "repository.repositoryName", "--output", "text"); err != nil || out != "cli-repo" {
			t.Fatalf("ecr create-repository: %s %v", out, err)
		}
		if out, err := run("ecr", "describe-repositories", "--query", "repositories[].repositoryName", "--output", "text"); err != nil || out != "cli-repo" {
			t.Fatalf("ecr describe-repositories: %s %v", out, err)
		}
		if out, err := run("bedrock-agentcore-control", "list-agent-runtimes", "--output", "json"); err != nil || !strings.Contains(out, `"agentRuntimes": []`) {
			t.Fatalf("list-agent-runtimes: %s %v", out, err)
		}
		if out, err := run("--no-sign-request", "ecr", "describe-repositories"); err == nil || !strings.Contains(out, "MissingAuthenticationTokenException") {
			t.Fatalf("unsigned: %s %v", out, err)
		}
	})

	t.Run("boto3", func(t *testing.T) {
		if exec.Command("python3", "-c", "import boto3").Run() != nil {
			t.Skip("no boto3")
		}
		script := `
import boto3, botocore
s = boto3.session.Session()
assert s.client("sts").get_caller_identity()["Account"] == "123456789012"
s.client("ssm").put_parameter(Name="/boto/p", Value="v", Type="String")
assert s.client("ssm").get_parameter(Name="/boto/p")["Parameter"]["Value"] == "v"
print(len(s.client("ecr").describe_repositories()["repositories"]) >= 0)
s.client("bedrock-agentcore-control").list_agent_runtimes()
bad = boto3.session.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
try:
    bad.client("ssm").get_parameter(Name="/boto/p")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
`
		cmd := exec.Command("python3", "-c", script)
		cmd.Env = r.cliEnv()
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "True\nUnrecognizedClientException" {
			t.Fatalf("boto3: %s %v", out, err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		port := strings.TrimPrefix(r.url, "http://127.0.0.1:")
		for _, c := range []struct {
			name, host, ctype, origin string
			sign                      bool
			code                      string
		}{
			{"unsigned", "", "application/json", "", false, "MissingAuthenticationTokenException"},
			{"rebinding", "attacker.example:" + port, "application/json", "", true, "AccessDeniedException"},
			{"text/plain", "", "text/plain", "", false, "AccessDeniedException"},
			{"origin", "", "application/json", "http://attacker.example", true, "AccessDeniedException"},
		} {
			req, _ := http.NewRequest(http.MethodPost, r.url+"/runtimes/", strings.NewReader(`{"agentRuntimeName":"x"}`))
			req.Header.Set("Content-Type", c.ctype)
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if c.sign {
				auth.Sign(req, creds, "us-east-1", "bedrock-agentcore", time.Now())
			}
			if c.host != "" {
				req.Host = c.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != c.code {
				t.Errorf("%s: %s %s", c.name, resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
			}
		}
		resp, err := http.Get(r.url + "/_agentcore/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("unsigned health: %s", resp.Status)
		}
	})

	t.Run("registry", func(t *testing.T) {
		ctx := context.Background()
		ecrc := ecr.NewFromConfig(r.cfg, func(o *ecr.Options) { o.BaseEndpoint = aws.String(r.url) })
		if _, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("pushed")}); err != nil {
			t.Fatal(err)
		}
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(strings.TrimPrefix(r.url, "http://")+"/pushed:v1", name.Insecure)
		var terr *transport.Error
		if err := remote.Write(ref, img); !errors.As(err, &terr) || terr.StatusCode != 401 {
			t.Fatalf("anonymous push: %v", err)
		}
		login, err := ecrc.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		d := login.AuthorizationData[0]
		if exp := time.Until(aws.ToTime(d.ExpiresAt)); exp < 11*time.Hour || exp > 12*time.Hour {
			t.Fatalf("token expires in %s", exp)
		}
		basic := &authn.Basic{}
		user, pw := splitToken(t, aws.ToString(d.AuthorizationToken))
		basic.Username, basic.Password = user, pw
		if err := remote.Write(ref, img, remote.WithAuth(basic)); err != nil {
			t.Fatalf("push with the ECR token: %v", err)
		}
		if _, err := remote.Get(ref); !errors.As(err, &terr) || terr.StatusCode != 401 {
			t.Fatalf("anonymous pull: %v", err)
		}
		if _, err := remote.Get(ref, remote.WithAuth(basic)); err != nil {
			t.Fatalf("pull with the ECR token: %v", err)
		}
		basic.Password = pw[:len(pw)-2] + "xx"
		if err := remote.Write(ref, img, remote.WithAuth(basic)); !errors.As(err, &terr) || terr.StatusCode != 401 {
			t.Fatalf("push with a forged token: %v", err)
		}
	})
}

func splitToken(t *testing.T, token string) (string, string) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(token)
	user, pw, ok := strings.Cut(string(b), ":")
	if err != nil || !ok {
		t.Fatalf("token %q: %v", b, err)
	}
	return user, pw
}

// TestLoopbackOnly: the listener the CLI serves on is loopback, and a request through
// another address of this machine does not get an answer.
func TestLoopbackOnly(t *testing.T) {
	ln, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() {
		t.Fatalf("listening on %s", addr)
	}
	ifaces, _ := net.InterfaceAddrs()
	for _, a := range ifaces {
		ip, _, _ := net.ParseCIDR(a.String())
		if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port)), time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("the endpoint answers on %s", ip)
		}
	}
}
