package local

import (
	"context"
	"fmt"
	"net"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/internal/dockerclient"
	"github.com/agentcore/agentcore/local/control"
)

// Agent containers publish no port: they sit on a bridge network of the agents' own,
// agentNetworkName, where the endpoint reaches them at their address. Docker's
// inter-container communication is off on it (com.docker.network.bridge.enable_icc=false), so
// neither the other containers on it (other agents, of this endpoint or another) nor those of
// other networks reach an agent; the agents keep their way out (egress, and the endpoint's
// OTLP receiver on the network's gateway). One network serves every endpoint on the engine:
// with inter-container traffic off, one per endpoint would separate nothing more, and each
// would take an address pool of the engine's few. Processes of this machine can still reach
// an agent's address on the bridge, as they can any container's (see the README's security
// notes).
const agentNetworkName = "agentcore-local"

// agentNetwork creates the agents' network when the engine has none, and returns its gateway
// address ("" when the engine reports none).
func agentNetwork(ctx context.Context, cli *client.Client) (gateway string, err error) {
	nw, err := cli.NetworkInspect(ctx, agentNetworkName, network.InspectOptions{})
	if cerrdefs.IsNotFound(err) {
		_, err = cli.NetworkCreate(ctx, agentNetworkName, network.CreateOptions{
			Driver:  "bridge",
			Options: map[string]string{"com.docker.network.bridge.enable_icc": "false"},
			Labels:  map[string]string{control.LabelOwner: "true"},
		})
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return "", fmt.Errorf("creating the agents' Docker network %s: %w", agentNetworkName, err)
		}
		nw, err = cli.NetworkInspect(ctx, agentNetworkName, network.InspectOptions{})
	}
	if err != nil {
		return "", fmt.Errorf("inspecting the agents' Docker network %s: %w", agentNetworkName, err)
	}
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			gateway = c.Gateway
		} else if gateway == "" {
			gateway = localAddrIn(c.Subnet)
		}
	}
	return gateway, nil
}

// RemoveNetwork removes the agents' network when no container is on it (another endpoint's
// agents may be). `agentcore local reset` keeps it, since every endpoint on the engine shares
// it; an endpoint whose network was removed creates it again before its next container.
func RemoveNetwork(ctx context.Context) error {
	docker, err := dockerclient.New()
	if err != nil {
		return fmt.Errorf("connecting to the Docker engine at %s: %w", dockerclient.Host(), err)
	}
	defer docker.Close()
	err = docker.NetworkRemove(ctx, agentNetworkName)
	if err == nil || cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "active endpoints") {
		return nil
	}
	return fmt.Errorf("removing the agents' Docker network %s: %w", agentNetworkName, err)
}
