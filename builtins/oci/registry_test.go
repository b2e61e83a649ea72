package oci_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// platformImage is a random one-layer image whose config says platform, with an entrypoint,
// an environment and a label to read back.
func platformImage(t *testing.T, platform string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Entrypoint = []string{"/bin/" + p.Architecture}
	cf.Config.Cmd = []string{"serve"}
	cf.Config.Env = []string{"PATH=/bin", "BASE=" + p.Architecture}
	cf.Config.Labels = map[string]string{"arch": p.Architecture}
	cf.Config.ExposedPorts = map[string]struct{}{"9000/tcp": {}}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func pushImage(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	if err := remote.Write(mustRef(t, ref), img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

// pushIndex pushes an index of one image per platform (plus an attestation-like entry) and
// returns its digest.
func pushIndex(t *testing.T, ref string, platforms ...string) string {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		pl, _ := v1.ParsePlatform(p)
		adds = append(adds, mutate.IndexAddendum{Add: platformImage(t, p), Descriptor: v1.Descriptor{Platform: pl}})
	}
	att, _ := random.Image(64, 1)
	adds = append(adds, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}})
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if err := remote.WriteIndex(mustRef(t, ref), idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	return d.String()
}

func TestPushAndInspect(t *testing.T) {
	reg := startRegistry(t)
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	digest := field(t, h.Do(t, `return oci.build_go{dir = "agents/my-bot", platform = "linux/arm64", files = {"config.yaml"}, env = {A = "1"}, labels = {l = "v"}}`)[0], "digest")
	repo := reg.Host + "/agents/my-bot"

	push := func(to string) lua.LValue {
		t.Helper()
		return h.Do(t, fmt.Sprintf(`return oci.push{path = ".agentcore/build/my-bot", to = %q, auth = {username = "AWS", password = "s3cret-token"}}`, to))[0]
	}
	res := push(repo + ":v1")
	if field(t, res, "digest") != digest || field(t, res, "ref") != repo+"@"+digest || field(t, res, "pushed") != "true" {
		t.Fatalf("first push: digest %s ref %s pushed %s; built %s", field(t, res, "digest"), field(t, res, "ref"), field(t, res, "pushed"), digest)
	}
	for _, ref := range []string{repo + ":v1", repo + "@" + digest} {
		d, err := remote.Head(mustRef(t, ref))
		if err != nil || d.Digest.String() != digest {
			t.Errorf("registry has %s as %v (%v), want %s", ref, d, err, digest)
		}
	}
	if w := reg.takeWrites(); len(w) == 0 {
		t.Error("the first push wrote nothing")
	}

	// Again: the registry has it, nothing is sent.
	res = push(repo + ":v1")
	if field(t, res, "pushed") != "false" || field(t, res, "digest") != digest {
		t.Errorf("second push: pushed %s digest %s", field(t, res, "pushed"), field(t, res, "digest"))
	}
	if w := reg.takeWrites(); len(w) != 0 {
		t.Errorf("the second push sent %q", w)
	}

	// Another tag: only the manifest goes, under the new tag.
	res = push(repo + ":v2")
	if field(t, res, "pushed") != "true" {
		t.Error("push to a new tag: pushed false")
	}
	if w := reg.takeWrites(); len(w) != 1 || !strings.HasPrefix(w[0], "PUT ") || !strings.HasSuffix(w[0], "/manifests/v2") {
		t.Errorf("push to a new tag sent %q, want one manifest PUT", w)
	}

	// No tag: by digest, and no latest appears.
	res = push(reg.Host + "/other")
	if field(t, res, "ref") != reg.Host+"/other@"+digest || field(t, res, "pushed") != "true" {
		t.Errorf("push without a tag: ref %s pushed %s", field(t, res, "ref"), field(t, res, "pushed"))
	}
	if _, err := remote.Head(mustRef(t, reg.Host+"/other@"+digest)); err != nil {
		t.Errorf("pushed by digest, but: %v", err)
	}
	if _, err := remote.Head(mustRef(t, reg.Host+"/other:latest")); err == nil {
		t.Error("a push without a tag made :latest")
	}
	reg.takeWrites()
	if res = push(reg.Host + "/other"); field(t, res, "pushed") != "false" {
		t.Error("second push by digest: pushed true")
	}
	if w := reg.takeWrites(); len(w) != 0 {
		t.Errorf("the second push by digest sent %q", w)
	}

	for src, want := range map[string]string{
		`oci.push{path = ".agentcore/build/none", to = "` + repo + `:x"}`:                                        "no image layout at .agentcore/build/none",
		`oci.push{path = ".agentcore/build/my-bot", to = "` + repo + `@sha256:` + strings.Repeat("0", 64) + `"}`: "but the image at .agentcore/build/my-bot is " + digest,
		`oci.push{path = ".agentcore/build/my-bot"}`:                                                             "field to is required",
	} {
		if e := engineError(t, h.Err(src)); e.Code != engine.ExitUsage || !strings.Contains(e.Msg, want) {
			t.Errorf("%s: code %d %q, want usage error with %q", src, e.Code, e.Msg, want)
		}
	}
	if e := engineError(t, h.Err(`oci.push{path = ".agentcore/build/my-bot", to = "127.0.0.1:1/x:1"}`)); e.Code != engine.ExitFailure || e.Hint == "" {
		t.Errorf("push to nothing: code %d %q", e.Code, e.Msg)
	}

	// inspect of what was pushed
	h.Do(t, fmt.Sprintf(`
		local i = oci.inspect{ref = %q}
		assert(i.digest == %q, "digest " .. tostring(i.digest))
		assert(i.media_type == "application/vnd.oci.image.manifest.v1+json", i.media_type)
		assert(#i.platforms == 1 and i.platforms[1] == "linux/arm64", table.concat(i.platforms, ","))
		assert(i.os == "linux" and i.architecture == "arm64", i.os .. "/" .. i.architecture)
		assert(#i.config.entrypoint == 1 and i.config.entrypoint[1] == "/app/agent", "entrypoint")
		assert(#i.config.cmd == 0, "cmd")
		assert(i.config.working_dir == "/app", "working_dir")
		assert(#i.config.exposed_ports == 1 and i.config.exposed_ports[1] == "8080/tcp", "ports")
		assert(i.config.env[1]:match("^PATH=") and i.config.env[2] == "A=1", table.concat(i.config.env, " "))
		assert(i.config.labels.l == "v", "labels")
	`, repo+":v1", digest))
	if strings.Contains(h.Stdout.String()+h.Stderr.String(), "s3cret-token") {
		t.Error("the password reached the output")
	}
}

func TestInspectIndex(t *testing.T) {
	reg := startRegistry(t)
	h := newHarness(t)
	both := pushIndex(t, reg.Host+"/multi:1", "linux/amd64", "linux/arm64/v8")
	amdOnly := pushIndex(t, reg.Host+"/amd:1", "linux/amd64", "linux/386")
	h.Do(t, fmt.Sprintf(`
		local i = oci.inspect{ref = %q}
		assert(i.digest == %q, "digest")
		assert(i.media_type == "application/vnd.oci.image.index.v1+json", i.media_type)
		assert(table.concat(i.platforms, ",") == "linux/amd64,linux/arm64/v8", table.concat(i.platforms, ","))
		assert(i.os == "linux" and i.architecture == "arm64" and i.variant == "v8", i.architecture)
		assert(i.config.entrypoint[1] == "/bin/arm64" and i.config.cmd[1] == "serve", "config of the arm64 entry")
		assert(i.config.labels.arch == "arm64" and i.config.exposed_ports[1] == "9000/tcp", "labels, ports")

		local a = oci.inspect{ref = %q}
		assert(a.digest == %q, "digest")
		assert(table.concat(a.platforms, ",") == "linux/amd64,linux/386", table.concat(a.platforms, ","))
		assert(a.architecture == "amd64", "no arm64 entry: the first one, got " .. a.architecture)

		local p = oci.inspect{ref = %q, platform = "linux/386"}
		assert(p.architecture == "386" and p.config.entrypoint[1] == "/bin/386", p.architecture)
	`, reg.Host+"/multi:1", both, reg.Host+"/amd:1", amdOnly, reg.Host+"/amd:1"))
	if e := engineError(t, h.Err(`oci.inspect{ref = "`+reg.Host+`/nothing:1"}`)); e.Code != engine.ExitFailure || !strings.Contains(e.Msg, "reading "+reg.Host+"/nothing:1") {
		t.Errorf("inspect of nothing: code %d %q", e.Code, e.Msg)
	}
}

func TestCopyPlatform(t *testing.T) {
	reg := startRegistry(t)
	h := newHarness(t)
	pushImage(t, reg.Host+"/src/amd:1", platformImage(t, "linux/amd64"))
	armDigest := pushImage(t, reg.Host+"/src/arm:1", platformImage(t, "linux/arm64"))
	pushIndex(t, reg.Host+"/src/amdidx:1", "linux/amd64", "linux/386")
	both := pushIndex(t, reg.Host+"/src/both:1", "linux/amd64", "linux/arm64")
	reg.takeWrites()

	for from, have := range map[string]string{"amd:1": "linux/amd64", "amdidx:1": "linux/amd64, linux/386"} {
		e := engineError(t, h.Err(fmt.Sprintf(`oci.copy{from = %q, to = %q, platform = "linux/arm64"}`, reg.Host+"/src/"+from, reg.Host+"/dst/x:1")))
		if e.Code != engine.ExitUsage || !strings.Contains(e.Msg, "the image is for "+have+", not linux/arm64") || !strings.Contains(e.Hint, "nothing was copied") {
			t.Errorf("copy of %s: code %d %q (hint %q)", from, e.Code, e.Msg, e.Hint)
		}
		if w := reg.takeWrites(); len(w) != 0 {
			t.Errorf("a refused copy of %s wrote %q", from, w)
		}
	}
	h.Do(t, fmt.Sprintf(`
		local c = oci.copy{from = %q, to = %q, platform = "linux/arm64"}
		assert(c.digest == %q, "digest of the copied index")
		local d = oci.copy{from = %q, to = %q, platform = "linux/arm64"}
		assert(d.digest == %q, "digest of the copied image")
		local e = oci.copy{from = %q, to = %q}
		assert(e.digest:match("^sha256:"), "without platform anything goes")
	`, reg.Host+"/src/both:1", reg.Host+"/dst/both:1", both, reg.Host+"/src/arm:1", reg.Host+"/dst/arm:1", armDigest,
		reg.Host+"/src/amd:1", reg.Host+"/dst/amd:1"))
	if e := engineError(t, h.Err(`oci.copy{from = "a/b:1", to = "c/d:1", platform = "arm64"}`)); e.Code != engine.ExitUsage {
		t.Errorf("bad platform: code %d %q", e.Code, e.Msg)
	}
}

func TestBuildGoOnBase(t *testing.T) {
	reg := startRegistry(t)
	h := newHarness(t)
	writeAgent(t, h.Run.Dir)
	base := platformImage(t, "linux/arm64")
	pushImage(t, reg.Host+"/base/arm:1", base)
	pushImage(t, reg.Host+"/base/amd:1", platformImage(t, "linux/amd64"))
	pushIndex(t, reg.Host+"/base/idx:1", "linux/amd64", "linux/arm64")

	build := func(base string) lua.LValue {
		return h.Do(t, fmt.Sprintf(`return oci.build_go{dir = "agents/my-bot", platform = "linux/arm64", base = %q, env = {BASE = "mine"}, out = "out/b"}`, base))[0]
	}
	res := build(reg.Host + "/base/arm:1")
	if field(t, res, "layers") != "2" {
		t.Errorf("layers on a one-layer base: %s", field(t, res, "layers"))
	}
	if again := build(reg.Host + "/base/arm:1"); field(t, again, "digest") != field(t, res, "digest") {
		t.Errorf("two builds on the same base: %s then %s", field(t, res, "digest"), field(t, again, "digest"))
	}
	reg.takeWrites()
	h.Do(t, fmt.Sprintf(`
		local p = oci.push{path = "out/b", to = %q}
		local i = oci.inspect{ref = %q}
		assert(i.media_type == "application/vnd.docker.distribution.manifest.v2+json", "a Docker base keeps Docker media types: " .. i.media_type)
		assert(i.config.entrypoint[1] == "/app/agent" and #i.config.cmd == 0, "entrypoint replaces the base's, cmd dropped")
		assert(table.concat(i.config.env, " ") == "PATH=/bin BASE=mine", table.concat(i.config.env, " "))
		assert(i.config.labels.arch == "arm64", "the base's labels stay")
		local ports = table.concat(i.config.exposed_ports, ",")
		assert(ports == "8080/tcp,9000/tcp", ports)
	`, reg.Host+"/agents/b:1", reg.Host+"/agents/b:1"))
	for _, w := range reg.takeWrites() {
		if strings.Contains(w, "/blobs/uploads/") && !strings.Contains(w, "/agents/b/") {
			t.Errorf("unexpected write %s", w)
		}
	}

	if res := build(reg.Host + "/base/idx:1"); field(t, res, "layers") != "2" {
		t.Errorf("layers on an index base: %s", field(t, res, "layers"))
	}
	e := engineError(t, h.Err(fmt.Sprintf(`oci.build_go{dir = "agents/my-bot", platform = "linux/arm64", base = %q}`, reg.Host+"/base/amd:1")))
	if e.Code != engine.ExitUsage || !strings.Contains(e.Msg, "the image is for linux/amd64, not linux/arm64") {
		t.Errorf("amd64 base: code %d %q", e.Code, e.Msg)
	}
}
