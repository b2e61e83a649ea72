package oci

import (
	"context"
	"fmt"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/ociimage"
)

const inspectUsage = `oci.inspect{ref = "REGISTRY/REPO:TAG"}`

type inspectOpts struct {
	Ref      string `json:"ref"`
	Auth     *auth  `json:"auth,omitempty"`
	Platform string `json:"platform,omitempty"`
}

type imageConfig struct {
	Entrypoint   []string          `json:"entrypoint"`
	Cmd          []string          `json:"cmd"`
	Env          []string          `json:"env"`
	Labels       map[string]string `json:"labels"`
	ExposedPorts []string          `json:"exposed_ports"`
	WorkingDir   string            `json:"working_dir"`
	User         string            `json:"user"`
}

type inspectResult struct {
	Digest       string      `json:"digest"`
	MediaType    string      `json:"media_type"`
	Platforms    []string    `json:"platforms"`
	OS           string      `json:"os"`
	Architecture string      `json:"architecture"`
	Variant      string      `json:"variant,omitempty"`
	Config       imageConfig `json:"config"`
}

func luaInspect(L *lua.LState, o inspectOpts) (inspectResult, error) {
	want := v1.Platform{OS: "linux", Architecture: "arm64"}
	if o.Platform != "" {
		p, err := ociimage.ParsePlatform(o.Platform)
		if err != nil {
			return inspectResult{}, engine.Usagef(inspectUsage, "oci.inspect: platform: %v", err)
		}
		want = p
	}
	if o.Auth != nil {
		engine.FromL(L).Out.AddSecret(o.Auth.Password)
	}
	return engine.Unlocked(L, func(ctx context.Context) (inspectResult, error) { return inspect(ctx, o, want) })
}

func inspect(ctx context.Context, o inspectOpts, want v1.Platform) (inspectResult, error) {
	ref, err := parse(o.Ref)
	if err != nil {
		return inspectResult{}, engine.Usagef(inspectUsage, "oci.inspect: ref: %v", err)
	}
	fail := func(err error) error {
		return &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("oci.inspect: reading %s: %v", o.Ref, err), Err: err,
			Hint: "check that the image exists and that its registry accepts the credentials (auth)"}
	}
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithAuth(keychain(o.Auth)))
	if err != nil {
		return inspectResult{}, fail(err)
	}
	res := inspectResult{Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
	var img v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return inspectResult{}, fail(err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return inspectResult{}, fail(err)
		}
		res.Platforms = indexPlatforms(im)
		var pick *v1.Descriptor
		for i, m := range im.Manifests {
			if !m.MediaType.IsImage() || m.Platform == nil || m.Platform.OS == "unknown" {
				continue
			}
			if pick == nil {
				pick = &im.Manifests[i]
			}
			if ociimage.Matches(*m.Platform, want) {
				pick = &im.Manifests[i]
				break
			}
		}
		if pick == nil {
			return res, nil // an index of indexes, or of attestations only: nothing more to say
		}
		if img, err = idx.Image(pick.Digest); err != nil {
			return inspectResult{}, fail(err)
		}
	} else if img, err = desc.Image(); err != nil {
		return inspectResult{}, fail(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return inspectResult{}, fail(err)
	}
	res.OS, res.Architecture, res.Variant = cf.OS, cf.Architecture, cf.Variant
	if res.Platforms == nil {
		res.Platforms = []string{(&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}).String()}
	}
	c := cf.Config
	res.Config = imageConfig{
		Entrypoint: orEmpty(c.Entrypoint), Cmd: orEmpty(c.Cmd), Env: orEmpty(c.Env), Labels: c.Labels,
		ExposedPorts: []string{}, WorkingDir: c.WorkingDir, User: c.User,
	}
	if res.Config.Labels == nil {
		res.Config.Labels = map[string]string{}
	}
	for p := range c.ExposedPorts {
		res.Config.ExposedPorts = append(res.Config.ExposedPorts, p)
	}
	sort.Strings(res.Config.ExposedPorts)
	return res, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
