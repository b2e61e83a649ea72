package oci

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/ociimage"
	"github.com/agentcore/agentcore/internal/proctree"
)

// Where build_go puts things in the image.
const (
	appDir    = "/app"
	agentPath = "/app/agent"
)

const buildGoUsage = `oci.build_go{dir = "agents/my-bot", platform = "linux/arm64"}`

type buildGoOpts struct {
	Dir      string            `json:"dir"`
	Package  string            `json:"package,omitempty"`
	Platform string            `json:"platform,omitempty"`
	Files    []fileOpt         `json:"files,omitempty" lua:"(string|oci.File)[]"`
	Env      map[string]string `json:"env,omitempty"`
	Port     *int              `json:"port,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Base     string            `json:"base,omitempty"`
	BaseAuth *auth             `json:"base_auth,omitempty"`
	Ldflags  string            `json:"ldflags,omitempty"`
	Out      string            `json:"out,omitempty"`
	// Compression of the layer: "fast" (gzip's best speed: a few times faster, about a tenth
	// bigger; what a push over loopback wants) or "small" (the default). Not part of the
	// source hash: the same sources make the same image content either way.
	Compression string `json:"compression,omitempty" lua:"\"fast\"|\"small\""`
}

// fileOpt is one entry of files: "PATH" or {src = PATH, dst = PATH}.
type fileOpt struct {
	Src string `json:"src,omitempty"`
	Dst string `json:"dst,omitempty"`
}

func (f *fileOpt) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = fileOpt{Src: s}
		return nil
	}
	type plain fileOpt
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return errors.New(`each of files must be a path or {src = PATH, dst = PATH}`)
	}
	*f = fileOpt(p)
	return nil
}

type buildResult struct {
	Digest   string `json:"digest"`
	Path     string `json:"path"`
	Platform string `json:"platform"`
	Size     int64  `json:"size"`
	Layers   int    `json:"layers"`
}

// goBuild is one resolved build_go call.
type goBuild struct {
	opts     buildGoOpts
	dir      string // absolute
	out      string // absolute
	platform v1.Platform
	files    []ociimage.File // the extra files, resolved
	port     int
}

func luaBuildGo(L *lua.LState, o buildGoOpts) (buildResult, error) {
	if o.BaseAuth != nil {
		engine.FromL(L).Out.AddSecret(o.BaseAuth.Password)
	}
	b, err := prepareBuild(engine.FromL(L).Dir, o)
	if err != nil {
		return buildResult{}, err
	}
	return engine.Unlocked(L, b.run)
}

// prepareBuild checks the options and resolves the paths against the project root.
func prepareBuild(root string, o buildGoOpts) (*goBuild, error) {
	b := &goBuild{opts: o, dir: resolve(root, o.Dir), port: 8080}
	if o.Package == "" {
		b.opts.Package = "."
	}
	if o.Port != nil {
		if *o.Port < 0 || *o.Port > 65535 {
			return nil, engine.Usagef(buildGoUsage, "oci.build_go: port %d is not a TCP port (1-65535, or 0 for none)", *o.Port)
		}
		b.port = *o.Port
	}
	if o.Platform == "" {
		b.opts.Platform = "linux/" + runtime.GOARCH
	}
	p, err := ociimage.ParsePlatform(b.opts.Platform)
	if err != nil {
		return nil, engine.Usagef(buildGoUsage, "oci.build_go: platform: %v", err)
	}
	if p.OS != "linux" {
		return nil, engine.Usagef(buildGoUsage, "oci.build_go: platform %s: only linux images can be built", b.opts.Platform)
	}
	b.platform = p
	if st, err := os.Stat(b.dir); err != nil || !st.IsDir() {
		return nil, engine.Usagef("dir is the folder of the agent's Go main package, relative to the project root ("+root+")",
			"oci.build_go: the folder %s does not exist", b.dir)
	}
	if o.Out == "" {
		b.opts.Out = filepath.ToSlash(filepath.Join(".agentcore", "build", filepath.Base(b.dir)))
	}
	b.out = resolve(root, b.opts.Out)
	if b.out == filepath.Clean(root) || b.out == b.dir || strings.HasPrefix(b.dir, b.out+string(filepath.Separator)) {
		return nil, engine.Usagef(`give out a folder of its own, e.g. out = ".agentcore/build/my-bot"`, "oci.build_go: out %s would replace the project or the agent's sources", b.opts.Out)
	}
	if st, err := os.Stat(b.out); err == nil {
		if _, err := os.Stat(filepath.Join(b.out, "oci-layout")); err != nil || !st.IsDir() {
			return nil, engine.Usagef("give out a new folder (or remove this one): build_go replaces it with the image layout",
				"oci.build_go: out %s exists and is not an OCI image layout; it is not replaced", b.opts.Out)
		}
	}
	for i, f := range o.Files {
		if f.Src == "" {
			return nil, engine.Usagef(buildGoUsage, "oci.build_go: files[%d] has no src", i+1)
		}
		src := resolve(b.dir, f.Src)
		if !inside(root, src) {
			return nil, engine.Usagef("list files inside the project", "oci.build_go: files[%d] %s is outside the project (%s)", i+1, f.Src, root)
		}
		dst := f.Dst
		switch {
		case dst == "" && !inside(b.dir, src):
			return nil, engine.Usagef(`give it a destination: {src = "`+f.Src+`", dst = "/app/..."}`,
				"oci.build_go: files[%d] %s is not below %s, so it has no place under %s by default", i+1, f.Src, o.Dir, appDir)
		case dst == "":
			rel, _ := filepath.Rel(b.dir, src)
			dst = path.Join(appDir, filepath.ToSlash(rel))
		case !path.IsAbs(dst):
			dst = path.Join(appDir, dst)
		}
		if _, err := os.Lstat(src); err != nil {
			return nil, engine.Usagef("paths in files are relative to dir ("+o.Dir+")", "oci.build_go: files[%d] %s does not exist", i+1, f.Src)
		}
		b.files = append(b.files, ociimage.File{Src: src, Dst: path.Clean(dst)})
	}
	return b, nil
}

func inside(root, p string) bool {
	root = filepath.Clean(root)
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}

// resolve makes a recipe path absolute against root.
func resolve(root, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(root, p)
}

func (b *goBuild) run(ctx context.Context) (buildResult, error) {
	// The base image's manifest and config are fetched while the compiler runs.
	type baseResult struct {
		img v1.Image
		err error
	}
	baseCh := make(chan baseResult, 1)
	if b.opts.Base != "" {
		go func() {
			img, err := b.fetchBase(ctx)
			baseCh <- baseResult{img, err}
		}()
	} else {
		baseCh <- baseResult{}
	}

	// The binary is kept beside the layout (not in a fresh temporary folder) so that go build
	// sees it up to date and skips the link when nothing changed: an unchanged update then
	// costs go's cache check, not a relink.
	binDir := b.out + ".bin"
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return buildResult{}, b.fail("creating %s: %v", binDir, err)
	}
	bin := filepath.Join(binDir, "agent-"+strings.NewReplacer("/", "-").Replace(b.platform.String()))
	compileErr := b.compile(ctx, bin)
	base := <-baseCh
	if compileErr != nil {
		return buildResult{}, compileErr
	}
	if base.err != nil {
		return buildResult{}, base.err
	}

	mt, err := ociimage.LayerMediaType(base.img)
	if err != nil {
		return buildResult{}, b.fail("reading the base image %s: %v", b.opts.Base, err)
	}
	files := append([]ociimage.File{{Src: bin, Dst: agentPath, Mode: 0o755}}, b.files...)
	level := gzip.DefaultCompression
	if b.opts.Compression == "fast" {
		level = gzip.BestSpeed
	}
	layer, err := ociimage.Layer(files, mt, level)
	if err != nil {
		return buildResult{}, engine.Usagef("each file needs a place of its own in the image; the agent itself is "+agentPath,
			"oci.build_go: packing the files of %s: %v", b.opts.Dir, err)
	}
	img, err := ociimage.Build(base.img, layer, ociimage.Config{
		Platform:   b.platform,
		Entrypoint: []string{agentPath},
		WorkingDir: appDir,
		Env:        b.opts.Env,
		Port:       b.port,
		Labels:     b.opts.Labels,
		CreatedBy:  "agentcore oci.build_go",
	})
	if err != nil {
		return buildResult{}, b.fail("assembling the image: %v", err)
	}
	desc, err := ociimage.WriteLayout(b.out, img, b.platform)
	if err != nil {
		return buildResult{}, b.fail("writing the image layout to %s: %v", b.opts.Out, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return buildResult{}, err
	}
	size := desc.Size + m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return buildResult{Digest: desc.Digest.String(), Path: b.opts.Out, Platform: b.platform.String(), Size: size, Layers: len(m.Layers)}, nil
}

func (b *goBuild) fail(format string, args ...any) error {
	return &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("oci.build_go %s: ", b.opts.Dir) + fmt.Sprintf(format, args...),
		Hint: "check that the folder " + filepath.Dir(b.out) + " is writable and has room"}
}

func (b *goBuild) fetchBase(ctx context.Context) (v1.Image, error) {
	ref, err := parse(b.opts.Base)
	if err != nil {
		return nil, engine.Usagef(`base is an image reference, e.g. base = "public.ecr.aws/docker/library/alpine:3.20"`, "oci.build_go: base: %v", err)
	}
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithAuth(keychain(b.opts.BaseAuth)))
	if err != nil {
		return nil, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("oci.build_go: fetching the base image %s: %v", b.opts.Base, err), Err: err,
			Hint: "check that the base image exists and that its registry accepts base_auth (or leave base out to build on nothing)"}
	}
	img, err := selectPlatform(desc, b.platform)
	var pe *ociimage.PlatformError
	if errors.As(err, &pe) {
		return nil, engine.Usagef("use a base image that is published for "+pe.Want, "oci.build_go: the base image %s: %v", b.opts.Base, err)
	}
	if err != nil {
		return nil, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("oci.build_go: reading the base image %s: %v", b.opts.Base, err), Err: err}
	}
	return img, nil
}

// compile runs go build for the platform into bin.
func (b *goBuild) compile(ctx context.Context, bin string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return engine.Usagef("install Go (https://go.dev/dl) and put its bin folder on PATH, or build the agent with Docker instead",
			"oci.build_go: no go toolchain on PATH to compile %s", b.opts.Dir)
	}
	// The build id stays (go derives it from the inputs' content, so with -trimpath the same
	// sources still give the same bytes): it is what lets go skip an up-to-date link.
	ldflags := "-s -w"
	if b.opts.Ldflags != "" {
		ldflags += " " + b.opts.Ldflags
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, b.opts.Package)
	proctree.Bind(cmd)
	cmd.Dir = b.dir
	env := []string{"CGO_ENABLED=0", "GOOS=" + b.platform.OS, "GOARCH=" + b.platform.Architecture}
	if b.platform.Architecture == "arm" && strings.HasPrefix(b.platform.Variant, "v") {
		env = append(env, "GOARM="+strings.TrimPrefix(b.platform.Variant, "v"))
	}
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	repro := fmt.Sprintf("cd %s && %s go build %s", b.opts.Dir, strings.Join(env, " "), b.opts.Package)
	if err := proctree.Ignore(cmd.Run()); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		text := strings.TrimSpace(out.String())
		if notMainPackage(text) {
			return engine.Usagef("dir must hold a Go main package (package main with func main) inside a module (a go.mod here or above); reproduce with: "+repro,
				"oci.build_go: %s is not a Go main package: %s", filepath.Join(b.opts.Dir, b.opts.Package), text)
		}
		return &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("oci.build_go: compiling %s for %s failed:\n%s", b.opts.Dir, b.platform, tail(text, 60)),
			Hint: "fix the errors above; the same build runs with: " + repro}
	}
	// go build -o FILE of a package that is not main writes an archive, not a program.
	head := make([]byte, 4)
	if f, err := os.Open(bin); err == nil {
		_, _ = f.Read(head)
		f.Close()
	}
	if string(head) != "\x7fELF" {
		return engine.Usagef("dir (and package) must name a package main with func main",
			"oci.build_go: %s is not a Go main package: go build made no program of it", filepath.Join(b.opts.Dir, b.opts.Package))
	}
	return nil
}

// notMainPackage recognises the go command's answers for a folder that holds no buildable
// package (as opposed to code that does not compile).
func notMainPackage(out string) bool {
	for _, s := range []string{"no Go files in", "directory not found", "go.mod file not found", "cannot find main module", "is not in std", "matched no packages", "build constraints exclude all Go files"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("... (%d lines before)\n%s", len(lines)-n, strings.Join(lines[len(lines)-n:], "\n"))
}
