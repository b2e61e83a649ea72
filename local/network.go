package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"net"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/local/control"
)

// Agent containers publish no port: they sit on a bridge network of their endpoint's own,
// where the endpoint reaches them at their address on it. Docker's inter-container
// communication is off on that network (com.docker.network.bridge.enable_icc=false), so
// neither the other containers on it nor those of other networks reach an agent; the agents
// keep their way out (egress, and the endpoint's OTLP receiver on the network's gateway).
// Processes of this machine can still reach an agent's address on the bridge, as they can
// any container's: closing that needs the agent's network namespace reached through a
// socket only the endpoint holds (see the README's security notes).

// agentNetworkName is the network of the endpoint whose data directory is dir.
func agentNetworkName(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return "agentcore-local-" + hex.EncodeToString(sum[:6])
}

// agentNetwork creates, or finds, the endpoint's network and returns its name and gateway
// address ("" when the engine reports none).
func agentNetwork(ctx context.Context, cli *client.Client, dir string) (name, gateway string, err error) {
	name = agentNetworkName(dir)
	nw, err := cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if cerrdefs.IsNotFound(err) {
		_, err = cli.NetworkCreate(ctx, name, network.CreateOptions{
			Driver:  "bridge",
			Options: map[string]string{"com.docker.network.bridge.enable_icc": "false"},
			Labels:  map[string]string{control.LabelOwner: "true", control.LabelState: dir},
		})
		if err != nil && !isConflict(err) {
			return "", "", fmt.Errorf("creating the agents' Docker network %s: %w", name, err)
		}
		nw, err = cli.NetworkInspect(ctx, name, network.InspectOptions{})
	}
	if err != nil {
		return "", "", fmt.Errorf("inspecting the agents' Docker network %s: %w", name, err)
	}
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			gateway = c.Gateway
		} else if gateway == "" {
			gateway = localAddrIn(c.Subnet)
		}
	}
	return name, gateway, nil
}

func isConflict(err error) bool {
	return strings.Contains(err.Error(), "already exists") || strings.Contains(err.Error(), "Conflict")
}

// removeAgentNetworks removes the networks of the endpoint whose data directory is dir (all
// agentcore endpoints' when dir is "").
func removeAgentNetworks(ctx context.Context, cli *client.Client, dir string) error {
	args := filters.NewArgs(filters.Arg("label", control.LabelOwner+"=true"))
	if dir != "" {
		args.Add("label", control.LabelState+"="+dir)
	}
	nws, err := cli.NetworkList(ctx, network.ListOptions{Filters: args})
	if err != nil {
		return fmt.Errorf("listing the agents' Docker networks: %w", err)
	}
	for _, nw := range nws {
		if err := cli.NetworkRemove(ctx, nw.ID); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("removing the agents' Docker network %s: %w", nw.Name, err)
		}
	}
	return nil
}
