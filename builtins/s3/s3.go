// Package s3 is the `s3` Lua module: the objects agentcore stores in S3, such as the code
// packages of agents deployed with build = "zip", and (for environments without
// CloudFormation) their bucket. It reaches S3 through builtins/aws/awscall, with
// path-style addressing when the environment has an endpoint URL (emulators, the local
// endpoint), since those do not serve bucket.host names.
package s3

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/filehash"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// SHA256Meta is the user metadata key holding an object's sha256 (hex), which s3.put compares
// to skip an upload of the same bytes. S3 sends it as x-amz-meta-agentcore-sha256.
const SHA256Meta = "agentcore-sha256"

// New returns the s3 Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "s3",
		Doc: "S3 objects of the selected environment (agent code packages) and, for environments " +
			"without CloudFormation, their bucket. Errors keep the S3 error code first " +
			"(\"NoSuchBucket: uploading ...\"); err.aws_code holds it after pcall.",
		Classes: []*engine.Class{
			{Name: "s3.PutOpts", Of: putArgs{}},
			{Name: "s3.ObjectRef", Of: objArgs{}},
			{Name: "s3.CopyOpts", Of: copyArgs{}},
			{Name: "s3.PrefixRef", Of: prefixArgs{}},
			{Name: "s3.ListOpts", Of: listArgs{}},
			{Name: "s3.DeleteBucketOpts", Of: deleteBucketArgs{}},
			{Name: "s3.BucketOpts", Of: bucketArgs{}},
			{Name: "s3.Object", Of: Object{}},
			{Name: "s3.Deleted", Of: deleted{}},
			{Name: "s3.BucketDeleted", Of: bucketDeleted{}},
			{Name: "s3.Listed", Of: listed{}},
			{Name: "s3.Ensured", Of: ensured{}},
		},
		Funcs: []engine.Func{
			{Name: "put", Go: m.luaPut,
				Params:  "opts: s3.PutOpts",
				Returns: "s3.Object",
				Doc: "Uploads the file at path (relative to the project) to s3://bucket/key, with its SHA-256 " +
					"checked by S3 (ChecksumSHA256) and kept in the metadata agentcore-sha256. When the object " +
					"already holds the same bytes (same agentcore-sha256), nothing is sent and unchanged is true; " +
					"version_id is then the existing version's. version_id is absent on unversioned buckets."},
			{Name: "head", Go: m.luaHead,
				Params:  "opts: s3.ObjectRef",
				Returns: "s3.Object?",
				Doc:     "The object's metadata, or nil when it does not exist. sha256 is the agentcore-sha256 metadata, when set."},
			{Name: "copy", Go: m.luaCopy,
				Params:  "opts: s3.CopyOpts",
				Returns: "s3.Object",
				Doc: "Copies an object inside S3 (to promote a package to another environment's bucket), " +
					"keeping its metadata. Objects over 5 GB are not supported (AgentCore packages are at most 250 MB)."},
			{Name: "delete", Go: m.luaDelete,
				Params: "opts: s3.ObjectRef", Returns: "s3.Deleted",
				Doc: "Deletes the object, every version of it on a versioned bucket (delete markers included). " +
					"deleted counts the versions removed; 0 when there was nothing."},
			{Name: "delete_prefix", Go: m.luaDeletePrefix,
				Params: "opts: s3.PrefixRef", Returns: "s3.Deleted",
				Doc: "Deletes every object under prefix, every version of each. prefix must not be empty."},
			{Name: "delete_bucket", Go: m.luaDeleteBucket,
				Params: "opts: s3.DeleteBucketOpts", Returns: "s3.BucketDeleted",
				Doc: "Deletes the bucket, for environments without CloudFormation. S3 deletes only an empty " +
					"bucket: with force = true every object version and delete marker in it is deleted first " +
					"(and its unfinished multipart uploads aborted), otherwise a bucket that still holds any is " +
					"an error (BucketNotEmpty). deleted is false when the bucket did not exist."},
			{Name: "list", Go: m.luaList,
				Params: "opts: s3.ListOpts", Returns: "s3.Listed[]",
				Doc: "The current objects under prefix (all pages), sorted by key."},
			{Name: "ensure_bucket", Go: m.luaEnsureBucket,
				Params: "opts: s3.BucketOpts", Returns: "s3.Ensured",
				Doc: "Creates the bucket when it does not exist, for environments without CloudFormation " +
					"(templates/code-bucket.yaml is the AWS way): versioning on, SSE-S3 encryption, public " +
					"access blocked, tags. Each setting the service does not implement (an emulator) is skipped. " +
					"An existing bucket of this account gets the same settings and created = false."},
		},
	}
}

// module is the s3 module built with the program's AWS layer.
type module struct {
	service *awscall.Service[*s3.Client] // S3: path-style addressing off AWS, and hints for S3's own error codes
}

func newModule(a *awscall.AWS) *module {
	return &module{service: &awscall.Service[*s3.Client]{AWS: a, Name: "s3",
		New: func(s *awscall.Session) *s3.Client {
			return s3.NewFromConfig(s.Config, func(o *s3.Options) { o.UsePathStyle = s.Endpoint() != "" })
		},
		Hint: hint}}
}

// hint gives the hints of S3's own error codes.
func hint(code, _ string) string {
	switch code {
	case "NoSuchBucket":
		return "the bucket does not exist: deploy the environment's code bucket first (agentcore deploy creates it), or check its name"
	case "BucketAlreadyExists":
		return "bucket names are global across all AWS accounts: choose another name"
	case "AccessDenied", "Forbidden", "403":
		return "the credentials may not use this bucket (or it belongs to another account): check its policy and your IAM permissions"
	case "BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest":
		return "the file changed while it was being uploaded: run again"
	case "BucketNotEmpty":
		return "the bucket still holds objects or versions of them: s3.delete_bucket{bucket = ..., force = true} deletes them first"
	case "EntityTooLarge":
		return "the object is over S3's single-upload limit (5 GB)"
	}
	return ""
}

func url1(bucket, key string) string { return "s3://" + bucket + "/" + key }

type putArgs struct {
	Bucket      string           `json:"bucket"`
	Key         string           `json:"key"`
	Path        string           `json:"path"`
	Metadata    engine.StringMap `json:"metadata,omitempty"`
	ContentType string           `json:"content_type,omitempty"`
}

// Object is what put, copy and head return.
type Object struct {
	Bucket       string            `json:"bucket"`
	Key          string            `json:"key"`
	VersionID    string            `json:"version_id,omitempty"`
	ETag         string            `json:"etag,omitempty"`
	SHA256       string            `json:"sha256,omitempty"`
	Unchanged    *bool             `json:"unchanged,omitempty"`
	Size         *int64            `json:"size,omitempty"`
	ContentType  string            `json:"content_type,omitempty"`
	LastModified *time.Time        `json:"last_modified,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

func (m *module) luaPut(L *lua.LState, a putArgs) (*Object, error) {
	run := engine.FromL(L)
	path := a.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(run.Dir, path)
	}
	doing := fmt.Sprintf("uploading %s to %s", filepath.Base(path), url1(a.Bucket, a.Key))
	sum, err := engine.Unlocked(L, func(context.Context) (string, error) { return filehash.SHA256(path) })
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, engine.Usagef("build it first (zip.package)", "s3.put: %s does not exist", a.Path)
		}
		return nil, fmt.Errorf("%s: %w", doing, err)
	}
	return awscall.Call(L, m.service, doing, func(ctx context.Context, c *s3.Client) (*Object, error) {
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &a.Bucket, Key: &a.Key})
		if err == nil && head.Metadata[SHA256Meta] == sum {
			return &Object{Bucket: a.Bucket, Key: a.Key, VersionID: awssdk.ToString(head.VersionId),
				ETag: awssdk.ToString(head.ETag), SHA256: sum, Unchanged: awssdk.Bool(true)}, nil
		}
		if err != nil && !awscall.IsNotFound(err) {
			return nil, err
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		meta := map[string]string{}
		for k, v := range a.Metadata {
			meta[strings.ToLower(k)] = v
		}
		meta[SHA256Meta] = sum
		raw, _ := hex.DecodeString(sum)
		in := &s3.PutObjectInput{Bucket: &a.Bucket, Key: &a.Key, Body: f, ContentLength: awssdk.Int64(st.Size()),
			ChecksumSHA256: awssdk.String(base64.StdEncoding.EncodeToString(raw)), Metadata: meta}
		if a.ContentType != "" {
			in.ContentType = &a.ContentType
		} else if strings.HasSuffix(a.Key, ".zip") {
			in.ContentType = awssdk.String("application/zip")
		}
		out, err := c.PutObject(ctx, in)
		if err != nil {
			return nil, err
		}
		return &Object{Bucket: a.Bucket, Key: a.Key, VersionID: awssdk.ToString(out.VersionId),
			ETag: awssdk.ToString(out.ETag), SHA256: sum, Unchanged: awssdk.Bool(false)}, nil
	})
}

type objArgs struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

func (m *module) luaHead(L *lua.LState, a objArgs) (*Object, error) {
	out, err := awscall.Try(L, m.service, func(ctx context.Context, c *s3.Client) (*s3.HeadObjectOutput, error) {
		return c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &a.Bucket, Key: &a.Key})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.service.Error("reading "+url1(a.Bucket, a.Key), err)
	}
	return &Object{Bucket: a.Bucket, Key: a.Key, VersionID: awssdk.ToString(out.VersionId),
		ETag: awssdk.ToString(out.ETag), SHA256: out.Metadata[SHA256Meta], Size: out.ContentLength,
		ContentType: awssdk.ToString(out.ContentType), LastModified: out.LastModified, Metadata: out.Metadata}, nil
}

type copyArgs struct {
	FromBucket    string `json:"from_bucket"`
	FromKey       string `json:"from_key"`
	FromVersionID string `json:"from_version_id,omitempty"`
	Bucket        string `json:"bucket"`
	Key           string `json:"key"`
}

func (m *module) luaCopy(L *lua.LState, a copyArgs) (*Object, error) {
	src := url.PathEscape(a.FromBucket) + "/" + escapeKey(a.FromKey)
	if a.FromVersionID != "" {
		src += "?versionId=" + url.QueryEscape(a.FromVersionID)
	}
	doing := fmt.Sprintf("copying %s to %s", url1(a.FromBucket, a.FromKey), url1(a.Bucket, a.Key))
	return awscall.Call(L, m.service, doing, func(ctx context.Context, c *s3.Client) (*Object, error) {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &a.Bucket, Key: &a.Key, CopySource: &src,
			MetadataDirective: types.MetadataDirectiveCopy})
		if err != nil {
			return nil, err
		}
		o := &Object{Bucket: a.Bucket, Key: a.Key, VersionID: awssdk.ToString(out.VersionId)}
		if out.CopyObjectResult != nil {
			o.ETag = awssdk.ToString(out.CopyObjectResult.ETag)
		}
		return o, nil
	})
}

// escapeKey escapes a key for CopySource, keeping its slashes.
func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// deleteVersions deletes every version and delete marker under prefix (only those of exactly
// key when exact), in batches of 1,000 (DeleteObjects' limit), and returns how many.
func deleteVersions(ctx context.Context, c *s3.Client, bucket, prefix string, exact bool) (int, error) {
	deleted := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return deleted, err
		}
		var ids []types.ObjectIdentifier
		add := func(key, version *string) {
			if exact && awssdk.ToString(key) != prefix {
				return
			}
			ids = append(ids, types.ObjectIdentifier{Key: key, VersionId: version})
		}
		for _, v := range page.Versions {
			add(v.Key, v.VersionId)
		}
		for _, m := range page.DeleteMarkers {
			add(m.Key, m.VersionId)
		}
		for len(ids) > 0 {
			batch := ids[:min(1000, len(ids))]
			ids = ids[len(batch):]
			out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket,
				Delete: &types.Delete{Objects: batch, Quiet: awssdk.Bool(true)}})
			if err != nil {
				return deleted, err
			}
			if len(out.Errors) > 0 {
				e := out.Errors[0]
				return deleted, fmt.Errorf("%s (version %s): %s: %s (and %d more)", awssdk.ToString(e.Key),
					awssdk.ToString(e.VersionId), awssdk.ToString(e.Code), awssdk.ToString(e.Message), len(out.Errors)-1)
			}
			deleted += len(batch)
		}
	}
	return deleted, nil
}

type deleted struct {
	Deleted int `json:"deleted"`
}

func (m *module) luaDelete(L *lua.LState, a objArgs) (deleted, error) {
	n, err := awscall.Call(L, m.service, "deleting "+url1(a.Bucket, a.Key), func(ctx context.Context, c *s3.Client) (int, error) {
		return deleteVersions(ctx, c, a.Bucket, a.Key, true)
	})
	return deleted{n}, err
}

type prefixArgs struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
}

type listArgs struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
}

func (m *module) luaDeletePrefix(L *lua.LState, a prefixArgs) (deleted, error) {
	n, err := awscall.Call(L, m.service, "deleting "+url1(a.Bucket, a.Prefix)+"*", func(ctx context.Context, c *s3.Client) (int, error) {
		return deleteVersions(ctx, c, a.Bucket, a.Prefix, false)
	})
	return deleted{n}, err
}

type deleteBucketArgs struct {
	Bucket string `json:"bucket"`
	Force  bool   `json:"force,omitempty"`
}

type bucketDeleted struct {
	Deleted bool `json:"deleted"`
}

func (m *module) luaDeleteBucket(L *lua.LState, a deleteBucketArgs) (*bucketDeleted, error) {
	gone := awscall.IsNotFound
	return awscall.Call(L, m.service, "deleting S3 bucket "+a.Bucket, func(ctx context.Context, c *s3.Client) (*bucketDeleted, error) {
		if a.Force {
			if _, err := deleteVersions(ctx, c, a.Bucket, "", false); err != nil {
				if gone(err) {
					return &bucketDeleted{}, nil
				}
				return nil, fmt.Errorf("emptying it: %w", err)
			}
			if err := abortUploads(ctx, c, a.Bucket); err != nil && !gone(err) {
				return nil, fmt.Errorf("aborting its multipart uploads: %w", err)
			}
		}
		_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &a.Bucket})
		if gone(err) {
			return &bucketDeleted{}, nil
		}
		if err != nil && a.Force && awscall.ErrorCode(err) == "BucketNotEmpty" {
			return nil, &engine.Error{Code: engine.ExitFailure, Err: err,
				Msg:  fmt.Sprintf("BucketNotEmpty: deleting S3 bucket %s: objects were written to it while it was being emptied", a.Bucket),
				Hint: "stop what writes to it (a deploy in progress?) and run again"}
		}
		if err != nil {
			return nil, err
		}
		return &bucketDeleted{Deleted: true}, nil
	})
}

// abortUploads aborts the unfinished multipart uploads of a bucket (their parts keep a bucket
// from being deleted). A service that does not list uploads (the local endpoint) has none to
// abort that the caller could know of.
func abortUploads(ctx context.Context, c *s3.Client, bucket string) error {
	p := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if notImplemented(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && awscall.ErrorCode(err) != "NoSuchUpload" {
				return err
			}
		}
	}
	return nil
}

type listed struct {
	Key          string     `json:"key"`
	Size         *int64     `json:"size,omitempty"`
	ETag         string     `json:"etag"`
	LastModified *time.Time `json:"last_modified,omitempty"`
}

func (m *module) luaList(L *lua.LState, a listArgs) ([]listed, error) {
	return awscall.Call(L, m.service, "listing "+url1(a.Bucket, a.Prefix), func(ctx context.Context, c *s3.Client) ([]listed, error) {
		out := []listed{}
		in := &s3.ListObjectsV2Input{Bucket: &a.Bucket}
		if a.Prefix != "" {
			in.Prefix = &a.Prefix
		}
		p := s3.NewListObjectsV2Paginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, o := range page.Contents {
				out = append(out, listed{Key: awssdk.ToString(o.Key), Size: o.Size, ETag: awssdk.ToString(o.ETag), LastModified: o.LastModified})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
		return out, nil
	})
}

type bucketArgs struct {
	Bucket string           `json:"bucket"`
	Tags   engine.StringMap `json:"tags,omitempty"`
}

type ensured struct {
	Bucket  string `json:"bucket"`
	Created bool   `json:"created"`
}

// notImplemented reports an error of a setting the service does not offer (an emulator).
func notImplemented(err error) bool {
	switch awscall.ErrorCode(err) {
	case "NotImplemented", "NotImplementedException", "NotSupported", "MethodNotAllowed":
		return true
	}
	return false
}

func (m *module) luaEnsureBucket(L *lua.LState, a bucketArgs) (*ensured, error) {
	doing := "creating S3 bucket " + a.Bucket
	return awscall.Call(L, m.service, doing, func(ctx context.Context, c *s3.Client) (*ensured, error) {
		res := &ensured{Bucket: a.Bucket}
		_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &a.Bucket})
		switch {
		case err == nil:
		case awscall.IsNotFound(err):
			in := &s3.CreateBucketInput{Bucket: &a.Bucket}
			// us-east-1 takes no location constraint; every other region needs its own.
			if r := c.Options().Region; r != "" && r != "us-east-1" {
				in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
			}
			_, err := c.CreateBucket(ctx, in)
			if err != nil && awscall.ErrorCode(err) != "BucketAlreadyOwnedByYou" {
				return nil, err
			}
			res.Created = err == nil
		default:
			return nil, err // 403: the name is taken by another account
		}
		steps := []struct {
			what string
			do   func() error
		}{
			{"turning on versioning", func() error {
				_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &a.Bucket,
					VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
				return err
			}},
			{"turning on default encryption", func() error {
				_, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &a.Bucket,
					ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
						ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
				return err
			}},
			{"blocking public access", func() error {
				t := awssdk.Bool(true)
				_, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &a.Bucket,
					PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: t, BlockPublicPolicy: t, IgnorePublicAcls: t, RestrictPublicBuckets: t}})
				return err
			}},
			{"tagging", func() error {
				if len(a.Tags) == 0 {
					return nil
				}
				var tags []types.Tag
				for k, v := range a.Tags {
					tags = append(tags, types.Tag{Key: awssdk.String(k), Value: awssdk.String(v)})
				}
				sort.Slice(tags, func(i, j int) bool { return *tags[i].Key < *tags[j].Key })
				_, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &a.Bucket, Tagging: &types.Tagging{TagSet: tags}})
				return err
			}},
		}
		for _, s := range steps {
			if err := s.do(); err != nil && !notImplemented(err) {
				return nil, fmt.Errorf("%s: %w", s.what, err)
			}
		}
		return res, nil
	})
}
