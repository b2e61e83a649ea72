// Package ociimage assembles container images without a Docker engine: a reproducible layer
// from files on disk, an image config on top of a base (or nothing), and OCI image layouts on
// disk (written atomically, read back for a push). The same inputs always give the same bytes,
// so the same manifest digest.
package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Epoch is the time every file of a layer and the image config carry: the Unix epoch, so that
// a rebuild of the same sources gives the same digest (SOURCE_DATE_EPOCH=0).
var Epoch = time.Unix(0, 0).UTC()

// File maps a file or a folder on disk into the image. A folder is copied with everything
// under it. Mode, when not zero, replaces the permission bits on disk (for a single file).
type File struct {
	Src  string // path on disk
	Dst  string // absolute path in the image, e.g. /app/agent
	Mode fs.FileMode
}

type entry struct {
	name string // in the tar, without the leading slash
	typ  byte
	src  string
	mode int64
	link string
	size int64
}

// Layer builds one gzip-compressed tar layer holding files, reproducibly: entries sorted by
// path, owner 0:0, mtime Epoch, permission bits kept (or File.Mode), parent folders 0755.
// Symbolic links are stored as links. mediaType is the layer's media type (types.OCILayer or
// types.DockerLayer, to match the manifest it goes into). level is gzip's
// (gzip.DefaultCompression, or gzip.BestSpeed: a few times faster, about a tenth bigger).
func Layer(files []File, mediaType types.MediaType, level int) (v1.Layer, error) {
	entries := map[string]*entry{}
	from := map[string]string{} // image path -> the file on disk it came from, for messages
	add := func(e *entry) error {
		if old, ok := entries[e.name]; ok {
			if old.typ == tar.TypeDir && e.typ == tar.TypeDir {
				if e.src != "" {
					old.mode, old.src = e.mode, e.src
				}
				return nil
			}
			if from[e.name] == "" {
				return fmt.Errorf("%s would replace the folder /%s that holds other files", e.src, e.name)
			}
			return fmt.Errorf("/%s is given twice (from %s and from %s)", e.name, from[e.name], e.src)
		}
		for d := path.Dir(e.name); d != "."; d = path.Dir(d) {
			if old, ok := entries[d]; ok {
				if old.typ != tar.TypeDir {
					return fmt.Errorf("%s cannot go below /%s, which is a file (from %s)", e.src, d, from[d])
				}
				continue
			}
			entries[d] = &entry{name: d, typ: tar.TypeDir, mode: 0o755}
		}
		entries[e.name] = e
		from[e.name] = e.src
		return nil
	}
	for _, f := range files {
		dst := path.Clean("/" + filepath.ToSlash(f.Dst))
		if dst == "/" || !strings.HasPrefix(f.Dst, "/") {
			return nil, fmt.Errorf("destination %q of %s must be an absolute path below /", f.Dst, f.Src)
		}
		st, err := os.Lstat(f.Src)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			e, err := fileEntry(f.Src, strings.TrimPrefix(dst, "/"), st)
			if err != nil {
				return nil, err
			}
			if f.Mode != 0 {
				e.mode = int64(f.Mode.Perm())
			}
			if err := add(e); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(f.Src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(f.Src, p)
			if err != nil {
				return err
			}
			name := strings.TrimPrefix(path.Join(dst, filepath.ToSlash(rel)), "/")
			st, err := d.Info()
			if err != nil {
				return err
			}
			if d.IsDir() {
				return add(&entry{name: name, typ: tar.TypeDir, src: p, mode: int64(st.Mode().Perm())})
			}
			e, err := fileEntry(p, name, st)
			if err != nil {
				return err
			}
			return add(e)
		})
		if err != nil {
			return nil, err
		}
	}

	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)

	diffHash, blobHash := sha256.New(), sha256.New()
	var blob bytes.Buffer
	gz, err := gzip.NewWriterLevel(io.MultiWriter(&blob, blobHash), level)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(io.MultiWriter(gz, diffHash))
	for _, n := range names {
		e := entries[n]
		h := &tar.Header{Typeflag: e.typ, Name: e.name, Mode: e.mode, ModTime: Epoch, Linkname: e.link, Size: e.size}
		if e.typ == tar.TypeDir {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if e.typ == tar.TypeReg {
			if err := copyFile(tw, e.src, e.size); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return &memLayer{
		blob:      blob.Bytes(),
		digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(blobHash.Sum(nil))},
		diffID:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(diffHash.Sum(nil))},
		mediaType: mediaType,
	}, nil
}

func fileEntry(src, name string, st fs.FileInfo) (*entry, error) {
	switch {
	case st.Mode().IsRegular():
		return &entry{name: name, typ: tar.TypeReg, src: src, mode: int64(st.Mode().Perm()), size: st.Size()}, nil
	case st.Mode()&fs.ModeSymlink != 0:
		link, err := os.Readlink(src)
		if err != nil {
			return nil, err
		}
		return &entry{name: name, typ: tar.TypeSymlink, src: src, mode: 0o777, link: link}, nil
	}
	return nil, fmt.Errorf("%s is neither a file, a folder nor a symbolic link (%s)", src, st.Mode().Type())
}

func copyFile(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was being read (%d bytes, expected %d)", src, n, size)
	}
	return err
}

// memLayer is a layer held in memory, its digests computed once while it was written.
type memLayer struct {
	blob      []byte
	digest    v1.Hash
	diffID    v1.Hash
	mediaType types.MediaType
}

func (l *memLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *memLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	return gzip.NewReader(bytes.NewReader(l.blob))
}
func (l *memLayer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *memLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
