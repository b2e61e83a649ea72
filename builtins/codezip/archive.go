package codezip

import (
	"archive/zip"
	"bufio"
	"compress/flate"
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
)

// zipEpoch is the timestamp of every entry: the earliest a zip can hold, so that the same files
// give the same bytes whenever and wherever they are packaged.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// entry is one file to put in an archive.
type entry struct {
	name string      // slash path inside the zip
	src  string      // file on disk
	mode fs.FileMode // 0o644 or 0o755
	size int64
	raw  *zip.File // set for an entry copied as is from another zip (the cached dependency layer)
}

// excluder decides which files of a tree are left out of the archive.
type excluder struct {
	dirs  map[string]bool // directory names skipped wherever they are
	files []string        // file name patterns (path.Match)
}

// sourceExcludes are left out of the agent's own folder: version control, virtual
// environments, bytecode, the host's node_modules (dependencies come from the staged layer,
// installed for the target) and agentcore's own build output.
var sourceExcludes = excluder{
	dirs:  map[string]bool{".git": true, ".venv": true, "__pycache__": true, "node_modules": true, ".agentcore": true},
	files: []string{"*.pyc"},
}

// depsExcludes are left out of the installed dependencies: bytecode only.
var depsExcludes = excluder{dirs: map[string]bool{"__pycache__": true}, files: []string{"*.pyc"}}

func (x excluder) file(name string) bool {
	for _, p := range x.files {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// collect lists the regular files under root, named prefix + their slash path, skipping what x
// excludes and the file skip (the archive being written, when it lies inside root). Symbolic
// links to files are followed; links to folders are refused, since following them can loop
// and their target may lie anywhere.
func collect(root, prefix string, x excluder, skip string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if d.IsDir() {
			if x.dirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if x.file(d.Name()) || p == skip {
			return nil
		}
		info, err := os.Stat(p) // follows a symbolic link
		if err != nil {
			return err
		}
		if info.IsDir() {
			return fmt.Errorf("%s is a symbolic link to a folder; replace it with a copy, or remove it", p)
		}
		if !info.Mode().IsRegular() {
			return nil // sockets, pipes, devices
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		out = append(out, entry{name: prefix + filepath.ToSlash(rel), src: p, mode: mode, size: info.Size()})
		return nil
	})
	sortEntries(out)
	return out, err
}

func sortEntries(es []entry) { sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name }) }

// merge joins two sorted lists into one sorted list; on a name in both, a wins (the agent's own
// file over a dependency's).
func merge(a, b []entry) []entry {
	out := make([]entry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].name < b[j].name:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].name < a[i].name:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// zipEntries lists the files of an archive written by writeZip, as entries to copy raw.
func zipEntries(r *zip.Reader) []entry {
	out := make([]entry, 0, len(r.File))
	for _, f := range r.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		out = append(out, entry{name: f.Name, mode: f.Mode().Perm(), size: int64(f.UncompressedSize64), raw: f})
	}
	sortEntries(out)
	return out
}

// writeZip writes es (sorted) as a deterministic zip to path, atomically (a temporary file in
// the same folder, renamed), and returns the archive's sha256 and size. check, when not nil,
// sees the size of the finished temporary file before it is renamed, and may refuse it.
func writeZip(dst string, es []entry, check func(size int64) error) (sum string, size int64, err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return "", 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	cw := &countWriter{w: io.MultiWriter(bw, h)}
	zw := zip.NewWriter(cw)
	buf := make([]byte, 256<<10) // one copy buffer for every raw entry, not one each
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	for _, e := range es {
		if e.raw != nil {
			if err := copyRaw(zw, e.raw, buf); err != nil {
				return "", 0, fmt.Errorf("copying %s: %w", e.name, err)
			}
			continue
		}
		if err := addFile(zw, e); err != nil {
			return "", 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return "", 0, err
	}
	if err := bw.Flush(); err != nil {
		return "", 0, err
	}
	if check != nil {
		if err := check(cw.n); err != nil {
			return "", 0, err
		}
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

// copyRaw is zip.Writer.Copy with a caller's buffer: the compressed bytes go across as they
// are, without inflating and deflating again.
func copyRaw(zw *zip.Writer, f *zip.File, buf []byte) error {
	r, err := f.OpenRaw()
	if err != nil {
		return err
	}
	fh := f.FileHeader
	w, err := zw.CreateRaw(&fh)
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(w, r, buf)
	return err
}

func addFile(zw *zip.Writer, e entry) error {
	fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipEpoch}
	fh.SetMode(e.mode) // Unix creator and mode in the external attributes
	w, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", e.src, err)
	}
	if n != e.size {
		return fmt.Errorf("%s changed while it was being packaged", e.src)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// topLevel sums the unzipped sizes of es by first path element ("boto3/", "main.py"), largest
// first, for the hint of an archive over the limit.
func topLevel(es []entry, n int) []string {
	sizes := map[string]int64{}
	for _, e := range es {
		top, _, isDir := strings.Cut(e.name, "/")
		if isDir {
			top += "/"
		}
		sizes[top] += e.size
	}
	names := make([]string, 0, len(sizes))
	for k := range sizes {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if sizes[names[i]] != sizes[names[j]] {
			return sizes[names[i]] > sizes[names[j]]
		}
		return names[i] < names[j]
	})
	var out []string
	for _, k := range names[:min(n, len(names))] {
		out = append(out, fmt.Sprintf("%s %s", k, human(sizes[k])))
	}
	return out
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
