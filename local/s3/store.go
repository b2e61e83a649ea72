package s3

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketBuckets  = []byte("s3.buckets")  // bucket name → bucketRec
	bucketObjects  = []byte("s3.objects")  // bucket "/" key → objectRec (the current version)
	bucketVersions = []byte("s3.versions") // bucket "/" key "\x00" versionId → objectRec (noncurrent)
	bucketUploads  = []byte("s3.uploads")  // uploadId → uploadRec
)

type bucketRec struct {
	Name       string    `json:"name"`
	Created    time.Time `json:"created"`
	Region     string    `json:"region"`
	Versioning string    `json:"versioning,omitempty"` // "", "Enabled", "Suspended"
	// Configuration documents as put (XML), by sub-resource.
	Configs map[string][]byte `json:"configs,omitempty"`
}

type objectRec struct {
	Key       string            `json:"key"`
	Size      int64             `json:"size"`
	ETag      string            `json:"etag"` // quoted
	Modified  time.Time         `json:"modified"`
	VersionID string            `json:"versionId,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"` // Content-Type, Cache-Control, ...
	Meta      map[string]string `json:"meta,omitempty"`    // x-amz-meta-* (lower-case names, without the prefix)
	Checksums map[string]string `json:"checksums,omitempty"`
	Parts     int               `json:"parts,omitempty"` // > 0 for multipart objects
	File      string            `json:"file"`            // name under objects/
}

type partRec struct {
	ETag      string            `json:"etag"`
	Size      int64             `json:"size"`
	File      string            `json:"file"` // name under uploads/
	Checksums map[string]string `json:"checksums,omitempty"`
	Modified  time.Time         `json:"modified"`
}

type uploadRec struct {
	ID        string            `json:"id"`
	Bucket    string            `json:"bucket"`
	Key       string            `json:"key"`
	Initiated time.Time         `json:"initiated"`
	Headers   map[string]string `json:"headers,omitempty"`
	Meta      map[string]string `json:"meta,omitempty"`
	Parts     map[int]*partRec  `json:"parts,omitempty"`
}

func objectKey(bucket, key string) []byte { return []byte(bucket + "/" + key) }

func versionKey(bucket, key, version string) []byte {
	return []byte(bucket + "/" + key + "\x00" + version)
}

func getJSON[T any](tx *bolt.Tx, b, k []byte) (*T, error) {
	v := tx.Bucket(b).Get(k)
	if v == nil {
		return nil, nil
	}
	out := new(T)
	return out, json.Unmarshal(v, out)
}

func putJSON(tx *bolt.Tx, b, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(b).Put(k, data)
}

// bucketTx reads a bucket record, NoSuchBucket when it does not exist.
func bucketTx(tx *bolt.Tx, name string) (*bucketRec, error) {
	b, err := getJSON[bucketRec](tx, bucketBuckets, []byte(name))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errNoSuchBucket(name)
	}
	return b, nil
}

func (s *Service) bucket(name string) (*bucketRec, error) {
	var b *bucketRec
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		b, err = bucketTx(tx, name)
		return err
	})
	return b, err
}

// lookup finds an object (a given version when versionID is set).
func (s *Service) lookup(bucket, key, versionID string) (*objectRec, error) {
	var o *objectRec
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := bucketTx(tx, bucket); err != nil {
			return err
		}
		cur, err := getJSON[objectRec](tx, bucketObjects, objectKey(bucket, key))
		if err != nil {
			return err
		}
		if versionID == "" || (cur != nil && versionMatches(cur, versionID)) {
			if cur == nil {
				return errNoSuchKey(key)
			}
			o = cur
			return nil
		}
		old, err := getJSON[objectRec](tx, bucketVersions, versionKey(bucket, key, versionID))
		if err != nil {
			return err
		}
		if old == nil {
			if cur == nil {
				return errNoSuchKey(key)
			}
			return errNoSuchVersion(key, versionID)
		}
		o = old
		return nil
	})
	return o, err
}

// versionMatches: objects put before versioning was enabled have the version "null".
func versionMatches(o *objectRec, v string) bool {
	return o.VersionID == v || (o.VersionID == "" && v == "null")
}

// writeTemp copies r into a new file in dir (synced, named .tmp-*) and returns its path. The
// caller renames it into place or removes it.
func writeTemp(dir string, r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", n, err
	}
	return f.Name(), n, nil
}

// commitFile renames a temporary file to a new unique name under dir and returns that name.
func commitFile(tmp, dir string) (string, error) {
	name := randomHex(16)
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return name, nil
}

func (s *Service) objectPath(name string) string { return filepath.Join(s.dir, "objects", name) }
func (s *Service) uploadPath(name string) string { return filepath.Join(s.dir, "uploads", name) }

// removeFiles deletes object files no record names any more (after the transaction that
// dropped them committed).
func (s *Service) removeFiles(names ...string) {
	for _, n := range names {
		if n != "" {
			os.Remove(s.objectPath(n))
		}
	}
}

// removeOrphans deletes files that no record names: temporary files of interrupted writes,
// and files whose record was replaced by a write the process did not live to clean up after.
func (s *Service) removeOrphans() error {
	objects, parts := map[string]bool{}, map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketObjects, bucketVersions} {
			if err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				var o objectRec
				if err := json.Unmarshal(v, &o); err != nil {
					return err
				}
				objects[o.File] = true
				return nil
			}); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketUploads).ForEach(func(k, v []byte) error {
			var u uploadRec
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			for _, p := range u.Parts {
				parts[p.File] = true
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	var errs []error
	for dir, keep := range map[string]map[string]bool{filepath.Join(s.dir, "objects"): objects, filepath.Join(s.dir, "uploads"): parts} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if !keep[e.Name()] {
				errs = append(errs, os.Remove(filepath.Join(dir, e.Name())))
			}
		}
	}
	return errors.Join(errs...)
}

// forEachObject calls fn on the current objects of a bucket whose key is >= from, in key order,
// until fn returns false.
func forEachObject(tx *bolt.Tx, bucket, from string, fn func(o *objectRec) (bool, error)) error {
	prefix := []byte(bucket + "/")
	c := tx.Bucket(bucketObjects).Cursor()
	for k, v := c.Seek(append(append([]byte(nil), prefix...), from...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		o := new(objectRec)
		if err := json.Unmarshal(v, o); err != nil {
			return err
		}
		more, err := fn(o)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// bucketHasData reports whether a bucket holds any object, old version or upload.
func bucketHasData(tx *bolt.Tx, bucket string) (bool, error) {
	prefix := []byte(bucket + "/")
	for _, b := range [][]byte{bucketObjects, bucketVersions} {
		if k, _ := tx.Bucket(b).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			return true, nil
		}
	}
	found := false
	err := tx.Bucket(bucketUploads).ForEach(func(k, v []byte) error {
		var u uploadRec
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		found = found || u.Bucket == bucket
		return nil
	})
	return found, err
}

func newVersionID() string {
	// 32 characters from the URL-safe alphabet, like S3's.
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._"
	b := make([]byte, 32)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func quoteETag(hexsum string) string { return `"` + hexsum + `"` }

func unquoteETag(s string) string { return strings.Trim(strings.TrimSpace(s), `"`) }
