package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	bolt "go.etcd.io/bbolt"
)

type env struct {
	svc     *Service
	srv     *httptest.Server
	c       *s3.Client
	chunked atomic.Int32 // aws-chunked requests seen
}

// newEnv serves a fresh S3 service over TLS (the SDK then sends aws-chunked bodies with
// trailing checksums, as it does against AWS) and returns an SDK client for it.
func newEnv(t *testing.T, region string) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := New(Config{DB: db, Dir: filepath.Join(dir, "s3"), Account: "123456789012", Region: region, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{svc: svc}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsS3(r) {
			t.Errorf("not recognised as S3: %s %s %q", r.Method, r.URL, r.Header.Get("Authorization"))
		}
		if isChunked(r) {
			e.chunked.Add(1)
		}
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.srv = srv
	e.c = s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		// What config.LoadDefaultConfig sets: checksums on every upload, validated downloads.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	})
	return e
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err == nil {
		return ""
	}
	return "not an API error: " + err.Error()
}

// must(call())(t) returns call's value, failing the test on its error.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestBuckets(t *testing.T) {
	e := newEnv(t, "us-east-1")
	ctx := context.Background()
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("code-bucket")}))(t)
	// us-east-1 answers 200 to creating a bucket you already own.
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("code-bucket")}))(t)
	if _, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")}); code(err) != "InvalidBucketName" {
		t.Fatalf("invalid name: %v", err)
	}
	must(e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("code-bucket")}))(t)
	if _, err := e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("absent")}); code(err) != "NotFound" {
		t.Fatalf("head absent: %v", err)
	}
	var nf *types.NotFound
	if _, err := e.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("absent")}); !errors.As(err, &nf) {
		t.Fatalf("head absent is not types.NotFound: %T", err)
	}
	loc := must(e.c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("code-bucket")}))(t)
	if loc.LocationConstraint != "" {
		t.Fatalf("location %q", loc.LocationConstraint)
	}
	list := must(e.c.ListBuckets(ctx, &s3.ListBucketsInput{}))(t)
	if len(list.Buckets) != 1 || *list.Buckets[0].Name != "code-bucket" || list.Buckets[0].CreationDate == nil {
		t.Fatalf("buckets %+v", list.Buckets)
	}
	var nsb *types.NoSuchBucket
	if _, err := e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("absent")}); !errors.As(err, &nsb) {
		t.Fatalf("list absent: %v", err)
	}

	// Versioning.
	v := must(e.c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("code-bucket")}))(t)
	if v.Status != "" {
		t.Fatalf("versioning before %q", v.Status)
	}
	must(e.c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("code-bucket"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}))(t)
	v = must(e.c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("code-bucket")}))(t)
	if v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %q", v.Status)
	}

	// Encryption: SSE-S3 by default, then what was put.
	enc := must(e.c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("code-bucket")}))(t)
	if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("default encryption %+v", r)
	}
	must(e.c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("code-bucket"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("alias/x")},
			BucketKeyEnabled:                   aws.Bool(true)}}}}))(t)
	enc = must(e.c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("code-bucket")}))(t)
	if r := enc.ServerSideEncryptionConfiguration.Rules; r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAwsKms ||
		*r[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID != "alias/x" || !*r[0].BucketKeyEnabled {
		t.Fatalf("encryption %+v", r[0])
	}

	// Public access block.
	if _, err := e.c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("code-bucket")}); code(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Fatalf("pab before: %v", err)
	}
	must(e.c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("code-bucket"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}))(t)
	pab := must(e.c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("code-bucket")}))(t)
	if c := pab.PublicAccessBlockConfiguration; !*c.BlockPublicAcls || !*c.RestrictPublicBuckets {
		t.Fatalf("pab %+v", c)
	}

	// Tagging.
	if _, err := e.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("code-bucket")}); code(err) != "NoSuchTagSet" {
		t.Fatalf("tags before: %v", err)
	}
	must(e.c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("code-bucket"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("project"), Value: aws.String("agentcore")}}}}))(t)
	tags := must(e.c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("code-bucket")}))(t)
	if len(tags.TagSet) != 1 || *tags.TagSet[0].Value != "agentcore" {
		t.Fatalf("tags %+v", tags.TagSet)
	}

	// Not empty, then empty.
	must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("code-bucket"), Key: aws.String("k"), Body: strings.NewReader("x")}))(t)
	if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("code-bucket")}); code(err) != "BucketNotEmpty" {
		t.Fatalf("delete non-empty: %v", err)
	}
	// A versioned bucket keeps the deleted object as a version: delete that too.
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("code-bucket"), Key: aws.String("k")}))(t)
	if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("code-bucket")}); code(err) != "BucketNotEmpty" {
		t.Fatalf("delete with a noncurrent version: %v", err)
	}
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("code-bucket"), Key: aws.String("k"), VersionId: aws.String(onlyVersion(t, e, "code-bucket", "k"))}))(t)
	must(e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("code-bucket")}))(t)
	if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("code-bucket")}); code(err) != "NoSuchBucket" {
		t.Fatalf("delete twice: %v", err)
	}
}

func onlyVersion(t *testing.T, e *env, bucket, key string) string {
	t.Helper()
	var v string
	e.svc.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketVersions).Cursor()
		prefix := versionKey(bucket, key, "")
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			v = string(k[len(prefix):])
		}
		return nil
	})
	return v
}

func TestRegionalBucketCreation(t *testing.T) {
	e := newEnv(t, "eu-west-1")
	ctx := context.Background()
	if _, err := e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("b-eu")}); code(err) != "IllegalLocationConstraintException" {
		t.Fatalf("no constraint outside us-east-1: %v", err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String("b-eu"), CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}
	must(e.c.CreateBucket(ctx, in))(t)
	var owned *types.BucketAlreadyOwnedByYou
	if _, err := e.c.CreateBucket(ctx, in); !errors.As(err, &owned) {
		t.Fatalf("create twice: %v", err)
	}
	loc := must(e.c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("b-eu")}))(t)
	if loc.LocationConstraint != types.BucketLocationConstraintEuWest1 {
		t.Fatalf("location %q", loc.LocationConstraint)
	}
}

func TestObjects(t *testing.T) {
	e := newEnv(t, "us-east-1")
	ctx := context.Background()
	b := aws.String("objs")
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	body := []byte("hello, local s3\n")
	sum := sha256.Sum256(body)
	put := must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"owner": "me"}, ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))}))(t)
	if *put.ETag != `"5c1c1a3c7f3e6bc1c2aa6a8e1f1c3ac5"` && len(*put.ETag) != 34 {
		t.Fatalf("etag %q", *put.ETag)
	}
	if put.ChecksumSHA256 == nil || *put.ChecksumSHA256 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("checksum echoed %v", put.ChecksumSHA256)
	}
	// A body the SDK cannot seek goes out aws-chunked with a trailing CRC32.
	stream := struct{ io.Reader }{bytes.NewReader(body)}
	streamed := must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("streamed"), Body: stream, ContentLength: aws.Int64(int64(len(body)))}))(t)
	if e.chunked.Load() == 0 || streamed.ChecksumCRC32 == nil || *streamed.ETag != *put.ETag {
		t.Fatalf("streamed put: %d aws-chunked requests, %+v", e.chunked.Load(), streamed)
	}
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("streamed")}))(t)
	// A wrong checksum is refused and stores nothing.
	bad := sha256.Sum256([]byte("other"))
	_, err := e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("bad"), Body: bytes.NewReader(body), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(bad[:]))})
	if code(err) != "BadDigest" {
		t.Fatalf("bad checksum: %v", err)
	}
	get := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), ChecksumMode: types.ChecksumModeEnabled}))(t)
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) || *get.ContentType != "text/plain" || get.Metadata["owner"] != "me" || *get.ContentLength != int64(len(body)) || *get.ETag != *put.ETag {
		t.Fatalf("get %q %+v", got, get)
	}
	rng := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Range: aws.String("bytes=7-11")}))(t)
	got, _ = io.ReadAll(rng.Body)
	if string(got) != "local" || *rng.ContentRange != fmt.Sprintf("bytes 7-11/%d", len(body)) {
		t.Fatalf("range %q %v", got, *rng.ContentRange)
	}
	if _, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt"), Range: aws.String("bytes=100-")}); code(err) != "InvalidRange" {
		t.Fatalf("range past the end: %v", err)
	}
	head := must(e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("dir/a b+c.txt")}))(t)
	if *head.ContentLength != int64(len(body)) || head.Metadata["owner"] != "me" || head.LastModified == nil {
		t.Fatalf("head %+v", head)
	}
	var nsk *types.NoSuchKey
	if _, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("absent")}); !errors.As(err, &nsk) {
		t.Fatalf("get absent: %v", err)
	}
	if _, err := e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("absent")}); code(err) != "NotFound" {
		t.Fatalf("head absent: %v", err)
	}

	// Copy, keeping and replacing metadata.
	must(e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy.txt"), CopySource: aws.String("objs/dir/a%20b%2Bc.txt")}))(t)
	head = must(e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("copy.txt")}))(t)
	if head.Metadata["owner"] != "me" || *head.ETag != *put.ETag {
		t.Fatalf("copy %+v", head)
	}
	must(e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy.txt"), CopySource: aws.String("objs/copy.txt"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"new": "1"}}))(t)
	head = must(e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("copy.txt")}))(t)
	if head.Metadata["new"] != "1" || head.Metadata["owner"] != "" {
		t.Fatalf("copy replace %+v", head.Metadata)
	}
	if _, err := e.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy.txt"), CopySource: aws.String("objs/copy.txt")}); code(err) != "InvalidRequest" {
		t.Fatalf("copy onto itself: %v", err)
	}

	// Listing: prefix, delimiter, pages.
	for i := range 7 {
		must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(fmt.Sprintf("list/%d.txt", i)), Body: strings.NewReader("x")}))(t)
	}
	must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("list/sub/1"), Body: strings.NewReader("x")}))(t)
	must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("list/sub/2"), Body: strings.NewReader("x")}))(t)
	var keys []string
	p := s3.NewListObjectsV2Paginator(e.c, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("list/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(t)
		pages++
		if *page.KeyCount > 3 {
			t.Fatalf("page of %d", *page.KeyCount)
		}
		for _, o := range page.Contents {
			keys = append(keys, *o.Key)
		}
		for _, cp := range page.CommonPrefixes {
			keys = append(keys, *cp.Prefix)
		}
	}
	want := "list/0.txt list/1.txt list/2.txt list/3.txt list/4.txt list/5.txt list/6.txt list/sub/"
	if strings.Join(keys, " ") != want || pages != 3 {
		t.Fatalf("%d pages: %v", pages, keys)
	}
	all := must(e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}))(t)
	if *all.KeyCount != 11 || *all.IsTruncated {
		t.Fatalf("all: %d", *all.KeyCount)
	}
	top := must(e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/")}))(t)
	var tops []string
	for _, cp := range top.CommonPrefixes {
		tops = append(tops, *cp.Prefix)
	}
	if len(top.Contents) != 1 || strings.Join(tops, " ") != "dir/ list/" {
		t.Fatalf("top level: %d objects, prefixes %v", len(top.Contents), tops)
	}
	after := must(e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, StartAfter: aws.String("list/5.txt"), Prefix: aws.String("list/")}))(t)
	if len(after.Contents) != 3 || *after.Contents[0].Key != "list/6.txt" {
		t.Fatalf("start-after: %d", len(after.Contents))
	}

	// Delete one, then many.
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("copy.txt")}))(t)
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("copy.txt")}))(t) // absent: still 204
	var objs []types.ObjectIdentifier
	for _, k := range strings.Fields(want) {
		objs = append(objs, types.ObjectIdentifier{Key: aws.String(strings.Replace(k, "sub/", "sub/1", 1))})
	}
	del := must(e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: objs}}))(t)
	if len(del.Deleted) != 8 || len(del.Errors) != 0 {
		t.Fatalf("deleted %d, errors %+v", len(del.Deleted), del.Errors)
	}
	rest := must(e.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}))(t)
	var left []string
	for _, o := range rest.Contents {
		left = append(left, *o.Key)
	}
	if strings.Join(left, ",") != "dir/a b+c.txt,list/sub/2" {
		t.Fatalf("left %v", left)
	}
}

func TestVersions(t *testing.T) {
	e := newEnv(t, "us-east-1")
	ctx := context.Background()
	b := aws.String("vers")
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	must(e.c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}))(t)
	v1 := must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("code.zip"), Body: strings.NewReader("one")}))(t)
	v2 := must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("code.zip"), Body: strings.NewReader("two")}))(t)
	if v1.VersionId == nil || v2.VersionId == nil || *v1.VersionId == *v2.VersionId {
		t.Fatalf("versions %v %v", v1.VersionId, v2.VersionId)
	}
	head := must(e.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("code.zip")}))(t)
	if *head.VersionId != *v2.VersionId {
		t.Fatalf("head version %v", *head.VersionId)
	}
	old := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("code.zip"), VersionId: v1.VersionId}))(t)
	if data, _ := io.ReadAll(old.Body); string(data) != "one" || *old.VersionId != *v1.VersionId {
		t.Fatalf("old version %q", data)
	}
	if _, err := e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("code.zip"), VersionId: aws.String("nope")}); code(err) != "NoSuchVersion" {
		t.Fatalf("absent version: %v", err)
	}
	// Deleting the current version makes the previous one current again.
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("code.zip"), VersionId: v2.VersionId}))(t)
	cur := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("code.zip")}))(t)
	if data, _ := io.ReadAll(cur.Body); string(data) != "one" {
		t.Fatalf("after deleting v2: %q", data)
	}
	rc, n, err := e.svc.Open("vers", "code.zip", *v1.VersionId)
	if err != nil || n != 3 {
		t.Fatalf("Open: %v %d", err, n)
	}
	rc.Close()
}

func TestMultipart(t *testing.T) {
	e := newEnv(t, "us-east-1")
	ctx := context.Background()
	b, k := aws.String("mpu"), aws.String("big/agent.zip")
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	data := make([]byte, 20<<20)
	rand.Read(data)
	start := time.Now()
	up := must(e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k, ContentType: aws.String("application/zip"), Metadata: map[string]string{"m": "v"}}))(t)
	var parts []types.CompletedPart
	const partSize = 5 << 20
	for i := 0; i*partSize < len(data); i++ {
		chunk := data[i*partSize : min((i+1)*partSize, len(data))]
		n := int32(i + 1)
		out := must(e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(chunk)}))(t)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	// Out of order and unknown parts are refused.
	if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{parts[1], parts[0]}}}); code(err) != "InvalidPartOrder" {
		t.Fatalf("order: %v", err)
	}
	if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"00"`)}}}}); code(err) != "InvalidPart" {
		t.Fatalf("bad etag: %v", err)
	}
	done := must(e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}))(t)
	t.Logf("20 MB multipart upload (4 parts) took %v", time.Since(start))
	if !strings.HasSuffix(*done.ETag, `-4"`) {
		t.Fatalf("etag %s", *done.ETag)
	}
	get := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}))(t)
	got, _ := io.ReadAll(get.Body)
	if !bytes.Equal(got, data) || get.Metadata["m"] != "v" || *get.ContentType != "application/zip" || *get.PartsCount != 4 {
		t.Fatalf("multipart object: %d bytes, equal=%v, %+v", len(got), bytes.Equal(got, data), get.Metadata)
	}
	if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); code(err) != "NoSuchUpload" {
		t.Fatalf("complete twice: %v", err)
	}

	// Small parts, then abort.
	up2 := must(e.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("small")}))(t)
	var small []types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		out := must(e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: up2.UploadId, PartNumber: aws.Int32(n), Body: strings.NewReader("tiny")}))(t)
		small = append(small, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	if _, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: up2.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: small}}); code(err) != "EntityTooSmall" {
		t.Fatalf("small parts: %v", err)
	}
	if _, err := e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); code(err) != "BucketNotEmpty" {
		t.Fatalf("bucket with an upload: %v", err)
	}
	must(e.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: up2.UploadId}))(t)
	if _, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: up2.UploadId, PartNumber: aws.Int32(3), Body: strings.NewReader("x")}); code(err) != "NoSuchUpload" {
		t.Fatalf("part after abort: %v", err)
	}
	// Every part file is gone: only the object's file remains.
	files, _ := filepath.Glob(filepath.Join(e.svc.dir, "uploads", "*"))
	if len(files) != 0 {
		t.Fatalf("part files left: %v", files)
	}
}

// TestAWSChunked sends aws-chunked bodies by hand: unsigned with a trailing checksum (what the
// SDKs send over TLS) and signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
func TestAWSChunked(t *testing.T) {
	e := newEnv(t, "us-east-1")
	ctx := context.Background()
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("chunks")}))(t)
	payload := "hello chunked world"
	sum := sha256.Sum256([]byte(payload))
	sumB64 := base64.StdEncoding.EncodeToString(sum[:])
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
	send := func(key, mode, body, trailer string) *http.Response {
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/chunks/"+key, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("x-amz-content-sha256", mode)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("x-amz-decoded-content-length", fmt.Sprint(len(payload)))
		if trailer != "" {
			req.Header.Set("x-amz-trailer", trailer)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	unsigned := fmt.Sprintf("5\r\nhello\r\n%x\r\n%s\r\n0\r\nx-amz-checksum-sha256:%s\r\n\r\n", len(payload)-5, payload[5:], sumB64)
	if resp := send("unsigned", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", unsigned, "x-amz-checksum-sha256"); resp.StatusCode != 200 || resp.Header.Get("x-amz-checksum-sha256") != sumB64 {
		t.Fatalf("unsigned trailer: %d %v", resp.StatusCode, resp.Header)
	}
	sig := strings.Repeat("a", 64)
	signed := fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n\r\n", len(payload), sig, payload, sig)
	if resp := send("signed", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", signed, ""); resp.StatusCode != 200 {
		t.Fatalf("signed chunks: %d", resp.StatusCode)
	}
	for _, k := range []string{"unsigned", "signed"} {
		out := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("chunks"), Key: aws.String(k)}))(t)
		got, _ := io.ReadAll(out.Body)
		if string(got) != payload || *out.ContentLength != int64(len(payload)) || out.ContentEncoding != nil {
			t.Fatalf("%s: %q encoding %v", k, got, out.ContentEncoding)
		}
	}
	badSum := base64.StdEncoding.EncodeToString(make([]byte, 32))
	wrong := fmt.Sprintf("%x\r\n%s\r\n0\r\nx-amz-checksum-sha256:%s\r\n\r\n", len(payload), payload, badSum)
	if resp := send("wrong", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", wrong, "x-amz-checksum-sha256"); resp.StatusCode != 400 {
		t.Fatalf("wrong trailing checksum: %d", resp.StatusCode)
	}
	if resp := send("short", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "5\r\nhel", ""); resp.StatusCode != 400 {
		t.Fatalf("truncated body: %d", resp.StatusCode)
	}
	keys, err := e.svc.Keys("chunks", "", 10)
	sort.Strings(keys)
	if err != nil || strings.Join(keys, ",") != "signed,unsigned" {
		t.Fatalf("keys %v %v", keys, err)
	}
}

func TestIsS3(t *testing.T) {
	for _, c := range []struct {
		auth, query string
		want        bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x", "", true},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=x", "", false},
		{"", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", true},
		{"Bearer x", "", false},
		{"", "", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/b/k?"+c.query, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got := IsS3(r); got != c.want {
			t.Errorf("IsS3(%q, %q) = %v", c.auth, c.query, got)
		}
	}
}

// versionsOf lists every version (all pages of maxKeys each) as "key@id" ("key@id*" for the
// latest), with the common prefixes as "prefix/".
func versionsOf(t *testing.T, e *env, in *s3.ListObjectVersionsInput, maxKeys int32) []string {
	t.Helper()
	if maxKeys > 0 {
		in.MaxKeys = aws.Int32(maxKeys)
	}
	var out []string
	p := s3.NewListObjectVersionsPaginator(e.c, in)
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 100 {
			t.Fatal("more than 100 pages")
		}
		page := must(p.NextPage(context.Background()))(t)
		n := len(page.Versions) + len(page.CommonPrefixes)
		if maxKeys > 0 && n > int(maxKeys) {
			t.Fatalf("page of %d entries with max-keys %d", n, maxKeys)
		}
		if aws.ToBool(page.IsTruncated) && (n == 0 || page.NextKeyMarker == nil) {
			t.Fatalf("truncated page without entries or NextKeyMarker: %+v", page)
		}
		var entries []string // the page's versions and prefixes, in key order
		for _, v := range page.Versions {
			s := *v.Key + "@" + *v.VersionId
			if aws.ToBool(v.IsLatest) {
				s += "*"
			}
			if v.ETag == nil || v.Size == nil || v.LastModified == nil || v.StorageClass != types.ObjectVersionStorageClassStandard || v.Owner == nil || v.Owner.ID == nil {
				t.Fatalf("version %s lacks fields: %+v", s, v)
			}
			entries = append(entries, s)
		}
		for _, cp := range page.CommonPrefixes {
			entries = append(entries, *cp.Prefix)
		}
		sort.SliceStable(entries, func(i, j int) bool {
			ki, _, _ := strings.Cut(entries[i], "@")
			kj, _, _ := strings.Cut(entries[j], "@")
			return ki < kj
		})
		out = append(out, entries...)
		if len(page.DeleteMarkers) != 0 {
			t.Fatalf("delete markers %+v", page.DeleteMarkers)
		}
	}
	return out
}

func TestListObjectVersions(t *testing.T) {
	e := newEnv(t, "us-east-1")
	ctx := context.Background()
	b := aws.String("listed")
	put := func(key, body string) string {
		t.Helper()
		out := must(e.c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader(body)}))(t)
		if out.VersionId == nil {
			return "null"
		}
		return *out.VersionId
	}
	versioning := func(status types.BucketVersioningStatus) {
		t.Helper()
		must(e.c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: status}}))(t)
	}
	check := func(what string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
		}
	}
	must(e.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}))(t)
	if _, err := e.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("absent")}); code(err) != "NoSuchBucket" {
		t.Fatalf("absent bucket: %v", err)
	}
	check("empty", versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b}, 0))
	put("a.txt", "unversioned")
	check("unversioned", versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b}, 0), "a.txt@null*")

	versioning(types.BucketVersioningStatusEnabled)
	a2 := put("a.txt", "two")
	a3 := put("a.txt", "three")
	x := put("dir/x", "x")
	y := put("dir/sub/y", "y")
	z := put("z", "z")
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("z")}))(t) // z is noncurrent now
	all := []string{"a.txt@" + a3 + "*", "a.txt@" + a2, "a.txt@null", "dir/sub/y@" + y + "*", "dir/x@" + x + "*", "z@" + z}
	for _, n := range []int32{0, 1, 2, 5} {
		check(fmt.Sprintf("all, max-keys %d", n), versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b}, n), all...)
	}
	for _, n := range []int32{0, 1} {
		check(fmt.Sprintf("delimiter, max-keys %d", n), versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b, Delimiter: aws.String("/")}, n),
			"a.txt@"+a3+"*", "a.txt@"+a2, "a.txt@null", "dir/", "z@"+z)
		check(fmt.Sprintf("prefix and delimiter, max-keys %d", n), versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("dir/"), Delimiter: aws.String("/")}, n),
			"dir/sub/", "dir/x@"+x+"*")
	}
	check("prefix", versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("dir/")}, 0), "dir/sub/y@"+y+"*", "dir/x@"+x+"*")

	// One page of max-keys 2, by hand: the markers are the last entry's.
	page := must(e.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, MaxKeys: aws.Int32(2)}))(t)
	if !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextKeyMarker) != "a.txt" || aws.ToString(page.NextVersionIdMarker) != a2 || aws.ToInt32(page.MaxKeys) != 2 || aws.ToString(page.Name) != "listed" {
		t.Fatalf("page 1: truncated %v next %v %v", aws.ToBool(page.IsTruncated), aws.ToString(page.NextKeyMarker), aws.ToString(page.NextVersionIdMarker))
	}
	page = must(e.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, KeyMarker: aws.String("a.txt")}))(t)
	if aws.ToBool(page.IsTruncated) || len(page.Versions) != 3 || *page.Versions[0].Key != "dir/sub/y" || aws.ToString(page.KeyMarker) != "a.txt" {
		t.Fatalf("after key-marker a.txt: %+v", page.Versions)
	}
	if _, err := e.c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, VersionIdMarker: aws.String(a2)}); code(err) != "InvalidArgument" {
		t.Fatalf("version-id-marker without key-marker: %v", err)
	}

	// Deleting one version, noncurrent then current: the newest noncurrent one becomes current.
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("a.txt"), VersionId: aws.String(a2)}))(t)
	check("a.txt without "+a2, versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("a")}, 0), "a.txt@"+a3+"*", "a.txt@null")
	must(e.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("a.txt"), VersionId: aws.String(a3)}))(t)
	check("a.txt without "+a3, versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("a")}, 0), "a.txt@null*")
	got := must(e.c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("a.txt")}))(t)
	if data, _ := io.ReadAll(got.Body); string(data) != "unversioned" {
		t.Fatalf("a.txt is %q", data)
	}

	// Suspended: a write is the null version, replacing the noncurrent one.
	versioning(types.BucketVersioningStatusEnabled)
	a4 := put("a.txt", "four")
	versioning(types.BucketVersioningStatusSuspended)
	put("a.txt", "five")
	check("suspended", versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("a")}, 0), "a.txt@null*", "a.txt@"+a4)
	versioning(types.BucketVersioningStatusEnabled)

	// Delete every version a page at a time, each page before asking for the next (so the
	// markers name versions that are gone), as s3.delete_prefix and `aws s3 rm` do.
	put("a.txt", "six")
	put("dir/x", "x2")
	want := len(versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b}, 0))
	deleted := 0
	p := s3.NewListObjectVersionsPaginator(e.c, &s3.ListObjectVersionsInput{Bucket: b, MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page := must(p.NextPage(ctx))(t)
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		if len(ids) == 0 {
			continue
		}
		out := must(e.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: ids}}))(t)
		if len(out.Errors) != 0 || len(out.Deleted) != len(ids) || aws.ToString(out.Deleted[0].VersionId) != *ids[0].VersionId {
			t.Fatalf("DeleteObjects: %+v %+v", out.Deleted, out.Errors)
		}
		deleted += len(ids)
	}
	if deleted != want {
		t.Fatalf("deleted %d versions of %d", deleted, want)
	}
	check("after deleting every version", versionsOf(t, e, &s3.ListObjectVersionsInput{Bucket: b}, 0))
	must(e.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}))(t)
	entries, _ := os.ReadDir(filepath.Join(e.svc.dir, "objects"))
	if len(entries) != 0 {
		t.Fatalf("%d object files left", len(entries))
	}
}
