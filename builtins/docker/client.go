package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/dockerclient"
)

// Client is the part of the Docker engine API this module calls. *client.Client satisfies it;
// a test that cannot use a real engine can store its own Client under clientKey with
// run.Value before running Lua.
type Client interface {
	ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageTag(ctx context.Context, source, target string) error
	ImagePush(ctx context.Context, ref string, options image.PushOptions) (io.ReadCloser, error)
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	Info(ctx context.Context) (system.Info, error)
	ServerVersion(ctx context.Context) (types.Version, error)
	DaemonHost() string
}

// clientKey is the run.Value key of the run's Docker client (one per run, closed with it).
const clientKey = "docker.client"

// clientFor returns the run's Docker client, creating it on first use. Creating it does not
// connect: an unreachable engine shows up at the first call, where explain classifies it.
func clientFor(L *lua.LState) (Client, error) {
	v, err := engine.FromL(L).Value(clientKey, func() (any, error) {
		c, err := dockerclient.New()
		if err != nil {
			return nil, engine.Failf("check DOCKER_HOST and the current docker context (docker context ls)",
				"configuring the Docker client for %s: %v", dockerclient.Host(), err)
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	c, ok := v.(Client)
	if !ok {
		return nil, fmt.Errorf("docker: run value %q is a %T, not a docker.Client", clientKey, v)
	}
	return c, nil
}
