package ociimage

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultPath is the PATH of an image built on nothing (the one Docker sets).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Config is what an image built by Build runs and says about itself.
type Config struct {
	Platform   v1.Platform
	Entrypoint []string
	WorkingDir string
	Env        map[string]string // added to the base's environment (PATH included)
	Port       int               // exposed TCP port; 0 for none
	Labels     map[string]string // added to the base's labels
	CreatedBy  string            // the history line of the new layer
}

// LayerMediaType returns the media type a new layer on base must have: the OCI one on an OCI
// image or on nothing, the Docker one on a Docker image (manifests do not mix them).
func LayerMediaType(base v1.Image) (types.MediaType, error) {
	if base == nil {
		return types.OCILayer, nil
	}
	mt, err := base.MediaType()
	if err != nil {
		return "", err
	}
	if mt == types.DockerManifestSchema2 {
		return types.DockerLayer, nil
	}
	return types.OCILayer, nil
}

// Build puts layer on base (nil: nothing, an OCI image) and sets the config: the entrypoint
// (the base's Cmd is dropped), working folder, environment, exposed port, labels, platform and
// the fixed creation time Epoch. The result's digest depends only on its inputs.
func Build(base v1.Image, layer v1.Layer, c Config) (v1.Image, error) {
	if base == nil {
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	} else {
		cf, err := base.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading the base image's config: %w", err)
		}
		if !Matches(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, c.Platform) {
			return nil, &PlatformError{Want: c.Platform.String(), Have: []string{platformOf(cf)}}
		}
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: c.CreatedBy},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: Epoch}
	cf.OS, cf.Architecture = c.Platform.OS, c.Platform.Architecture
	if c.Platform.Variant != "" {
		cf.Variant = c.Platform.Variant
	}
	cc := &cf.Config
	cc.Entrypoint = c.Entrypoint
	cc.Cmd = nil
	cc.WorkingDir = c.WorkingDir
	cc.Env = mergeEnv(cc.Env, c.Env)
	if c.Port > 0 {
		if cc.ExposedPorts == nil {
			cc.ExposedPorts = map[string]struct{}{}
		}
		cc.ExposedPorts[strconv.Itoa(c.Port)+"/tcp"] = struct{}{}
	}
	if len(c.Labels) > 0 {
		if cc.Labels == nil {
			cc.Labels = map[string]string{}
		}
		for k, v := range c.Labels {
			cc.Labels[k] = v
		}
	}
	return mutate.ConfigFile(img, cf)
}

// mergeEnv returns base (KEY=VALUE lines) with add set on top, PATH defaulted, in the base's
// order then the new keys sorted.
func mergeEnv(base []string, add map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := add[k]; ok {
			kv = k + "=" + v
		}
		seen[k] = true
		out = append(out, kv)
	}
	if !seen["PATH"] {
		if _, ok := add["PATH"]; !ok {
			out = append([]string{"PATH=" + DefaultPath}, out...)
		}
	}
	keys := make([]string, 0, len(add))
	for k := range add {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+add[k])
	}
	return out
}

// ParsePlatform reads os/arch[/variant] ("linux/arm64").
func ParsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return v1.Platform{}, err
	}
	if p.OS == "" || p.Architecture == "" || strings.Count(s, "/") < 1 || strings.Contains(s, ":") {
		return v1.Platform{}, fmt.Errorf("%q is not a platform: use os/arch, e.g. linux/arm64", s)
	}
	return *p, nil
}

// PlatformError says an image does not provide the platform asked for.
type PlatformError struct {
	Want string
	Have []string
}

func (e *PlatformError) Error() string {
	if len(e.Have) == 0 {
		return fmt.Sprintf("the image does not say which platform it is for; %s was asked for", e.Want)
	}
	return fmt.Sprintf("the image is for %s, not %s", strings.Join(e.Have, ", "), e.Want)
}

func platformOf(cf *v1.ConfigFile) string {
	p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	return p.String()
}

// Matches reports whether an image for have runs where want is asked for: same OS and
// architecture, and the same variant when want names one (linux/arm64 takes linux/arm64/v8).
func Matches(have, want v1.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || have.Variant == want.Variant
}
