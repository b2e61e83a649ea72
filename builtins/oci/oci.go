// Package oci is the Lua oci module: container images with no Docker engine involved
// (github.com/google/go-containerregistry): Go agents compiled and packed into reproducible OCI
// images (build_go, with internal/ociimage), pushes of those, inspections, and
// registry-to-registry copies that keep the digest.
package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/ociimage"
)

// Module is the oci module.
var Module = &engine.Module{
	Name: "oci",
	Doc:  "Container images without the Docker engine: Go agents compiled and packed into OCI images, pushes, inspections and registry-to-registry copies.",
	Classes: []*engine.Class{
		{Name: "oci.BuildGoOpts", Of: buildGoOpts{}},
		{Name: "oci.File", Doc: "A file of oci.build_go put elsewhere than /app/PATH.", Of: fileOpt{}},
		{Name: "oci.BuildResult", Of: buildResult{}},
		{Name: "oci.CompileResult", Of: compileResult{}},
		{Name: "oci.PushOpts", Of: pushOpts{}},
		{Name: "oci.PushResult", Of: pushResult{}},
		{Name: "oci.InspectOpts", Of: inspectOpts{}},
		{Name: "oci.InspectResult", Of: inspectResult{}},
		{Name: "oci.CopyOpts", Of: copyOpts{}},
		{Name: "oci.CopyResult", Of: result{}},
	},
	Funcs: []engine.Func{
		{Name: "build_go", Go: luaBuildGo,
			Params:  "opts: oci.BuildGoOpts",
			Returns: "oci.BuildResult",
			Doc: "Compiles the Go main package `package` (default \".\") of the folder `dir` (relative to the project root) for `platform` (os/arch[/variant], default linux and the host's architecture) " +
				"with the go toolchain on PATH — `go build -trimpath -buildvcs=false -ldflags \"-s -w LDFLAGS\"`, CGO_ENABLED=0, GOOS/GOARCH from the platform, the caller's GOFLAGS, GOCACHE and GOPROXY kept, into OUT.bin/ so that an unchanged package is not linked again — " +
				"and packs the binary into an OCI image without Docker. The image has one new layer holding the binary at /app/agent (mode 0755) and each of `files`: " +
				"a path relative to `dir` lands at /app/PATH (folders with everything below them, permission bits kept), or {src = PATH, dst = PATH} puts src at dst (dst relative to /app, or absolute). " +
				"Layer entries are sorted, owned by 0:0 and dated 1970-01-01 (SOURCE_DATE_EPOCH=0). The config runs Entrypoint [\"/app/agent\"] in /app, exposes `port`/tcp (default 8080; 0 for none), " +
				"sets PATH plus `env`, `labels` and the platform, created 1970-01-01. The layer goes on `base` (pulled through the registry API, the platform's entry of an index; default: nothing, like FROM scratch). " +
				"The same sources and options give the same digest every time. The image is stored as an OCI image layout in `out` (relative to the project root; default .agentcore/build/<folder name of dir>), written in a temporary folder and renamed into place; " +
				"an existing `out` that is not an image layout is never replaced. Returns the manifest digest (the one a push produces), the layout path as given, the platform, " +
				"the bytes a push to an empty registry sends (layers, config, manifest) and the number of layers. A compile error fails with the compiler's output (exit 1); " +
				"no go on PATH, a `dir` that is not a Go main package, missing files, or a base without the platform are bad input (exit 2). No Docker engine is involved."},
		{Name: "compile_go", Go: luaCompileGo,
			Params:  "opts: oci.BuildGoOpts",
			Returns: "oci.CompileResult",
			Doc: "oci.build_go's compile alone, for agentcore dev's fast path: the same `go build` of `dir` for `platform`, written to a new file OUT.bin/dev-* (absolute `path`, its `sha256`, and `image_path`: where oci.build_go images have the program, /app/agent) " +
				"instead of an image; no layout is written. Earlier dev-* files are removed but the newest (a running sandbox may still use it). Errors as oci.build_go's compile."},
		{Name: "source_hash", Go: luaSourceHash,
			Params:  "opts: oci.BuildGoOpts",
			Returns: "string?",
			Doc: "The content hash (\"sha256:...\") of what oci.build_go with these options builds from, without building: every file of " +
				"the Go module that holds `dir` (folders go build ignores left out: names starting with . or _, testdata, nested modules), " +
				"`files`, the options that change the image (package, platform, env, port, labels, ldflags, base) and the toolchain " +
				"(go env GOVERSION GOFLAGS GOEXPERIMENT). nil when the sources cannot be told by their files alone: no go.mod, a go.work " +
				"in use, a replace directive naming a folder outside the module, or a `base` named by tag rather than digest."},
		{Name: "push", Go: luaPush,
			Params:  "opts: oci.PushOpts",
			Returns: "oci.PushResult",
			Doc: "Pushes the image of an OCI image layout written by oci.build_go (`path`, relative to the project root) to `to` through the registry API, without Docker: under TAG when one is given, by digest otherwise. " +
				"Blobs the registry already has are not sent again. When the repository already holds the manifest (under TAG when one is given), nothing is sent and pushed is false. " +
				"Returns the manifest digest, ref = \"REGISTRY/REPO@sha256:...\" and pushed. Loopback registries are reached over plain HTTP; the password is kept out of the output."},
		{Name: "inspect", Go: luaInspect,
			Params:  "opts: oci.InspectOpts",
			Returns: "oci.InspectResult",
			Doc: "Reads an image or an index from its registry without pulling its layers. `platforms` lists the os/arch[/variant] of every image of an index (attestation entries, unknown/unknown, left out), or the image's own. " +
				"os, architecture, variant and config describe the image itself, or for an index its entry for `platform` (default linux/arm64), else its first entry. " +
				"exposed_ports are \"8080/tcp\" strings, env KEY=VALUE strings; lists are empty tables when the image sets nothing. Loopback registries are reached over plain HTTP."},
		{Name: "copy", Go: luaCopy,
			Params:  "opts: oci.CopyOpts",
			Returns: "oci.CopyResult",
			Doc: "Copies an image (or an index) from one registry to another by reference, keeping its digest, so that another environment runs exactly the same bytes. Loopback registries are reached over plain HTTP. Blobs the destination already has are not sent again. " +
				"With `platform`, an image that is not for that platform (an index with no entry for it) is refused before anything is written (exit 2), naming the platforms it has."},
	},
}

type auth struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

type copyOpts struct {
	From     string `json:"from"`
	To       string `json:"to"`
	FromAuth *auth  `json:"from_auth,omitempty"`
	ToAuth   *auth  `json:"to_auth,omitempty"`
	Platform string `json:"platform,omitempty"`
}

type result struct {
	Digest string `json:"digest"`
	Ref    string `json:"ref"`
}

func luaCopy(L *lua.LState, o copyOpts) (result, error) {
	r := engine.FromL(L)
	for _, a := range []*auth{o.FromAuth, o.ToAuth} {
		if a != nil {
			r.Out.AddSecret(a.Password)
		}
	}
	var want *v1.Platform
	if o.Platform != "" {
		p, err := ociimage.ParsePlatform(o.Platform)
		if err != nil {
			return result{}, engine.Usagef(`oci.copy{..., platform = "linux/arm64"}`, "oci.copy: platform: %v", err)
		}
		want = &p
	}
	res, err := engine.Unlocked(L, func(ctx context.Context) (result, error) { return copyImage(ctx, o, want) })
	var pe *ociimage.PlatformError
	if errors.As(err, &pe) {
		return result{}, &engine.Error{Code: engine.ExitUsage, Msg: fmt.Sprintf("copying image %s to %s: %v", o.From, o.To, err), Err: err,
			Hint: fmt.Sprintf("nothing was copied; build and push the image for %s (for Docker: docker buildx build --platform %s)", pe.Want, pe.Want)}
	}
	if err != nil {
		return result{}, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("copying image %s to %s: %v", o.From, o.To, err),
			Hint: "check that the source image exists and that both registries accept the credentials"}
	}
	return res, nil
}

func parse(ref string) (name.Reference, error) {
	var opts []name.Option
	host := strings.SplitN(ref, "/", 2)[0]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(ref, opts...)
}

func keychain(a *auth) authn.Authenticator {
	if a == nil || (a.Username == "" && a.Password == "") {
		return authn.Anonymous
	}
	return &authn.Basic{Username: a.Username, Password: a.Password}
}

func copyImage(ctx context.Context, o copyOpts, want *v1.Platform) (result, error) {
	src, err := parse(o.From)
	if err != nil {
		return result{}, err
	}
	dst, err := parse(o.To)
	if err != nil {
		return result{}, err
	}
	desc, err := remote.Get(src, remote.WithContext(ctx), remote.WithAuth(keychain(o.FromAuth)))
	if err != nil {
		return result{}, err
	}
	if want != nil {
		if _, err := selectPlatform(desc, *want); err != nil {
			return result{}, err
		}
	}
	wopts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(keychain(o.ToAuth))}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return result{}, err
		}
		if err := remote.WriteIndex(dst, idx, wopts...); err != nil {
			return result{}, err
		}
	} else {
		img, err := desc.Image()
		if err != nil {
			return result{}, err
		}
		if err := remote.Write(dst, img, wopts...); err != nil {
			return result{}, err
		}
	}
	return result{Digest: desc.Digest.String(), Ref: dst.Context().Digest(desc.Digest.String()).String()}, nil
}

// selectPlatform returns the image of desc that runs on want: desc itself when it is an image
// for want, or an index's entry for want. Otherwise a *ociimage.PlatformError names the
// platforms the image has.
func selectPlatform(desc *remote.Descriptor, want v1.Platform) (v1.Image, error) {
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, m := range im.Manifests {
			if m.Platform != nil && m.MediaType.IsImage() && ociimage.Matches(*m.Platform, want) {
				return idx.Image(m.Digest)
			}
		}
		return nil, &ociimage.PlatformError{Want: want.String(), Have: indexPlatforms(im)}
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	have := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	if !ociimage.Matches(have, want) {
		var names []string
		if have.OS != "" || have.Architecture != "" {
			names = []string{have.String()}
		}
		return nil, &ociimage.PlatformError{Want: want.String(), Have: names}
	}
	return img, nil
}

// indexPlatforms lists the platforms of an index's images, leaving out attestation entries
// (unknown/unknown) and entries that name none.
func indexPlatforms(im *v1.IndexManifest) []string {
	out := []string{}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS == "" || m.Platform.OS == "unknown" {
			continue
		}
		out = append(out, m.Platform.String())
	}
	return out
}
