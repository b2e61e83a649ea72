package s3

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// version is one stored version of a key: its id as listed ("null" for objects written while
// versioning was off or suspended) and its record.
type version struct {
	id  string
	rec *objectRec
}

func currentID(o *objectRec) string {
	if o.VersionID == "" {
		return "null"
	}
	return o.VersionID
}

// sortNewestFirst orders noncurrent versions as S3 lists them: the most recently written first
// (ties, which only a clock that does not move can make, by id so that the order is stable).
func sortNewestFirst(vs []version) {
	sort.Slice(vs, func(i, j int) bool {
		a, b := vs[i].rec.Modified, vs[j].rec.Modified
		if !a.Equal(b) {
			return a.After(b)
		}
		return vs[i].id > vs[j].id
	})
}

// noncurrentVersions returns the noncurrent versions of bucket/key, newest first.
func noncurrentVersions(tx *bolt.Tx, bucket, key string) ([]version, error) {
	prefix := versionKey(bucket, key, "")
	var out []version
	c := tx.Bucket(bucketVersions).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		o := new(objectRec)
		if err := json.Unmarshal(v, o); err != nil {
			return nil, err
		}
		out = append(out, version{id: string(k[len(prefix):]), rec: o})
	}
	sortNewestFirst(out)
	return out, nil
}

// forEachKeyVersions calls fn, in key order, for each key of a bucket that is >= from and has a
// current object or noncurrent versions: cur is nil when the key has only noncurrent versions
// (its current object was deleted in a versioned bucket), old is newest first. It stops when fn
// returns false.
//
// The two bbolt buckets sort the same way: s3.versions keys are bucket "/" key "\x00" id, and
// "\x00" sorts before any byte a key can continue with, so the versions of one key are
// contiguous and in the order of s3.objects' keys.
func forEachKeyVersions(tx *bolt.Tx, bucket, from string, fn func(key string, cur *objectRec, old []version) (bool, error)) error {
	pfx := []byte(bucket + "/")
	seek := append(append([]byte(nil), pfx...), from...)
	co, cv := tx.Bucket(bucketObjects).Cursor(), tx.Bucket(bucketVersions).Cursor()
	ok, ov := co.Seek(seek)
	vk, vv := cv.Seek(seek)
	for {
		var ckey, vkey, vid string
		haveC := ok != nil && bytes.HasPrefix(ok, pfx)
		haveV := vk != nil && bytes.HasPrefix(vk, pfx)
		if haveC {
			ckey = string(ok[len(pfx):])
		}
		if haveV {
			vkey, vid, _ = strings.Cut(string(vk[len(pfx):]), "\x00")
		}
		var key string
		switch {
		case haveC && haveV:
			key = min(ckey, vkey)
		case haveC:
			key = ckey
		case haveV:
			key = vkey
		default:
			return nil
		}
		var cur *objectRec
		if haveC && ckey == key {
			cur = new(objectRec)
			if err := json.Unmarshal(ov, cur); err != nil {
				return err
			}
			ok, ov = co.Next()
		}
		var old []version
		for haveV && vkey == key {
			o := new(objectRec)
			if err := json.Unmarshal(vv, o); err != nil {
				return err
			}
			old = append(old, version{id: vid, rec: o})
			vk, vv = cv.Next()
			haveV = vk != nil && bytes.HasPrefix(vk, pfx)
			if haveV {
				vkey, vid, _ = strings.Cut(string(vk[len(pfx):]), "\x00")
			}
		}
		sortNewestFirst(old)
		more, err := fn(key, cur, old)
		if err != nil || !more {
			return err
		}
	}
}

type versionEntry struct {
	Key               string   `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	Size              int64    `xml:"Size"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	StorageClass      string   `xml:"StorageClass"`
	Owner             *owner   `xml:"Owner"`
}

// listVersions serves ListObjectVersions (GET /bucket?versions): every version of every key
// under prefix, keys in order and each key's versions newest first (the current one, IsLatest,
// leads), with delimiter grouping and key-marker / version-id-marker pagination. max-keys
// counts versions and common prefixes alike.
//
// Delete markers are not stored (a delete in a versioned bucket only makes the current object
// noncurrent), so none are listed: such a key lists its versions with none of them latest.
//
// A version-id-marker is a position: when that version no longer exists (a caller deletes each
// page before asking for the next, as `aws s3 rm` and s3.delete_prefix do), the key's remaining
// versions are listed from its first, which are exactly those that followed it.
func (s *Service) listVersions(w http.ResponseWriter, r *http.Request) error {
	lp, err := parseListParams(r)
	if err != nil {
		return err
	}
	bucket, prefix, delim, maxKeys, enc := lp.bucket, lp.prefix, lp.delim, lp.maxKeys, lp.encoder()
	q := r.URL.Query()
	keyMarker, vidMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return errInvalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", vidMarker)
	}
	// A key marker that is a common prefix (the last entry of a page was one) skips every key
	// under it.
	markerIsPrefix := false
	if delim != "" && strings.HasPrefix(keyMarker, prefix) {
		if i := strings.Index(keyMarker[len(prefix):], delim); i >= 0 && len(prefix)+i+len(delim) == len(keyMarker) {
			markerIsPrefix = true
		}
	}

	var versions []versionEntry
	var prefixes []commonPrefix
	truncated := false
	nextKey, nextVersion := "", ""
	if err := s.db.View(func(tx *bolt.Tx) error {
		if _, err := bucketTx(tx, bucket); err != nil {
			return err
		}
		from := max(prefix, keyMarker)
		count := 0
		lastPrefix := ""
		// full reports that a page is complete while more entries follow.
		full := func() bool {
			if count < maxKeys {
				return false
			}
			truncated = maxKeys > 0 // max-keys=0 asks for no entries, not for endless pages
			return true
		}
		return forEachKeyVersions(tx, bucket, from, func(key string, cur *objectRec, old []version) (bool, error) {
			if !strings.HasPrefix(key, prefix) {
				return false, nil // keys are >= prefix: past it
			}
			if keyMarker != "" && (markerIsPrefix && strings.HasPrefix(key, keyMarker) || key == keyMarker && vidMarker == "") {
				return true, nil
			}
			if cp := lp.commonPrefix(key); cp != "" {
				if cp == lastPrefix {
					return true, nil
				}
				if full() {
					return false, nil
				}
				lastPrefix = cp
				prefixes = append(prefixes, commonPrefix{enc(cp)})
				count++
				nextKey, nextVersion = cp, ""
				return true, nil
			}
			all := old
			if cur != nil {
				all = append([]version{{id: currentID(cur), rec: cur}}, old...)
			}
			if key == keyMarker {
				for i, v := range all {
					if v.id == vidMarker {
						all = all[i+1:]
						break
					}
				}
			}
			for _, v := range all {
				if full() {
					return false, nil
				}
				versions = append(versions, s.versionEntry(enc(key), v, v.rec == cur))
				count++
				nextKey, nextVersion = key, v.id
			}
			return true, nil
		})
	}); err != nil {
		return err
	}
	out := struct {
		XMLName xml.Name `xml:"ListVersionsResult"`
		listHead
		KeyMarker           string         `xml:"KeyMarker"`
		VersionIDMarker     string         `xml:"VersionIdMarker"`
		NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
		NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
		MaxKeys             int            `xml:"MaxKeys"`
		Delimiter           string         `xml:"Delimiter,omitempty"`
		EncodingType        string         `xml:"EncodingType,omitempty"`
		IsTruncated         bool           `xml:"IsTruncated"`
		Versions            []versionEntry `xml:"Version"`
		CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
	}{listHead: listHead{xmlns, bucket, enc(prefix)}, KeyMarker: enc(keyMarker), VersionIDMarker: vidMarker,
		MaxKeys: maxKeys, Delimiter: enc(delim), EncodingType: lp.encodingType(), IsTruncated: truncated, Versions: versions, CommonPrefixes: prefixes}
	if truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = enc(nextKey), nextVersion
	}
	writeXML(w, http.StatusOK, out)
	return nil
}

func (s *Service) versionEntry(key string, v version, latest bool) versionEntry {
	e := versionEntry{Key: key, VersionID: v.id, IsLatest: latest, LastModified: timeXML(v.rec.Modified),
		ETag: v.rec.ETag, Size: v.rec.Size, StorageClass: "STANDARD", Owner: &s.owner}
	for alg := range v.rec.Checksums {
		e.ChecksumAlgorithm = append(e.ChecksumAlgorithm, strings.ToUpper(alg))
	}
	if len(e.ChecksumAlgorithm) > 0 {
		sort.Strings(e.ChecksumAlgorithm)
		e.ChecksumType = "FULL_OBJECT"
	}
	return e
}

// dropNullVersion removes the noncurrent "null" version of bucket/key, if any, and returns its
// file for the caller to remove once the transaction committed.
func dropNullVersion(tx *bolt.Tx, bucket, key string) ([]string, error) {
	vk := versionKey(bucket, key, "null")
	old, err := getJSON[objectRec](tx, bucketVersions, vk)
	if err != nil || old == nil {
		return nil, err
	}
	return []string{old.File}, tx.Bucket(bucketVersions).Delete(vk)
}
