package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/agentcore/agentcore/internal/dockerclient"
)

func needDocker(t testing.TB) {
	t.Helper()
	cli, err := dockerclient.New()
	if err == nil {
		_, err = cli.Ping(context.Background())
		cli.Close()
	}
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
}

func s3Client(r *running) *s3.Client {
	return s3.NewFromConfig(r.cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(r.url)
		o.UsePathStyle = true
	})
}

// TestS3CLI drives the endpoint's S3 with the AWS CLI the way the recipes and users do:
// `aws s3 cp` (multipart above 8 MB), `aws s3 ls`, `aws s3api head-object`, `aws s3 rm
// --recursive`. The same port keeps serving the other services.
func TestS3CLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	needDocker(t)
	r := start(t, t.TempDir())
	defer r.stop(t)
	work := t.TempDir()
	cfgFile := filepath.Join(work, "config")
	os.WriteFile(cfgFile, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n"), 0o600)
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", r.url}, args...)...)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				env = append(env, kv)
			}
		}
		creds := r.srv.Credentials()
		cmd.Env = append(env, "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey, "AWS_SESSION_TOKEN=",
			"AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(work, "none"), "AWS_DEFAULT_REGION=us-east-1")
		began := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("aws %s: %v", strings.Join(args, " "), time.Since(began).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	big := make([]byte, 12<<20) // above the CLI's 8 MB multipart threshold
	rand.Read(big)
	src := filepath.Join(work, "agent.zip")
	os.WriteFile(src, big, 0o600)
	os.WriteFile(filepath.Join(work, "small.txt"), []byte("small"), 0o600)

	cli("s3", "mb", "s3://cli-bucket")
	cli("s3", "cp", src, "s3://cli-bucket/code/agent.zip")
	cli("s3", "cp", filepath.Join(work, "small.txt"), "s3://cli-bucket/code/small.txt")
	ls := cli("s3", "ls", "s3://cli-bucket/code/")
	if !strings.Contains(ls, "12582912 agent.zip") || !strings.Contains(ls, "small.txt") {
		t.Fatalf("aws s3 ls:\n%s", ls)
	}
	head := cli("s3api", "head-object", "--bucket", "cli-bucket", "--key", "code/agent.zip")
	if !strings.Contains(head, `"ContentLength": 12582912`) || !strings.Contains(head, `-2\"`) {
		t.Fatalf("head-object (expected a 2-part multipart ETag):\n%s", head)
	}
	back := filepath.Join(work, "back.zip")
	cli("s3", "cp", "s3://cli-bucket/code/agent.zip", back)
	if got, _ := os.ReadFile(back); !bytes.Equal(got, big) {
		t.Fatal("downloaded object differs from the upload")
	}
	// The SDK reads what the CLI wrote.
	obj, err := s3Client(r).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("cli-bucket"), Key: aws.String("code/small.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(obj.Body); string(b) != "small" {
		t.Fatalf("small.txt: %q", b)
	}
	// list-object-versions asks for encoding-type=url and decodes the keys.
	cli("s3", "cp", filepath.Join(work, "small.txt"), "s3://cli-bucket/code/a b+c.txt")
	versions := cli("s3api", "list-object-versions", "--bucket", "cli-bucket", "--prefix", "code/")
	for _, want := range []string{`"Key": "code/a b+c.txt"`, `"Key": "code/agent.zip"`, `"VersionId": "null"`, `"IsLatest": true`} {
		if !strings.Contains(versions, want) {
			t.Fatalf("list-object-versions lacks %s:\n%s", want, versions)
		}
	}
	cli("s3", "rm", "--recursive", "s3://cli-bucket/code/")
	left, err := s3Client(r).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("cli-bucket")})
	if err != nil || len(left.Contents) != 0 {
		t.Fatalf("after rm --recursive: %v %v", left, err)
	}
	cli("s3", "rb", "s3://cli-bucket")
}

// TestS3Versions lists and deletes the versions of a versioned bucket through the endpoint
// (signed with its key pair), a version at a time, then deletes the bucket.
func TestS3Versions(t *testing.T) {
	needDocker(t)
	r := start(t, t.TempDir())
	defer r.stop(t)
	ctx := context.Background()
	c := s3Client(r)
	b := aws.String("versioned")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, kv := range [][2]string{{"agents/a.zip", "1"}, {"agents/a.zip", "2"}, {"agents/b.zip", "1"}, {"other/c.zip", "1"}} {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(kv[0]), Body: strings.NewReader(kv[1])})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, kv[0]+"@"+aws.ToString(out.VersionId))
	}
	var listed []string
	pages := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: b, MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range page.Versions {
			listed = append(listed, *v.Key+"@"+*v.VersionId)
		}
	}
	// Newest first within a key.
	want := []string{ids[1], ids[0], ids[2], ids[3]}
	if strings.Join(listed, " ") != strings.Join(want, " ") || pages != 4 {
		t.Fatalf("%d pages: %v, want %v", pages, listed, want)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err == nil || !strings.Contains(err.Error(), "BucketNotEmpty") {
		t.Fatalf("delete a bucket with versions: %v", err)
	}
	for i, id := range listed {
		key, version, _ := strings.Cut(id, "@")
		if i%2 == 0 {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: &key, VersionId: &version})
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{
			Objects: []types.ObjectIdentifier{{Key: &key, VersionId: &version}}}})
		if err != nil || len(out.Errors) != 0 {
			t.Fatalf("DeleteObjects %s: %v %+v", id, err, out)
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err != nil {
		t.Fatalf("delete the emptied bucket: %v", err)
	}
}
