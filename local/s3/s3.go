// Package s3 serves the subset of Amazon S3 (REST-XML, path-style addressing) that the recipes,
// the AWS CLI (`aws s3 cp/ls/rm`, `aws s3api`) and the SDKs need to stage code packages: buckets
// with their versioning, encryption, public access block and tagging settings; objects with
// metadata, checksums, ranges, copies, batch deletes, multipart uploads and version listings.
//
// Object bodies are files under the data directory (written to a temporary file, synced, then
// renamed into place); every record (buckets, objects, uploads) lives in the endpoint's bbolt
// database, so a record never names a file that is not complete. Requests reach this handler
// after the endpoint's guard checked their SigV4 signature (local/auth); it does not check them
// again.
package s3

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Config is what the service is built from: the database, the folder of the object bodies
// (Dir), the account and region, the logger.
type Config = awsproto.Config

// Service is the local S3 endpoint. It implements http.Handler.
type Service struct {
	cfg   Config
	db    *bolt.DB
	dir   string // objects/ and uploads/ live here
	owner owner
}

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// New opens the S3 state in cfg.DB and stores object bodies under cfg.Dir. Files a crash
// left half-written or unreferenced are removed.
func New(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	dir := cfg.Dir
	for _, d := range []string{filepath.Join(dir, "objects"), filepath.Join(dir, "uploads")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	if err := cfg.Open("s3", bucketBuckets, bucketObjects, bucketVersions, bucketUploads); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, db: cfg.DB, dir: dir, owner: owner{ID: fmt.Sprintf("%064x", []byte(cfg.Account))[:64], DisplayName: "local"}}
	if err := s.removeOrphans(); err != nil {
		cfg.Logf("s3: cleaning up unreferenced files: %v", err)
	}
	return s, nil
}

// IsS3 reports whether r is an S3 request: its SigV4 credential scope (Authorization header or
// presigned X-Amz-Credential query parameter) names the service "s3".
func IsS3(r *http.Request) bool {
	cred := ""
	if a := r.Header.Get("Authorization"); a != "" {
		_, after, ok := strings.Cut(a, "Credential=")
		if !ok {
			return false
		}
		cred, _, _ = strings.Cut(after, ",")
	} else if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		cred = q
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	return len(parts) == 5 && parts[3] == "s3"
}

// ServeHTTP answers one S3 request by its table (api).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := awsproto.S3RequestID()
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", reqID)
	w.Header().Set("Server", "AmazonS3")
	api.Serve(s, w, r)
}

// Path-style addressing: /, /{Bucket}, /{Bucket}/{Key}; a key keeps every slash.
const (
	pathService = "/"
	pathBucket  = "/{Bucket}"
	pathObject  = "/{Bucket}/{Key...}"
)

// api is the table of contents of the service: method, path and sub-resource → operation,
// the first row that matches winning.
var api = &awsproto.Routes[*Service]{
	Protocol: protocol,
	Table: []awsproto.Route[*Service]{
		{Method: http.MethodGet, Path: pathService, Op: (*Service).listBuckets},

		{Method: http.MethodPut, Path: pathBucket, If: has("versioning"), Op: (*Service).putVersioning},
		{Method: http.MethodPut, Path: pathBucket, If: has("encryption"), Op: bucketConfigOp((*Service).putBucketConfig, configEncryption)},
		{Method: http.MethodPut, Path: pathBucket, If: has("publicAccessBlock"), Op: bucketConfigOp((*Service).putBucketConfig, configPublicAccessBlock)},
		{Method: http.MethodPut, Path: pathBucket, If: has("tagging"), Op: bucketConfigOp((*Service).putBucketConfig, configTagging)},
		{Method: http.MethodPut, Path: pathBucket, If: awsproto.NoQuery, Op: (*Service).createBucket},
		{Method: http.MethodGet, Path: pathBucket, If: has("location"), Op: (*Service).getLocation},
		{Method: http.MethodGet, Path: pathBucket, If: has("versioning"), Op: (*Service).getVersioning},
		{Method: http.MethodGet, Path: pathBucket, If: has("encryption"), Op: bucketConfigOp((*Service).getBucketConfig, configEncryption)},
		{Method: http.MethodGet, Path: pathBucket, If: has("publicAccessBlock"), Op: bucketConfigOp((*Service).getBucketConfig, configPublicAccessBlock)},
		{Method: http.MethodGet, Path: pathBucket, If: has("tagging"), Op: bucketConfigOp((*Service).getBucketConfig, configTagging)},
		{Method: http.MethodGet, Path: pathBucket, If: awsproto.QueryIs("list-type", "2"), Op: listObjectsOp(true)},
		{Method: http.MethodGet, Path: pathBucket, If: has("versions"), Op: (*Service).listVersions},
		{Method: http.MethodGet, Path: pathBucket, If: awsproto.HasAnyQuery("uploads", "policy", "acl", "lifecycle", "cors", "website", "notification", "logging", "ownershipControls", "object-lock", "replication"),
			Op: notImplementedOp("this bucket sub-resource")},
		{Method: http.MethodGet, Path: pathBucket, Op: listObjectsOp(false)},
		{Method: http.MethodHead, Path: pathBucket, Op: (*Service).headBucket},
		{Method: http.MethodDelete, Path: pathBucket, If: has("encryption"), Op: bucketConfigOp((*Service).deleteBucketConfig, configEncryption)},
		{Method: http.MethodDelete, Path: pathBucket, If: has("publicAccessBlock"), Op: bucketConfigOp((*Service).deleteBucketConfig, configPublicAccessBlock)},
		{Method: http.MethodDelete, Path: pathBucket, If: has("tagging"), Op: bucketConfigOp((*Service).deleteBucketConfig, configTagging)},
		{Method: http.MethodDelete, Path: pathBucket, If: awsproto.NoQuery, Op: (*Service).deleteBucket},
		{Method: http.MethodPost, Path: pathBucket, If: has("delete"), Op: (*Service).deleteObjects},

		{Method: http.MethodPut, Path: pathObject, If: awsproto.All(has("uploadId"), isCopy), Op: (*Service).uploadPartCopy},
		{Method: http.MethodPut, Path: pathObject, If: has("uploadId"), Op: (*Service).uploadPart},
		{Method: http.MethodPut, Path: pathObject, If: awsproto.HasAnyQuery("tagging", "acl", "retention", "legal-hold"), Op: notImplementedOp("this object sub-resource")},
		{Method: http.MethodPut, Path: pathObject, If: isCopy, Op: (*Service).copyObject},
		{Method: http.MethodPut, Path: pathObject, Op: (*Service).putObject},
		{Method: http.MethodGet, Path: pathObject, If: awsproto.HasAnyQuery("uploadId", "tagging", "acl", "attributes"), Op: notImplementedOp("this object sub-resource")},
		{Method: http.MethodGet, Path: pathObject, Op: getObjectOp(false)},
		{Method: http.MethodHead, Path: pathObject, Op: getObjectOp(true)},
		{Method: http.MethodDelete, Path: pathObject, If: has("uploadId"), Op: (*Service).abortUpload},
		{Method: http.MethodDelete, Path: pathObject, Op: (*Service).deleteObject},
		{Method: http.MethodPost, Path: pathObject, If: has("uploads"), Op: (*Service).createUpload},
		{Method: http.MethodPost, Path: pathObject, If: has("uploadId"), Op: (*Service).completeUpload},
	},
	NotFound: func(r *http.Request) error {
		level := "object"
		if bucket, key := splitPath(r.URL.Path); bucket == "" {
			level = "service"
		} else if key == "" {
			level = "bucket"
		}
		return errMethodNotAllowed(r.Method, level)
	},
}

// protocol writes the service's errors: rest-xml with S3's error shape.
var protocol = awsproto.RestXML{}

var (
	has    = awsproto.HasQuery
	isCopy = awsproto.HasHeader("x-amz-copy-source")
)

type op = func(*Service, http.ResponseWriter, *http.Request) error

func bucketConfigOp(f func(*Service, http.ResponseWriter, *http.Request, bucketConfig) error, c bucketConfig) op {
	return func(s *Service, w http.ResponseWriter, r *http.Request) error { return f(s, w, r, c) }
}

func listObjectsOp(v2 bool) op {
	return func(s *Service, w http.ResponseWriter, r *http.Request) error { return s.listObjects(w, r, v2) }
}

func getObjectOp(head bool) op {
	return func(s *Service, w http.ResponseWriter, r *http.Request) error { return s.getObject(w, r, head) }
}

func notImplementedOp(what string) op {
	return func(*Service, http.ResponseWriter, *http.Request) error { return notImplemented(what) }
}

// splitPath turns /bucket/some/key into ("bucket", "some/key"). Keys keep every slash.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// apiError is the error of every operation (local/internal/awsproto): Code and Message go
// into the XML body (HEAD responses carry only the status), Elements add elements such as
// BucketName or Key.
type apiError = awsproto.Error

// s3err returns an error with the elements (name, value, ...) after its message.
func s3err(status int, code, msg string, elements ...string) *apiError {
	return (&apiError{Status: status, Code: code, Message: msg}).With(elements...)
}

func errNoSuchBucket(b string) *apiError {
	return s3err(404, "NoSuchBucket", "The specified bucket does not exist", "BucketName", b)
}
func errNoSuchKey(k string) *apiError {
	return s3err(404, "NoSuchKey", "The specified key does not exist.", "Key", k)
}
func errNoSuchVersion(k, v string) *apiError {
	return s3err(404, "NoSuchVersion", "The specified version does not exist.", "Key", k, "VersionId", v)
}
func errNoSuchUpload(id string) *apiError {
	return s3err(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", "UploadId", id)
}
func errMalformedXML() *apiError {
	return s3err(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}
func errInvalidArgument(msg, name, value string) *apiError {
	return s3err(400, "InvalidArgument", msg, "ArgumentName", name, "ArgumentValue", value)
}
func errMethodNotAllowed(method, what string) *apiError {
	return s3err(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", "Method", method, "ResourceType", strings.ToUpper(what))
}
func notImplemented(what string) *apiError {
	return s3err(501, "NotImplemented", "A header you provided implies functionality that is not implemented (the local endpoint does not serve "+what+")")
}

func writeXML(w http.ResponseWriter, status int, v any) { protocol.Write(w, status, v) }

// readXML decodes a small XML request body into v; anything unparsable is MalformedXML.
func readXML(r *http.Request, v any) error {
	body, err := readBody(r, 1<<20)
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return errMalformedXML()
	}
	return nil
}

// readBody reads a (possibly aws-chunked) request body of at most max bytes.
func readBody(r *http.Request, max int64) ([]byte, error) {
	body, _, err := decodedBody(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	if e, ok := err.(*apiError); ok {
		return nil, e
	}
	if err != nil {
		return nil, s3err(400, "IncompleteBody", "The request body terminated unexpectedly")
	}
	if int64(len(b)) > max {
		return nil, s3err(400, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	return b, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// timeXML is the timestamp format of S3 XML bodies.
func timeXML(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// urlEncode is encoding-type=url: what botocore decodes with unquote_plus.
func urlEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/") }
