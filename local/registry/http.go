package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Media types the registry accepts for manifests.
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest        = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex           = "application/vnd.oci.image.index.v1+json"
)

// maxManifestSize is ECR's limit on a manifest's size.
const maxManifestSize = 4 << 20

var (
	// nameRE is the distribution spec's repository name grammar (ECR's is the same).
	nameRE   = lazyregexp.New(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE    = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	digestRE = lazyregexp.New(`^sha256:[a-f0-9]{64}$`)
	uuidRE   = lazyregexp.New(`^[a-f0-9-]{36}$`)
)

func validTag(tag string) bool { return tagRE.MatchString(tag) }

// ValidDigest reports whether d is a sha256 digest in canonical form.
func ValidDigest(d string) bool { return digestRE.MatchString(d) }

// apiError is the registry's error (local/internal/awsproto): its code, message and detail
// are one entry of the distribution spec's error body.
type apiError = awsproto.Error

func errorf(status int, code, format string, args ...any) *apiError {
	return awsproto.Errorf(status, code, format, args...)
}

// api is the table of contents of the distribution API: the repository name may hold
// slashes, so each path is matched from its end.
var api = &awsproto.Routes[*Registry]{
	Protocol: awsproto.Registry{},
	Table: []awsproto.Route[*Registry]{
		{Path: "/v2", Op: (*Registry).base},
		{Path: "/v2/{name...}/tags/list", Op: inRepo((*Registry).tagsList)},
		{Path: "/v2/{name...}/manifests/{reference}", Op: inRepo((*Registry).manifest)},
		{Path: "/v2/{name...}/blobs/uploads", Op: inRepo((*Registry).startUpload)},
		{Path: "/v2/{name...}/blobs/uploads/{uuid}", Op: inRepo((*Registry).upload)},
		{Path: "/v2/{name...}/blobs/{digest}", Op: inRepo((*Registry).blob)},
	},
	NotFound: func(req *http.Request) error {
		return errorf(http.StatusNotFound, "UNSUPPORTED", "not a registry API path: %s", req.URL.Path)
	},
}

// ServeHTTP serves the OCI distribution API under /v2/.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if err := checkAuth(req); err != nil {
		api.Protocol.WriteError(w, req, err)
		return
	}
	api.Serve(r, w, req)
}

// inRepo is the operation op on the repository the path names, once its name is checked.
func inRepo(op func(*Registry, http.ResponseWriter, *http.Request, string) error) func(*Registry, http.ResponseWriter, *http.Request) error {
	return func(r *Registry, w http.ResponseWriter, req *http.Request) error {
		name := req.PathValue("name")
		if err := r.checkRepo(name); err != nil {
			return err
		}
		return op(r, w, req, name)
	}
}

// checkAuth checks only the Authorization header's shape: well-formed Basic credentials (ECR's
// token is base64("AWS:password")) or a Bearer token, or none. Who may push and pull is decided
// in front of the registry: the local endpoint's guard (local/auth) lets through only the
// tokens its ECR's GetAuthorizationToken minted.
func checkAuth(req *http.Request) error {
	h := req.Header.Get("Authorization")
	if h == "" {
		return nil
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "basic":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err == nil && strings.Contains(string(b), ":") {
			return nil
		}
	case "bearer":
		if cred != "" {
			return nil
		}
	}
	return errorf(http.StatusUnauthorized, "UNAUTHORIZED", "authentication required: malformed Authorization header")
}

// base answers the API version check, GET /v2/.
func (r *Registry) base(w http.ResponseWriter, req *http.Request) error {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "method %s not allowed", req.Method)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}"))
	return nil
}

func (r *Registry) checkRepo(name string) error {
	if !nameRE.MatchString(name) || len(name) > 256 {
		return &apiError{Status: http.StatusBadRequest, Code: "NAME_INVALID", Message: "invalid repository name", Detail: name}
	}
	if !r.exists(name) {
		return errorf(http.StatusNotFound, "NAME_UNKNOWN", "The repository with name '%s' does not exist in the registry with id '%s'", name, r.id())
	}
	return nil
}

// ---- blobs ----

func (r *Registry) blob(w http.ResponseWriter, req *http.Request, name string) error {
	digest := req.PathValue("digest")
	if !ValidDigest(digest) {
		return errorf(http.StatusBadRequest, "DIGEST_INVALID", "invalid digest %q", digest)
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodDelete:
		return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "blob deletion is not supported")
	default:
		return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "method %s not allowed", req.Method)
	}
	if _, ok := r.blobLinked(name, digest); !ok {
		return &apiError{Status: http.StatusNotFound, Code: "BLOB_UNKNOWN", Message: "blob unknown to registry", Detail: digest}
	}
	f, err := os.Open(r.blobPath(digest))
	if err != nil {
		return &apiError{Status: http.StatusNotFound, Code: "BLOB_UNKNOWN", Message: "blob unknown to registry", Detail: digest}
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("ETag", `"`+digest+`"`)
	w.Header().Set("Cache-Control", "max-age=31536000")
	http.ServeContent(w, req, "", time.Time{}, f)
	return nil
}

// ---- uploads ----

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (r *Registry) uploadPath(id string) string { return filepath.Join(r.dir, "uploads", id) }

func uploadLocation(name, id string) string { return "/v2/" + name + "/blobs/uploads/" + id }

func (r *Registry) startUpload(w http.ResponseWriter, req *http.Request, name string) error {
	if req.Method != http.MethodPost {
		return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "method %s not allowed", req.Method)
	}
	q := req.URL.Query()
	if mount := q.Get("mount"); mount != "" {
		if !ValidDigest(mount) {
			return errorf(http.StatusBadRequest, "DIGEST_INVALID", "invalid digest %q", mount)
		}
		from := q.Get("from")
		if from != "" && nameRE.MatchString(from) && r.exists(from) {
			if _, ok := r.blobLinked(from, mount); ok {
				if err := r.linkBlob(name, mount); err != nil {
					return err
				}
				return blobCreated(w, name, mount)
			}
		}
		// Not mountable: fall back to a regular upload, as the spec says.
	}
	id := newUUID()
	if digest := q.Get("digest"); digest != "" {
		// Monolithic upload: the body is the whole blob.
		if err := writeFileAtomic(r.uploadPath(id), nil); err != nil {
			return err
		}
		if err := r.appendUpload(id, req.Body); err != nil {
			os.Remove(r.uploadPath(id))
			return err
		}
		return r.commitUpload(w, name, id, digest)
	}
	if err := writeFileAtomic(r.uploadPath(id), nil); err != nil {
		return err
	}
	return uploadAccepted(w, http.StatusAccepted, name, id, 0)
}

func blobCreated(w http.ResponseWriter, name, digest string) error {
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+digest)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

func uploadAccepted(w http.ResponseWriter, status int, name, id string, size int64) error {
	end := size - 1
	if end < 0 {
		end = 0
	}
	w.Header().Set("Location", uploadLocation(name, id))
	w.Header().Set("Range", fmt.Sprintf("0-%d", end))
	w.Header().Set("Docker-Upload-UUID", id)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

func (r *Registry) upload(w http.ResponseWriter, req *http.Request, name string) error {
	id := req.PathValue("uuid")
	if !uuidRE.MatchString(id) {
		return errorf(http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
	}
	fi, err := os.Stat(r.uploadPath(id))
	if err != nil {
		return errorf(http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
	}
	switch req.Method {
	case http.MethodGet:
		return uploadAccepted(w, http.StatusNoContent, name, id, fi.Size())
	case http.MethodDelete:
		os.Remove(r.uploadPath(id))
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPatch:
		if cr := req.Header.Get("Content-Range"); cr != "" {
			start, _, ok := parseContentRange(cr)
			if !ok || start != fi.Size() {
				w.Header().Set("Location", uploadLocation(name, id))
				w.Header().Set("Range", fmt.Sprintf("0-%d", max(fi.Size()-1, 0)))
				return errorf(http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "content range %q does not continue the upload at offset %d", cr, fi.Size())
			}
		}
		if err := r.appendUpload(id, req.Body); err != nil {
			return err
		}
		fi, err := os.Stat(r.uploadPath(id))
		if err != nil {
			return err
		}
		return uploadAccepted(w, http.StatusAccepted, name, id, fi.Size())
	case http.MethodPut:
		digest := req.URL.Query().Get("digest")
		if err := r.appendUpload(id, req.Body); err != nil {
			return err
		}
		return r.commitUpload(w, name, id, digest)
	}
	return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "method %s not allowed", req.Method)
}

// parseContentRange reads "start-end" (optionally prefixed with "bytes ").
func parseContentRange(s string) (int64, int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "bytes ")
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || end < start {
		return 0, 0, false
	}
	return start, end, true
}

func (r *Registry) appendUpload(id string, body io.Reader) error {
	f, err := os.OpenFile(r.uploadPath(id), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return errorf(http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
	}
	if body != nil {
		if _, err := io.Copy(f, body); err != nil {
			f.Close()
			return errorf(http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "reading upload body: %v", err)
		}
	}
	return f.Close()
}

// commitUpload verifies the uploaded bytes against digest and moves them into the blob store.
func (r *Registry) commitUpload(w http.ResponseWriter, name, id, digest string) error {
	path := r.uploadPath(id)
	if !ValidDigest(digest) {
		os.Remove(path)
		return &apiError{Status: http.StatusBadRequest, Code: "DIGEST_INVALID", Message: "provided digest did not match uploaded content", Detail: digest}
	}
	// Opened for writing too: Windows flushes (Sync) only a handle with write access.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return errorf(http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		os.Remove(path)
		return &apiError{Status: http.StatusBadRequest, Code: "DIGEST_INVALID", Message: "provided digest did not match uploaded content", Detail: map[string]string{"expected": digest, "actual": got}}
	}
	if fileExists(r.blobPath(digest)) {
		os.Remove(path)
	} else if err := os.Rename(path, r.blobPath(digest)); err != nil {
		return err
	}
	if err := r.linkBlob(name, digest); err != nil {
		return err
	}
	return blobCreated(w, name, digest)
}

// ---- manifests ----

type descriptor struct {
	MediaType string   `json:"mediaType"`
	Digest    string   `json:"digest"`
	Size      int64    `json:"size"`
	URLs      []string `json:"urls,omitempty"`
}

type manifestDoc struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	ArtifactType  string       `json:"artifactType"`
	Config        *descriptor  `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests"`
}

func (r *Registry) manifest(w http.ResponseWriter, req *http.Request, name string) error {
	ref := req.PathValue("reference")
	if !ValidDigest(ref) && !validTag(ref) {
		if strings.Contains(ref, ":") {
			return errorf(http.StatusBadRequest, "DIGEST_INVALID", "invalid digest %q", ref)
		}
		return errorf(http.StatusBadRequest, "TAG_INVALID", "invalid tag %q", ref)
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		return r.getManifest(w, req, name, ref)
	case http.MethodPut:
		return r.putManifest(w, req, name, ref)
	case http.MethodDelete:
		var err error
		if ValidDigest(ref) {
			_, err = r.DeleteImage(name, ref)
		} else {
			_, _, err = r.DeleteTag(name, ref)
		}
		if errors.Is(err, ErrManifestUnknown) {
			return errManifestUnknown(ref)
		}
		if errors.Is(err, ErrReferencedByIndex) {
			return errorf(http.StatusConflict, "DENIED", "The image %s is referenced by a manifest list in repository '%s'", ref, name)
		}
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "method %s not allowed", req.Method)
}

func errManifestUnknown(ref string) error {
	return &apiError{Status: http.StatusNotFound, Code: "MANIFEST_UNKNOWN", Message: "Requested image not found", Detail: ref}
}

func (r *Registry) getManifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	b, mediaType, digest, err := r.Manifest(name, ref)
	if errors.Is(err, ErrManifestUnknown) {
		return errManifestUnknown(ref)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("ETag", `"`+digest+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		w.Write(b)
	}
	return nil
}

// Manifest returns a manifest stored in the repository under a tag or digest, with its media
// type and digest, or ErrManifestUnknown.
func (r *Registry) Manifest(name, ref string) (body []byte, mediaType, digest string, err error) {
	r.mu.Lock()
	digest, err = r.resolve(name, ref)
	var rev revision
	if err == nil {
		rev, err = r.readRevision(name, digest)
	}
	r.mu.Unlock()
	if err != nil {
		return nil, "", "", err
	}
	body, err = os.ReadFile(r.blobPath(digest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", "", ErrManifestUnknown
	}
	return body, rev.MediaType, digest, err
}

func manifestInvalid(format string, args ...any) error {
	return errorf(http.StatusBadRequest, "MANIFEST_INVALID", format, args...)
}

func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxManifestSize+1))
	if err != nil {
		return manifestInvalid("reading manifest: %v", err)
	}
	digest, err := r.PutManifest(name, ref, req.Header.Get("Content-Type"), body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v2/"+name+"/manifests/"+digest)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// PutManifest stores a manifest under ref (a tag or its digest) after the checks a push gets:
// valid JSON of a supported media type, referenced blobs and manifests present in the
// repository, an immutable tag not moved. contentType may be empty (the body's mediaType is
// used). Failures carry a distribution error code (see ErrorCode).
func (r *Registry) PutManifest(name, ref, contentType string, body []byte) (string, error) {
	if !ValidDigest(ref) && !validTag(ref) {
		return "", errorf(http.StatusBadRequest, "TAG_INVALID", "invalid tag %q", ref)
	}
	if len(body) > maxManifestSize {
		return "", manifestInvalid("manifest exceeds the maximum size of %d bytes", maxManifestSize)
	}
	var doc manifestDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", manifestInvalid("manifest is not valid JSON: %v", err)
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(mediaType)
	if mediaType == "" || mediaType == "application/json" || mediaType == "application/octet-stream" {
		mediaType = doc.MediaType
	}
	if mediaType == "" {
		if doc.Manifests != nil {
			mediaType = MediaTypeOCIIndex
		} else {
			mediaType = MediaTypeOCIManifest
		}
	}
	if doc.MediaType != "" && doc.MediaType != mediaType {
		return "", manifestInvalid("manifest media type %q does not match Content-Type %q", doc.MediaType, mediaType)
	}
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if ValidDigest(ref) && ref != digest {
		return "", &apiError{Status: http.StatusBadRequest, Code: "DIGEST_INVALID", Message: "manifest digest did not match the reference", Detail: map[string]string{"expected": ref, "actual": digest}}
	}

	r.mu.Lock()
	defer r.mu.Unlock()

	rev := revision{Digest: digest, MediaType: mediaType, ManifestSize: int64(len(body)), PushedAt: r.now().UTC()}
	switch mediaType {
	case MediaTypeDockerManifest, MediaTypeOCIManifest:
		if doc.SchemaVersion != 2 {
			return "", manifestInvalid("unsupported schemaVersion %d", doc.SchemaVersion)
		}
		if doc.Config == nil {
			return "", manifestInvalid("manifest has no config")
		}
		for _, d := range append([]descriptor{*doc.Config}, doc.Layers...) {
			if len(d.URLs) > 0 {
				continue // foreign layer: lives elsewhere
			}
			if !ValidDigest(d.Digest) {
				return "", manifestInvalid("invalid digest %q", d.Digest)
			}
			if _, ok := r.blobLinked(name, d.Digest); !ok {
				return "", &apiError{Status: http.StatusBadRequest, Code: "MANIFEST_BLOB_UNKNOWN", Message: "blob unknown to registry", Detail: d.Digest}
			}
		}
		for _, l := range doc.Layers {
			rev.Size += l.Size
		}
		rev.ArtifactMediaType = doc.Config.MediaType
		if doc.ArtifactType != "" {
			rev.ArtifactMediaType = doc.ArtifactType
		}
	case MediaTypeDockerManifestList, MediaTypeOCIIndex:
		if doc.SchemaVersion != 2 {
			return "", manifestInvalid("unsupported schemaVersion %d", doc.SchemaVersion)
		}
		for _, d := range doc.Manifests {
			child, err := r.readRevision(name, d.Digest)
			if err != nil {
				return "", &apiError{Status: http.StatusBadRequest, Code: "MANIFEST_BLOB_UNKNOWN", Message: "manifest references a manifest not in the repository", Detail: d.Digest}
			}
			rev.Size = max(rev.Size, child.Size)
			rev.Children = append(rev.Children, d.Digest)
		}
	default:
		return "", manifestInvalid("unsupported manifest media type %q", mediaType)
	}

	if !ValidDigest(ref) {
		if old, err := r.resolve(name, ref); err == nil && old != digest && r.immutable(name) {
			return "", errorf(http.StatusBadRequest, "TAG_INVALID", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", ref, name)
		}
	}
	if !fileExists(r.blobPath(digest)) {
		if err := writeFileAtomic(r.blobPath(digest), body); err != nil {
			return "", err
		}
	}
	if old, err := r.readRevision(name, digest); err == nil {
		rev.PushedAt = old.PushedAt // re-pushing (or re-tagging) keeps the original push time
	}
	rb, _ := json.Marshal(rev)
	if err := writeFileAtomic(r.revisionPath(name, digest), rb); err != nil {
		return "", err
	}
	if !ValidDigest(ref) {
		if err := writeFileAtomic(r.tagPath(name, ref), []byte(digest)); err != nil {
			return "", err
		}
	}
	return digest, nil
}

// ---- tags ----

func (r *Registry) tagsList(w http.ResponseWriter, req *http.Request, name string) error {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return errorf(http.StatusMethodNotAllowed, "UNSUPPORTED", "method %s not allowed", req.Method)
	}
	r.mu.Lock()
	_, names, err := r.tags(name)
	r.mu.Unlock()
	if err != nil {
		return err
	}
	q := req.URL.Query()
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(names, last)
		if i < len(names) && names[i] == last {
			i++
		}
		names = names[i:]
	}
	if ns := q.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested: %q", ns)
		}
		if n < len(names) {
			names = names[:n]
			if n > 0 {
				w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?n=%d&last=%s>; rel="next"`, name, n, names[n-1]))
			}
		}
	}
	if names == nil {
		names = []string{}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, names})
}
