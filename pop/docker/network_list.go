package docker

import (
	"context"

	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
)

// ListNetworks lists every network of the engine, ours or not, so the core
// can keep clear of subnets already in use. The list API does not fill
// Containers; InspectNetwork does.
func (b *Backend) ListNetworks(ctx context.Context) ([]pop.NetworkStatus, error) {
	list, err := b.cli.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, wrap(err, "list networks")
	}
	out := make([]pop.NetworkStatus, 0, len(list))
	for _, n := range list {
		out = append(out, b.networkStatus(n))
	}
	return out, nil
}

func (b *Backend) networkStatus(n network.Inspect) pop.NetworkStatus {
	st := pop.NetworkStatus{
		ID:         n.ID,
		Name:       n.Name,
		Driver:     n.Driver,
		Internal:   n.Internal,
		Ours:       b.ours(n.Labels),
		Owner:      n.Labels[LabelPop],
		SwarmOwner: n.Labels[LabelSwarmPop],
		Labels:     n.Labels,
	}
	for _, c := range n.IPAM.Config {
		if c.Subnet == "" {
			continue
		}
		st.Subnets = append(st.Subnets, pop.SubnetStatus{CIDR: c.Subnet, Gateway: c.Gateway})
	}
	if len(n.Containers) > 0 {
		st.Containers = make(map[string]string, len(n.Containers))
		for id, e := range n.Containers {
			st.Containers[id] = stripPrefixLen(e.IPv4Address)
		}
	}
	return st
}
