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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Config identifies the account and region the service answers for.
type Config struct {
	Account string
	Region  string
	Logf    func(format string, args ...any)
}

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

// New opens the S3 state in db and stores object bodies under dir. Files a crash left
// half-written or unreferenced are removed.
func New(db *bolt.DB, dir string, cfg Config) (*Service, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	for _, d := range []string{filepath.Join(dir, "objects"), filepath.Join(dir, "uploads")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	s := &Service{cfg: cfg, db: db, dir: dir, owner: owner{ID: fmt.Sprintf("%064x", []byte(cfg.Account))[:64], DisplayName: "local"}}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBuckets, bucketObjects, bucketVersions, bucketUploads} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("opening S3 state: %w", err)
	}
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

// ServeHTTP dispatches one S3 request by method, path (/bucket/key) and sub-resource.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := strings.ToUpper(randomHex(8))
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", reqID)
	w.Header().Set("Server", "AmazonS3")
	bucket, key := splitPath(r.URL.Path)
	var err error
	if bucket == "" {
		switch r.Method {
		case http.MethodGet:
			err = s.listBuckets(w, r)
		default:
			err = errMethodNotAllowed(r.Method, "service")
		}
	} else if key == "" {
		err = s.serveBucket(w, r, bucket)
	} else {
		err = s.serveObject(w, r, bucket, key)
	}
	if err != nil {
		writeError(w, r, reqID, err)
	}
}

// splitPath turns /bucket/some/key into ("bucket", "some/key"). Keys keep every slash.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

func (s *Service) serveBucket(w http.ResponseWriter, r *http.Request, bucket string) error {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	switch r.Method {
	case http.MethodPut:
		switch {
		case has("versioning"):
			return s.putVersioning(w, r, bucket)
		case has("encryption"):
			return s.putBucketConfig(w, r, bucket, configEncryption)
		case has("publicAccessBlock"):
			return s.putBucketConfig(w, r, bucket, configPublicAccessBlock)
		case has("tagging"):
			return s.putBucketConfig(w, r, bucket, configTagging)
		case len(q) == 0:
			return s.createBucket(w, r, bucket)
		}
	case http.MethodGet:
		switch {
		case has("location"):
			return s.getLocation(w, bucket)
		case has("versioning"):
			return s.getVersioning(w, bucket)
		case has("encryption"):
			return s.getBucketConfig(w, bucket, configEncryption)
		case has("publicAccessBlock"):
			return s.getBucketConfig(w, bucket, configPublicAccessBlock)
		case has("tagging"):
			return s.getBucketConfig(w, bucket, configTagging)
		case q.Get("list-type") == "2":
			return s.listObjects(w, r, bucket, true)
		case has("versions"):
			return s.listVersions(w, r, bucket)
		case has("uploads"), has("policy"), has("acl"), has("lifecycle"), has("cors"), has("website"), has("notification"), has("logging"), has("ownershipControls"), has("object-lock"), has("replication"):
			return notImplemented("this bucket sub-resource")
		default:
			return s.listObjects(w, r, bucket, false)
		}
	case http.MethodHead:
		return s.headBucket(w, bucket)
	case http.MethodDelete:
		switch {
		case has("encryption"):
			return s.deleteBucketConfig(w, bucket, configEncryption)
		case has("publicAccessBlock"):
			return s.deleteBucketConfig(w, bucket, configPublicAccessBlock)
		case has("tagging"):
			return s.deleteBucketConfig(w, bucket, configTagging)
		case len(q) == 0:
			return s.deleteBucket(w, bucket)
		}
	case http.MethodPost:
		if has("delete") {
			return s.deleteObjects(w, r, bucket)
		}
	}
	return errMethodNotAllowed(r.Method, "bucket")
}

func (s *Service) serveObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	switch r.Method {
	case http.MethodPut:
		switch {
		case has("uploadId") && r.Header.Get("x-amz-copy-source") != "":
			return s.uploadPartCopy(w, r, bucket, key)
		case has("uploadId"):
			return s.uploadPart(w, r, bucket, key)
		case has("tagging"), has("acl"), has("retention"), has("legal-hold"):
			return notImplemented("this object sub-resource")
		case r.Header.Get("x-amz-copy-source") != "":
			return s.copyObject(w, r, bucket, key)
		default:
			return s.putObject(w, r, bucket, key)
		}
	case http.MethodGet:
		if has("uploadId") || has("tagging") || has("acl") || has("attributes") {
			return notImplemented("this object sub-resource")
		}
		return s.getObject(w, r, bucket, key, false)
	case http.MethodHead:
		return s.getObject(w, r, bucket, key, true)
	case http.MethodDelete:
		if has("uploadId") {
			return s.abortUpload(w, bucket, key, q.Get("uploadId"))
		}
		return s.deleteObject(w, r, bucket, key)
	case http.MethodPost:
		switch {
		case has("uploads"):
			return s.createUpload(w, r, bucket, key)
		case has("uploadId"):
			return s.completeUpload(w, r, bucket, key, q.Get("uploadId"))
		}
	}
	return errMethodNotAllowed(r.Method, "object")
}

// Error is an S3 error response: Code and Message go into the XML body (HEAD responses carry
// only the status), Extra adds elements such as BucketName or Key.
type Error struct {
	Status  int
	Code    string
	Message string
	Extra   [][2]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func s3err(status int, code, msg string, extra ...string) *Error {
	e := &Error{Status: status, Code: code, Message: msg}
	for i := 0; i+1 < len(extra); i += 2 {
		e.Extra = append(e.Extra, [2]string{extra[i], extra[i+1]})
	}
	return e
}

func errNoSuchBucket(b string) *Error {
	return s3err(404, "NoSuchBucket", "The specified bucket does not exist", "BucketName", b)
}
func errNoSuchKey(k string) *Error {
	return s3err(404, "NoSuchKey", "The specified key does not exist.", "Key", k)
}
func errNoSuchVersion(k, v string) *Error {
	return s3err(404, "NoSuchVersion", "The specified version does not exist.", "Key", k, "VersionId", v)
}
func errNoSuchUpload(id string) *Error {
	return s3err(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", "UploadId", id)
}
func errMalformedXML() *Error {
	return s3err(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}
func errInvalidArgument(msg, name, value string) *Error {
	return s3err(400, "InvalidArgument", msg, "ArgumentName", name, "ArgumentValue", value)
}
func errMethodNotAllowed(method, what string) *Error {
	return s3err(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", "Method", method, "ResourceType", strings.ToUpper(what))
}
func notImplemented(what string) *Error {
	return s3err(501, "NotImplemented", "A header you provided implies functionality that is not implemented (the local endpoint does not serve "+what+")")
}

func writeError(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = s3err(500, "InternalError", "We encountered an internal error. Please try again. (local: "+err.Error()+")")
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>")
	xml.EscapeText(&b, []byte(e.Code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message>")
	for _, kv := range e.Extra {
		fmt.Fprintf(&b, "<%s>", kv[0])
		xml.EscapeText(&b, []byte(kv[1]))
		fmt.Fprintf(&b, "</%s>", kv[0])
	}
	fmt.Fprintf(&b, "<RequestId>%s</RequestId><HostId>%s</HostId></Error>", reqID, reqID)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(e.Status)
	io.WriteString(w, b.String())
}

func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(out)))
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}

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
	if e, ok := err.(*Error); ok {
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
