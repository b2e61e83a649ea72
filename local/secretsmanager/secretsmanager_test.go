package secretsmanager_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	bolt "go.etcd.io/bbolt"

	local "github.com/agentcore/agentcore/local/secretsmanager"
)

const (
	account = "123456789012"
	region  = "us-east-1"
)

type harness struct {
	t   *testing.T
	now time.Time
	srv *httptest.Server
	c   *sm.Client
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "local.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := local.New(local.Config{DB: db, Account: account, Region: region, Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(svc)
	t.Cleanup(func() { h.srv.Close(); db.Close() })
	h.c = sm.New(sm.Options{Region: region, BaseEndpoint: aws.String(h.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")})
	return h
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (h *harness) wantErr(err error, want string) {
	h.t.Helper()
	if code(err) != want {
		h.t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	name := "agentcore/shop/dev/openai"
	cr, err := h.c.CreateSecret(ctx, &sm.CreateSecretInput{Name: &name,
		Tags: []types.Tag{{Key: aws.String("agentcore:project"), Value: aws.String("shop")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(cr.ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:"+name+"-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:123456789012:secret:"+name)+7 || cr.VersionId != nil {
		t.Fatalf("create: %s %v", arn, cr.VersionId)
	}
	_, err = h.c.CreateSecret(ctx, &sm.CreateSecretInput{Name: &name})
	h.wantErr(err, "ResourceExistsException")
	_, err = h.c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("bad name!")})
	h.wantErr(err, "ValidationException")

	// No value yet: no AWSCURRENT.
	_, err = h.c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &name})
	h.wantErr(err, "ResourceNotFoundException")
	d, err := h.c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &arn})
	if err != nil || len(d.VersionIdsToStages) != 0 || aws.ToString(d.Name) != name || len(d.Tags) != 1 {
		t.Fatalf("describe: %v %+v", err, d)
	}

	p1, err := h.c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &name, SecretString: aws.String("one")})
	if err != nil || len(p1.VersionStages) != 1 || p1.VersionStages[0] != "AWSCURRENT" {
		t.Fatalf("put: %v %+v", err, p1)
	}
	// A retry with the same token is the same version; another value under it is refused.
	again, err := h.c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &name, SecretString: aws.String("one"), ClientRequestToken: p1.VersionId})
	if err != nil || aws.ToString(again.VersionId) != aws.ToString(p1.VersionId) {
		t.Fatalf("idempotent put: %v", err)
	}
	_, err = h.c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &name, SecretString: aws.String("other"), ClientRequestToken: p1.VersionId})
	h.wantErr(err, "ResourceExistsException")
	_, err = h.c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &name})
	h.wantErr(err, "InvalidRequestException")

	h.now = h.now.Add(time.Minute)
	p2, err := h.c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &arn, SecretString: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := h.c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &name})
	if err != nil || aws.ToString(g.SecretString) != "two" || aws.ToString(g.VersionId) != aws.ToString(p2.VersionId) {
		t.Fatalf("get current: %v %+v", err, g)
	}
	g, err = h.c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &name, VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(g.SecretString) != "one" {
		t.Fatalf("get previous: %v", err)
	}
	// A partial ARN (without the random suffix) names the secret too.
	g, err = h.c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(strings.TrimSuffix(arn, arn[len(arn)-7:])), VersionId: p1.VersionId})
	if err != nil || aws.ToString(g.SecretString) != "one" {
		t.Fatalf("get by version through a partial ARN: %v", err)
	}
	d, _ = h.c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &name})
	if len(d.VersionIdsToStages) != 2 || d.VersionIdsToStages[aws.ToString(p2.VersionId)][0] != "AWSCURRENT" || !d.LastChangedDate.Equal(h.now) {
		t.Fatalf("describe after two values: %+v", d)
	}

	_, err = h.c.TagResource(ctx, &sm.TagResourceInput{SecretId: &name, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.c.TagResource(ctx, &sm.TagResourceInput{SecretId: &name, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("a")}}})
	h.wantErr(err, "InvalidParameterException")
	if _, err = h.c.UntagResource(ctx, &sm.UntagResourceInput{SecretId: &name, TagKeys: []string{"agentcore:project"}}); err != nil {
		t.Fatal(err)
	}
	d, _ = h.c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &name})
	if len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "team" {
		t.Fatalf("tags: %+v", d.Tags)
	}

	// Scheduled deletion: hidden from the list, refused reads, restorable; then forced.
	_, err = h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: &name, RecoveryWindowInDays: aws.Int64(3)})
	h.wantErr(err, "InvalidParameterException")
	_, err = h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: &name, RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
	h.wantErr(err, "InvalidParameterException")
	del, err := h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: &name, RecoveryWindowInDays: aws.Int64(7)})
	if err != nil || !del.DeletionDate.Equal(h.now.Add(7*24*time.Hour)) {
		t.Fatalf("delete: %v %+v", err, del)
	}
	_, err = h.c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &name})
	h.wantErr(err, "InvalidRequestException")
	_, err = h.c.CreateSecret(ctx, &sm.CreateSecretInput{Name: &name})
	h.wantErr(err, "InvalidRequestException")
	l, _ := h.c.ListSecrets(ctx, &sm.ListSecretsInput{})
	if len(l.SecretList) != 0 {
		t.Fatalf("a secret scheduled for deletion is listed: %+v", l.SecretList)
	}
	l, _ = h.c.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if len(l.SecretList) != 1 || l.SecretList[0].DeletedDate == nil {
		t.Fatalf("IncludePlannedDeletion: %+v", l.SecretList)
	}
	if _, err := h.c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: &name}); err != nil {
		t.Fatal(err)
	}
	if g, err := h.c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &name}); err != nil || aws.ToString(g.SecretString) != "two" {
		t.Fatalf("restored: %v", err)
	}
	if _, err := h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: &name, ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &name})
	h.wantErr(err, "ResourceNotFoundException")
	// The same name again is a new secret with another ARN; the old ARN names nothing.
	cr2, err := h.c.CreateSecret(ctx, &sm.CreateSecretInput{Name: &name, SecretString: aws.String("three")})
	if err != nil || aws.ToString(cr2.ARN) == arn || cr2.VersionId == nil {
		t.Fatalf("created again: %v %+v", err, cr2)
	}
	_, err = h.c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &arn})
	h.wantErr(err, "ResourceNotFoundException")

	// As on AWS, forcing the deletion of a secret that does not exist succeeds; asking for a
	// recovery window of one does not.
	if _, err := h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("nothing/here"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatalf("forced deletion of nothing: %v", err)
	}
	_, err = h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("nothing/here")})
	h.wantErr(err, "ResourceNotFoundException")

	// A scheduled deletion takes effect when its date comes.
	h.c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: &name, RecoveryWindowInDays: aws.Int64(7)})
	h.now = h.now.Add(8 * 24 * time.Hour)
	_, err = h.c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &name})
	h.wantErr(err, "ResourceNotFoundException")
}

func TestListPagesAndFilters(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		h.now = h.now.Add(time.Second)
		name := fmt.Sprintf("agentcore/shop/dev/s%d", i)
		if i%2 == 1 {
			name = fmt.Sprintf("other/s%d", i)
		}
		if _, err := h.c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v"),
			Tags: []types.Tag{{Key: aws.String("agentcore:environment"), Value: aws.String("dev")}}}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := sm.NewListSecretsPaginator(h.c, &sm.ListSecretsInput{MaxResults: aws.Int32(2), SortOrder: types.SortOrderTypeAsc,
		Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"agentcore/shop/"}}}})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range out.SecretList {
			names = append(names, aws.ToString(s.Name))
			if len(s.SecretVersionsToStages) != 1 {
				t.Errorf("%s: versions %v", aws.ToString(s.Name), s.SecretVersionsToStages)
			}
		}
	}
	if want := "agentcore/shop/dev/s0 agentcore/shop/dev/s2 agentcore/shop/dev/s4 agentcore/shop/dev/s6"; strings.Join(names, " ") != want || pages != 2 {
		t.Fatalf("pages %d: %v", pages, names)
	}
	out, err := h.c.ListSecrets(ctx, &sm.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"!agentcore/"}}}})
	if err != nil || len(out.SecretList) != 3 || aws.ToString(out.SecretList[0].Name) != "other/s5" {
		t.Fatalf("negated filter, newest first: %v %d", err, len(out.SecretList))
	}
	_, err = h.c.ListSecrets(ctx, &sm.ListSecretsInput{NextToken: aws.String("!!")})
	h.wantErr(err, "InvalidNextTokenException")
	_, err = h.c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(101)})
	h.wantErr(err, "ValidationException")
}

// TestCLI drives the service with the AWS CLI (botocore's own serialisation of the model).
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the AWS CLI takes seconds per call")
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	h := newHarness(t)
	work := t.TempDir()
	cli := func(args ...string) (string, error) {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", h.srv.URL, "--output", "text"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDLOCAL", "AWS_SECRET_ACCESS_KEY=x", "AWS_SESSION_TOKEN=",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE="+filepath.Join(work, "c"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(work, "c"))
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := cli("secretsmanager", "create-secret", "--name", "cli/one", "--secret-string", "s3cr3t", "--query", "Name"); err != nil || out != "cli/one" {
		t.Fatalf("create-secret: %v %s", err, out)
	}
	if out, err := cli("secretsmanager", "get-secret-value", "--secret-id", "cli/one", "--query", "SecretString"); err != nil || out != "s3cr3t" {
		t.Fatalf("get-secret-value: %v %s", err, out)
	}
	if out, err := cli("secretsmanager", "describe-secret", "--secret-id", "cli/nope"); err == nil || !strings.Contains(out, "ResourceNotFoundException") {
		t.Fatalf("describe-secret of nothing: %v %s", err, out)
	}
	if out, err := cli("secretsmanager", "list-secrets", "--query", "SecretList[].Name"); err != nil || out != "cli/one" {
		t.Fatalf("list-secrets: %v %s", err, out)
	}
	if out, err := cli("secretsmanager", "delete-secret", "--secret-id", "cli/one", "--force-delete-without-recovery", "--query", "Name"); err != nil || out != "cli/one" {
		t.Fatalf("delete-secret: %v %s", err, out)
	}
}
