package control

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxUnzipped is AgentCore's limit on a code package's unzipped size (750 MB).
const maxUnzipped = 750_000_000

// unzip extracts archive into dir through an os.Root, so that no entry and no link, however
// chained, makes a file land outside dir: the root refuses any path that resolves outside it
// at the moment of each write. Links whose target leaves dir are refused even if nothing is
// written through them (a host process would follow them). The unzipped size is checked
// against maxUnzipped from the archive's directory before writing, and counted while writing
// (an entry's header may lie).
func unzip(archive, dir string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer zr.Close()
	var declared uint64
	for _, f := range zr.File {
		if !f.Mode().IsDir() {
			declared += f.UncompressedSize64
			if declared > maxUnzipped {
				return fmt.Errorf("it unzips to more than AgentCore's limit of 750 MB (%d bytes declared by its first entries)", declared)
			}
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	budget := int64(maxUnzipped)
	var links []string
	for _, f := range zr.File {
		name, err := entryName(f.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("entry %q: %w", f.Name, err)
			}
		case mode&os.ModeSymlink != 0:
			target, err := readLink(f)
			if err != nil {
				return err
			}
			if r := path.Join(path.Dir(name), target); path.IsAbs(target) || r == ".." || strings.HasPrefix(r, "../") {
				return fmt.Errorf("symbolic link %q points outside the package", f.Name)
			}
			if err := mkParent(root, name); err != nil {
				return fmt.Errorf("entry %q: %w", f.Name, err)
			}
			if err := root.Symlink(target, name); err != nil {
				return fmt.Errorf("entry %q: %w", f.Name, err)
			}
			links = append(links, name)
		default:
			if err := mkParent(root, name); err != nil {
				return fmt.Errorf("entry %q: %w", f.Name, err)
			}
			n, err := writeEntry(root, name, f, budget)
			if err != nil {
				return fmt.Errorf("entry %q: %w", f.Name, err)
			}
			budget -= n
		}
	}
	// Where a link really points depends on the links extracted after it: resolve each one now,
	// through the root, which refuses any that leaves it (a dangling link inside is allowed).
	for _, l := range links {
		if _, err := root.Stat(l); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("symbolic link %q points outside the package: %w", l, err)
		}
	}
	return nil
}

// entryName is a zip entry's name as a path relative to the package root, refusing absolute
// names and names that climb out.
func entryName(raw string) (string, error) {
	n := strings.ReplaceAll(raw, "\\", "/")
	clean := path.Clean(n)
	if path.IsAbs(n) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(n, "\x00") {
		return "", fmt.Errorf("entry %q points outside the package", raw)
	}
	return clean, nil
}

func readLink(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	target, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return "", fmt.Errorf("entry %q: %w", f.Name, err)
	}
	return string(target), nil
}

func mkParent(root *os.Root, name string) error {
	if d := path.Dir(name); d != "." {
		return root.MkdirAll(d, 0o755)
	}
	return nil
}

// writeEntry writes a regular file's content, refusing to write more than budget bytes.
func writeEntry(root *os.Root, name string, f *zip.File, budget int64) (int64, error) {
	perm := f.Mode().Perm() | 0o400
	if perm&0o777 == 0o400 {
		perm = 0o644
	}
	out, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return 0, err
	}
	rc, err := f.Open()
	var n int64
	if err == nil {
		n, err = io.Copy(out, io.LimitReader(rc, budget+1))
		rc.Close()
		if err == nil && n > budget {
			err = errors.New("the package unzips to more than AgentCore's limit of 750 MB")
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
