package ssm_test

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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	bolt "go.etcd.io/bbolt"

	localssm "github.com/agentcore/agentcore/local/ssm"
)

const (
	account = "123456789012"
	region  = "us-east-1"
)

// harness serves the SSM handler over a bbolt file that the test can reopen.
type harness struct {
	t    *testing.T
	path string
	db   *bolt.DB
	srv  *httptest.Server
	c    *ssm.Client
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "local.db")}
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	db, err := bolt.Open(h.path, 0o600, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	handler, err := localssm.New(localssm.Config{DB: db, Account: account, Region: region})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db, h.srv = db, httptest.NewServer(handler)
	h.c = ssm.New(ssm.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(h.srv.URL),
	})
}

func (h *harness) close() {
	if h.srv != nil {
		h.srv.Close()
		h.db.Close()
		h.srv = nil
	}
}

func (h *harness) reopen() { h.close(); h.open() }

func (h *harness) put(in *ssm.PutParameterInput) *ssm.PutParameterOutput {
	h.t.Helper()
	out, err := h.c.PutParameter(context.Background(), in)
	if err != nil {
		h.t.Fatalf("PutParameter %s: %v", aws.ToString(in.Name), err)
	}
	return out
}

func wantErr[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want %T", err, err, e)
	}
	return e
}

var ctx = context.Background()

func TestPutGetVersionsAndOverwrite(t *testing.T) {
	h := newHarness(t)
	out := h.put(&ssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("v1"), Type: types.ParameterTypeString,
		Description: aws.String("the db"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if out.Version != 1 || out.Tier != types.ParameterTierStandard {
		t.Fatalf("put = %d %s", out.Version, out.Tier)
	}
	_, err := h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("v2"), Type: types.ParameterTypeString})
	wantErr[*types.ParameterAlreadyExists](t, err)

	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("v2"), Overwrite: aws.Bool(true),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if wantErr[smithyAPIError](t, err); !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("tags with overwrite: %v", err)
	}

	out = h.put(&ssm.PutParameterInput{Name: aws.String("/app/db/url"), Value: aws.String("v2"), Overwrite: aws.Bool(true)})
	if out.Version != 2 {
		t.Fatalf("version = %d", out.Version)
	}
	g, err := h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/url")})
	if err != nil {
		t.Fatal(err)
	}
	p := g.Parameter
	if aws.ToString(p.Value) != "v2" || p.Version != 2 || p.Type != types.ParameterTypeString || aws.ToString(p.DataType) != "text" ||
		aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url" || p.LastModifiedDate == nil || p.LastModifiedDate.IsZero() {
		t.Fatalf("parameter = %+v", p)
	}
	g, err = h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/url:1")})
	if err != nil || aws.ToString(g.Parameter.Value) != "v1" || aws.ToString(g.Parameter.Selector) != ":1" || aws.ToString(g.Parameter.Name) != "/app/db/url" {
		t.Fatalf("selector :1 = %+v, %v", g, err)
	}
	_, err = h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/url:7")})
	wantErr[*types.ParameterVersionNotFound](t, err)
	_, err = h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nope")})
	wantErr[*types.ParameterNotFound](t, err)

	// ARNs work as names.
	g, err = h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url")})
	if err != nil || aws.ToString(g.Parameter.Value) != "v2" {
		t.Fatalf("by ARN: %+v %v", g, err)
	}

	// Description carries over; tags were set on create only.
	d, err := h.c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	if err != nil || len(d.Parameters) != 1 || aws.ToString(d.Parameters[0].Description) != "the db" || d.Parameters[0].Version != 2 {
		t.Fatalf("describe = %+v %v", d, err)
	}
	tags, err := h.c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/app/db/url")})
	if err != nil || len(tags.TagList) != 1 || aws.ToString(tags.TagList[0].Key) != "team" {
		t.Fatalf("tags = %+v %v", tags, err)
	}

	hist, err := h.c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/app/db/url")})
	if err != nil || len(hist.Parameters) != 2 || aws.ToString(hist.Parameters[0].Value) != "v1" || hist.Parameters[1].Version != 2 ||
		aws.ToString(hist.Parameters[0].LastModifiedUser) != "arn:aws:iam::123456789012:user/local" {
		t.Fatalf("history = %+v %v", hist, err)
	}
	_, err = h.c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/nope")})
	wantErr[*types.ParameterNotFound](t, err)
}

func TestSecureStringAndTypes(t *testing.T) {
	h := newHarness(t)
	h.put(&ssm.PutParameterInput{Name: aws.String("/s/secret"), Value: aws.String("hunter2"), Type: types.ParameterTypeSecureString})
	h.put(&ssm.PutParameterInput{Name: aws.String("list"), Value: aws.String("a,b,c"), Type: types.ParameterTypeStringList})

	g, err := h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/s/secret")})
	if err != nil || aws.ToString(g.Parameter.Value) == "hunter2" || g.Parameter.Type != types.ParameterTypeSecureString {
		t.Fatalf("without decryption = %+v %v", g.Parameter, err)
	}
	g, err = h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/s/secret"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(g.Parameter.Value) != "hunter2" {
		t.Fatalf("with decryption = %+v %v", g.Parameter, err)
	}
	d, err := h.c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"SecureString"}}}})
	if err != nil || len(d.Parameters) != 1 || aws.ToString(d.Parameters[0].KeyId) != "alias/aws/ssm" {
		t.Fatalf("describe SecureString = %+v %v", d, err)
	}
	g, err = h.c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("list")})
	if err != nil || aws.ToString(g.Parameter.ARN) != "arn:aws:ssm:us-east-1:123456789012:parameter/list" || g.Parameter.Type != types.ParameterTypeStringList {
		t.Fatalf("list = %+v %v", g.Parameter, err)
	}

	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v")})
	wantErr[smithyAPIError](t, err)
	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("abc"), Type: types.ParameterTypeString, AllowedPattern: aws.String("^[0-9]+$")})
	wantErr[*types.ParameterPatternMismatchException](t, err)
	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: types.ParameterTypeString})
	if e := wantErr[smithyAPIError](t, err); e.ErrorCode() != "ValidationException" {
		t.Fatalf("relative hierarchical name: %v", err)
	}
	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/aws/x"), Value: aws.String("v"), Type: types.ParameterTypeString})
	if e := wantErr[smithyAPIError](t, err); e.ErrorCode() != "ValidationException" {
		t.Fatalf("reserved prefix: %v", err)
	}
	deep := strings.Repeat("/a", 16)
	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(deep), Value: aws.String("v"), Type: types.ParameterTypeString})
	wantErr[*types.HierarchyLevelLimitExceededException](t, err)
}

func TestTierSizeLimits(t *testing.T) {
	h := newHarness(t)
	big := strings.Repeat("x", 5000)
	_, err := h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(big), Type: types.ParameterTypeString})
	if e := wantErr[smithyAPIError](t, err); e.ErrorCode() != "ValidationException" {
		t.Fatalf("standard too big: %v", err)
	}
	out := h.put(&ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(big), Type: types.ParameterTypeString, Tier: types.ParameterTierAdvanced})
	if out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("tier = %s", out.Tier)
	}
	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(strings.Repeat("x", 8193)), Type: types.ParameterTypeString, Tier: types.ParameterTierAdvanced, Overwrite: aws.Bool(true)})
	if e := wantErr[smithyAPIError](t, err); e.ErrorCode() != "ValidationException" {
		t.Fatalf("advanced too big: %v", err)
	}
	_, err = h.c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String("small"), Tier: types.ParameterTierStandard, Overwrite: aws.Bool(true)})
	if e := wantErr[smithyAPIError](t, err); e.ErrorCode() != "ValidationException" {
		t.Fatalf("downgrade: %v", err)
	}
	out = h.put(&ssm.PutParameterInput{Name: aws.String("/it"), Value: aws.String(big), Type: types.ParameterTypeString, Tier: types.ParameterTierIntelligentTiering})
	if out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("intelligent tiering = %s", out.Tier)
	}
}

func TestGetParametersAndDelete(t *testing.T) {
	h := newHarness(t)
	h.put(&ssm.PutParameterInput{Name: aws.String("/a"), Value: aws.String("1"), Type: types.ParameterTypeString})
	h.put(&ssm.PutParameterInput{Name: aws.String("/b"), Value: aws.String("2"), Type: types.ParameterTypeString})
	out, err := h.c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a", "/missing", "/b", "/a:9"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 2 || fmt.Sprint(out.InvalidParameters) != "[/missing /a:9]" {
		t.Fatalf("GetParameters = %d params, invalid %v", len(out.Parameters), out.InvalidParameters)
	}
	_, err = h.c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/a")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/a")})
	wantErr[*types.ParameterNotFound](t, err)
	del, err := h.c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/b", "/zzz"}})
	if err != nil || fmt.Sprint(del.DeletedParameters, del.InvalidParameters) != "[/b] [/zzz]" {
		t.Fatalf("DeleteParameters = %+v %v", del, err)
	}
}

func TestGetParametersByPathPaginationAndPersistence(t *testing.T) {
	h := newHarness(t)
	var want []string
	for i := 0; i < 13; i++ {
		n := fmt.Sprintf("/env/dev/p%02d", i)
		want = append(want, n)
		h.put(&ssm.PutParameterInput{Name: aws.String(n), Value: aws.String("v"), Type: types.ParameterTypeString})
	}
	h.put(&ssm.PutParameterInput{Name: aws.String("/env/dev/deep/x"), Value: aws.String("v"), Type: types.ParameterTypeString})
	h.put(&ssm.PutParameterInput{Name: aws.String("/env/devil"), Value: aws.String("v"), Type: types.ParameterTypeString})
	h.reopen()

	collect := func(in *ssm.GetParametersByPathInput) ([]string, int) {
		var names []string
		pages := 0
		p := ssm.NewGetParametersByPathPaginator(h.c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, prm := range out.Parameters {
				names = append(names, aws.ToString(prm.Name))
			}
		}
		return names, pages
	}
	names, pages := collect(&ssm.GetParametersByPathInput{Path: aws.String("/env/dev"), MaxResults: aws.Int32(5)})
	if fmt.Sprint(names) != fmt.Sprint(want) || pages != 3 {
		t.Fatalf("one level = %v in %d pages", names, pages)
	}
	names, _ = collect(&ssm.GetParametersByPathInput{Path: aws.String("/env/dev/"), Recursive: aws.Bool(true)})
	if len(names) != 14 || names[0] != "/env/dev/deep/x" {
		t.Fatalf("recursive = %v", names)
	}
	h.put(&ssm.PutParameterInput{Name: aws.String("toplevel"), Value: aws.String("v"), Type: types.ParameterTypeString})
	names, _ = collect(&ssm.GetParametersByPathInput{Path: aws.String("/"), Recursive: aws.Bool(true)})
	if len(names) != 16 {
		t.Fatalf("root recursive = %d", len(names))
	}
	names, _ = collect(&ssm.GetParametersByPathInput{Path: aws.String("/")})
	if fmt.Sprint(names) != "[toplevel]" {
		t.Fatalf("root one level = %v", names)
	}
	_, err := h.c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("env")})
	if e := wantErr[smithyAPIError](t, err); e.ErrorCode() != "ValidationException" {
		t.Fatalf("bad path: %v", err)
	}
	_, err = h.c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/env"), NextToken: aws.String("!!!")})
	wantErr[*types.InvalidNextToken](t, err)

	var described int
	dp := ssm.NewDescribeParametersPaginator(h.c, &ssm.DescribeParametersInput{MaxResults: aws.Int32(4),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/env/dev"}}}})
	for dp.HasMorePages() {
		out, err := dp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		described += len(out.Parameters)
	}
	if described != 14 {
		t.Fatalf("described %d", described)
	}
	_, err = h.c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Bogus")}}})
	wantErr[*types.InvalidFilterKey](t, err)
}

func TestAWSCLISmoke(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	h := newHarness(t)
	h.put(&ssm.PutParameterInput{Name: aws.String("/cli/p"), Value: aws.String("hello"), Type: types.ParameterTypeString})
	cmd := exec.Command("aws", "ssm", "get-parameter", "--name", "/cli/p", "--endpoint-url", h.srv.URL, "--output", "text", "--query", "Parameter.Value")
	cmd.Env = awsEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello" {
		t.Fatalf("aws ssm get-parameter: %v\n%s", err, out)
	}
	cmd = exec.Command("aws", "ssm", "get-parameter", "--name", "/cli/none", "--endpoint-url", h.srv.URL)
	cmd.Env = awsEnv()
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ParameterNotFound") {
		t.Fatalf("missing parameter: %v\n%s", err, out)
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

// smithyAPIError lets wantErr match any modelled or generic API error by code.
type smithyAPIError = interface {
	error
	ErrorCode() string
}
