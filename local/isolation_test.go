package local

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/internal/dockerclient"
	testagent "github.com/agentcore/agentcore/internal/testagent/build"
	"github.com/agentcore/agentcore/local/control"
)

// probe runs the test agent image as a client on network ("" for Docker's default bridge)
// and reports whether url answered it.
func probe(t *testing.T, cli *client.Client, image, network, url string) bool {
	t.Helper()
	ctx := context.Background()
	hc := &container.HostConfig{}
	if network != "" {
		hc.NetworkMode = container.NetworkMode(network)
	}
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: image, Env: []string{"TESTAGENT_MODE=probe", "TESTAGENT_PROBE_URL=" + url}}, hc, nil, nil, "")
	if err != nil {
		t.Fatalf("creating the probe: %v", err)
	}
	defer cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	if err := cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatalf("starting the probe: %v", err)
	}
	waitC, errC := cli.ContainerWait(ctx, c.ID, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		return w.StatusCode == 0
	case err := <-errC:
		t.Fatalf("waiting for the probe: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the probe did not finish")
	}
	return false
}

// TestAgentOnlyThroughEndpoint: an agent container publishes no port on the host, and no other
// container reaches it (on Docker's default bridge, or on the agents' own network), while the
// endpoint's invocations get through.
func TestAgentOnlyThroughEndpoint(t *testing.T) {
	cli := dockerEngine(t)
	dir := t.TempDir()
	t.Cleanup(func() { Reset(context.Background(), dir) })
	r := start(t, dir)
	defer r.stop(t)
	ctx := context.Background()
	_, arn, uri := containerAgent(t, r, cli, "lonely", "lonely_agent", map[string]string{"WHO": "server"})
	invoke(t, r, arn)

	found, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", control.LabelState+"="+dir))})
	if err != nil || len(found) != 1 {
		t.Fatalf("agent containers: %d, %v", len(found), err)
	}
	info, err := cli.ContainerInspect(ctx, found[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for port, bindings := range info.NetworkSettings.Ports {
		for _, b := range bindings {
			if b.HostPort != "" {
				t.Errorf("the agent container publishes %s on %s:%s", port, b.HostIP, b.HostPort)
			}
		}
	}
	var ips []string
	for name, ep := range info.NetworkSettings.Networks {
		if ep.IPAddress != "" {
			ips = append(ips, ep.IPAddress)
		}
		if name == "bridge" {
			t.Errorf("the agent container is on Docker's default bridge, with every other container")
		}
	}
	if len(ips) == 0 {
		t.Fatal("the agent container has no address")
	}
	// The probe works: from the agents' network it reaches the endpoint's OTLP receiver.
	r.srv.mu.Lock()
	otlpURL := r.srv.otlpAt.gateway
	r.srv.mu.Unlock()
	if otlpURL == "" || !probe(t, cli, uri, agentNetworkName, otlpURL+"/") {
		t.Fatalf("a container on the agents' network does not reach the endpoint's OTLP receiver %q", otlpURL)
	}
	for _, ip := range ips {
		url := "http://" + ip + ":8080/ping"
		if probe(t, cli, uri, "", url) {
			t.Errorf("a container on Docker's default bridge reached the agent at %s", url)
		}
		if probe(t, cli, uri, agentNetworkName, url) {
			t.Errorf("another container on the agents' network reached the agent at %s", url)
		}
		// What is left: this machine's processes route to the bridge (see network.go).
		c := &http.Client{Timeout: 2 * time.Second}
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			t.Logf("known limit: a host process reaches %s (%s)", url, resp.Status)
		}
	}
	invoke(t, r, arn)

	// Another endpoint's reset removed the network with the containers: the next invocation
	// creates both again.
	if err := Reset(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := removeNetwork(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.NetworkInspect(ctx, agentNetworkName, network.InspectOptions{}); err == nil {
		t.Log("the agents' network is still there (another endpoint's containers use it)")
	}
	invoke(t, r, arn)
}

// TestRemoveImageTags: the tags of the endpoint's registry go, and the build tag of the image
// pushed there; another port's tags, other names, and the build tag of an image that was not
// pushed to this endpoint (another project's, about to push) stay.
func TestRemoveImageTags(t *testing.T) {
	cli := dockerEngine(t)
	ctx := context.Background()
	base := "agentcore-test/removetags:base"
	if err := testagent.Image(t, cli, base, ""); err != nil {
		t.Fatal(err)
	}
	other := "agentcore-test/removetags:other"
	if err := testagent.Image(t, cli, other, "arm64"); err != nil { // another image: another architecture
		t.Fatal(err)
	}
	tags := []string{"agentcore.local/removetags:build", "127.0.0.1:47999/agentcore/removetags:t1", "localhost:47999/removetags:t2", "127.0.0.1:48000/removetags:other"}
	for _, tag := range tags {
		if err := cli.ImageTag(ctx, base, tag); err != nil {
			t.Fatal(err)
		}
	}
	unpushed := "agentcore.local/removetags-unpushed:build"
	if err := cli.ImageTag(ctx, other, unpushed); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tag := range append(tags, base, other, unpushed) {
			testagent.RemoveImage(cli, tag)
		}
	})
	n, err := RemoveImageTags(ctx, 47999)
	if err != nil || n != 3 {
		t.Fatalf("RemoveImageTags: %d, %v (want 3 tags removed)", n, err)
	}
	for i, tag := range append(tags, base, unpushed) {
		_, err := cli.ImageInspect(ctx, tag)
		if gone := err != nil; gone != (i < 3) {
			t.Errorf("%s: gone %v", tag, gone)
		}
	}
}

// removeNetwork removes the agents' network when no container is on it (another endpoint's
// agents may be), as another user of the engine may: an endpoint whose network was removed
// creates it again before its next container. `agentcore local reset` keeps it, since every
// endpoint on the engine shares it.
func removeNetwork(ctx context.Context) error {
	docker, err := dockerclient.New()
	if err != nil {
		return fmt.Errorf("connecting to the Docker engine at %s: %w", dockerclient.Host(), err)
	}
	defer docker.Close()
	nws, err := networksNamed(ctx, docker, agentNetworkName)
	if err != nil {
		return fmt.Errorf("listing the agents' Docker networks: %w", err)
	}
	for _, nw := range nws {
		err := docker.NetworkRemove(ctx, nw.ID)
		if err != nil && !cerrdefs.IsNotFound(err) && !strings.Contains(err.Error(), "active endpoints") {
			return fmt.Errorf("removing the agents' Docker network %s: %w", agentNetworkName, err)
		}
	}
	return nil
}
