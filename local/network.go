package local

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

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

// agentNetwork creates the agents' network when the engine has none, and returns its ID and
// gateway address ("" when the engine reports none). Docker does not refuse a second network
// of a name that exists: endpoints that create it at the same moment make two, and the name
// becomes ambiguous. Every endpoint then takes the oldest of them (a network listed after
// one's own creation includes every older one, so all choose the same), and the others are
// removed once no container is on them.
func agentNetwork(ctx context.Context, cli *client.Client) (id, gateway string, err error) {
	return ensureNetwork(ctx, cli, agentNetworkName)
}

// ensureNetwork is agentNetwork for the network called name.
func ensureNetwork(ctx context.Context, cli *client.Client, name string) (id, gateway string, err error) {
	nws, err := networksNamed(ctx, cli, name)
	if err == nil && len(nws) == 0 {
		_, err = cli.NetworkCreate(ctx, name, network.CreateOptions{
			Driver:  "bridge",
			Options: map[string]string{"com.docker.network.bridge.enable_icc": "false"},
			Labels:  map[string]string{control.LabelOwner: "true"},
		})
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return "", "", fmt.Errorf("creating the agents' Docker network %s: %w", name, err)
		}
		nws, err = networksNamed(ctx, cli, name)
	}
	if err == nil && len(nws) == 0 {
		err = fmt.Errorf("it is gone as soon as it was created")
	}
	if err != nil {
		return "", "", fmt.Errorf("the agents' Docker network %s: %w", name, err)
	}
	nw := nws[0]
	for _, extra := range nws[1:] {
		_ = cli.NetworkRemove(ctx, extra.ID) // refused while a container is on it; the next call tries again
	}
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			gateway = c.Gateway
		} else if gateway == "" {
			gateway = localAddrIn(c.Subnet)
		}
	}
	return nw.ID, gateway, nil
}

// networksNamed lists the networks called name, oldest first (then by ID).
func networksNamed(ctx context.Context, cli *client.Client, name string) ([]network.Summary, error) {
	all, err := cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return nil, err
	}
	var out []network.Summary
	for _, nw := range all {
		if nw.Name == name { // the filter matches a part of the name
			out = append(out, nw)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
