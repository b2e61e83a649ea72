package project

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
)

// The kinds of artifact an agent deploys (agents.NAME.build).
const (
	BuildDocker = "docker" // an image built by the Docker engine from a Dockerfile
	BuildGo     = "go"     // a Go main package cross-compiled and assembled into an image, no Docker
	BuildZip    = "zip"    // AgentCore direct code deployment: a zip on S3 and a managed runtime
	BuildImage  = "image"  // a prebuilt image, deployed as it is
)

// BuildKinds lists the values of agents.NAME.build.
var BuildKinds = []string{BuildDocker, BuildGo, BuildZip, BuildImage}

// ManagedRuntimes are the values of AgentManagedRuntimeType in the AgentCore control API
// (CodeConfiguration.runtime), in the model's order.
var ManagedRuntimes = []string{"PYTHON_3_10", "PYTHON_3_11", "PYTHON_3_12", "PYTHON_3_13", "PYTHON_3_14", "NODE_22"}

// artifact reads the artifact keys of an agent table (or of its per-environment override) into
// a, then settles the kind: build when given, else image = ... means a prebuilt image, runtime =
// ... a code zip, and otherwise a Dockerfile.
func (v *validator) artifact(path []string, name string, r rawAgent, a *Agent) {
	if r.Build != "" {
		if !contains(BuildKinds, r.Build) {
			v.addf(append(path, "build"), "build %q is not one of %s%s", r.Build, strings.Join(BuildKinds, ", "), Suggest(r.Build, BuildKinds))
		} else {
			a.buildExplicit = r.Build
		}
	}
	if r.Image != "" {
		if _, err := reference.ParseNormalizedNamed(r.Image); err != nil {
			v.addf(append(path, "image"), "image %q is not an image reference (REPOSITORY@sha256:DIGEST or REPOSITORY:TAG): %v", r.Image, err)
		}
		a.Image = r.Image
	}
	if r.Package != "" {
		a.Package = r.Package
	}
	if r.Files != nil {
		a.Files = append([]string(nil), r.Files...)
		for i, f := range r.Files {
			if f == "" || filepath.IsAbs(f) || strings.HasPrefix(filepath.Clean(f), "..") {
				v.addf(append(path, "files"), "files[%d] = %q must be a path inside the agent's context", i, f)
			}
		}
	}
	if r.BaseImage != "" {
		if _, err := reference.ParseNormalizedNamed(r.BaseImage); err != nil {
			v.addf(append(path, "base_image"), "base_image %q is not an image reference: %v", r.BaseImage, err)
		}
		a.BaseImage = r.BaseImage
	}
	if r.Runtime != "" {
		up := strings.ToUpper(r.Runtime)
		if !contains(ManagedRuntimes, up) {
			hint := ""
			if c := closest(up, ManagedRuntimes); c != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			v.addf(append(path, "runtime"), "runtime %q is not an AgentCore managed runtime: use one of %s%s", r.Runtime, strings.Join(ManagedRuntimes, ", "), hint)
		} else {
			a.Runtime = up
		}
	}
	if r.Entrypoint != nil {
		a.Entrypoint = append([]string(nil), r.Entrypoint...)
		// CodeConfiguration.entryPoint: a list of 1 or 2 strings (a wrapper, then the script).
		if len(r.Entrypoint) < 1 || len(r.Entrypoint) > 2 {
			v.addf(append(path, "entrypoint"), "entrypoint must list 1 or 2 entries (AgentCore's limit), e.g. [\"main.py\"] or [\"opentelemetry-instrument\", \"main.py\"]")
		}
	}

	switch {
	case a.buildExplicit != "":
		a.Build = a.buildExplicit
	case a.Image != "":
		a.Build = BuildImage
	case a.Runtime != "":
		a.Build = BuildZip
	default:
		a.Build = BuildDocker
	}
	p := func(k string) []string { return append(append([]string{}, path...), k) }
	switch a.Build {
	case BuildImage:
		if a.Image == "" {
			v.addf(p("build"), "agent %q has build = \"image\" but no image = \"REPOSITORY@sha256:...\"", name)
		}
	case BuildZip:
		if a.Runtime == "" {
			v.addf(p("build"), "agent %q has build = \"zip\" and needs runtime = \"PYTHON_3_12\" (one of %s)", name, strings.Join(ManagedRuntimes, ", "))
		}
		if len(a.Entrypoint) == 0 {
			hint := "[\"main.py\"]"
			if strings.HasPrefix(a.Runtime, "NODE") {
				hint = "[\"index.js\"]"
			}
			v.addf(p("build"), "agent %q has build = \"zip\" and needs entrypoint = %s (the file AgentCore runs, relative to context)", name, hint)
		}
	}
	if a.Build != BuildImage && a.Image != "" && r.Image != "" {
		v.addf(p("image"), "image is for prebuilt images, but agent %q has build = %q: remove one of them", name, a.Build)
	}
	if a.Build != BuildZip && r.Runtime != "" && a.buildExplicit != "" {
		v.addf(p("runtime"), "runtime is for build = \"zip\" (code deployment), but agent %q has build = %q", name, a.Build)
	}
	if a.Build != BuildGo && (r.Package != "" || r.Files != nil || r.BaseImage != "") {
		v.addf(path, "package, files and base_image are for build = \"go\", but agent %q has build = %q", name, a.Build)
	}
}

// ArtifactSummary says in a few words what an agent deploys, for listings.
func (a *Agent) ArtifactSummary() string {
	switch a.Build {
	case BuildImage:
		return "image " + a.Image
	case BuildZip:
		return fmt.Sprintf("zip (%s, %s)", a.Runtime, strings.Join(a.Entrypoint, " "))
	case BuildGo:
		return "go (no Docker)"
	}
	return "docker"
}
