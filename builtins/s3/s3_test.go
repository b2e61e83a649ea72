package s3_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/fs"
	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/builtins/s3"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

func TestObjects(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), s3.New(awstest.AWS()), fs.Module, jsonmod.Module)
	awstest.UseEnv(t, h, awstest.Moto(t))
	// Buckets of their own, so that the test can run again against the same moto (-count).
	id := fmt.Sprint(time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(h.Run.Dir, "bot.zip"), []byte("version one"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer("ID", id).Replace(`
		local b, prod = "code-ID", "code-prod-ID"
		local r = s3.ensure_bucket{bucket = b, tags = {["agentcore:project"] = "p"}}
		assert(r.created == true and r.bucket == b, "created")
		assert(s3.ensure_bucket{bucket = b}.created == false, "exists: not created again")
		s3.ensure_bucket{bucket = prod}

		assert(s3.head{bucket = b, key = "agents/bot/a.zip"} == nil, "missing is nil")
		local p = s3.put{bucket = b, key = "agents/bot/a.zip", path = "bot.zip", metadata = {agent = "bot"}}
		assert(p.unchanged == false and p.version_id and p.etag, "uploaded: " .. json.encode(p))
		assert(p.sha256 == "SUM1", "sha256 " .. p.sha256)
		local again = s3.put{bucket = b, key = "agents/bot/a.zip", path = "bot.zip"}
		assert(again.unchanged == true and again.version_id == p.version_id, "same bytes: unchanged " .. json.encode(again))

		local hd = s3.head{bucket = b, key = "agents/bot/a.zip"}
		assert(hd.sha256 == p.sha256 and hd.size == 11 and hd.metadata.agent == "bot", "head " .. json.encode(hd))
		assert(hd.content_type == "application/zip" and hd.version_id == p.version_id, "head " .. json.encode(hd))

		fs.write("bot.zip", "version two")
		local p2 = s3.put{bucket = b, key = "agents/bot/a.zip", path = "bot.zip"}
		assert(p2.unchanged == false and p2.version_id ~= p.version_id, "new version")
		s3.put{bucket = b, key = "agents/bot/b.zip", path = "bot.zip"}
		s3.put{bucket = b, key = "agents/other/c.zip", path = "bot.zip"}

		local c = s3.copy{from_bucket = b, from_key = "agents/bot/a.zip", bucket = prod, key = "agents/bot/a.zip"}
		assert(c.version_id and c.etag, "copied " .. json.encode(c))
		local ch = s3.head{bucket = prod, key = "agents/bot/a.zip"}
		assert(ch.sha256 == p2.sha256, "copy keeps the metadata " .. json.encode(ch))
		local old = s3.copy{from_bucket = b, from_key = "agents/bot/a.zip", from_version_id = p.version_id, bucket = prod, key = "old.zip"}
		assert(s3.head{bucket = prod, key = "old.zip"}.sha256 == p.sha256, "copy of an older version")

		local l = s3.list{bucket = b, prefix = "agents/"}
		assert(#l == 3 and l[1].key == "agents/bot/a.zip" and l[1].size == 11 and l[3].key == "agents/other/c.zip", "list " .. json.encode(l))

		assert(s3.delete_prefix{bucket = b, prefix = "agents/bot/"}.deleted == 3, "a.zip twice and b.zip")
		l = s3.list{bucket = b}
		assert(#l == 1 and l[1].key == "agents/other/c.zip", "left " .. json.encode(l))
		assert(s3.delete{bucket = b, key = "agents/other/c.zip"}.deleted == 1, "deleted c")
		assert(s3.delete{bucket = b, key = "agents/other/c.zip"}.deleted == 0, "nothing left")
		assert(#s3.list{bucket = b} == 0, "empty")
		s3.delete_prefix{bucket = prod, prefix = "a"}
		s3.delete_prefix{bucket = prod, prefix = "o"}

		local ok, err = pcall(s3.put, {bucket = "no-such-bucket-ID", key = "k", path = "bot.zip"})
		assert(not ok and aws.error_code(err) == "NoSuchBucket", tostring(err))
		assert(err.message:find("uploading bot.zip to s3://no%-such%-bucket%-ID/k"), err.message)
		assert(err.hint:find("does not exist"), err.hint)
	`)
	h.Do(t, strings.Replace(src, "SUM1", "197c7c60ef8a8470a38d1a9212bdfde9cfe6fd4be910825fe6ac7880ac765d16", 1)) // sha256sum of "version one"
}

// TestDeleteBucket empties and deletes a versioned bucket: refused without force, with a hint;
// with force every version goes first; a missing bucket is deleted = false.
func TestDeleteBucket(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), s3.New(awstest.AWS()), fs.Module, jsonmod.Module)
	awstest.UseEnv(t, h, awstest.Moto(t))
	if err := os.WriteFile(filepath.Join(h.Run.Dir, "bot.zip"), []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Do(t, strings.NewReplacer("ID", fmt.Sprint(time.Now().UnixNano())).Replace(`
		local b = "gone-ID"
		s3.ensure_bucket{bucket = b}
		s3.put{bucket = b, key = "agents/bot/a.zip", path = "bot.zip"}
		fs.write("bot.zip", "two")
		s3.put{bucket = b, key = "agents/bot/a.zip", path = "bot.zip"}
		s3.put{bucket = b, key = "b.zip", path = "bot.zip"}
		s3.delete{bucket = b, key = "b.zip"}
		s3.put{bucket = b, key = "b.zip", path = "bot.zip"}

		local ok, err = pcall(s3.delete_bucket, {bucket = b})
		assert(not ok and aws.error_code(err) == "BucketNotEmpty", tostring(err))
		assert(err.message:find("deleting S3 bucket gone%-ID"), err.message)
		assert(err.hint:find("force = true", 1, true), err.hint)
		assert(#s3.list{bucket = b} == 2, "nothing deleted without force")

		local r = s3.delete_bucket{bucket = b, force = true}
		assert(r.deleted == true, json.encode(r))
		assert(s3.delete_bucket{bucket = b}.deleted == false, "already gone")
		assert(s3.delete_bucket{bucket = b, force = true}.deleted == false, "already gone, force")
	`))
}

func TestUsage(t *testing.T) {
	h := enginetest.New(t, aws.New(awstest.AWS()), s3.New(awstest.AWS()))
	awstest.UseEnv(t, h, "http://127.0.0.1:1")
	for src, want := range map[string]string{
		`s3.put{bucket = "b", key = "k"}`:                     "field path is required (a string)",
		`s3.put{bucket = "b", key = "k", path = "x"}`:         "s3.put: x does not exist",
		`s3.delete_prefix{bucket = "b", prefix = ""}`:         "field prefix is required (a non-empty string), got an empty string",
		`s3.put{bucket = "", key = "k", path = "x"}`:          "field bucket is required (a non-empty string), got an empty string",
		`s3.delete_prefix{bucket = "b"}`:                      "field prefix is required (a string)",
		`s3.head{bucket = "b", kye = "k"}`:                    `did you mean "key"?`,
		`s3.copy{from_bucket = "a", bucket = "b", key = "k"}`: "from_key is required",
		`s3.delete_bucket{force = true}`:                      "field bucket is required (a string)",
		`s3.list{prefix = "agents/"}`:                         "field bucket is required (a string)",
		`s3.delete_bucket{bucket = "b", force = "yes"}`:       "force",
	} {
		err := h.Err(src)
		if err == nil || !strings.Contains(err.Error(), want) || engine.ExitCode(err) != engine.ExitUsage {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// The reference and the editor stubs show what the Go code needs: every field a function
// cannot do without is declared required, the others optional.
func TestRequiredFieldsAreDeclared(t *testing.T) {
	awstest.RequiredFields(t, s3.New(awstest.AWS()), map[string]string{
		"s3.PutOpts":          "bucket key path",
		"s3.ObjectRef":        "bucket key",
		"s3.CopyOpts":         "from_bucket from_key bucket key",
		"s3.PrefixRef":        "bucket prefix",
		"s3.ListOpts":         "bucket",
		"s3.DeleteBucketOpts": "bucket",
		"s3.BucketOpts":       "bucket",
	})
}
