// Package registry is the local provider's OCI distribution registry (/v2/), storing blobs and
// manifests on disk so images survive a restart.
//
// Layout under the root directory (every write goes to a temporary file and is renamed into
// place, so a crash never leaves a half-written blob, manifest or tag):
//
//	blobs/sha256/<hex>                           content-addressed blobs and manifests
//	uploads/<uuid>                               blob uploads in progress
//	repos/<name>/_layers/<hex>                   empty: the blob is linked into the repository
//	repos/<name>/_manifests/revisions/<hex>.json metadata of a manifest pushed to the repository
//	repos/<name>/_manifests/tags/<tag>           the digest the tag points at
//
// Repository names cannot contain a path component starting with "_", so a repository "a"
// and a repository "a/b" never share these directories.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Registry is a disk-backed OCI registry. It serves the distribution API under /v2/ and offers
// the Go methods the local ECR service needs (Images, DeleteImage, DeleteTag,
// DeleteRepository).
type Registry struct {
	dir string

	// mu serialises changes to repository metadata (tags and revisions). Blob writes do not
	// need it: they are content-addressed and renamed into place.
	mu sync.Mutex

	hooksMu      sync.RWMutex
	repoExists   func(name string) bool
	tagImmutable func(name string) bool
	registryID   string
	now          func() time.Time
}

// Image is a manifest stored in a repository, as ECR's DescribeImages reports it.
type Image struct {
	Digest            string
	Tags              []string // sorted
	Size              int64    // sum of the layer sizes; for an index, the largest child image
	PushedAt          time.Time
	MediaType         string // the manifest's media type
	ArtifactMediaType string // the config's media type, when the manifest has one
}

// ErrManifestUnknown is returned by the Go API when a tag or digest is not in the repository.
var ErrManifestUnknown = errors.New("manifest unknown")

// ErrReferencedByIndex is returned when deleting a manifest that an index (manifest list) in
// the same repository still references (ECR's ImageReferencedByManifestList).
var ErrReferencedByIndex = errors.New("image is referenced by a manifest list")

// staleUploadAge is how old an unfinished upload must be before Open discards it.
const staleUploadAge = 24 * time.Hour

// Config is what the registry is built from: its folder (Dir) and clock (Now).
type Config = awsproto.Config

// New opens (or creates) a registry rooted at cfg.Dir.
func New(cfg Config) (*Registry, error) {
	cfg = cfg.WithDefaults()
	dir := cfg.Dir
	for _, d := range []string{"blobs/sha256", "uploads", "repos"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("opening registry at %s: %w", dir, err)
		}
	}
	removeStaleUploads(filepath.Join(dir, "uploads"), cfg.Now().Add(-staleUploadAge))
	return &Registry{dir: dir, now: cfg.Now}, nil
}

// removeStaleUploads deletes uploads a client abandoned (best effort: an error only leaves
// garbage behind).
func removeStaleUploads(dir string, before time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(before) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// SetRepositoryExists installs the check the registry makes before serving a repository. ECR
// sets it so that pushing to a repository that was never created fails with NAME_UNKNOWN, as
// it does on AWS. Without a hook every repository exists.
func (r *Registry) SetRepositoryExists(fn func(name string) bool) {
	r.hooksMu.Lock()
	defer r.hooksMu.Unlock()
	r.repoExists = fn
}

// SetTagImmutable installs the check for ECR's imageTagMutability=IMMUTABLE: when it returns
// true for a repository, pushing a tag that already points at another manifest fails.
func (r *Registry) SetTagImmutable(fn func(name string) bool) {
	r.hooksMu.Lock()
	defer r.hooksMu.Unlock()
	r.tagImmutable = fn
}

// SetRegistryID sets the id used in error messages ("... in the registry with id 'ID'"), the
// AWS account id for ECR.
func (r *Registry) SetRegistryID(id string) {
	r.hooksMu.Lock()
	defer r.hooksMu.Unlock()
	r.registryID = id
}

func (r *Registry) exists(name string) bool {
	r.hooksMu.RLock()
	defer r.hooksMu.RUnlock()
	return r.repoExists == nil || r.repoExists(name)
}

func (r *Registry) immutable(name string) bool {
	r.hooksMu.RLock()
	defer r.hooksMu.RUnlock()
	return r.tagImmutable != nil && r.tagImmutable(name)
}

func (r *Registry) id() string {
	r.hooksMu.RLock()
	defer r.hooksMu.RUnlock()
	return r.registryID
}

// revision is what the registry remembers about a manifest pushed to a repository.
type revision struct {
	Digest            string    `json:"digest"`
	MediaType         string    `json:"mediaType"`
	ArtifactMediaType string    `json:"artifactMediaType,omitempty"`
	Size              int64     `json:"size"`
	ManifestSize      int64     `json:"manifestSize"`
	PushedAt          time.Time `json:"pushedAt"`
	Children          []string  `json:"children,omitempty"` // an index's manifests
}

func (r *Registry) repoDir(name string) string {
	return filepath.Join(r.dir, "repos", filepath.FromSlash(name))
}

func (r *Registry) blobPath(digest string) string {
	return filepath.Join(r.dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func (r *Registry) layerLink(name, digest string) string {
	return filepath.Join(r.repoDir(name), "_layers", strings.TrimPrefix(digest, "sha256:"))
}

func (r *Registry) revisionPath(name, digest string) string {
	return filepath.Join(r.repoDir(name), "_manifests", "revisions", strings.TrimPrefix(digest, "sha256:")+".json")
}

func (r *Registry) tagPath(name, tag string) string {
	return filepath.Join(r.repoDir(name), "_manifests", "tags", tag)
}

// writeFileAtomic writes data next to path and renames it into place.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// linkBlob records that the repository may serve the blob.
func (r *Registry) linkBlob(name, digest string) error {
	p := r.layerLink(name, digest)
	if fileExists(p) {
		return nil
	}
	return writeFileAtomic(p, nil)
}

// blobLinked reports whether the blob exists and belongs to the repository.
func (r *Registry) blobLinked(name, digest string) (int64, bool) {
	if !fileExists(r.layerLink(name, digest)) {
		return 0, false
	}
	fi, err := os.Stat(r.blobPath(digest))
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}

func (r *Registry) readRevision(name, digest string) (revision, error) {
	b, err := os.ReadFile(r.revisionPath(name, digest))
	if errors.Is(err, os.ErrNotExist) {
		return revision{}, ErrManifestUnknown
	}
	if err != nil {
		return revision{}, err
	}
	var rev revision
	if err := json.Unmarshal(b, &rev); err != nil {
		return revision{}, fmt.Errorf("reading manifest %s of %s: %w", digest, name, err)
	}
	return rev, nil
}

// resolve turns a tag or digest into the digest of a manifest stored in the repository.
func (r *Registry) resolve(name, ref string) (string, error) {
	if strings.HasPrefix(ref, "sha256:") {
		if !fileExists(r.revisionPath(name, ref)) {
			return "", ErrManifestUnknown
		}
		return ref, nil
	}
	if !validTag(ref) {
		return "", ErrManifestUnknown
	}
	b, err := os.ReadFile(r.tagPath(name, ref))
	if errors.Is(err, os.ErrNotExist) {
		return "", ErrManifestUnknown
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// tags returns the repository's tags, sorted, with the digest each points at.
func (r *Registry) tags(name string) (map[string]string, []string, error) {
	dir := filepath.Join(r.repoDir(name), "_manifests", "tags")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	byTag := map[string]string{}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		byTag[e.Name()] = strings.TrimSpace(string(b))
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return byTag, names, nil
}

// Images lists the manifests stored in a repository, oldest push first.
func (r *Registry) Images(name string) ([]Image, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.images(name)
}

func (r *Registry) images(name string) ([]Image, error) {
	revs, err := r.revisions(name)
	if err != nil || len(revs) == 0 {
		return nil, err
	}
	byTag, tagNames, err := r.tags(name)
	if err != nil {
		return nil, err
	}
	tagsOf := map[string][]string{}
	for _, t := range tagNames {
		tagsOf[byTag[t]] = append(tagsOf[byTag[t]], t)
	}
	var out []Image
	for _, rev := range revs {
		out = append(out, Image{
			Digest:            rev.Digest,
			Tags:              tagsOf[rev.Digest],
			Size:              rev.Size,
			PushedAt:          rev.PushedAt,
			MediaType:         rev.MediaType,
			ArtifactMediaType: rev.ArtifactMediaType,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].PushedAt.Equal(out[j].PushedAt) {
			return out[i].PushedAt.Before(out[j].PushedAt)
		}
		return out[i].Digest < out[j].Digest
	})
	return out, nil
}

// referenced reports whether an index in the repository lists the manifest.
func (r *Registry) referenced(name, digest string) (bool, error) {
	revs, err := r.revisions(name)
	if err != nil {
		return false, err
	}
	for _, rev := range revs {
		for _, c := range rev.Children {
			if c == digest {
				return true, nil
			}
		}
	}
	return false, nil
}

// revisions reads the metadata of every manifest in the repository.
func (r *Registry) revisions(name string) ([]revision, error) {
	dir := filepath.Join(r.repoDir(name), "_manifests", "revisions")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []revision
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") || strings.HasPrefix(n, ".tmp-") {
			continue
		}
		rev, err := r.readRevision(name, "sha256:"+strings.TrimSuffix(n, ".json"))
		if errors.Is(err, ErrManifestUnknown) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rev)
	}
	return out, nil
}

// DeleteImage removes a manifest (by digest) and every tag pointing at it. It returns the tags
// that were removed, ErrManifestUnknown, or ErrReferencedByIndex.
func (r *Registry) DeleteImage(name, digest string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.deleteImage(name, digest)
}

func (r *Registry) deleteImage(name, digest string) ([]string, error) {
	if !fileExists(r.revisionPath(name, digest)) {
		return nil, ErrManifestUnknown
	}
	if ref, err := r.referenced(name, digest); err != nil || ref {
		if err == nil {
			err = ErrReferencedByIndex
		}
		return nil, err
	}
	byTag, tagNames, err := r.tags(name)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, t := range tagNames {
		if byTag[t] == digest {
			if err := os.Remove(r.tagPath(name, t)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, err
			}
			removed = append(removed, t)
		}
	}
	if err := os.Remove(r.revisionPath(name, digest)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return removed, err
	}
	return removed, nil
}

// DeleteTag removes a tag. When no other tag points at its manifest, the manifest is deleted
// too (ECR's BatchDeleteImage by tag). It returns the digest the tag pointed at.
func (r *Registry) DeleteTag(name, tag string) (digest string, imageDeleted bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	digest, err = r.resolve(name, tag)
	if err != nil {
		return "", false, err
	}
	if err := os.Remove(r.tagPath(name, tag)); err != nil {
		return "", false, err
	}
	byTag, _, err := r.tags(name)
	if err != nil {
		return digest, false, err
	}
	for _, d := range byTag {
		if d == digest {
			return digest, false, nil
		}
	}
	if ref, err := r.referenced(name, digest); err != nil || ref {
		return digest, false, err // an index still needs it: it stays, untagged
	}
	if err := os.Remove(r.revisionPath(name, digest)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return digest, false, err
	}
	return digest, true, nil
}

// DeleteRepository removes a repository's manifests, tags and blob links. Blobs themselves stay
// in the shared store (another repository may link them).
func (r *Registry) DeleteRepository(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range []string{"_manifests", "_layers"} {
		if err := os.RemoveAll(filepath.Join(r.repoDir(name), d)); err != nil {
			return fmt.Errorf("deleting repository %s: %w", name, err)
		}
	}
	// Remove now-empty parent directories up to repos/, keeping nested repositories.
	root := filepath.Join(r.dir, "repos")
	for d := r.repoDir(name); d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
	}
	return nil
}
