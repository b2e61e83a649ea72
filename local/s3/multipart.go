package s3

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// minPartSize is S3's lower bound for every part but the last.
const minPartSize = 5 << 20

func (s *Service) upload(id string) (*uploadRec, error) {
	var u *uploadRec
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		u, err = getJSON[uploadRec](tx, bucketUploads, []byte(id))
		return err
	})
	if err == nil && u == nil {
		err = errNoSuchUpload(id)
	}
	return u, err
}

func (s *Service) createUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	if _, err := s.bucket(bucket); err != nil {
		return err
	}
	u := &uploadRec{ID: randomHex(32), Bucket: bucket, Key: key, Initiated: time.Now().UTC(), Parts: map[int]*partRec{}}
	u.Headers, u.Meta = objectHeaders(r)
	if err := s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx, bucketUploads, []byte(u.ID), u) }); err != nil {
		return err
	}
	if a := r.Header.Get("x-amz-checksum-algorithm"); a != "" {
		w.Header().Set("x-amz-checksum-algorithm", a)
	}
	w.Header().Set("x-amz-server-side-encryption", "AES256")
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}{NS: xmlns, Bucket: bucket, Key: key, UploadID: u.ID})
	return nil
}

func partNumber(r *http.Request) (int, error) {
	v := r.URL.Query().Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}

// checkUpload finds the upload a part request names, checking it belongs to bucket/key.
func (s *Service) checkUpload(r *http.Request, bucket, key string) (*uploadRec, int, error) {
	if _, err := s.bucket(bucket); err != nil {
		return nil, 0, err
	}
	n, err := partNumber(r)
	if err != nil {
		return nil, 0, err
	}
	id := r.URL.Query().Get("uploadId")
	u, err := s.upload(id)
	if err != nil {
		return nil, 0, err
	}
	if u.Bucket != bucket || u.Key != key {
		return nil, 0, errNoSuchUpload(id)
	}
	return u, n, nil
}

// savePart records a part file, replacing (and removing) an earlier upload of the same number.
func (s *Service) savePart(id string, n int, p *partRec) error {
	old := ""
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, err := getJSON[uploadRec](tx, bucketUploads, []byte(id))
		if err != nil {
			return err
		}
		if u == nil {
			return errNoSuchUpload(id)
		}
		if u.Parts == nil {
			u.Parts = map[int]*partRec{}
		}
		if prev := u.Parts[n]; prev != nil {
			old = prev.File
		}
		u.Parts[n] = p
		return putJSON(tx, bucketUploads, []byte(id), u)
	})
	if err != nil {
		os.Remove(s.uploadPath(p.File))
		return err
	}
	if old != "" {
		os.Remove(s.uploadPath(old))
	}
	return nil
}

func (s *Service) uploadPart(w http.ResponseWriter, r *http.Request) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	u, n, err := s.checkUpload(r, bucket, key)
	if err != nil {
		return err
	}
	rec, err := s.readObjectBody(r, s.uploadPath(""))
	if err != nil {
		return err
	}
	if err := s.savePart(u.ID, n, &partRec{ETag: rec.ETag, Size: rec.Size, File: rec.File, Checksums: rec.Checksums, Modified: time.Now().UTC()}); err != nil {
		return err
	}
	w.Header().Set("ETag", rec.ETag)
	w.Header().Set("x-amz-server-side-encryption", "AES256")
	for alg, v := range rec.Checksums {
		w.Header().Set("x-amz-checksum-"+alg, v)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) uploadPartCopy(w http.ResponseWriter, r *http.Request) error {
	bucket, key := r.PathValue("Bucket"), r.PathValue("Key")
	u, n, err := s.checkUpload(r, bucket, key)
	if err != nil {
		return err
	}
	sb, sk, sv, err := copySource(r)
	if err != nil {
		return err
	}
	src, err := s.lookup(sb, sk, sv)
	if err != nil {
		return err
	}
	start, length := int64(0), src.Size
	if h := r.Header.Get("x-amz-copy-source-range"); h != "" {
		var partial bool
		start, length, partial, err = parseRange(h, src.Size)
		if err != nil || !partial {
			return errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", h)
		}
	}
	f, err := os.Open(s.objectPath(src.File))
	if err != nil {
		return errNoSuchKey(sk)
	}
	defer f.Close()
	h := md5.New()
	tmp, size, err := writeTemp(s.uploadPath(""), io.TeeReader(io.NewSectionReader(f, start, length), h))
	if err != nil {
		return err
	}
	name, err := commitFile(tmp, s.uploadPath(""))
	if err != nil {
		return err
	}
	p := &partRec{ETag: quoteETag(hex.EncodeToString(h.Sum(nil))), Size: size, File: name, Modified: time.Now().UTC()}
	if err := s.savePart(u.ID, n, p); err != nil {
		return err
	}
	if src.VersionID != "" {
		w.Header().Set("x-amz-copy-source-version-id", src.VersionID)
	}
	writeXML(w, http.StatusOK, struct {
		XMLName      xml.Name `xml:"CopyPartResult"`
		NS           string   `xml:"xmlns,attr"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}{NS: xmlns, LastModified: timeXML(p.Modified), ETag: p.ETag})
	return nil
}

func (s *Service) completeUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, key, id := r.PathValue("Bucket"), r.PathValue("Key"), r.URL.Query().Get("uploadId")
	var in struct {
		Parts []struct {
			PartNumber int    `xml:"PartNumber"`
			ETag       string `xml:"ETag"`
		} `xml:"Part"`
	}
	if _, err := s.bucket(bucket); err != nil {
		return err
	}
	u, err := s.upload(id)
	if err != nil {
		return err
	}
	if u.Bucket != bucket || u.Key != key {
		return errNoSuchUpload(id)
	}
	if err := readXML(r, &in); err != nil {
		return err
	}
	if len(in.Parts) == 0 {
		return s3err(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	invalidPart := s3err(400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var readers []io.Reader
	sums := md5.New()
	for i, p := range in.Parts {
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return s3err(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", "UploadId", id)
		}
		got := u.Parts[p.PartNumber]
		if got == nil || unquoteETag(got.ETag) != unquoteETag(p.ETag) {
			invalidPart.Elements = [][2]string{{"UploadId", id}, {"PartNumber", strconv.Itoa(p.PartNumber)}, {"ETag", p.ETag}}
			return invalidPart
		}
		if i < len(in.Parts)-1 && got.Size < minPartSize {
			return s3err(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.",
				"ProposedSize", strconv.FormatInt(got.Size, 10), "MinSizeAllowed", strconv.Itoa(minPartSize), "PartNumber", strconv.Itoa(p.PartNumber), "ETag", got.ETag)
		}
		f, err := os.Open(s.uploadPath(got.File))
		if err != nil {
			return invalidPart
		}
		files = append(files, f)
		readers = append(readers, f)
		raw, _ := hex.DecodeString(unquoteETag(got.ETag))
		sums.Write(raw)
	}
	tmp, size, err := writeTemp(s.objectPath(""), io.MultiReader(readers...))
	// The parts are read: close them now, before they are removed below (Windows does not
	// remove a file that is open, and they were left behind).
	for _, f := range files {
		f.Close()
	}
	files = nil
	if err != nil {
		return err
	}
	name, err := commitFile(tmp, s.objectPath(""))
	if err != nil {
		return err
	}
	etag := quoteETag(fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(in.Parts)))
	rec := &objectRec{Key: key, Size: size, ETag: etag, Modified: time.Now().UTC(), Headers: u.Headers, Meta: u.Meta, Parts: len(in.Parts), File: name}
	// The upload is consumed in the same step as the object appears: a retried Complete after a
	// crash finds NoSuchUpload, like S3 after success.
	var parts []string
	err = s.db.Update(func(tx *bolt.Tx) error {
		cur, err := getJSON[uploadRec](tx, bucketUploads, []byte(id))
		if err != nil {
			return err
		}
		if cur == nil {
			return errNoSuchUpload(id)
		}
		for _, p := range cur.Parts {
			parts = append(parts, p.File)
		}
		return tx.Bucket(bucketUploads).Delete([]byte(id))
	})
	if err != nil {
		s.removeFiles(name)
		return err
	}
	if err := s.writeObject(bucket, rec); err != nil {
		return err
	}
	for _, p := range parts {
		os.Remove(s.uploadPath(p))
	}
	if rec.VersionID != "" {
		w.Header().Set("x-amz-version-id", rec.VersionID)
	}
	w.Header().Set("x-amz-server-side-encryption", "AES256")
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		ETag     string   `xml:"ETag"`
	}{NS: xmlns, Location: "http://" + r.Host + "/" + bucket + "/" + strings.TrimPrefix(key, "/"), Bucket: bucket, Key: key, ETag: etag})
	return nil
}

func (s *Service) abortUpload(w http.ResponseWriter, r *http.Request) error {
	bucket, key, id := r.PathValue("Bucket"), r.PathValue("Key"), r.URL.Query().Get("uploadId")
	if _, err := s.bucket(bucket); err != nil {
		return err
	}
	var parts []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		u, err := getJSON[uploadRec](tx, bucketUploads, []byte(id))
		if err != nil {
			return err
		}
		if u == nil || u.Bucket != bucket || u.Key != key {
			return errNoSuchUpload(id)
		}
		for _, p := range u.Parts {
			parts = append(parts, p.File)
		}
		return tx.Bucket(bucketUploads).Delete([]byte(id))
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		os.Remove(s.uploadPath(p))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
