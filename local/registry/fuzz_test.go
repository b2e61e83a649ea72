package registry

import (
	"testing"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// FuzzPutManifest: any manifest pushed is stored or refused with a distribution error code.
func FuzzPutManifest(f *testing.F) {
	f.Add("application/vnd.oci.image.manifest.v1+json", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}`))
	f.Add("application/vnd.oci.image.index.v1+json", []byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:../../etc","size":1,"platform":{"os":"linux"}}]}`))
	f.Add("", []byte(`{"config":{"urls":["http://x"]}}`))
	r, err := New(Config{Dir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		if _, err := r.PutManifest("fuzz/repo", "latest", contentType, body); err != nil && awsproto.CodeOf(err) == "" {
			t.Fatalf("a refusal without a distribution error code: %v", err)
		}
	})
}
