package swarm

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Every network of a Swarm Pop is a swarm-scoped attachable overlay:
// services cannot join a local bridge. Addresses on it are Swarm's to give
// (the Pop keeps no allocator of its own: two over one subnet collide).

// ensureDefaultNetwork creates the default overlay if it is missing.
func (p *Pop) ensureDefaultNetwork(ctx context.Context) error {
	if _, err := p.network(ctx, p.cfg.DefaultNetwork); err == nil {
		return nil
	}
	_, err := p.CreateNetwork(ctx, pop.NetworkConfig{Name: p.cfg.DefaultNetwork, Subnet: p.cfg.DefaultSubnet})
	if err != nil && pop.Class(err) == pop.ErrAlreadyExists {
		// Made meanwhile by this Pop (another driver call): fine. Anyone
		// else's network of that name is not ours to use.
		if _, ferr := p.network(ctx, p.cfg.DefaultNetwork); ferr == nil {
			return nil
		}
	}
	return err
}

// CreateNetwork creates an attachable overlay; the driver asked for is
// ignored unless it names something else than a bridge or an overlay.
func (p *Pop) CreateNetwork(ctx context.Context, cfg pop.NetworkConfig) (pop.Network, error) {
	if cfg.Name == "" {
		return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "create network: empty name")
	}
	if cfg.Driver != "" && cfg.Driver != docker.DriverBridge && cfg.Driver != docker.DriverOverlay {
		return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: driver %q: a Swarm VIM makes overlay networks only", cfg.Name, cfg.Driver)
	}
	opts := network.CreateOptions{Driver: docker.DriverOverlay, Scope: scopeSwarm, Attachable: true,
		Internal: cfg.Internal, Labels: p.netLabels()}
	if cfg.Subnet != "" {
		_, cidr, err := net.ParseCIDR(cfg.Subnet)
		if err != nil || cidr.IP.To4() == nil {
			return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: %q is not an IPv4 CIDR", cfg.Name, cfg.Subnet)
		}
		if gw := net.ParseIP(cfg.Gateway); cfg.Gateway != "" && (gw == nil || !cidr.Contains(gw)) {
			return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: gateway %q is not in %s", cfg.Name, cfg.Gateway, cfg.Subnet)
		}
		opts.IPAM = &network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: cfg.Subnet, Gateway: cfg.Gateway}}}
	} else if cfg.Gateway != "" {
		return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: a gateway needs a subnet", cfg.Name)
	}
	resp, err := p.cli.NetworkCreate(ctx, cfg.Name, opts)
	if err != nil {
		if cerrdefs.IsConflict(err) || cerrdefs.IsAlreadyExists(err) {
			return pop.Network{}, p.nameTaken(ctx, cfg.Name, err)
		}
		return pop.Network{}, classify(err, "create overlay network %q (subnet %q)", cfg.Name, cfg.Subnet)
	}
	// The manager answers the inspect before its allocator has given the
	// network a subnet: wait for it (the NFVO records what we answer).
	for {
		n, err := p.cli.NetworkInspect(ctx, resp.ID, network.InspectOptions{})
		if err != nil {
			return pop.Network{}, classify(err, "inspect network %q", cfg.Name)
		}
		if nw := networkOf(n); nw.Subnet != "" && nw.Driver != "" {
			return nw, nil
		}
		select {
		case <-ctx.Done():
			return pop.Network{}, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "network %q: Swarm has not allocated its subnet yet", cfg.Name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// nameTaken explains a create refused because the name is in use: by this
// Pop, or by a network that is not one of its overlays (a local bridge of
// an engine-mode VIM on the same manager, another Pop's, the operator's).
func (p *Pop) nameTaken(ctx context.Context, name string, cause error) error {
	n, err := p.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return pop.Wrap(pop.ErrAlreadyExists, cause, "network name %q already in use on the Swarm manager", name)
	}
	if p.oursNet(n) {
		return pop.Wrap(pop.ErrAlreadyExists, cause, "network %q already exists", name)
	}
	owner := "not made by this driver"
	switch {
	case n.Labels[docker.LabelPop] != "" && n.Scope == scopeSwarm:
		// An engine-mode Pop's overlay VLD, or this Pop's overlay made
		// before Swarm Pops had a label of their own: the two look alike.
		owner = "labelled for the Pop " + strconv.Quote(n.Labels[docker.LabelPop]) + " by a single-engine VIM's overlay virtual link, or by a Swarm VIM of a driver older than its own overlay label (delete that overlay once nothing uses it)"
	case n.Labels[docker.LabelPop] != "":
		owner = "of the single-engine (engine-mode) Pop " + strconv.Quote(n.Labels[docker.LabelPop]) + " on this manager's engine"
	case n.Labels[LabelSwarmPop] != "":
		owner = "of the Swarm Pop " + strconv.Quote(n.Labels[LabelSwarmPop])
	}
	return pop.Wrap(pop.ErrAlreadyExists, cause,
		"network name %q is taken on the Swarm manager by a %s network (scope %s, ID %.12s), %s: a Swarm VIM needs an overlay of its own; name the virtual link (or the driver's default network) differently, or remove that network",
		name, n.Driver, n.Scope, n.ID, owner)
}

const scopeSwarm = "swarm"

// oursNet reports whether n is one of the Pop's overlays: its label, and
// swarm-scoped (an engine-mode Pop's networks, overlays included, carry
// docker.LabelPop instead).
func (p *Pop) oursNet(n network.Inspect) bool {
	return n.Labels[LabelSwarmPop] == p.cfg.PopName && n.Scope == scopeSwarm && n.Driver == docker.DriverOverlay
}

func networkOf(n network.Inspect) pop.Network {
	nw := pop.Network{ID: n.ID, Name: n.Name, Driver: n.Driver, Internal: n.Internal, Owned: true}
	for _, c := range n.IPAM.Config {
		if c.Subnet != "" {
			nw.Subnet, nw.Gateway = c.Subnet, c.Gateway
			break
		}
	}
	return nw
}

// Networks lists the Pop's overlays.
func (p *Pop) Networks(ctx context.Context, f pop.Filter) ([]pop.Network, error) {
	all, err := p.cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(
		filters.Arg("label", LabelSwarmPop+"="+p.cfg.PopName), filters.Arg("scope", scopeSwarm))})
	if err != nil {
		return nil, classify(err, "list networks")
	}
	var out []pop.Network
	for _, n := range all {
		if !p.oursNet(n) {
			continue
		}
		if f.All() || f.ID != "" && (n.ID == f.ID || strings.HasPrefix(n.ID, f.ID) && len(f.ID) >= 12) || f.Name != "" && n.Name == f.Name {
			out = append(out, networkOf(n))
		}
	}
	if !f.All() && len(out) == 0 {
		return nil, pop.Errorf(pop.ErrNotFound, "network %s not found", f)
	}
	return out, nil
}

// network finds one of the Pop's networks by name or ID.
func (p *Pop) network(ctx context.Context, ref string) (pop.Network, error) {
	ns, err := p.Networks(ctx, pop.ByName(ref))
	if err != nil {
		if ns, err = p.Networks(ctx, pop.ByID(ref)); err != nil {
			return pop.Network{}, pop.Errorf(pop.ErrNotFound, "network %q not found on this Swarm VIM", ref)
		}
	}
	return ns[0], nil
}

// netIndex maps network IDs to the Pop's networks.
func (p *Pop) netIndex(ctx context.Context) (map[string]pop.Network, error) {
	ns, err := p.Networks(ctx, pop.Filter{})
	if err != nil {
		return nil, err
	}
	m := make(map[string]pop.Network, len(ns))
	for _, n := range ns {
		m[n.ID] = n
	}
	return m, nil
}

// DeleteNetwork removes an overlay of the Pop once no service uses it. The
// nodes release a deleted service's endpoints a moment after its tasks go,
// so "active endpoints" is retried for a while.
func (p *Pop) DeleteNetwork(ctx context.Context, f pop.Filter) error {
	ns, err := p.Networks(ctx, f)
	if err != nil {
		return err
	}
	n := ns[0]
	cs, err := p.Containers(ctx, pop.Filter{})
	if err != nil {
		return err
	}
	for _, c := range cs {
		for _, ep := range c.Endpoints {
			if ep.NetID == n.ID {
				return pop.Errorf(pop.ErrInvalidState, "network %q is used by container %q: delete it first", n.Name, c.Name)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := p.b.RemoveNetwork(ctx, n.ID)
		if err == nil || pop.Class(err) == pop.ErrNotFound {
			return nil
		}
		if !strings.Contains(err.Error(), "active endpoints") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(300 * time.Millisecond):
		}
	}
}
