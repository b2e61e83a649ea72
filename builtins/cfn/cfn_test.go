package cfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/cfn"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

func harness(t *testing.T) (*enginetest.Harness, awssdk.Config) {
	t.Helper()
	url := awstest.Moto(t)
	h := enginetest.New(t, aws.New(awstest.AWS()), cfn.New(awstest.AWS()))
	awstest.UseEnv(t, h, url)
	cfg := awssdk.Config{Region: "us-east-1", BaseEndpoint: &url,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
	return h, cfg
}

// The repository template: create, an unchanged deploy, a parameter update through a change
// set, outputs, list, delete.
func TestDeployRepositoryTemplate(t *testing.T) {
	h, cfg := harness(t)
	h.Do(t, `
		assert(cfn.outputs("repo-stack") == nil, "missing stack has no outputs")
		local r = cfn.deploy{stack = "repo-stack", template = "ecr-repository",
			parameters = {RepositoryName = "cfn-bot", KeepImages = 10, Project = "shop", Environment = "test", Agent = "bot"},
			tags = {team = "agents"}}
		assert(r.changed == true and r.operation == "create", "created: " .. tostring(r.operation))
		assert(r.status == "CREATE_COMPLETE", r.status)
		assert(r.stack_id:find("^arn:aws:cloudformation:us%-east%-1:123456789012:stack/repo%-stack/"), r.stack_id)
		assert(r.outputs.RepositoryName == "cfn-bot", "name output " .. tostring(r.outputs.RepositoryName))
		assert(r.outputs.RepositoryUri:find("/cfn%-bot$"), r.outputs.RepositoryUri)
		assert(r.outputs.RepositoryArn == "arn:aws:ecr:us-east-1:123456789012:repository/cfn-bot", r.outputs.RepositoryArn)

		local same = cfn.deploy{stack = "repo-stack", template = "ecr-repository.yaml",
			parameters = {RepositoryName = "cfn-bot", KeepImages = 10, Project = "shop", Environment = "test", Agent = "bot"},
			tags = {team = "agents"}}
		assert(same.changed == false and same.operation == "none", "unchanged: " .. same.operation)
		assert(same.stack_id == r.stack_id, "same stack")
		assert(same.outputs.RepositoryUri == r.outputs.RepositoryUri, "outputs of an unchanged deploy")

		local upd = cfn.deploy{stack = "repo-stack", template = "ecr-repository",
			parameters = {RepositoryName = "cfn-bot", KeepImages = 20, Project = "shop", Environment = "test", Agent = "bot"}}
		assert(upd.changed == true and upd.operation == "update", "updated: " .. upd.operation)
		assert(upd.status == "UPDATE_COMPLETE", upd.status)

		local outs = cfn.outputs("repo-stack")
		assert(outs.RepositoryArn == r.outputs.RepositoryArn, "outputs()")

		local l = cfn.list()
		local found
		for _, s in ipairs(l) do if s.name == "repo-stack" then found = s end end
		assert(found, "listed")
		assert(found.status == "UPDATE_COMPLETE", found.status)
		assert(found.updated:find("^%d%d%d%d%-%d%d%-%d%dT"), found.updated)
	`)

	repos, err := ecr.NewFromConfig(cfg).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"cfn-bot"}})
	if err != nil {
		t.Fatalf("the repository was not created: %v", err)
	}
	repo := repos.Repositories[0]
	if repo.ImageScanningConfiguration == nil || !repo.ImageScanningConfiguration.ScanOnPush {
		// moto keeps the CloudFormation property as given ({"ScanOnPush": "true"}) and so answers
		// imageScanningConfiguration = {} (docs/moto-differences.md): read its stored model.
		if got := motoScanOnPush(t, "cfn-bot"); got != "true" {
			t.Errorf("scan on push not set: API %+v, moto model %q", repo.ImageScanningConfiguration, got)
		}
	}
	tags, err := ecr.NewFromConfig(cfg).ListTagsForResource(context.Background(), &ecr.ListTagsForResourceInput{ResourceArn: repo.RepositoryArn})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range tags.Tags {
		got[awssdk.ToString(tag.Key)] = awssdk.ToString(tag.Value)
	}
	for k, v := range map[string]string{"agentcore:project": "shop", "agentcore:environment": "test", "agentcore:agent": "bot"} {
		if got[k] != v {
			t.Errorf("repository tag %s = %q, want %q (tags %v)", k, got[k], v, got)
		}
	}
	out := h.Stdout.String()
	for _, want := range []string{"CREATE_IN_PROGRESS", "CREATE_COMPLETE", "repo-stack (AWS::CloudFormation::Stack)", "UPDATE_COMPLETE"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// The update path really changes the resource: scan on push off.
	h.Do(t, `
		local r = cfn.deploy{stack = "repo-stack", template = "ecr-repository",
			parameters = {RepositoryName = "cfn-bot", ScanOnPush = false, KeepImages = 20, Project = "shop", Environment = "test", Agent = "bot"}}
		assert(r.operation == "update", r.operation)
	`)
	if got := motoScanOnPush(t, "cfn-bot"); got != "false" {
		t.Errorf("after the update, scan on push is %q", got)
	}

	// A stack agentcore did not make is not listed.
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName: awssdk.String("foreign-stack"), TemplateBody: awssdk.String("Resources:\n  Repo:\n    Type: AWS::ECR::Repository\n    Properties:\n      RepositoryName: foreign\n"),
	}); err != nil {
		t.Fatal(err)
	}
	h.Do(t, `
		local names = {}
		for _, s in ipairs(cfn.list()) do names[#names + 1] = s.name end
		local text = table.concat(names, ",")
		assert(not text:find("foreign%-stack"), "unmanaged stack listed: " .. text)
		assert(text:find("repo%-stack"), "managed stack missing: " .. text)
	`)

	h.Do(t, `
		local d = cfn.delete("repo-stack")
		assert(d.deleted == true and d.status == "DELETE_COMPLETE", "deleted")
		assert(cfn.outputs("repo-stack") == nil, "gone")
		local again = cfn.delete("repo-stack", {timeout = 60})
		assert(again.deleted == false, "deleting a missing stack is success")
		for _, s in ipairs(cfn.list()) do assert(s.name ~= "repo-stack", "still listed") end
	`)
	if _, err := ecr.NewFromConfig(cfg).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"cfn-bot"}}); err == nil {
		t.Error("the repository survived the stack's deletion")
	}
}

// The role template creates a real IAM role on moto, with the trust and permission policies.
func TestDeployRoleTemplate(t *testing.T) {
	h, cfg := harness(t)
	h.Do(t, `
		local r = cfn.deploy{stack = "role-stack", template = "agent-role", capabilities = {"CAPABILITY_NAMED_IAM"},
			parameters = {RoleName = "cfn-bot-role", RuntimeName = "shop_bot",
				RepositoryArn = "arn:aws:ecr:us-east-1:123456789012:repository/cfn-bot",
				ModelArns = {"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"}}}
		assert(r.outputs.RoleName == "cfn-bot-role", tostring(r.outputs.RoleName))
		assert(r.outputs.RoleArn == "arn:aws:iam::123456789012:role/cfn-bot-role", tostring(r.outputs.RoleArn))
	`)
	c := iam.NewFromConfig(cfg)
	role, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: awssdk.String("cfn-bot-role")})
	if err != nil {
		t.Fatalf("role not created: %v", err)
	}
	trust := awssdk.ToString(role.Role.AssumeRolePolicyDocument)
	for _, want := range []string{"bedrock-agentcore.amazonaws.com", "aws:SourceAccount", "123456789012", "arn:aws:bedrock-agentcore:us-east-1:123456789012:*"} {
		if !strings.Contains(decodeURL(trust), want) {
			t.Errorf("trust policy lacks %q: %s", want, trust)
		}
	}
	pol, err := c.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: awssdk.String("cfn-bot-role"), PolicyName: awssdk.String("agentcore-runtime")})
	if err != nil {
		t.Fatalf("inline policy: %v", err)
	}
	// moto answers the policy CloudFormation passed as a Python repr ({'Sid': ...}), not JSON:
	// compare with the quotes made alike (docs/moto-differences.md).
	doc := strings.ReplaceAll(decodeURL(awssdk.ToString(pol.PolicyDocument)), "'", `"`)
	for _, want := range []string{`"Resource": "arn:aws:ecr:us-east-1:123456789012:repository/cfn-bot"`, "log-group:/aws/bedrock-agentcore/runtimes/shop_bot-*",
		"foundation-model/anthropic.claude-3-5-sonnet", "bedrock:InvokeModelWithResponseStream"} {
		if !strings.Contains(doc, want) {
			t.Errorf("policy lacks %q: %s", want, doc)
		}
	}
	h.Do(t, `assert(cfn.delete("role-stack").deleted)`)
	if _, err := c.GetRole(context.Background(), &iam.GetRoleInput{RoleName: awssdk.String("cfn-bot-role")}); err == nil {
		t.Error("role survived the stack's deletion")
	}
}

// Without models the model statement disappears (the !If takes AWS::NoValue).
func TestRoleWithoutModels(t *testing.T) {
	h, cfg := harness(t)
	h.Do(t, `cfn.deploy{stack = "role-nomodel", template = "agent-role", capabilities = {"CAPABILITY_NAMED_IAM"},
		parameters = {RoleName = "nomodel-role", RuntimeName = "nomodel",
			RepositoryArn = "arn:aws:ecr:us-east-1:123456789012:repository/nomodel"}}`)
	pol, err := iam.NewFromConfig(cfg).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: awssdk.String("nomodel-role"), PolicyName: awssdk.String("agentcore-runtime")})
	if err != nil {
		t.Fatalf("inline policy: %v", err)
	}
	if doc := decodeURL(awssdk.ToString(pol.PolicyDocument)); strings.Contains(doc, "bedrock:InvokeModel") || strings.Contains(doc, "s3:GetObject") {
		t.Errorf("model or code statement present without models or code: %s", doc)
	}
	h.Do(t, `cfn.delete("role-nomodel")`)
}

// The code bucket template on moto: the bucket exists with its settings, named or generated.
func TestCodeBucketTemplateOnMoto(t *testing.T) {
	h, cfg := harness(t)
	name := fmt.Sprintf("cfn-code-%d", time.Now().UnixNano())
	h.Do(t, `
		local r = cfn.deploy{stack = "code-bucket", template = "code-bucket",
			parameters = {Project = "shop", Environment = "dev", BucketName = "`+name+`"}}
		assert(r.status == "CREATE_COMPLETE", r.status)
		assert(r.outputs.BucketName == "`+name+`", tostring(r.outputs.BucketName))
		assert(r.outputs.BucketArn == "arn:aws:s3:::`+name+`", tostring(r.outputs.BucketArn))
	`)
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	// moto applies only BucketEncryption and Tags of an AWS::S3::Bucket, and skips
	// AWS::S3::BucketPolicy (docs/moto-differences.md); templates/lint_test.go checks the rest of
	// the template's shape.
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &name})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
		t.Errorf("encryption %v %v", enc, err)
	}
	tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &name})
	if err != nil || len(tags.TagSet) < 2 {
		t.Errorf("tags %v %v", tags, err)
	}
	h.Do(t, `assert(cfn.delete("code-bucket").deleted)`)

	// Without BucketName, CloudFormation names it.
	h.Do(t, `
		local r = cfn.deploy{stack = "code-bucket-gen", template = "code-bucket", parameters = {Project = "shop", Environment = "dev"}}
		assert(r.outputs.BucketName ~= "" and r.outputs.BucketArn == "arn:aws:s3:::" .. r.outputs.BucketName, r.outputs.BucketArn)
		cfn.delete("code-bucket-gen")
	`)
}

// With CodeObjectArn the role may read exactly those objects.
func TestRoleWithCode(t *testing.T) {
	h, cfg := harness(t)
	h.Do(t, `cfn.deploy{stack = "role-code", template = "agent-role", capabilities = {"CAPABILITY_NAMED_IAM"},
		parameters = {RoleName = "code-role", RuntimeName = "code_bot",
			RepositoryArn = "arn:aws:ecr:us-east-1:123456789012:repository/code-bot",
			CodeObjectArn = "arn:aws:s3:::shop-dev-code/agents/code-bot/*"}}`)
	pol, err := iam.NewFromConfig(cfg).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: awssdk.String("code-role"), PolicyName: awssdk.String("agentcore-runtime")})
	if err != nil {
		t.Fatalf("inline policy: %v", err)
	}
	doc := strings.ReplaceAll(decodeURL(awssdk.ToString(pol.PolicyDocument)), "'", `"`)
	for _, want := range []string{"s3:GetObjectVersion", `"Resource": "arn:aws:s3:::shop-dev-code/agents/code-bot/*"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("policy lacks %q: %s", want, doc)
		}
	}
	h.Do(t, `cfn.delete("role-code")`)
}

// motoScanOnPush reads the repository's scan-on-push setting from moto's own model
// (/moto-api/data.json), where the value CloudFormation passed is kept.
func motoScanOnPush(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Get(awstest.Moto(t) + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var data struct {
		ECR struct {
			Repository []struct {
				Name   string         `json:"name"`
				Config map[string]any `json:"image_scanning_configuration"`
			}
		} `json:"ecr"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatal(err)
	}
	for _, r := range data.ECR.Repository {
		if r.Name == name {
			return fmt.Sprint(r.Config["ScanOnPush"])
		}
	}
	return ""
}

func decodeURL(s string) string {
	r := strings.NewReplacer("%22", `"`, "%3A", ":", "%2F", "/", "%2A", "*", "%7B", "{", "%7D", "}", "%2C", ",", "%20", " ", "%5B", "[", "%5D", "]")
	return r.Replace(s)
}

func TestErrors(t *testing.T) {
	h, _ := harness(t)
	for _, tc := range []struct{ code, want string }{
		{`cfn.deploy{stack = "x"}`, "template or body is required"},
		{`cfn.deploy{stack = "x", template = "nope"}`, `no embedded template "nope"`},
		{`cfn.deploy{stack = "x", template = "cognito", body = "{}"}`, "not both"},
		{`cfn.deploy{stack = "1bad", template = "cognito"}`, `invalid stack name "1bad"`},
		{`cfn.deploy{stack = "x", template = "cognito", timout = 5}`, `unknown option "timout" (did you mean "timeout"?)`},
		{`cfn.deploy{stack = "x", template = "cognito", capabilities = {"CAPABILITY_ALL"}}`, `unknown capability "CAPABILITY_ALL"`},
		{`cfn.deploy{stack = "x", template = "cognito", timeout = 0}`, "timeout must be a positive number"},
		{`cfn.deploy{stack = "x", template = "cognito", parameters = {A = {b = 1}}}`, "parameter A"},
		{`cfn.deploy("x")`, "argument #1 (opts) must be a table (cfn.DeployOpts), got a string"},
	} {
		err := h.Err(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
	h.Do(t, `
		local body = cfn.template("agent-role")
		assert(body:find("bedrock%-agentcore.amazonaws.com"), "template text")
		assert(cfn.template("agent-role.yaml") == body, "with extension")
		local ok, err = pcall(cfn.template, "nope")
		assert(not ok and err.code == 2, "usage error")
		assert(err.hint == "the embedded templates are: agent-role, ci-role, code-bucket, cognito, ecr-repository, gateway-role, observability", err.hint)
	`)
}

// A resource with an invalid property. AWS accepts CreateStack, fails the resource
// (CREATE_FAILED, then ROLLBACK_COMPLETE), and our error names it; moto instead fails the
// CreateStack call itself with the resource's error and leaves the stack CREATE_IN_PROGRESS for
// ever (docs/moto-differences.md). On moto we check that the error carries the stack, the
// reason and the AWS code, that a later deploy says the stack is busy, and that delete cleans
// up. The CREATE_FAILED/ROLLBACK_COMPLETE path runs against the fake in ops_test.go.
func TestDeployInvalidProperty(t *testing.T) {
	h, _ := harness(t)
	const body = `"Resources:\n  Repo:\n    Type: AWS::ECR::Repository\n    Properties:\n      RepositoryName: broken\n      ImageTagMutability: SOMETIMES\n"`
	h.Do(t, `
		local ok, err = pcall(cfn.deploy, {stack = "broken-stack", body = `+body+`})
		assert(not ok, "an invalid property was accepted")
		assert(err.message:find('creating stack "broken%-stack"'), err.message)
		assert(err.message:find("imageTagMutability"), err.message)
		assert(aws.error_code(err) == "InvalidParameterException", tostring(err))

		ok, err = pcall(cfn.deploy, {stack = "broken-stack", body = `+body+`})
		assert(not ok and err.message:find("busy %(CREATE_IN_PROGRESS%)"), tostring(err))

		assert(cfn.delete("broken-stack").deleted, "deleted")
		assert(cfn.outputs("broken-stack") == nil, "gone")
	`)
}

// moto skips resource types it does not know (all of Cognito) and still answers
// CREATE_COMPLETE: this checks that moto reads the template (its short-form tags and
// parameters), not that Cognito resources are made.
func TestCognitoTemplateOnMoto(t *testing.T) {
	h, _ := harness(t)
	h.Do(t, `
		local r = cfn.deploy{stack = "cognito-stack", template = "cognito", parameters = {PoolName = "bot-users", Agent = "bot"}}
		assert(r.status == "CREATE_COMPLETE", r.status)
		assert(r.outputs.DiscoveryUrl:find("^https://cognito%-idp%.us%-east%-1%.amazonaws%.com/"), r.outputs.DiscoveryUrl)
		cfn.delete("cognito-stack")
	`)
}

// With -o json every stack event is one JSON line (moto's events are the stack's own).
func TestJSONEventsOnMoto(t *testing.T) {
	h, _ := harness(t)
	h.Run.Out.JSON = true
	h.Do(t, `cfn.deploy{stack = "json-stack", body = "Resources:\n  Repo:\n    Type: AWS::ECR::Repository\n    Properties:\n      RepositoryName: json-bot\n"}`)
	h.Do(t, `cfn.delete("json-stack")`)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(h.Stdout.String()), "\n") {
		var e struct {
			Type   string         `json:"type"`
			Fields map[string]any `json:"fields"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		got = append(got, fmt.Sprint(e.Type, " ", e.Fields["status"]))
	}
	want := "progress CREATE_IN_PROGRESS|info CREATE_COMPLETE|progress DELETE_IN_PROGRESS|info DELETE_COMPLETE"
	if strings.Join(got, "|") != want {
		t.Errorf("events %v\nwant %s", got, want)
	}
}
