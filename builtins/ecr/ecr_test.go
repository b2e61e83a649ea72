package ecr_test

import (
	"context"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	ecrmod "github.com/agentcore/agentcore/builtins/ecr"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

func harness(t *testing.T) (*enginetest.Harness, string) {
	t.Helper()
	url := awstest.Moto(t)
	h := enginetest.New(t, aws.New(awstest.AWS()), ecrmod.New(awstest.AWS()))
	awstest.UseEnv(t, h, url)
	return h, url
}

func TestRepositoryLifecycle(t *testing.T) {
	h, _ := harness(t)
	h.Do(t, `
		assert(ecr.describe_repository("lifecycle-bot") == nil, "absent repository is nil")
		local r = ecr.ensure_repository("lifecycle-bot", {tags = {project = "demo"}})
		assert(r.created == true, "created")
		assert(r.repositoryName == "lifecycle-bot", "name")
		assert(r.repositoryUri:find("lifecycle%-bot$"), "uri " .. r.repositoryUri)
		assert(r.repositoryArn:find("^arn:aws:ecr:us%-east%-1:123456789012:repository/lifecycle%-bot"), "arn " .. r.repositoryArn)
		assert(r.registryId == "123456789012", "registry")
		assert(r.imageScanningConfiguration.scanOnPush == false, "scan on push off by default")
		assert(type(r.createdAt) == "string" and r.createdAt:find("^%d%d%d%d%-%d%d%-%d%dT"), "createdAt " .. tostring(r.createdAt))

		-- (true to false cannot be checked on moto: see docs/moto-differences.md)
		local again = ecr.ensure_repository("lifecycle-bot", {scan_on_push = true})
		assert(again.created == false, "second ensure finds it")
		assert(again.repositoryUri == r.repositoryUri, "same uri")
		assert(again.imageScanningConfiguration.scanOnPush == true, "scan_on_push reconciled")
		assert(ecr.describe_repository("lifecycle-bot").imageScanningConfiguration.scanOnPush == true, "stored")

		local d = ecr.describe_repository("lifecycle-bot")
		assert(d.repositoryArn == r.repositoryArn, "describe")

		local deleted = ecr.delete_repository("lifecycle-bot", {force = true})
		assert(deleted.repositoryName == "lifecycle-bot", "deleted")
		assert(ecr.describe_repository("lifecycle-bot") == nil, "gone")

		local ok, err = pcall(ecr.delete_repository, "lifecycle-bot")
		assert(not ok, "deleting twice fails")
		assert(aws.error_code(err) == "RepositoryNotFoundException", "code: " .. tostring(err))
		assert(aws.is_not_found(err), "not found")
		assert(err.message:find("deleting ECR repository \"lifecycle%-bot\""), err.message)
	`)
}

func TestAuth(t *testing.T) {
	h, _ := harness(t)
	res := h.Do(t, `local a = ecr.auth() return a.username, a.password, a.server, a.proxyEndpoint`)
	if res[0].String() != "AWS" || res[1].String() == "" || res[2].String() == "" || strings.Contains(res[2].String(), "://") {
		t.Fatalf("auth = %v", res)
	}
	// the password is a secret from now on
	if got := h.Run.Out.Mask("token " + res[1].String()); strings.Contains(got, res[1].String()) {
		t.Fatalf("password not masked: %q", got)
	}
}

func TestImages(t *testing.T) {
	h, url := harness(t)
	h.Do(t, `ecr.ensure_repository("images-bot")`)
	c := ecr.NewFromConfig(awssdk.Config{Region: "us-east-1", BaseEndpoint: &url,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	for _, tag := range []string{"1", "2"} {
		manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:` +
			strings.Repeat(tag, 64) + `"},"layers":[]}`
		if _, err := c.PutImage(context.Background(), &ecr.PutImageInput{RepositoryName: awssdk.String("images-bot"),
			ImageManifest: &manifest, ImageTag: awssdk.String(tag)}); err != nil {
			t.Fatal(err)
		}
	}
	h.Do(t, `
		local imgs = ecr.describe_images("images-bot")
		assert(#imgs == 2, "two images, got " .. #imgs)
		assert(imgs[1].imageDigest:find("^sha256:"), "digest")
		assert(#imgs[1].imageTags == 1, "tags")
		local only = ecr.describe_images("images-bot", {tags = {"2"}})
		assert(#only == 1 and only[1].imageTags[1] == "2", "filtered")

		local res = ecr.batch_delete_images("images-bot", {digests = {only[1].imageDigest}, tags = "missing"})
		assert(#res.imageIds == 1, "one deleted")
		assert(#res.failures == 1 and res.failures[1].failureCode == "ImageNotFound", "one failure")
		assert(#ecr.describe_images("images-bot") == 1, "one left")
		assert(#ecr.batch_delete_images("images-bot", {}).imageIds == 0, "nothing to delete")

		local p = ecr.put_lifecycle_policy("images-bot", {rules = {{rulePriority = 1, description = "keep 10",
			selection = {tagStatus = "any", countType = "imageCountMoreThan", countNumber = 10},
			action = {type = "expire"}}}})
		assert(p.repositoryName == "images-bot", "policy repo")
		assert(p.lifecyclePolicyText:find("imageCountMoreThan"), "policy text")
		ecr.delete_repository("images-bot", {force = true})
	`)
}

func TestUsageErrors(t *testing.T) {
	h, _ := harness(t)
	for src, want := range map[string]string{
		`ecr.ensure_repository("")`:                                  "argument #1 (name) must be a non-empty string",
		`ecr.ensure_repository("x", {scan_on_pus = true})`:           `did you mean "scan_on_push"`,
		`ecr.ensure_repository("x", {tag_mutability = "sometimes"})`: "tag_mutability",
		`ecr.put_lifecycle_policy("x", 3)`:                           "policy is a number",
		`ecr.delete_repository("x", "force")`:                        "must be a table",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
	res := h.Do(t, `local ok, err = pcall(ecr.ensure_repository, "") return err.code`)
	if res[0] != lua.LNumber(2) {
		t.Errorf("usage code = %v", res[0])
	}
}
