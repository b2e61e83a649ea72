package s3

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Headers kept with an object and returned by GET and HEAD.
var storedHeaders = []string{"Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", "X-Amz-Website-Redirect-Location"}

// objectHeaders collects the stored headers and x-amz-meta-* of a request.
func objectHeaders(r *http.Request) (headers, meta map[string]string) {
	headers, meta = map[string]string{}, map[string]string{}
	for _, h := range storedHeaders {
		v := r.Header.Get(h)
		if h == "Content-Encoding" {
			var keep []string
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
					keep = append(keep, e)
				}
			}
			v = strings.Join(keep, ",")
		}
		if v != "" {
			headers[h] = v
		}
	}
	if headers["Content-Type"] == "" {
		headers["Content-Type"] = "binary/octet-stream"
	}
	for k, v := range r.Header {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			meta[name] = strings.Join(v, ",")
		}
	}
	return headers, meta
}

// readObjectBody stores a request body as a new object file and returns the record to write
// (Key, Modified and VersionID are the caller's).
func (s *Service) readObjectBody(r *http.Request, dir string) (*objectRec, error) {
	body, trailer, err := decodedBody(r)
	if err != nil {
		return nil, err
	}
	hr := newHashingReader(body, wantedChecksums(r))
	tmp, n, err := writeTemp(dir, hr)
	if err != nil {
		if e, ok := err.(*apiError); ok {
			return nil, e
		}
		if strings.Contains(err.Error(), "unexpected EOF") || strings.Contains(err.Error(), "IncompleteBody") {
			return nil, errIncomplete()
		}
		return nil, err
	}
	if want := decodedLength(r); want >= 0 && n != want {
		os.Remove(tmp)
		return nil, errIncomplete()
	}
	sums, err := hr.verify(r, trailer)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	name, err := commitFile(tmp, dir)
	if err != nil {
		return nil, err
	}
	return &objectRec{Size: n, ETag: quoteETag(hr.md5Hex()), Checksums: sums, File: name}, nil
}

// writeObject makes rec the current version of bucket/key. In a versioned bucket the replaced
// object stays as a noncurrent version; otherwise its file is removed.
func (s *Service) writeObject(bucket string, rec *objectRec) error {
	var drop []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketTx(tx, bucket)
		if err != nil {
			return err
		}
		cur, err := getJSON[objectRec](tx, bucketObjects, objectKey(bucket, rec.Key))
		if err != nil {
			return err
		}
		rec.VersionID = ""
		switch b.Versioning {
		case "Enabled":
			rec.VersionID = newVersionID()
		case "Suspended":
			rec.VersionID = "null"
		}
		if b.Versioning == "Suspended" {
			// The new object is the "null" version: it replaces a noncurrent one.
			if drop, err = dropNullVersion(tx, bucket, rec.Key); err != nil {
				return err
			}
		}
		if cur != nil {
			if b.Versioning == "Enabled" || (b.Versioning == "Suspended" && currentID(cur) != "null") {
				if err := putJSON(tx, bucketVersions, versionKey(bucket, rec.Key, currentID(cur)), cur); err != nil {
					return err
				}
			} else {
				drop = append(drop, cur.File)
			}
		}
		return putJSON(tx, bucketObjects, objectKey(bucket, rec.Key), rec)
	})
	if err != nil {
		s.removeFiles(rec.File)
		return err
	}
	s.removeFiles(drop...)
	return nil
}

func setObjectHeaders(w http.ResponseWriter, o *objectRec) {
	h := w.Header()
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
	h.Set("x-amz-server-side-encryption", "AES256")
	if o.VersionID != "" {
		h.Set("x-amz-version-id", o.VersionID)
	}
	for k, v := range o.Headers {
		h.Set(k, v)
	}
	for k, v := range o.Meta {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if o.Parts > 0 {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(o.Parts))
	}
}

func setChecksumHeaders(w http.ResponseWriter, sums map[string]string) {
	for alg, v := range sums {
		w.Header().Set("x-amz-checksum-"+alg, v)
	}
	if len(sums) > 0 {
		w.Header().Set("x-amz-checksum-type", "FULL_OBJECT")
	}
}

func (s *Service) putObject(w http.ResponseWriter, r *http.Request) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	if _, err := s.bucket(bucket); err != nil {
		return err
	}
	if len(key) > 1024 {
		return s3err(400, "KeyTooLongError", "Your key is too long")
	}
	rec, err := s.readObjectBody(r, s.objectPath(""))
	if err != nil {
		return err
	}
	rec.Key, rec.Modified = key, time.Now().UTC()
	rec.Headers, rec.Meta = objectHeaders(r)
	if err := s.writeObject(bucket, rec); err != nil {
		return err
	}
	w.Header().Set("ETag", rec.ETag)
	w.Header().Set("x-amz-server-side-encryption", "AES256")
	if rec.VersionID != "" {
		w.Header().Set("x-amz-version-id", rec.VersionID)
	}
	setChecksumHeaders(w, rec.Checksums)
	w.WriteHeader(http.StatusOK)
	return nil
}

// Open returns the body of an object (the given version, or the current one when versionID is
// ""). Errors are *Error with the S3 code (NoSuchBucket, NoSuchKey, NoSuchVersion).
func (s *Service) Open(bucket, key, versionID string) (io.ReadCloser, int64, error) {
	o, err := s.lookup(bucket, key, versionID)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(s.objectPath(o.File))
	if err != nil {
		return nil, 0, err
	}
	return f, o.Size, nil
}

// Keys lists the current keys of a bucket that start with prefix (at most max).
func (s *Service) Keys(bucket, prefix string, max int) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := bucketTx(tx, bucket); err != nil {
			return err
		}
		return forEachObject(tx, bucket, prefix, func(o *objectRec) (bool, error) {
			if !strings.HasPrefix(o.Key, prefix) || len(out) >= max {
				return false, nil
			}
			out = append(out, o.Key)
			return true, nil
		})
	})
	return out, err
}

func (s *Service) getObject(w http.ResponseWriter, r *http.Request, head bool) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	q := r.URL.Query()
	o, err := s.lookup(bucket, key, q.Get("versionId"))
	if err != nil {
		return err
	}
	if status := checkConditions(r, o); status != 0 {
		setObjectHeaders(w, o)
		if status == http.StatusPreconditionFailed {
			return s3err(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", "Condition", "If-Match")
		}
		w.WriteHeader(status)
		return nil
	}
	start, length, partial, err := parseRange(r.Header.Get("Range"), o.Size)
	if err != nil {
		return err
	}
	var f *os.File
	if !head {
		if f, err = os.Open(s.objectPath(o.File)); err != nil {
			return errNoSuchKey(key) // replaced or deleted since the lookup
		}
		defer f.Close()
	}
	setObjectHeaders(w, o)
	for _, p := range []string{"Content-Type", "Content-Language", "Expires", "Cache-Control", "Content-Disposition", "Content-Encoding"} {
		if v := q.Get("response-" + strings.ToLower(p)); v != "" {
			w.Header().Set(p, v)
		}
	}
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, o.Size))
	} else if strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED") {
		setChecksumHeaders(w, o.Checksums)
	}
	w.WriteHeader(status)
	if head {
		return nil
	}
	if start > 0 {
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return nil
		}
	}
	io.CopyN(w, f, length)
	return nil
}

// checkConditions evaluates If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since: 0 to go on, 304 or 412 otherwise.
func checkConditions(r *http.Request, o *objectRec) int {
	etag := unquoteETag(o.ETag)
	mod := o.Modified.Truncate(time.Second)
	if v := r.Header.Get("If-Match"); v != "" && v != "*" && unquoteETag(v) != etag {
		return http.StatusPreconditionFailed
	}
	if v := r.Header.Get("If-Unmodified-Since"); v != "" && r.Header.Get("If-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if v := r.Header.Get("If-None-Match"); v != "" {
		if v == "*" || unquoteETag(v) == etag {
			return http.StatusNotModified
		}
	} else if v := r.Header.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// parseRange understands one byte range (bytes=a-b, bytes=a-, bytes=-n); others are ignored
// like S3 does for syntactically invalid ranges.
func parseRange(h string, size int64) (start, length int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	unsatisfiable := s3err(416, "InvalidRange", "The requested range is not satisfiable", "RangeRequested", h, "ActualObjectSize", strconv.FormatInt(size, 10))
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return 0, size, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsatisfiable
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last := size - 1
	var err2 error
	if b != "" {
		last, err2 = strconv.ParseInt(b, 10, 64)
	}
	if err1 != nil || err2 != nil {
		return 0, size, false, nil
	}
	if first >= size {
		return 0, 0, false, unsatisfiable
	}
	if last < first {
		return 0, size, false, nil
	}
	last = min(last, size-1)
	return first, last - first + 1, true, nil
}

// deleteObject removes the current object (in a versioned bucket it stays as a noncurrent
// version and the answer reports a delete marker), or one version when versionId is given.
func (s *Service) deleteObject(w http.ResponseWriter, r *http.Request) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	versionID := r.URL.Query().Get("versionId")
	res, err := s.remove(bucket, key, versionID)
	if err != nil {
		return err
	}
	if res.marker {
		w.Header().Set("x-amz-delete-marker", "true")
	}
	if res.versionID != "" {
		w.Header().Set("x-amz-version-id", res.versionID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type removed struct {
	marker    bool
	versionID string
}

func (s *Service) remove(bucket, key, versionID string) (removed, error) {
	var res removed
	var drop []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketTx(tx, bucket)
		if err != nil {
			return err
		}
		ok := objectKey(bucket, key)
		cur, err := getJSON[objectRec](tx, bucketObjects, ok)
		if err != nil {
			return err
		}
		if versionID == "" {
			// S3 would add a delete marker (with a new id, or "null" when versioning is
			// suspended, which then replaces the null version); markers are not stored, so the
			// current object just becomes noncurrent.
			switch b.Versioning {
			case "Enabled":
				res = removed{marker: true, versionID: newVersionID()}
			case "Suspended":
				res = removed{marker: true, versionID: "null"}
				if drop, err = dropNullVersion(tx, bucket, key); err != nil {
					return err
				}
			}
			if cur == nil {
				return nil
			}
			if res.marker && currentID(cur) != "null" {
				if err := putJSON(tx, bucketVersions, versionKey(bucket, key, currentID(cur)), cur); err != nil {
					return err
				}
			} else {
				drop = append(drop, cur.File)
			}
			return tx.Bucket(bucketObjects).Delete(ok)
		}
		res.versionID = versionID
		if cur != nil && versionMatches(cur, versionID) {
			drop = append(drop, cur.File)
			if err := tx.Bucket(bucketObjects).Delete(ok); err != nil {
				return err
			}
			// The newest noncurrent version becomes current.
			old, err := noncurrentVersions(tx, bucket, key)
			if err != nil || len(old) == 0 {
				return err
			}
			if err := tx.Bucket(bucketVersions).Delete(versionKey(bucket, key, old[0].id)); err != nil {
				return err
			}
			return putJSON(tx, bucketObjects, ok, old[0].rec)
		}
		vk := versionKey(bucket, key, versionID)
		old, err := getJSON[objectRec](tx, bucketVersions, vk)
		if err != nil || old == nil {
			return err
		}
		drop = append(drop, old.File)
		return tx.Bucket(bucketVersions).Delete(vk)
	})
	if err != nil {
		return res, err
	}
	s.removeFiles(drop...)
	return res, nil
}

func (s *Service) deleteObjects(w http.ResponseWriter, r *http.Request) error {
	bucket := r.PathValue("Bucket")
	var in struct {
		Quiet   bool `xml:"Quiet"`
		Objects []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Object"`
	}
	if _, err := s.bucket(bucket); err != nil {
		return err
	}
	if err := readXML(r, &in); err != nil {
		return err
	}
	if len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return errMalformedXML()
	}
	type deleted struct {
		Key                   string `xml:"Key"`
		VersionID             string `xml:"VersionId,omitempty"`
		DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
		DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
	}
	type failed struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId,omitempty"`
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
	}
	out := struct {
		XMLName xml.Name  `xml:"DeleteResult"`
		NS      string    `xml:"xmlns,attr"`
		Deleted []deleted `xml:"Deleted"`
		Errors  []failed  `xml:"Error"`
	}{NS: xmlns}
	for _, o := range in.Objects {
		res, err := s.remove(bucket, o.Key, o.VersionID)
		if err != nil {
			e, ok := err.(*apiError)
			if !ok {
				e = &apiError{Code: "InternalError", Message: err.Error()}
			}
			out.Errors = append(out.Errors, failed{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if in.Quiet {
			continue
		}
		d := deleted{Key: o.Key, VersionID: o.VersionID}
		if res.marker {
			d.DeleteMarker, d.DeleteMarkerVersionID = true, res.versionID
		}
		out.Deleted = append(out.Deleted, d)
	}
	writeXML(w, http.StatusOK, out)
	return nil
}

// copySource parses x-amz-copy-source: [/]bucket/key[?versionId=V], URL-encoded.
func copySource(r *http.Request) (bucket, key, version string, err error) {
	src := r.Header.Get("x-amz-copy-source")
	path, query, _ := strings.Cut(src, "?")
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	bucket, key = splitPath("/" + strings.TrimPrefix(path, "/"))
	if bucket == "" || key == "" {
		return "", "", "", errInvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", src)
	}
	if q, err := url.ParseQuery(query); err == nil {
		version = q.Get("versionId")
	}
	return bucket, key, version, nil
}

// linkFile gives an existing object file a second name (files never change once written, so a
// hard link is a copy), copying it when the file system cannot link.
func (s *Service) linkFile(from, toDir string) (string, error) {
	name := randomHex(16)
	to := toDir + "/" + name
	if err := os.Link(s.objectPath(from), to); err == nil {
		return name, nil
	}
	f, err := os.Open(s.objectPath(from))
	if err != nil {
		return "", err
	}
	defer f.Close()
	tmp, _, err := writeTemp(toDir, f)
	if err != nil {
		return "", err
	}
	return name, os.Rename(tmp, to)
}

func (s *Service) copyObject(w http.ResponseWriter, r *http.Request) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	sb, sk, sv, err := copySource(r)
	if err != nil {
		return err
	}
	if _, err := s.bucket(bucket); err != nil {
		return err
	}
	src, err := s.lookup(sb, sk, sv)
	if err != nil {
		return err
	}
	replace := strings.EqualFold(r.Header.Get("x-amz-metadata-directive"), "REPLACE")
	if sb == bucket && sk == key && sv == "" && !replace && r.Header.Get("x-amz-storage-class") == "" {
		return s3err(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	file, err := s.linkFile(src.File, s.objectPath(""))
	if err != nil {
		return errNoSuchKey(sk)
	}
	rec := &objectRec{Key: key, Size: src.Size, ETag: src.ETag, Modified: time.Now().UTC(), Headers: src.Headers, Meta: src.Meta, Checksums: src.Checksums, Parts: src.Parts, File: file}
	if replace {
		rec.Headers, rec.Meta = objectHeaders(r)
	}
	if err := s.writeObject(bucket, rec); err != nil {
		return err
	}
	if src.VersionID != "" {
		w.Header().Set("x-amz-copy-source-version-id", src.VersionID)
	}
	if rec.VersionID != "" {
		w.Header().Set("x-amz-version-id", rec.VersionID)
	}
	w.Header().Set("x-amz-server-side-encryption", "AES256")
	writeXML(w, http.StatusOK, struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		NS           string   `xml:"xmlns,attr"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}{NS: xmlns, LastModified: timeXML(rec.Modified), ETag: rec.ETag})
	return nil
}

// listParams are the parameters every listing takes.
type listParams struct {
	bucket        string
	prefix, delim string
	encode        bool // encoding-type=url
	maxKeys       int
}

// parseListParams reads the bucket, prefix, delimiter, encoding-type and max-keys (at most
// 1000) of a listing.
func parseListParams(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	lp := listParams{bucket: r.PathValue("Bucket"), prefix: q.Get("prefix"), delim: q.Get("delimiter"), maxKeys: 1000}
	switch et := q.Get("encoding-type"); et {
	case "url":
		lp.encode = true
	case "":
	default:
		return lp, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", et)
	}
	if m := q.Get("max-keys"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return lp, errInvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", m)
		}
		lp.maxKeys = min(n, 1000)
	}
	return lp, nil
}

// commonPrefix returns the common prefix key is rolled up into (the prefix, then key up to
// and including the delimiter), or "" when key is listed by itself.
func (lp listParams) commonPrefix(key string) string {
	if lp.delim == "" {
		return ""
	}
	if i := strings.Index(key[len(lp.prefix):], lp.delim); i >= 0 {
		return key[:len(lp.prefix)+i+len(lp.delim)]
	}
	return ""
}

// encoder returns how keys and prefixes are written in a listing: URL-encoded when the
// request asked for encoding-type=url, as they are otherwise.
func (lp listParams) encoder() func(string) string {
	if lp.encode {
		return urlEncode
	}
	return func(s string) string { return s }
}

// encodingType is the EncodingType element of the answer.
func (lp listParams) encodingType() string {
	if lp.encode {
		return "url"
	}
	return ""
}

type listEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

// listHead is what every listing's answer starts with.
type listHead struct {
	NS     string `xml:"xmlns,attr"`
	Name   string `xml:"Name"`
	Prefix string `xml:"Prefix"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listObjects serves ListObjectsV2 (list-type=2) and ListObjects (v1). Continuation tokens
// are opaque: base64 of "o:KEY" (resume after that object) or "p:PREFIX" (after that common
// prefix and everything under it).
func (s *Service) listObjects(w http.ResponseWriter, r *http.Request, v2 bool) error {
	lp, err := parseListParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	bucket, prefix, delim, maxKeys, enc := lp.bucket, lp.prefix, lp.delim, lp.maxKeys, lp.encoder()
	afterKind, after := "o", ""
	token := q.Get("continuation-token")
	if v2 {
		after = q.Get("start-after")
		if token != "" {
			raw, err := base64.RawURLEncoding.DecodeString(token)
			kind, rest, ok := strings.Cut(string(raw), ":")
			if err != nil || !ok || (kind != "o" && kind != "p") {
				return errInvalidArgument("The continuation token provided is incorrect", "continuation-token", token)
			}
			afterKind, after = kind, rest
		}
	} else {
		after = q.Get("marker")
		if delim != "" && strings.HasSuffix(after, delim) && strings.HasPrefix(after, prefix) && strings.Contains(after[len(prefix):], delim) {
			afterKind = "p"
		}
	}
	var contents []listEntry
	var prefixes []commonPrefix
	truncated := false
	last := ""
	err = s.db.View(func(tx *bolt.Tx) error {
		if _, err := bucketTx(tx, bucket); err != nil {
			return err
		}
		from := prefix
		if after > from {
			from = after
		}
		count := 0
		lastPrefix := ""
		return forEachObject(tx, bucket, from, func(o *objectRec) (bool, error) {
			k := o.Key
			if !strings.HasPrefix(k, prefix) {
				return k < prefix, nil
			}
			if after != "" && (k <= after && afterKind == "o" || afterKind == "p" && (k <= after || strings.HasPrefix(k, after))) {
				return true, nil
			}
			if cp := lp.commonPrefix(k); cp != "" {
				if cp == lastPrefix {
					return true, nil
				}
				if count == maxKeys {
					truncated = true
					return false, nil
				}
				lastPrefix = cp
				prefixes = append(prefixes, commonPrefix{enc(cp)})
				count++
				last = "p:" + cp
				return true, nil
			}
			if count == maxKeys {
				truncated = true
				return false, nil
			}
			e := listEntry{Key: enc(k), LastModified: timeXML(o.Modified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD"}
			if !v2 || q.Get("fetch-owner") == "true" {
				e.Owner = &s.owner
			}
			contents = append(contents, e)
			count++
			last = "o:" + k
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	encodingType := lp.encodingType()
	if v2 {
		out := struct {
			XMLName xml.Name `xml:"ListBucketResult"`
			listHead
			Delimiter             string         `xml:"Delimiter,omitempty"`
			MaxKeys               int            `xml:"MaxKeys"`
			EncodingType          string         `xml:"EncodingType,omitempty"`
			KeyCount              int            `xml:"KeyCount"`
			IsTruncated           bool           `xml:"IsTruncated"`
			ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
			NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
			StartAfter            string         `xml:"StartAfter,omitempty"`
			Contents              []listEntry    `xml:"Contents"`
			CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
		}{listHead: listHead{xmlns, bucket, enc(prefix)}, Delimiter: enc(delim), MaxKeys: maxKeys, EncodingType: encodingType,
			KeyCount: len(contents) + len(prefixes), IsTruncated: truncated, ContinuationToken: token,
			StartAfter: enc(q.Get("start-after")), Contents: contents, CommonPrefixes: prefixes}
		if truncated {
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
		}
		writeXML(w, http.StatusOK, out)
		return nil
	}
	out := struct {
		XMLName xml.Name `xml:"ListBucketResult"`
		listHead
		Marker         string         `xml:"Marker"`
		NextMarker     string         `xml:"NextMarker,omitempty"`
		Delimiter      string         `xml:"Delimiter,omitempty"`
		MaxKeys        int            `xml:"MaxKeys"`
		EncodingType   string         `xml:"EncodingType,omitempty"`
		IsTruncated    bool           `xml:"IsTruncated"`
		Contents       []listEntry    `xml:"Contents"`
		CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
	}{listHead: listHead{xmlns, bucket, enc(prefix)}, Marker: enc(q.Get("marker")), Delimiter: enc(delim), MaxKeys: maxKeys,
		EncodingType: encodingType, IsTruncated: truncated, Contents: contents, CommonPrefixes: prefixes}
	if truncated && delim != "" {
		out.NextMarker = enc(last[2:])
	}
	writeXML(w, http.StatusOK, out)
	return nil
}
