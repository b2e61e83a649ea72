package ociimage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// WriteLayout stores img as an OCI image layout in dir (oci-layout, index.json naming the one
// image with its platform, blobs/sha256/...), replacing what dir held. The layout is written
// in a temporary folder next to dir and renamed into place, so dir is never half written.
// Blobs the previous layout in dir already had are hard-linked rather than fetched again (a
// base image's layers come from its registry only once). It returns the image's descriptor.
func WriteLayout(dir string, img v1.Image, platform v1.Platform) (v1.Descriptor, error) {
	parent, base := filepath.Split(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return v1.Descriptor{}, err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return v1.Descriptor{}, err
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return v1.Descriptor{}, err
	}
	desc, err := writeLayout(tmp, dir, img, platform)
	if err != nil {
		return v1.Descriptor{}, err
	}
	if _, err := os.Lstat(dir); err == nil {
		old, err := os.MkdirTemp(parent, "."+base+".old-")
		if err != nil {
			return v1.Descriptor{}, err
		}
		defer os.RemoveAll(old)
		if err := os.Rename(dir, filepath.Join(old, base)); err != nil {
			return v1.Descriptor{}, err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return v1.Descriptor{}, err
	}
	return desc, nil
}

func writeLayout(dir, prev string, img v1.Image, platform v1.Platform) (v1.Descriptor, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return v1.Descriptor{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return v1.Descriptor{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return v1.Descriptor{}, err
		}
		size, err := l.Size()
		if err != nil {
			return v1.Descriptor{}, err
		}
		if err := writeBlob(blobs, prev, d, size, l.Compressed); err != nil {
			return v1.Descriptor{}, fmt.Errorf("writing layer %s: %w", d, err)
		}
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return v1.Descriptor{}, err
	}
	if err := writeBytes(blobs, raw); err != nil {
		return v1.Descriptor{}, err
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	if err := writeBytes(blobs, manifest); err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	d, _, err := v1.SHA256(bytes.NewReader(manifest))
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc := v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(manifest)), Platform: &platform}
	index, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{desc}})
	if err != nil {
		return v1.Descriptor{}, err
	}
	return desc, os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644)
}

func writeBytes(blobs string, b []byte) error {
	d, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(blobs, d.Hex), b, 0o644)
}

// writeBlob links the blob from the previous layout when it is there with the right size, and
// otherwise copies it from open.
func writeBlob(blobs, prev string, d v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
	dst := filepath.Join(blobs, d.Hex)
	if prev != "" {
		src := filepath.Join(prev, "blobs", d.Algorithm, d.Hex)
		if st, err := os.Stat(src); err == nil && st.Mode().IsRegular() && st.Size() == size {
			if os.Link(src, dst) == nil {
				return nil
			}
		}
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("got %d bytes, expected %d", n, size)
	}
	return err
}

// ReadLayout opens the one image of a layout written by WriteLayout.
func ReadLayout(dir string) (v1.Image, v1.Descriptor, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	if len(im.Manifests) != 1 || !im.Manifests[0].MediaType.IsImage() {
		return nil, v1.Descriptor{}, fmt.Errorf("%s holds %d entries; expected the one image that oci.build_go writes", dir, len(im.Manifests))
	}
	desc := im.Manifests[0]
	img, err := p.Image(desc.Digest)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	return img, desc, nil
}
