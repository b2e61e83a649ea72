package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/agentcore/agentcore/internal/dockerclient"
	"github.com/agentcore/agentcore/local/control"
)

// RemoveImageTags removes the Docker engine's tags made for the local endpoint on port: the
// tags pushed to its registry (127.0.0.1:PORT/... or localhost:PORT/...) and the build tags
// agentcore.local/NAME:build of the images pushed there. A build tag whose image was not
// pushed to this endpoint stays: another project, endpoint or test on the same engine may be
// about to push it. Images keep their other tags; one left with none is deleted, and so is an
// image the engine pulled from that registry by digest that has no other tag. It returns how
// many tags and images it removed.
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
		here, others := false, false
		for _, tag := range img.RepoTags {
			here = here || pushed(tag)
			others = others || (!pushed(tag) && !strings.HasPrefix(tag, "agentcore.local/"))
		}
		// Agent images the engine pulled by digest (127.0.0.1:PORT/REPO@sha256:...) have no tag
		// at all: the image itself goes, unless someone tagged it otherwise.
		pulled := false
		for _, d := range img.RepoDigests {
			pulled = pulled || pushed(d)
		}
		if !here && !pulled {
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
		if pulled && !others {
			// By reference, not by ID: the same image may also come from another endpoint's
			// registry, whose reference stays.
			for _, d := range img.RepoDigests {
				if !pushed(d) {
					continue
				}
				if _, err := docker.ImageRemove(ctx, d, image.RemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
					return n, fmt.Errorf("removing the agent image %s: %w", d, err)
				}
				n++
			}
		}
	}
	return n, nil
}

// RemoveContainers removes the agent containers run by the local endpoint whose data directory
// is dir (every agentcore-labelled agent container when dir is "") and returns how many.
func RemoveContainers(ctx context.Context, dir string) (int, error) {
	docker, err := dockerclient.New()
	if err != nil {
		return 0, fmt.Errorf("connecting to the Docker engine at %s: %w", dockerclient.Host(), err)
	}
	defer docker.Close()
	args := filters.NewArgs(filters.Arg("label", control.LabelOwner+"=true"))
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return 0, err
		}
		args.Add("label", control.LabelState+"="+abs)
	}
	found, err := docker.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return 0, fmt.Errorf("listing agent containers: %w", err)
	}
	var errs []error
	n := 0
	for _, c := range found {
		if err := docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
			if cerrdefs.IsNotFound(err) {
				continue // removed meanwhile (a session that ended, the endpoint's own clean-up)
			}
			errs = append(errs, fmt.Errorf("removing container %s: %w", c.ID[:12], err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// StopHostProcesses stops the host processes the local endpoint whose data directory is dir
// started for code versions (recorded in its database, which the stopped endpoint no longer
// holds open: containers carry labels, processes do not) and returns how many it stopped.
func StopHostProcesses(dir string) (int, error) {
	path := filepath.Join(dir, "state.db")
	if _, err := os.Stat(path); err != nil {
		return 0, nil // never started: nothing ran
	}
	db, err := openDB(path, 5*time.Second)
	if isDamaged(err) {
		// Its records of host processes are lost with it; reset removes the file.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("opening %s to stop the agents' host processes: %w (is the local endpoint still running? agentcore local stop)", path, err)
	}
	defer db.Close()
	return control.StopProcesses(db, func(string, ...any) {})
}
