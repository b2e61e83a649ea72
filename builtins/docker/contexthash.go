package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// placeholder replaces the random name a Dockerfile from outside the context gets in the
// context tar, so that the hash does not change from one call to the next.
const placeholder = ".dockerfile.outside-context"

// ContextHash is the content hash of a build: the context tar as docker.build sends it to the
// classic builder (tarContext), read entry by entry (path, type, permission bits, link target,
// content), and the build settings that change the image (docker.context_hash puts the base
// images' identities among them, as "base:REF"). dir and dockerfile are absolute.
func ContextHash(dir, dockerfile string, settings map[string]string) (string, error) {
	bc, err := tarContext(dir, dockerfile, false)
	if err != nil {
		return "", err
	}
	defer bc.tar.Close()
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%s=%d:%s\n", k, len(v), v) }
	field("dockerfile", dockerfileName(bc.dockerfile))
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		field("setting:"+k, settings[k])
	}
	tr := tar.NewReader(bc.tar)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading the build context of %s: %w", dir, err)
		}
		name := dockerfileName(hd.Name)
		field("entry", name)
		field("type", string(hd.Typeflag))
		field("mode", fmt.Sprintf("%o", hd.Mode&0o7777))
		field("link", hd.Linkname)
		if hd.Typeflag != tar.TypeReg {
			continue
		}
		var content bytes.Buffer
		if _, err := io.Copy(&content, tr); err != nil {
			return "", fmt.Errorf("reading %s from the build context: %w", hd.Name, err)
		}
		b := content.Bytes()
		if name == ".dockerignore" && bc.dockerfile != dockerfileName(bc.dockerfile) {
			b = bytes.ReplaceAll(b, []byte(bc.dockerfile), []byte(placeholder))
		}
		sum := sha256.Sum256(b)
		field("sha256", hex.EncodeToString(sum[:]))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// dockerfileName gives the generated name of a Dockerfile from outside the context its fixed
// placeholder; other names stay.
func dockerfileName(name string) string {
	if strings.HasPrefix(name, ".dockerfile.") && !strings.Contains(name, "/") {
		return placeholder
	}
	return name
}

// luaContextHash gives nil when an image the Dockerfile builds on cannot be identified here
// (see baseIdentities): update then builds and compares digests instead.
func luaContextHash(L *lua.LState, o buildOpts) (*string, error) {
	run := engine.FromL(L)
	dir := resolve(run.Dir, o.Context)
	dockerfile := filepath.Join(dir, "Dockerfile")
	if o.Dockerfile != "" {
		dockerfile = resolve(run.Dir, o.Dockerfile)
	}
	if o.Builder == "" {
		o.Builder = builderAuto
	}
	settings := map[string]string{"platform": o.Platform, "target": o.Target, "builder": o.Builder}
	for k, v := range o.BuildArgs {
		settings["build_arg:"+k] = v
	}
	for k, v := range o.Labels {
		settings["label:"+k] = v
	}
	// A Dockerfile that cannot be read is reported by ContextHash, with the context's errors.
	if text, err := os.ReadFile(dockerfile); err == nil {
		ids, ok, err := baseIdentities(L, string(text), o)
		if err != nil || !ok {
			return nil, err
		}
		for ref, id := range ids {
			settings["base:"+ref] = id
		}
	}
	sum, err := engine.Unlocked(L, func(context.Context) (string, error) { return ContextHash(dir, dockerfile, settings) })
	if err != nil {
		return nil, &engine.Error{Code: engine.ExitFailure, Msg: "docker.context_hash: " + err.Error(), Err: err,
			Hint: "context is relative to the project root, and so is dockerfile (default: context/Dockerfile)"}
	}
	return &sum, nil
}

// baseIdentities gives the identity of every image the Dockerfile builds on (BaseImages): a
// reference pinned by digest is its own identity; any other is the engine's local image ID
// for it, which changes when the tag is pulled again or moved. ok is false when one cannot be
// told: BaseImages gives up, the engine has no such image (the build would pull it), or the
// local image is not for the platform the stage builds for.
func baseIdentities(L *lua.LState, dockerfile string, o buildOpts) (ids map[string]string, ok bool, err error) {
	bases, ok := BaseImages(dockerfile, o.BuildArgs)
	if !ok {
		return nil, false, nil
	}
	ids = map[string]string{}
	for _, b := range bases {
		if strings.Contains(b.Ref, "@sha256:") {
			ids[b.Ref] = b.Ref
			continue
		}
		img, err := inspectImage(L, b.Ref, "looking up base image "+b.Ref)
		if cerrdefs.IsInvalidArgument(err) {
			return nil, false, nil // not a reference the engine takes: the build says why
		}
		if err != nil || img == nil {
			return nil, false, err
		}
		want := b.Platform
		if want == "" {
			want = o.Platform
		}
		if want != "" {
			p, err := normalizePlatform(want)
			if err != nil || platformBase(p) != img.Os+"/"+goArch(img.Architecture) {
				return nil, false, nil
			}
		}
		ids[b.Ref] = img.ID
	}
	return ids, true, nil
}
