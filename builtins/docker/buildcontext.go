package docker

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	archive "github.com/moby/go-archive"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildContext is a build context ready to send: the tar stream and the Dockerfile's name
// inside it (what the engine's dockerfile option must say).
type buildContext struct {
	tar        io.ReadCloser
	dockerfile string
}

// tarContext tars dir for a build the way `docker build -f dockerfile dir` does: files matched
// by dir/.dockerignore are left out, except the Dockerfile and .dockerignore themselves (the
// engine needs them and drops them from the context when they are ignored). A Dockerfile
// outside dir is added to the tar under a generated name that .dockerignore then lists, so
// that COPY . never picks it up. dir and dockerfile are absolute.
//
// For BuildKit (buildkit true), which unpacks an uploaded context as it is, .dockerignore is
// left out when it lists itself and is not amended; the Dockerfile must stay in the context,
// so one that .dockerignore lists, or one from outside dir, is visible to COPY . there.
func tarContext(dir, dockerfile string, buildkit bool) (*buildContext, error) {
	if st, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the build context %s does not exist", dir)
	} else if err != nil {
		return nil, fmt.Errorf("the build context: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("the build context %s is not a directory", dir)
	}
	if st, err := os.Stat(dockerfile); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("there is no Dockerfile at %s", dockerfile)
	} else if err != nil {
		return nil, fmt.Errorf("the Dockerfile: %w", err)
	} else if st.IsDir() {
		return nil, fmt.Errorf("the Dockerfile %s is a directory", dockerfile)
	}
	excludes, err := readDockerignore(dir)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(dir, dockerfile)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	outside := rel == ".." || strings.HasPrefix(rel, "../")
	if keep, _ := patternmatcher.MatchesOrParentMatches(".dockerignore", excludes); keep && !buildkit {
		excludes = append(excludes, "!.dockerignore")
	}
	if !outside {
		if keep, _ := patternmatcher.MatchesOrParentMatches(rel, excludes); keep {
			excludes = append(excludes, "!"+rel)
		}
	}
	tr, err := archive.TarWithOptions(dir, &archive.TarOptions{
		ExcludePatterns: excludes,
		ChownOpts:       &archive.ChownOpts{UID: 0, GID: 0},
	})
	if err != nil {
		return nil, fmt.Errorf("packing build context %s: %w", dir, err)
	}
	if !outside {
		return &buildContext{tar: tr, dockerfile: rel}, nil
	}
	content, err := os.ReadFile(dockerfile)
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("reading the Dockerfile: %w", err)
	}
	name, tr := addDockerfile(tr, content, !buildkit)
	return &buildContext{tar: tr, dockerfile: name}, nil
}

// addDockerfile adds a Dockerfile to a context tar under a random name and, with ignore, lists
// that name in the tar's .dockerignore (creating it when absent), as the docker CLI does for
// `-f` outside the context.
func addDockerfile(tr io.ReadCloser, content []byte, ignore bool) (string, io.ReadCloser) {
	var rnd [10]byte
	_, _ = rand.Read(rnd[:])
	name := ".dockerfile." + hex.EncodeToString(rnd[:])
	now := time.Now()
	mods := map[string]archive.TarModifierFunc{
		name: func(string, *tar.Header, io.Reader) (*tar.Header, []byte, error) {
			return &tar.Header{Name: name, Mode: 0o600, ModTime: now, Typeflag: tar.TypeReg}, content, nil
		},
	}
	if !ignore {
		return name, archive.ReplaceFileTarWrapper(tr, mods)
	}
	mods[".dockerignore"] = func(_ string, h *tar.Header, old io.Reader) (*tar.Header, []byte, error) {
		if h == nil {
			h = &tar.Header{Name: ".dockerignore", Mode: 0o600, ModTime: now, Typeflag: tar.TypeReg}
		}
		var b bytes.Buffer
		if old != nil {
			if _, err := io.Copy(&b, old); err != nil {
				return nil, nil, err
			}
		}
		b.WriteString("\n" + name + "\n")
		return h, b.Bytes(), nil
	}
	return name, archive.ReplaceFileTarWrapper(tr, mods)
}

// readDockerignore returns the patterns of dir/.dockerignore, none when there is no file.
func readDockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	return patterns, nil
}
