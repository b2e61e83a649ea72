package project

import (
	"strings"
	"testing"
)

func TestArtifactKinds(t *testing.T) {
	p, err := parse(t, `
[project]
name = "demo"
[agents.docker]
dockerfile = "agents/d/Dockerfile"
[agents.gobot]
build = "go"
context = "agents/g"
package = "./cmd/agent"
files = ["prompts"]
[agents.py]
context = "agents/py"
runtime = "python_3_12"
entrypoint = ["main.py"]
[agents.pre]
image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/x@sha256:0123456789012345678901234567890123456789012345678901234567890123"
[environments.dev]
provider = "local"
[environments.prod]
provider = "aws"
region = "us-east-1"
[environments.prod.agents.docker]
image = "registry.example.com/team/docker:1.2"
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"docker": BuildDocker, "gobot": BuildGo, "py": BuildZip, "pre": BuildImage}
	for n, k := range want {
		if got := p.Agents[n].Build; got != k {
			t.Errorf("agent %s: build = %q, want %q", n, got, k)
		}
	}
	if p.Agents["py"].Runtime != "PYTHON_3_12" {
		t.Errorf("runtime not normalised: %q", p.Agents["py"].Runtime)
	}
	if got := p.Environments["prod"].Agents["docker"].Build; got != BuildImage {
		t.Errorf("per-environment image override: build = %q, want image", got)
	}
	if got := p.Environments["dev"].Agents["docker"].Build; got != BuildDocker {
		t.Errorf("override leaked into dev: %q", got)
	}
}

func TestArtifactErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown build", "[agents.a]\ncontext = \"a\"\nbuild = \"gp\"\n", `agentcore.toml:3:1: build "gp" is not one of docker, go, zip, image (did you mean "go"?)`},
		{"unknown runtime", "[agents.a]\ncontext = \"a\"\nruntime = \"PYTHON_3_9\"\nentrypoint = [\"main.py\"]\n", `runtime "PYTHON_3_9" is not an AgentCore managed runtime: use one of PYTHON_3_10`},
		{"zip without entrypoint", "[agents.a]\ncontext = \"a\"\nruntime = \"PYTHON_3_12\"\n", `needs entrypoint = ["main.py"]`},
		{"zip without runtime", "[agents.a]\ncontext = \"a\"\nbuild = \"zip\"\nentrypoint = [\"main.py\"]\n", `needs runtime = "PYTHON_3_12"`},
		{"too many entrypoints", "[agents.a]\ncontext = \"a\"\nruntime = \"NODE_22\"\nentrypoint = [\"a\", \"b\", \"c\"]\n", "entrypoint must list 1 or 2 entries"},
		{"bad image", "[agents.a]\nimage = \"UPPER/Case:tag\"\n", `image "UPPER/Case:tag" is not an image reference`},
		{"image and build", "[agents.a]\ncontext = \"a\"\nbuild = \"go\"\nimage = \"x/y:1\"\n", "image is for prebuilt images"},
		{"go keys on docker", "[agents.a]\ndockerfile = \"D\"\nfiles = [\"x\"]\n", `package, files and base_image are for build = "go"`},
		{"file outside context", "[agents.a]\ncontext = \"a\"\nbuild = \"go\"\nfiles = [\"../secret\"]\n", "must be a path inside the agent's context"},
		{"image kind without image", "[agents.a]\nbuild = \"image\"\ncontext = \"x\"\n", `has build = "image" but no image`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.src)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}
