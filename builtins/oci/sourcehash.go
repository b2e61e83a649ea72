package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// SourceHash is the content hash of a Go build's inputs, or "" when they are not all files of
// its module (see oci.source_hash's declaration in oci.go). root is the project root, against which o's
// paths resolve.
func SourceHash(ctx context.Context, root string, o buildGoOpts) (string, error) {
	b, err := prepareBuild(root, o)
	if err != nil {
		return "", err
	}
	if b.opts.Base != "" && !strings.Contains(b.opts.Base, "@sha256:") {
		return "", nil // a tag may move: only the pull tells
	}
	mod := moduleRoot(b.dir)
	if mod == "" {
		return "", nil
	}
	toolchain, work, err := goEnv(ctx, b.dir)
	if err != nil {
		return "", err
	}
	if work != "" && work != "off" {
		return "", nil
	}
	if inside, err := replacesInside(mod); err != nil || !inside {
		return "", err
	}
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%s=%d:%s\n", k, len(v), v) }
	field("toolchain", toolchain)
	rel, _ := filepath.Rel(mod, b.dir)
	field("dir", filepath.ToSlash(rel))
	field("package", b.opts.Package)
	field("platform", b.opts.Platform)
	field("port", fmt.Sprint(b.port))
	field("ldflags", b.opts.Ldflags)
	field("base", b.opts.Base)
	for _, k := range slices.Sorted(maps.Keys(b.opts.Env)) {
		field("env:"+k, b.opts.Env[k])
	}
	for _, k := range slices.Sorted(maps.Keys(b.opts.Labels)) {
		field("label:"+k, b.opts.Labels[k])
	}
	if err := hashTree(h, field, mod, mod, true); err != nil {
		return "", err
	}
	for _, f := range b.files {
		field("file", f.Dst)
		if err := hashTree(h, field, f.Src, f.Src, false); err != nil {
			return "", err
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// moduleRoot is the folder of the go.mod that holds dir, "" when there is none.
func moduleRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !st.IsDir() {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// goEnv asks the toolchain on PATH, in dir, for its version, flags and experiments, and
// GOWORK (the workspace file in use, "" or "off" for none).
func goEnv(ctx context.Context, dir string) (toolchain, work string, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", "", engine.Usagef("install Go (https://go.dev/dl) and put its bin folder on PATH, or build the agent with Docker instead",
			"oci.source_hash: no go toolchain on PATH")
	}
	cmd := exec.CommandContext(ctx, goBin, "env", "GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOWORK")
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("oci.source_hash: go env: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		return "", "", fmt.Errorf("oci.source_hash: go env printed %q", out.String())
	}
	return strings.Join(lines[:3], "\n"), strings.TrimSpace(lines[3]), nil
}

// replacesInside tells whether every replace directive of mod/go.mod that names a folder
// (a right side starting with ./, ../ or /) names one inside mod, whose files are hashed.
func replacesInside(mod string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(mod, "go.mod"))
	if err != nil {
		return false, err
	}
	block := false
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case block && line == ")":
			block = false
			continue
		case line == "replace (":
			block = true
			continue
		case !block && !strings.HasPrefix(line, "replace "):
			continue
		}
		_, right, ok := strings.Cut(line, "=>")
		if !ok {
			continue
		}
		fields := strings.Fields(right)
		if len(fields) != 1 {
			continue // a module path and version
		}
		p := strings.Trim(fields[0], `"`)
		if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") && !filepath.IsAbs(p) {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(mod, p)
		}
		if rel, err := filepath.Rel(mod, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return false, nil
		}
	}
	return true, nil
}

// hashTree adds every file below top (or top itself, a file) to h: its path relative to base,
// mode bits, and content or link target. In a module (module true), folders go build ignores
// and nested modules are left out.
func hashTree(h io.Writer, field func(k, v string), base, top string, module bool) error {
	return filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if module && p != top && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if module && p != top {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		field("entry", rel)
		field("mode", fmt.Sprintf("%o", info.Mode().Perm()))
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			field("link", target)
			return nil
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sum := sha256.New()
		if _, err := io.Copy(sum, f); err != nil {
			return err
		}
		field("sha256", hex.EncodeToString(sum.Sum(nil)))
		return nil
	})
}

// luaSourceHash gives nil when the sources cannot be told by their files (SourceHash's "").
func luaSourceHash(L *lua.LState, o buildGoOpts) (*string, error) {
	root := engine.FromL(L).Dir
	sum, err := engine.Unlocked(L, func(ctx context.Context) (string, error) { return SourceHash(ctx, root, o) })
	if err != nil || sum == "" {
		return nil, err
	}
	return &sum, nil
}
