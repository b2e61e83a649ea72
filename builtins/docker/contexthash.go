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
	"path/filepath"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// The declaration of docker.context_hash, added to the module's table of contents here.
func init() {
	Module.Funcs = append(Module.Funcs, engine.Func{Name: "context_hash", Fn: luaContextHash,
		Params:  "opts: docker.BuildOpts",
		Returns: "string",
		Doc: "The content hash (\"sha256:...\") of what docker.build with these options builds from: every file of the " +
			"context the build sends (.dockerignore applied as the build applies it), with its path, mode and link target " +
			"but not its times or owner; the Dockerfile; build_args, labels, platform, target and builder. Nothing is " +
			"built and the engine is not asked. The same sources and options give the same hash on any machine, " +
			"whether or not a build cache holds them; tags and no_cache do not count."})
}

// placeholder replaces the random name a Dockerfile from outside the context gets in the
// context tar, so that the hash does not change from one call to the next.
const placeholder = ".dockerfile.outside-context"

// ContextHash is the content hash of a build: the context tar as docker.build sends it to the
// classic builder (tarContext), read entry by entry (path, type, permission bits, link target,
// content), and the build settings that change the image. dir and dockerfile are absolute.
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

func luaContextHash(L *lua.LState) int {
	var o buildOpts
	engine.OptionsArg(L, 1, "docker.context_hash", &o)
	if o.Context == "" {
		engine.RaiseUsage(L, `docker.context_hash{context = "agent"}`, "docker.context_hash: option context is required")
	}
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
	sum, err := engine.Unlocked(L, func(context.Context) (string, error) { return ContextHash(dir, dockerfile, settings) })
	if err != nil {
		engine.Raise(L, &engine.Error{Code: engine.ExitFailure, Msg: "docker.context_hash: " + err.Error(), Err: err,
			Hint: "context is relative to the project root, and so is dockerfile (default: context/Dockerfile)"})
	}
	L.Push(lua.LString(sum))
	return 1
}
