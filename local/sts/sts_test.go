package sts_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	localsts "github.com/agentcore/agentcore/local/sts"
)

const account = "123456789012"

func client(url string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(url),
	})
}

func newService(t *testing.T) *localsts.Service {
	s, err := localsts.New(localsts.Config{Account: account})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGetCallerIdentity(t *testing.T) {
	srv := httptest.NewServer(newService(t))
	defer srv.Close()
	out, err := client(srv.URL).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != account || aws.ToString(out.Arn) != "arn:aws:iam::"+account+":user/local" || aws.ToString(out.UserId) != localsts.UserID {
		t.Fatalf("identity = %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}
}

func TestUnknownActionIsInvalidAction(t *testing.T) {
	srv := httptest.NewServer(newService(t))
	defer srv.Close()
	// The SDK's own operations other than GetCallerIdentity are not served.
	_, err := client(srv.URL).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" {
		t.Fatalf("err = %v, want InvalidAction", err)
	}

	resp, err := http.PostForm(srv.URL, url.Values{"Action": {"Nope"}, "Version": {"2011-06-15"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d", resp.StatusCode)
	}
}

func TestAWSCLISmoke(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	srv := httptest.NewServer(newService(t))
	defer srv.Close()
	cmd := exec.Command("aws", "sts", "get-caller-identity", "--endpoint-url", srv.URL, "--output", "text", "--query", "Account")
	cmd.Env = awsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != account {
		t.Fatalf("output = %q", out)
	}
}

// awsEnv is the environment with dummy credentials and no AWS settings from the machine.
func awsEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}
