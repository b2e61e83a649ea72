package registry_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/agentcore/agentcore/local/registry"
)

// serve starts the registry on a loopback httptest server and returns its host:port.
func serve(t *testing.T, reg *registry.Registry) string {
	t.Helper()
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func open(t *testing.T, dir string) *registry.Registry {
	t.Helper()
	reg, err := registry.New(registry.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func do(t *testing.T, method, url string, body []byte, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("status %d: no distribution error body (%v)", resp.StatusCode, err)
	}
	return body.Errors[0].Code
}

func TestPushPullPersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	host := serve(t, open(t, dir))

	img, err := random.Image(1024, 3)
	if err != nil {
		t.Fatal(err)
	}
	tag := ref(t, host+"/team/app:v1")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()

	// An index over the image, pushed by digest, then tagged.
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{Add: img})
	if err := remote.WriteIndex(ref(t, host+"/team/app:multi"), idx); err != nil {
		t.Fatal(err)
	}

	// Reopen on a new server over the same directory.
	reg2 := open(t, dir)
	host2 := serve(t, reg2)
	got, err := remote.Image(ref(t, host2+"/team/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != want {
		t.Fatalf("digest = %s, want %s", d, want)
	}
	layers, _ := got.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := remote.Index(ref(t, host2+"/team/app:multi")); err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(ref(t, host2+"/team/app:v1").Context())
	if err != nil || fmt.Sprint(tags) != "[multi v1]" {
		t.Fatalf("tags = %v, %v", tags, err)
	}

	if _, err := reg2.DeleteImage("team/app", want.String()); !errors.Is(err, registry.ErrReferencedByIndex) {
		t.Fatalf("deleting an image an index lists: %v", err)
	}
	imgs, err := reg2.Images("team/app")
	if err != nil || len(imgs) != 2 {
		t.Fatalf("images = %+v, %v", imgs, err)
	}
	var sum int64
	for _, l := range layers {
		s, _ := l.Size()
		sum += s
	}
	for _, im := range imgs {
		if im.Digest == want.String() {
			if fmt.Sprint(im.Tags) != "[v1]" || im.Size != sum || im.MediaType != string(types.DockerManifestSchema2) || im.PushedAt.IsZero() {
				t.Fatalf("image = %+v (layers %d)", im, sum)
			}
		} else if im.MediaType != string(types.OCIImageIndex) || im.Size != sum {
			t.Fatalf("index = %+v", im)
		}
	}
}

func TestChunkedUploadMountAndManifestChecks(t *testing.T) {
	reg := open(t, t.TempDir())
	host := serve(t, reg)
	base := "http://" + host

	resp := do(t, "GET", base+"/v2/", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Fatalf("GET /v2/ = %d", resp.StatusCode)
	}

	blob := []byte("hello, chunked world")
	dg := digestOf(blob)
	resp = do(t, "POST", base+"/v2/a/blobs/uploads/", nil, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST upload = %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	resp = do(t, "PATCH", base+loc, blob[:5], map[string]string{"Content-Range": "0-4", "Content-Type": "application/octet-stream"})
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Range") != "0-4" {
		t.Fatalf("PATCH 1 = %d range %q", resp.StatusCode, resp.Header.Get("Range"))
	}
	// A chunk that does not continue the upload is refused.
	resp = do(t, "PATCH", base+loc, blob[7:], map[string]string{"Content-Range": "7-19"})
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("gap PATCH = %d", resp.StatusCode)
	}
	resp = do(t, "PATCH", base+loc, blob[5:12], map[string]string{"Content-Range": "5-11"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH 2 = %d", resp.StatusCode)
	}
	resp = do(t, "GET", base+loc, nil, nil)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Range") != "0-11" {
		t.Fatalf("upload status = %d %q", resp.StatusCode, resp.Header.Get("Range"))
	}
	resp = do(t, "PUT", base+loc+"?digest="+dg, blob[12:], nil)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Docker-Content-Digest") != dg {
		t.Fatalf("PUT = %d", resp.StatusCode)
	}
	resp = do(t, "HEAD", base+"/v2/a/blobs/"+dg, nil, nil)
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(blob)) {
		t.Fatalf("HEAD blob = %d len %d", resp.StatusCode, resp.ContentLength)
	}
	resp = do(t, "GET", base+"/v2/a/blobs/"+dg, nil, map[string]string{"Range": "bytes=7-11"})
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusPartialContent || string(b) != "chunk" {
		t.Fatalf("ranged GET = %d %q", resp.StatusCode, b)
	}

	// Wrong digest on a monolithic upload.
	resp = do(t, "POST", base+"/v2/a/blobs/uploads/?digest="+digestOf([]byte("other")), []byte("data"), nil)
	if resp.StatusCode != 400 || errorCode(t, resp) != "DIGEST_INVALID" {
		t.Fatalf("bad digest = %d", resp.StatusCode)
	}

	// The blob is not visible in repository b until it is mounted there.
	resp = do(t, "HEAD", base+"/v2/b/blobs/"+dg, nil, nil)
	if resp.StatusCode != 404 {
		t.Fatalf("HEAD in b before mount = %d", resp.StatusCode)
	}
	resp = do(t, "POST", base+"/v2/b/blobs/uploads/?mount="+dg+"&from=a", nil, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("mount = %d", resp.StatusCode)
	}
	resp = do(t, "HEAD", base+"/v2/b/blobs/"+dg, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("HEAD in b after mount = %d", resp.StatusCode)
	}
	// Mounting from a repository that lacks the blob starts an ordinary upload.
	resp = do(t, "POST", base+"/v2/c/blobs/uploads/?mount="+digestOf([]byte("nope"))+"&from=a", nil, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("failed mount = %d", resp.StatusCode)
	}

	// A manifest whose layers are missing is refused.
	cfg := []byte(`{}`)
	resp = do(t, "POST", base+"/v2/b/blobs/uploads/?digest="+digestOf(cfg), cfg, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("config upload = %d", resp.StatusCode)
	}
	manifest := func(layer string) []byte {
		return []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}`,
			registry.MediaTypeOCIManifest, digestOf(cfg), layer, len(blob)))
	}
	resp = do(t, "PUT", base+"/v2/b/manifests/latest", manifest(digestOf([]byte("missing"))), map[string]string{"Content-Type": registry.MediaTypeOCIManifest})
	if resp.StatusCode != 400 || errorCode(t, resp) != "MANIFEST_BLOB_UNKNOWN" {
		t.Fatalf("manifest with missing layer = %d", resp.StatusCode)
	}
	m := manifest(dg)
	resp = do(t, "PUT", base+"/v2/b/manifests/latest", m, map[string]string{"Content-Type": registry.MediaTypeOCIManifest})
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != digestOf(m) {
		t.Fatalf("manifest PUT = %d", resp.StatusCode)
	}
	resp = do(t, "PUT", base+"/v2/b/manifests/"+digestOf([]byte("x")), m, map[string]string{"Content-Type": registry.MediaTypeOCIManifest})
	if resp.StatusCode != 400 || errorCode(t, resp) != "DIGEST_INVALID" {
		t.Fatalf("manifest PUT by wrong digest = %d", resp.StatusCode)
	}
	resp = do(t, "HEAD", base+"/v2/b/manifests/latest", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != registry.MediaTypeOCIManifest || resp.ContentLength != int64(len(m)) {
		t.Fatalf("manifest HEAD = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Tag immutability, then deletion by digest removes the tag too.
	reg.SetTagImmutable(func(string) bool { return true })
	m2 := bytes.Replace(m, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2,"annotations":{"x":"y"}`), 1)
	resp = do(t, "PUT", base+"/v2/b/manifests/latest", m2, map[string]string{"Content-Type": registry.MediaTypeOCIManifest})
	if resp.StatusCode != 400 || errorCode(t, resp) != "TAG_INVALID" {
		t.Fatalf("immutable overwrite = %d", resp.StatusCode)
	}
	reg.SetTagImmutable(nil)
	resp = do(t, "DELETE", base+"/v2/b/manifests/"+digestOf(m), nil, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE = %d", resp.StatusCode)
	}
	resp = do(t, "GET", base+"/v2/b/manifests/latest", nil, nil)
	if resp.StatusCode != 404 || errorCode(t, resp) != "MANIFEST_UNKNOWN" {
		t.Fatalf("GET deleted = %d", resp.StatusCode)
	}
	resp = do(t, "GET", base+"/v2/b/tags/list", nil, nil)
	if b, _ := io.ReadAll(resp.Body); strings.TrimSpace(string(b)) != `{"name":"b","tags":[]}` {
		t.Fatalf("tags = %s", b)
	}
}

func TestTagsPaginationAndDeleteTag(t *testing.T) {
	reg := open(t, t.TempDir())
	host := serve(t, reg)
	img, _ := random.Image(10, 1)
	for _, tg := range []string{"a", "b", "c"} {
		if err := remote.Write(ref(t, host+"/r:"+tg), img); err != nil {
			t.Fatal(err)
		}
	}
	resp := do(t, "GET", "http://"+host+"/v2/r/tags/list?n=2", nil, nil)
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `["a","b"]`) || !strings.Contains(resp.Header.Get("Link"), "last=b") {
		t.Fatalf("page 1 = %s link %q", b, resp.Header.Get("Link"))
	}
	resp = do(t, "GET", "http://"+host+"/v2/r/tags/list?n=2&last=b", nil, nil)
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `["c"]`) {
		t.Fatalf("page 2 = %s", b)
	}
	d, deleted, err := reg.DeleteTag("r", "a")
	if err != nil || deleted {
		t.Fatalf("DeleteTag a = %s %v %v", d, deleted, err)
	}
	reg.DeleteTag("r", "b")
	if _, deleted, _ := reg.DeleteTag("r", "c"); !deleted {
		t.Fatal("deleting the last tag should delete the image")
	}
	if imgs, _ := reg.Images("r"); len(imgs) != 0 {
		t.Fatalf("images left: %+v", imgs)
	}
}

func TestRepositoryHookAndAuth(t *testing.T) {
	reg := open(t, t.TempDir())
	reg.SetRegistryID("123456789012")
	reg.SetRepositoryExists(func(n string) bool { return n == "known" })
	host := serve(t, reg)

	img, _ := random.Image(10, 1)
	err := remote.Write(ref(t, host+"/unknown:x"), img)
	if err == nil || !strings.Contains(err.Error(), "NAME_UNKNOWN") || !strings.Contains(err.Error(), "The repository with name 'unknown' does not exist in the registry with id '123456789012'") {
		t.Fatalf("push to unknown repo: %v", err)
	}
	basic := &authn.Basic{Username: "AWS", Password: "token"}
	if err := remote.Write(ref(t, host+"/known:x"), img, remote.WithAuth(basic)); err != nil {
		t.Fatal(err)
	}

	for _, h := range []string{"Basic !!!notbase64", "Basic " + "bm9jb2xvbg==", "Digest x"} {
		resp := do(t, "GET", "http://"+host+"/v2/known/tags/list", nil, map[string]string{"Authorization": h})
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || errorCode(t, resp) != "UNAUTHORIZED" {
			t.Fatalf("Authorization %q = %d", h, resp.StatusCode)
		}
	}
	resp := do(t, "GET", "http://"+host+"/v2/known/tags/list", nil, map[string]string{"Authorization": "Basic QVdTOnRva2Vu"})
	if resp.StatusCode != 200 {
		t.Fatalf("good basic auth = %d", resp.StatusCode)
	}

	if err := reg.DeleteRepository("known"); err != nil {
		t.Fatal(err)
	}
	if imgs, _ := reg.Images("known"); len(imgs) != 0 {
		t.Fatalf("images after DeleteRepository: %+v", imgs)
	}
}

func TestOpenDiscardsStaleUploads(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	stale := filepath.Join(dir, "uploads", "0f8b2a4e-0000-4000-8000-000000000000")
	fresh := filepath.Join(dir, "uploads", "0f8b2a4e-0000-4000-8000-000000000001")
	os.WriteFile(stale, []byte("x"), 0o644)
	os.WriteFile(fresh, []byte("x"), 0o644)
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(stale, old, old)
	open(t, dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale upload kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh upload removed: %v", err)
	}
}

func TestDeleteRepositoryKeepsNestedRepositories(t *testing.T) {
	reg := open(t, t.TempDir())
	host := serve(t, reg)
	img, _ := random.Image(10, 1)
	for _, r := range []string{"a", "a/b"} {
		if err := remote.Write(ref(t, host+"/"+r+":v1"), img); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.DeleteRepository("a"); err != nil {
		t.Fatal(err)
	}
	if imgs, _ := reg.Images("a"); len(imgs) != 0 {
		t.Fatalf("a still has %d images", len(imgs))
	}
	if _, err := remote.Image(ref(t, host+"/a/b:v1")); err != nil {
		t.Fatalf("a/b lost its image: %v", err)
	}
	// The blobs stay in the shared store, so a/b still pulls and a can be pushed again.
	if err := remote.Write(ref(t, host+"/a:v2"), img); err != nil {
		t.Fatal(err)
	}
}
