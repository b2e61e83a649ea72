// Package docker is the `docker` Lua module: it builds agent images with the Docker engine,
// tags and pushes them to a registry (ECR, or the local provider's loopback registry), and
// inspects and removes local images. It owns the translation of engine and registry errors
// into messages with hints (errors.go), the build context packing (buildcontext.go) and the
// reading of the engine's build and push streams (stream.go).
package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/system"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Module is the docker Lua module.
var Module = &engine.Module{
	Name: "docker",
	Doc: "Build, tag, push, inspect and remove container images with the Docker engine " +
		"(DOCKER_HOST and docker contexts are honoured). Builds use the engine's classic builder for its own " +
		"platform and the engine's built-in BuildKit for other platforms.",
	Classes: []*engine.Class{
		{Name: "docker.BuildOpts", Of: buildOpts{}},
		{Name: "docker.BuildResult", Of: buildResult{}},
		{Name: "docker.PushOpts", Of: pushOpts{}},
		{Name: "docker.PushResult", Of: pushed{}},
		{Name: "docker.Image", Of: imageView{}},
		{Name: "docker.RemoveOpts", Of: removeOpts{}},
		{Name: "docker.ImageTags", Of: imageTags{}},
		{Name: "docker.Info", Of: info{}},
	},
	Funcs: []engine.Func{
		{Name: "build", Go: luaBuild,
			Params:  "opts: docker.BuildOpts",
			Returns: "docker.BuildResult",
			Doc: "Builds an image from the directory `context` (relative paths are relative to the project root), " +
				"honouring its .dockerignore. `dockerfile` defaults to context/Dockerfile and, like `docker build -f`, " +
				"is relative to the project root and may lie outside the context. `tags` is a list of references " +
				"(or one string); `build_args` and `labels` are tables of name = value (a build arg holding a secret " +
				"is refused: build args are recorded in the image); `target` selects a stage; " +
				"`no_cache` disables the build cache. `platform` (e.g. \"linux/arm64\") is the image's platform, " +
				"by default the engine's. `builder` is \"auto\" (default: the classic builder for the engine's own " +
				"platform, the engine's BuildKit for another one), \"buildkit\" or \"classic\" (which builds only " +
				"for the engine's platform). A foreign platform needs no emulation unless the Dockerfile RUNs something " +
				"in that platform's stages; then QEMU must be registered with binfmt_misc on the engine's host, which " +
				"is checked first when the engine is local (exit code 2 with how to enable it). BuildKit receives the " +
				"context as a tar without a client session: a Dockerfile that .dockerignore leaves out, or one outside " +
				"the context, is still part of it (so `COPY . ` copies it). Build output is streamed to the ui (BuildKit " +
				"steps as \"[2/3] COPY . /app\" with done/cached); a failing step raises an error with its last output " +
				"lines. The result's platform is checked. Returns the image ID, the tags applied and the builder used."},
		{Name: "context_hash", Go: luaContextHash,
			Params:  "opts: docker.BuildOpts",
			Returns: "string?",
			Doc: "The content hash (\"sha256:...\") of what docker.build with these options builds from: every file of the " +
				"context the build sends (.dockerignore applied as the build applies it), with its path, mode and link target " +
				"but not its times or owner; the Dockerfile; build_args, labels, platform, target and builder; and the identity " +
				"of every image the Dockerfile builds on (each FROM that is not scratch or an earlier stage, each COPY --from " +
				"naming an image): a reference pinned by digest, else the engine's local image ID for it, so that a base pulled " +
				"again under the same tag changes the hash. Nothing is built. nil when a base cannot be identified here: not " +
				"present locally, local for another platform, or named through a build arg the Dockerfile does not declare " +
				"before its first FROM (then only building tells). The same sources, options and bases give the same hash on " +
				"any machine, whether or not a build cache holds them; tags and no_cache do not count."},
		{Name: "tag", Go: luaTag,
			Params: "source: string, target: string",
			Doc:    "Tags the local image `source` (a reference or an image ID) as `target`."},
		{Name: "push", Go: luaPush,
			Params:  "ref: string, opts?: docker.PushOpts",
			Returns: "docker.PushResult",
			Doc: "Pushes the local image `ref` (\":latest\" when it has no tag) to its registry, with per-layer " +
				"progress in the ui. `auth` holds the registry credentials (sent to the engine as X-Registry-Auth; " +
				"the password is masked in all output); `server` defaults to the registry of `ref`. Layers the " +
				"registry already has are not sent again and count as layers_existing. Returns the manifest " +
				"digest (\"sha256:...\") and size."},
		{Name: "image_digest", Go: luaImageDigest,
			Params:  "ref: string",
			Returns: "string?",
			Doc: "Returns the repository digest (\"repo@sha256:...\") of the local image `ref` for ref's " +
				"repository, known once the image was pushed or pulled; nil when there is none or the image " +
				"does not exist."},
		{Name: "inspect", Go: luaInspect,
			Params:  "ref: string",
			Returns: "docker.Image?",
			Doc:     "Describes the local image `ref`; nil when there is no such image."},
		{Name: "remove_image", Go: luaRemoveImage,
			Params:  "ref: string, opts?: docker.RemoveOpts",
			Returns: "boolean",
			Doc: "Removes the local image `ref` (untagging it when it has other tags), with `force` also when " +
				"containers use it. Returns false when there was no such image."},
		{Name: "list_images", Go: luaListImages,
			Params:  "repository: string",
			Returns: "docker.ImageTags[]",
			Doc: "The local images with a tag in `repository` (e.g. \"127.0.0.1:4777/agentcore/shop-bot-dev\"), with those tags, " +
				"and those the engine pulled from it by digest, with their `REPOSITORY@sha256:...` references in `tags`: what destroy removes."},
		{Name: "info", Go: luaInfo,
			Returns: "docker.Info",
			Doc: "Describes the Docker engine in use; raises an explained error when it is not running or " +
				"not accessible."},
	},
}

type buildOpts struct {
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile,omitempty"`
	Tags       engine.StringList `json:"tags,omitempty"`
	BuildArgs  engine.StringMap  `json:"build_args,omitempty"`
	Platform   string            `json:"platform,omitempty"`
	Labels     engine.StringMap  `json:"labels,omitempty"`
	Target     string            `json:"target,omitempty"`
	NoCache    bool              `json:"no_cache,omitempty"`
	Builder    string            `json:"builder,omitempty" lua:"\"auto\"|\"buildkit\"|\"classic\""`
}

// The builders docker.build can use.
const (
	builderAuto     = "auto"
	builderBuildKit = "buildkit"
	builderClassic  = "classic"
)

type buildResult struct {
	ID      string   `json:"id"`
	Tags    []string `json:"tags"`
	Builder string   `json:"builder" lua:"\"buildkit\"|\"classic\""`
}

func luaBuild(L *lua.LState, o buildOpts) (buildResult, error) {
	for _, t := range o.Tags {
		if _, err := reference.ParseNormalizedNamed(t); err != nil {
			return buildResult{}, engine.Usagef("a tag looks like name:tag or registry/name:tag, in lower case", "docker.build: invalid tag %q: %v", t, err)
		}
	}
	if o.Platform != "" {
		p, err := normalizePlatform(o.Platform)
		if err != nil {
			return buildResult{}, engine.Usagef(`platforms look like "linux/arm64" or "linux/amd64"`, "docker.build: %v", err)
		}
		o.Platform = p
	}
	if o.Builder == "" {
		o.Builder = builderAuto
	}
	run := engine.FromL(L)
	for _, k := range slices.Sorted(maps.Keys(o.BuildArgs)) {
		if v := o.BuildArgs[k]; v != "" && run.Out.Mask(v) != v {
			return buildResult{}, engine.Usagef("pass secrets to the agent at run time (its environment), not to the build; a build that needs "+
				"one should mount it as a BuildKit secret (RUN --mount=type=secret,id=NAME, with `docker buildx build --secret`), "+
				"which docker.build does not do",
				"docker.build: build arg %s holds a secret; build args are recorded in the image's history, so the secret would "+
					"be pushed with the image", k)
		}
	}
	branch := run.Branch(L)
	c, err := clientFor(L)
	if err != nil {
		return buildResult{}, err
	}
	dir := resolve(run.Dir, o.Context)
	dockerfile := filepath.Join(dir, "Dockerfile")
	if o.Dockerfile != "" {
		dockerfile = resolve(run.Dir, o.Dockerfile)
	}
	name, doing := "", "building an image from "+o.Context
	if len(o.Tags) > 0 {
		name = o.Tags[0]
		doing = fmt.Sprintf("building image %s from %s", name, o.Context)
	}
	if o.Platform != "" {
		doing += " for " + o.Platform
	}
	shown := o.Dockerfile
	if shown == "" {
		shown = filepath.Join(o.Context, "Dockerfile")
	}
	run.Out.Step(branch, doing)
	res, err := engine.Unlocked(L, func(ctx context.Context) (built, error) {
		return buildImage(ctx, c, run.Out, branch, dir, dockerfile, shown, o)
	})
	if err != nil {
		return buildResult{}, explain(err, doing, c.DaemonHost())
	}
	what := "image " + shortID(res.id)
	if name != "" {
		what = fmt.Sprintf("%s (%s)", name, shortID(res.id))
	}
	run.Out.OK(branch, fmt.Sprintf("built %s with %s in %s", what, res.builderName(), seconds(res.took)))
	return buildResult{ID: res.id, Tags: o.Tags, Builder: res.builder}, nil
}

// built is what buildImage reports.
type built struct {
	id      string
	builder string // builderBuildKit or builderClassic
	took    time.Duration
}

func (b built) builderName() string {
	if b.builder == builderBuildKit {
		return "BuildKit"
	}
	return "the classic builder"
}

// buildImage chooses the builder, packs the context, runs the build and checks the result's
// platform. It runs with the interpreter lock released. dockerfile is the Dockerfile's path,
// shown its name for messages (as the project names it).
func buildImage(ctx context.Context, c Client, out *engine.Output, branch, dir, dockerfile, shown string, o buildOpts) (built, error) {
	start := time.Now()
	// An unreachable engine is reported before packing the context (whose writer would
	// otherwise log about its closed pipe).
	if _, err := c.ServerVersion(ctx); err != nil {
		return built{}, err
	}
	res := built{builder: o.Builder}
	var (
		info system.Info
		host string // the engine's platform, "linux/amd64"
	)
	if o.Platform != "" {
		var err error
		if info, err = c.Info(ctx); err != nil {
			return built{}, err
		}
		host = info.OSType + "/" + goArch(info.Architecture)
	}
	// The classic builder builds for the engine's platform only; another (foreign) platform
	// needs an emulator for RUN steps, unless the kernel may run it natively.
	enginePlatform := o.Platform == "" || platformBase(o.Platform) == host
	foreign := !enginePlatform
	if o.Builder == builderAuto {
		res.builder = builderClassic
		if !enginePlatform {
			res.builder = builderBuildKit
		}
	}
	if res.builder == builderClassic && !enginePlatform {
		return built{}, classicPlatformError(c, info, host, o.Platform)
	}
	if foreign && !mayRunNatively(host, platformBase(o.Platform)) {
		content, err := os.ReadFile(dockerfile)
		if err != nil {
			return built{}, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("there is no Dockerfile at %s", dockerfile), Err: err,
				Hint: "context is relative to the project root, and so is dockerfile (default: context/Dockerfile)"}
		}
		if run := runsOnTarget(content, o.Target, host); run != nil {
			arch := strings.Split(o.Platform, "/")[1]
			if st := checkEmulation(info, c.DaemonHost(), arch); st.known && !st.ok {
				return built{}, emulationError(o.Platform, host, fmt.Sprintf("%s line %d: %s", shown, run.line, run.instr), st.where)
			}
		}
	}
	bc, err := tarContext(dir, dockerfile, res.builder == builderBuildKit)
	if err != nil {
		return built{}, &engine.Error{Code: engine.ExitFailure, Msg: err.Error(), Err: err,
			Hint: "context is relative to the project root, and so is dockerfile (default: context/Dockerfile)"}
	}
	defer bc.tar.Close()
	args := make(map[string]*string, len(o.BuildArgs))
	for k, v := range o.BuildArgs {
		args[k] = &v
	}
	version := build.BuilderV1
	if res.builder == builderBuildKit {
		// The engine's BuildKit takes the context from the request body (it serves it to the
		// Dockerfile frontend as a remote context), so no client session is needed.
		version = build.BuilderBuildKit
	}
	resp, err := c.ImageBuild(ctx, bc.tar, build.ImageBuildOptions{
		Tags:        o.Tags,
		Dockerfile:  bc.dockerfile,
		BuildArgs:   args,
		Labels:      o.Labels,
		Target:      o.Target,
		NoCache:     o.NoCache,
		Platform:    o.Platform,
		Remove:      true,
		ForceRemove: true,
		Version:     version,
	})
	if err != nil {
		return built{}, buildError(err, res.builder, shown, dockerfile, o.Platform, host, foreign)
	}
	defer resp.Body.Close()
	if res.builder == builderBuildKit {
		res.id, err = buildkitLog(ctx, resp.Body, out, branch)
	} else {
		res.id, err = buildLog(ctx, resp.Body, out, branch)
	}
	if err != nil {
		return built{}, buildError(err, res.builder, shown, dockerfile, o.Platform, host, foreign)
	}
	if o.Platform != "" {
		if err := checkBuiltPlatform(ctx, c, res.id, o.Platform, o.Tags); err != nil {
			return built{}, err
		}
	}
	res.took = time.Since(start)
	return res, nil
}

// parseError matches the engine's report of a Dockerfile that does not parse (classic:
// "dockerfile parse error line 3: ...", BuildKit adds "failed to solve with frontend
// dockerfile.v0: failed to create LLB definition: " or says "on line").
var parseError = lazyregexp.New(`(?i)dockerfile parse error (?:on )?line (\d+): (.*)`)

// buildError words the errors of a build that need more than explain's general rules: a
// Dockerfile that does not parse (exit 2, with the line quoted), a foreign binary that could
// not run (exit 2, how to register QEMU), and an engine without BuildKit.
func buildError(err error, builder, shown, dockerfile, platform, host string, foreign bool) error {
	msg := err.Error()
	if m := parseError.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		text := fmt.Sprintf("%s, line %d: %s", shown, n, strings.TrimSpace(m[2]))
		if content, rerr := os.ReadFile(dockerfile); rerr == nil {
			if lines := strings.Split(string(content), "\n"); n >= 1 && n <= len(lines) {
				text += fmt.Sprintf("\n  %d | %s", n, strings.TrimRight(lines[n-1], "\r"))
			}
		}
		return &engine.Error{Code: engine.ExitUsage, Msg: "the Dockerfile does not parse: " + text, Err: err,
			Hint: fmt.Sprintf("fix line %s of %s (reference: https://docs.docker.com/reference/dockerfile/)", m[1], shown)}
	}
	var sf *stepFailure
	if errors.As(err, &sf) && foreign && strings.Contains(msg, "exec format error") {
		where := sf.where
		if where == "" {
			where = "a build step"
		}
		return emulationError(platform, host, where, "running it failed with \"exec format error\"")
	}
	if errors.As(err, &sf) {
		// A step's own failure: its output may say anything ("denied", "does not exist"),
		// which must not be read as a registry problem.
		e := &engine.Error{Code: engine.ExitFailure, Msg: msg, Err: err}
		if strings.Contains(msg, "not found") && (strings.Contains(sf.where, "(COPY ") || strings.Contains(sf.where, "(ADD ")) {
			e.Hint = "COPY and ADD take paths inside the build context: check the path, and that .dockerignore does not leave it out"
		}
		return e
	}
	if builder == builderBuildKit && strings.Contains(strings.ToLower(msg), "buildkit not supported") {
		return &engine.Error{Code: engine.ExitFailure, Err: err,
			Msg:  "the Docker engine has no BuildKit (" + daemonMessage(err) + ")",
			Hint: `build on a ` + platform + ` host with builder = "classic", or use an engine with BuildKit (Docker 18.09 or later on Linux)`}
	}
	return err
}

// classicPlatformError refuses, before any work, a platform the classic builder cannot
// produce: it builds for the engine's own platform only (asked for another one, it quietly
// labels the result with its own).
func classicPlatformError(c Client, info system.Info, host, want string) error {
	return engine.Failf(`build with builder = "buildkit" (or "auto", the default), or on a `+want+" host",
		"the Docker engine at %s (%s, version %s) builds with the classic builder here, which cannot build %s images",
		c.DaemonHost(), host, info.ServerVersion, want)
}

// checkBuiltPlatform makes sure the image is what was asked for; the classic builder's cache
// does not key on the platform. A wrong image loses the tags just applied, so that it cannot
// be pushed by mistake.
func checkBuiltPlatform(ctx context.Context, c Client, id, want string, tags []string) error {
	img, err := c.ImageInspect(ctx, id)
	if err != nil {
		return err
	}
	got := img.Os + "/" + img.Architecture
	if got == platformBase(want) {
		return nil
	}
	for _, t := range tags {
		_, _ = c.ImageRemove(ctx, t, image.RemoveOptions{})
	}
	return engine.Failf(`rebuild with no_cache = true, or with builder = "buildkit"`,
		"the engine built a %s image where %s was asked for (the tags were removed again)", got, want)
}

// normalizePlatform checks os/arch[/variant] and lower-cases it.
func normalizePlatform(p string) (string, error) {
	p = strings.ToLower(strings.TrimSpace(p))
	parts := strings.Split(p, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("invalid platform %q: want os/arch, e.g. linux/arm64", p)
	}
	parts[1] = goArch(parts[1])
	return strings.Join(parts, "/"), nil
}

// platformBase drops the variant: engines report only os and architecture.
func platformBase(p string) string {
	parts := strings.Split(p, "/")
	return parts[0] + "/" + parts[1]
}

// goArch maps the kernel's architecture names (docker info reports uname) to Go/OCI ones.
func goArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "armv7l", "armhf":
		return "arm"
	}
	return a
}

func luaTag(L *lua.LState, src, dst string) error {
	if err := needRef("docker.tag", 1, src); err != nil {
		return err
	}
	if err := needRef("docker.tag", 2, dst); err != nil {
		return err
	}
	if _, err := reference.ParseNormalizedNamed(dst); err != nil {
		return engine.Usagef("a tag looks like name:tag or registry/name:tag, in lower case", "docker.tag: invalid target %q: %v", dst, err)
	}
	c, err := clientFor(L)
	if err != nil {
		return err
	}
	_, err = engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.ImageTag(ctx, src, dst)
	})
	if err != nil {
		return explain(err, fmt.Sprintf("tagging image %s as %s", src, dst), c.DaemonHost())
	}
	return nil
}

type pushOpts struct {
	Auth struct {
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
		Server   string `json:"server,omitempty"`
	} `json:"auth,omitempty"`
}

// pushed is docker.push's result.
type pushed struct {
	Ref            string `json:"ref"`
	Digest         string `json:"digest"`
	Size           int64  `json:"size"`
	LayersPushed   int    `json:"layers_pushed"`
	LayersExisting int    `json:"layers_existing"`
}

func luaPush(L *lua.LState, ref string, o pushOpts) (pushed, error) {
	if err := needRef("docker.push", 1, ref); err != nil {
		return pushed{}, err
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return pushed{}, engine.Usagef("push a reference like registry/name:tag", "docker.push: invalid reference %q: %v", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return pushed{}, engine.Usagef("push a tag (registry/name:tag), not a digest", "docker.push: cannot push the digest reference %q", ref)
	}
	named = reference.TagNameOnly(named)
	full := reference.FamiliarString(named)
	run := engine.FromL(L)
	branch := run.Branch(L)
	var auth string
	if o.Auth.Username != "" || o.Auth.Password != "" {
		run.Out.AddSecret(o.Auth.Password)
		server := o.Auth.Server
		if server == "" {
			server = reference.Domain(named)
		}
		if server == "docker.io" { // the engine keys Docker Hub credentials by its v1 index URL
			server = "https://index.docker.io/v1/"
		}
		auth, err = registry.EncodeAuthConfig(registry.AuthConfig{
			Username: o.Auth.Username, Password: o.Auth.Password, ServerAddress: server,
		})
		if err != nil {
			return pushed{}, fmt.Errorf("docker.push: encoding the registry credentials: %w", err)
		}
	}
	c, err := clientFor(L)
	if err != nil {
		return pushed{}, err
	}
	doing := "pushing image " + full
	run.Out.Step(branch, doing)
	res, err := engine.Unlocked(L, func(ctx context.Context) (pushResult, error) {
		body, err := c.ImagePush(ctx, full, image.PushOptions{RegistryAuth: auth})
		if err != nil {
			return pushResult{}, err
		}
		defer body.Close()
		return pushLog(ctx, body, run.Out, branch)
	})
	if err != nil {
		return pushed{}, explain(err, doing, c.DaemonHost())
	}
	run.Out.OK(branch, fmt.Sprintf("pushed %s (%s; %d layers sent, %d already there)", full, res.Digest, res.Pushed, res.Existing))
	return pushed{Ref: full, Digest: res.Digest, Size: res.Size, LayersPushed: res.Pushed, LayersExisting: res.Existing}, nil
}

// inspectImage returns the image, or nil when the engine has no such image.
func inspectImage(L *lua.LState, ref, doing string) (*image.InspectResponse, error) {
	c, err := clientFor(L)
	if err != nil {
		return nil, err
	}
	img, err := engine.Unlocked(L, func(ctx context.Context) (image.InspectResponse, error) {
		return c.ImageInspect(ctx, ref)
	})
	if cerrdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err, doing, c.DaemonHost())
	}
	return &img, nil
}

func luaImageDigest(L *lua.LState, ref string) (*string, error) {
	if err := needRef("docker.image_digest", 1, ref); err != nil {
		return nil, err
	}
	img, err := inspectImage(L, ref, "looking up the digest of image "+ref)
	if err != nil || img == nil {
		return nil, err
	}
	if d := repoDigest(ref, img.RepoDigests); d != "" {
		return &d, nil
	}
	return nil, nil
}

// repoDigest picks, among an image's repository digests, the one of ref's repository. When
// ref names no repository (an image ID), the only digest, if there is exactly one, is it.
func repoDigest(ref string, digests []string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		if len(digests) == 1 {
			return digests[0]
		}
		return ""
	}
	for _, d := range digests {
		dn, err := reference.ParseNormalizedNamed(d)
		if err == nil && dn.Name() == named.Name() {
			return d
		}
	}
	return ""
}

// imageView is docker.inspect's result.
type imageView struct {
	ID           string            `json:"id"`
	RepoTags     []string          `json:"repo_tags"`
	RepoDigests  []string          `json:"repo_digests"`
	Architecture string            `json:"architecture"`
	OS           string            `json:"os"`
	Size         int64             `json:"size"`
	Created      string            `json:"created"`
	Labels       map[string]string `json:"labels"`
}

func luaInspect(L *lua.LState, ref string) (*imageView, error) {
	if err := needRef("docker.inspect", 1, ref); err != nil {
		return nil, err
	}
	img, err := inspectImage(L, ref, "inspecting image "+ref)
	if err != nil || img == nil {
		return nil, err
	}
	v := &imageView{ID: img.ID, RepoTags: img.RepoTags, RepoDigests: img.RepoDigests, Architecture: img.Architecture,
		OS: img.Os, Size: img.Size, Created: img.Created}
	if img.Config != nil {
		v.Labels = img.Config.Labels
	}
	return v, nil
}

type removeOpts struct {
	Force bool `json:"force,omitempty"`
}

func luaRemoveImage(L *lua.LState, ref string, o removeOpts) (bool, error) {
	if err := needRef("docker.remove_image", 1, ref); err != nil {
		return false, err
	}
	c, err := clientFor(L)
	if err != nil {
		return false, err
	}
	_, err = engine.Unlocked(L, func(ctx context.Context) ([]image.DeleteResponse, error) {
		return c.ImageRemove(ctx, ref, image.RemoveOptions{Force: o.Force, PruneChildren: true})
	})
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		e := explain(err, "removing image "+ref, c.DaemonHost())
		if cerrdefs.IsConflict(err) && !o.Force {
			if ee, ok := e.(*engine.Error); ok {
				ee.Hint = "a container uses the image: remove the container, or pass {force = true}"
			}
		}
		return false, e
	}
	return true, nil
}

type imageTags struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
}

func luaListImages(L *lua.LState, repo string) ([]imageTags, error) {
	if repo == "" {
		return nil, engine.Usagef("", "docker.list_images: argument #1 (repository) must be a non-empty string, got an empty string")
	}
	c, err := clientFor(L)
	if err != nil {
		return nil, err
	}
	imgs, err := engine.Unlocked(L, func(ctx context.Context) ([]image.Summary, error) {
		// repo@* too: an agent's image that the engine pulled by digest has no tag at all.
		return c.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo+":*"), filters.Arg("reference", repo+"@*"))})
	})
	if err != nil {
		return nil, explain(err, "listing the images of "+repo, c.DaemonHost())
	}
	var out []imageTags
	for _, im := range imgs {
		f := imageTags{ID: im.ID}
		for _, t := range im.RepoTags {
			if strings.HasPrefix(t, repo+":") {
				f.Tags = append(f.Tags, t)
			}
		}
		for _, d := range im.RepoDigests {
			if strings.HasPrefix(d, repo+"@") {
				f.Tags = append(f.Tags, d)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

type info struct {
	ServerVersion string `json:"server_version"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	APIVersion    string `json:"api_version"`
	Host          string `json:"host"`
}

func luaInfo(L *lua.LState) (info, error) {
	c, err := clientFor(L)
	if err != nil {
		return info{}, err
	}
	res, err := engine.Unlocked(L, func(ctx context.Context) (info, error) {
		v, err := c.ServerVersion(ctx)
		if err != nil {
			return info{}, err
		}
		return info{ServerVersion: v.Version, OS: v.Os, Arch: v.Arch, APIVersion: v.APIVersion}, nil
	})
	if err != nil {
		return info{}, explain(err, "asking the Docker engine for its version", c.DaemonHost())
	}
	res.Host = c.DaemonHost()
	return res, nil
}

// needRef refuses an empty image reference (the declaration lets "" through as a string).
func needRef(fn string, n int, ref string) error {
	if ref == "" {
		return engine.Usagef(fnHint(fn), "%s: argument #%d must be an image reference (a string), got an empty string", fn, n)
	}
	return nil
}

// resolve makes a recipe path absolute against the project root.
func resolve(root, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(root, p)
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
