package local

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/image"

	"github.com/agentcore/agentcore/internal/dockerclient"
)

// RemoveImageTags removes the Docker engine's tags made for the local endpoint on port: the
// tags pushed to its registry (127.0.0.1:PORT/... or localhost:PORT/...) and the build tags
// agentcore.local/NAME:build of the images pushed there. A build tag whose image was not
// pushed to this endpoint stays: another project, endpoint or test on the same engine may be
// about to push it. Images keep their other tags; one left with none is deleted. It returns
// how many tags it removed.
func RemoveImageTags(ctx context.Context, port int) (int, error) {
	docker, err := dockerclient.New()
	if err != nil {
		return 0, fmt.Errorf("connecting to the Docker engine at %s: %w", dockerclient.Host(), err)
	}
	defer docker.Close()
	imgs, err := docker.ImageList(ctx, image.ListOptions{All: true})
	if err != nil {
		return 0, fmt.Errorf("listing images: %w", err)
	}
	p := strconv.Itoa(port)
	pushed := func(tag string) bool {
		return strings.HasPrefix(tag, "127.0.0.1:"+p+"/") || strings.HasPrefix(tag, "localhost:"+p+"/")
	}
	n := 0
	for _, img := range imgs {
		here := false
		for _, tag := range img.RepoTags {
			here = here || pushed(tag)
		}
		if !here {
			continue
		}
		for _, tag := range img.RepoTags {
			if !pushed(tag) && !strings.HasPrefix(tag, "agentcore.local/") {
				continue
			}
			if _, err := docker.ImageRemove(ctx, tag, image.RemoveOptions{PruneChildren: true}); err != nil {
				return n, fmt.Errorf("removing the image tag %s: %w", tag, err)
			}
			n++
		}
	}
	return n, nil
}
