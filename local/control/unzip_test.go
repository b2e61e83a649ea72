package control

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type zipEntry struct {
	name, body string
	link       bool // body is the link's target
	dir        bool
}

func buildZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		switch {
		case e.link:
			h.SetMode(os.ModeSymlink | 0o777)
		case e.dir:
			h.SetMode(os.ModeDir | 0o755)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if !e.dir {
			w.Write([]byte(e.body))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pkg.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUnzipCannotEscape extracts hostile packages into a folder inside a sandbox folder and
// checks that nothing appears in the sandbox outside it, whatever the links.
func TestUnzipCannotEscape(t *testing.T) {
	deep := "c/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/f"
	cases := []struct {
		name    string
		entries func(outside string) []zipEntry
	}{
		{"dot-dot", func(string) []zipEntry { return []zipEntry{{name: "../escaped", body: "x"}} }},
		{"absolute", func(outside string) []zipEntry {
			return []zipEntry{{name: filepath.Join(outside, "escaped"), body: "x"}}
		}},
		{"symlink out", func(string) []zipEntry {
			return []zipEntry{{name: "l", body: "..", link: true}, {name: "l/escaped", body: "x"}}
		}},
		{"absolute symlink", func(outside string) []zipEntry {
			return []zipEntry{{name: "l", body: outside, link: true}, {name: "l/escaped", body: "x"}}
		}},
		{"symlink chain", func(outside string) []zipEntry {
			// f resolves to c/; f/g therefore lands as c/g, whose target only looks inside
			// when read from where its name says it is.
			return []zipEntry{
				{name: deep, body: strings.Repeat("../", 10), link: true},
				{name: deep + "/g", body: strings.Repeat("../", 12) + strings.TrimPrefix(outside, "/"), link: true},
				{name: "c/g/escaped", body: "x"},
			}
		}},
		{"symlink chain to a file", func(outside string) []zipEntry {
			return []zipEntry{
				{name: deep, body: strings.Repeat("../", 10), link: true},
				{name: deep + "/g", body: strings.Repeat("../", 12) + strings.TrimPrefix(outside, "/") + "/escaped", link: true},
				{name: "c/g", body: "x"},
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sandbox := t.TempDir()
			outside := filepath.Join(sandbox, "outside")
			os.Mkdir(outside, 0o755)
			dst := filepath.Join(sandbox, "in", "a", "b")
			os.MkdirAll(dst, 0o755)
			err := unzip(writeTemp(t, buildZip(t, tc.entries(outside))), dst)
			var found []string
			filepath.WalkDir(sandbox, func(p string, d os.DirEntry, _ error) error {
				if d != nil && !d.IsDir() && filepath.Base(p) == "escaped" && !strings.HasPrefix(p, dst+string(filepath.Separator)) {
					found = append(found, p)
				}
				return nil
			})
			if len(found) > 0 {
				t.Fatalf("the package wrote outside its folder: %v (unzip: %v)", found, err)
			}
			if err == nil {
				// Links whose target leaves the folder are refused even when nothing was
				// written through them.
				t.Fatalf("unzip accepted a package with an entry or link leaving its folder")
			}
			t.Logf("refused: %v", err)
		})
	}
}

// TestUnzipKeepsInsideLinks: links that stay inside the package are ordinary (venvs have them).
func TestUnzipKeepsInsideLinks(t *testing.T) {
	dst := t.TempDir()
	err := unzip(writeTemp(t, buildZip(t, []zipEntry{
		{name: "lib/real.py", body: "X = 1\n"},
		{name: "lib/alias.py", body: "real.py", link: true},
		{name: "bin/", dir: true},
		{name: "bin/lib", body: "../lib", link: true},
		{name: "main.py", body: "print(1)\n"},
	})), dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lib/alias.py", "bin/lib/real.py", "main.py"} {
		if _, err := os.ReadFile(filepath.Join(dst, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// bombZip is a small archive whose entries declare and hold n × per bytes of zeros (one
// deflate stream, compressed once, stored n times).
func bombZip(t testing.TB, n int, per int64, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for left := per; left > 0; left -= int64(len(zeros)) {
		b := zeros[:min(int64(len(zeros)), left)]
		fw.Write(b)
		crc.Write(b)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		h := &zip.FileHeader{Name: "z" + itoa(i), Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared}
		h.SetMode(0o644)
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	zw.Close()
	return buf.Bytes()
}

// TestUnzipSizeLimit: AgentCore takes 750 MB unzipped; a 1 MiB zip declaring more is refused
// before anything is written.
func TestUnzipSizeLimit(t *testing.T) {
	data := bombZip(t, 8, 100<<20, 100<<20)
	if len(data) > 1<<20 {
		t.Fatalf("the bomb is %d bytes, want at most 1 MiB", len(data))
	}
	dst := t.TempDir()
	err := unzip(writeTemp(t, data), dst)
	if err == nil || !strings.Contains(err.Error(), "750 MB") {
		t.Fatalf("unzip of 800 MiB: %v, want a refusal naming the 750 MB limit", err)
	}
	if entries, _ := os.ReadDir(dst); len(entries) > 0 {
		t.Fatalf("files were written before the refusal: %d", len(entries))
	}
}

// TestUnzipLyingSizes: entries that declare less than they hold are refused while writing.
func TestUnzipLyingSizes(t *testing.T) {
	dst := t.TempDir()
	err := unzip(writeTemp(t, bombZip(t, 8, 100<<20, 1<<20)), dst)
	if err == nil {
		t.Fatal("unzip accepted entries larger than they declare")
	}
	var total int64
	filepath.WalkDir(dst, func(p string, d os.DirEntry, _ error) error {
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	if total > maxUnzipped {
		t.Fatalf("%d bytes written, more than the limit", total)
	}
}

// FuzzUnzip: whatever the archive, extraction returns (no panic) and writes only inside its
// folder.
func FuzzUnzip(f *testing.F) {
	deep := "c/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/f"
	f.Add(buildZip(f, []zipEntry{{name: "main.py", body: "print(1)"}, {name: "a/b", body: "x"}}))
	f.Add(buildZip(f, []zipEntry{{name: "../x", body: "x"}}))
	f.Add(buildZip(f, []zipEntry{{name: "l", body: "..", link: true}, {name: "l/x", body: "x"}}))
	f.Add(buildZip(f, []zipEntry{{name: deep, body: strings.Repeat("../", 10), link: true},
		{name: deep + "/g", body: strings.Repeat("../", 12) + "/tmp/x", link: true}, {name: "c/g", body: "x"}}))
	f.Add(bombZip(f, 2, 1<<16, 1<<10))
	f.Fuzz(func(t *testing.T, data []byte) {
		sandbox := t.TempDir()
		dst := filepath.Join(sandbox, "in")
		os.Mkdir(dst, 0o755)
		archive := filepath.Join(sandbox, "pkg.zip")
		os.WriteFile(archive, data, 0o644)
		unzip(archive, dst)
		entries, _ := os.ReadDir(sandbox)
		for _, e := range entries {
			if e.Name() != "in" && e.Name() != "pkg.zip" {
				t.Fatalf("extraction wrote %s outside its folder", e.Name())
			}
		}
	})
}
