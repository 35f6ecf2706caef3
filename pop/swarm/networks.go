package swarm

import (
	"context"
	"strings"
	"time"

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
	if err != nil && pop.Class(err) != pop.ErrAlreadyExists {
		return err
	}
	return nil
}

// CreateNetwork creates an attachable overlay; the driver asked for is
// ignored unless it names something else than a bridge or an overlay.
func (p *Pop) CreateNetwork(ctx context.Context, cfg pop.NetworkConfig) (pop.Network, error) {
	if cfg.Driver != "" && cfg.Driver != docker.DriverBridge && cfg.Driver != docker.DriverOverlay {
		return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: driver %q: a Swarm VIM makes overlay networks only", cfg.Name, cfg.Driver)
	}
	st, err := p.b.CreateNetwork(ctx, pop.NetworkSpec{Name: cfg.Name, Driver: docker.DriverOverlay, Subnet: cfg.Subnet,
		Gateway: cfg.Gateway, Internal: cfg.Internal, Attachable: true})
	if err != nil {
		return pop.Network{}, err
	}
	// The manager answers the inspect before its allocator has given the
	// network a subnet: wait for it (the NFVO records what we answer).
	for n := networkOf(st); ; {
		if n.Subnet != "" && n.Driver != "" {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return pop.Network{}, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "network %q: Swarm has not allocated its subnet yet", cfg.Name)
		case <-time.After(50 * time.Millisecond):
		}
		if st, err = p.b.InspectNetwork(ctx, st.ID); err != nil {
			return pop.Network{}, err
		}
		n = networkOf(st)
	}
}

func networkOf(st pop.NetworkStatus) pop.Network {
	n := pop.Network{ID: st.ID, Name: st.Name, Driver: st.Driver, Internal: st.Internal, Owned: true}
	if len(st.Subnets) > 0 {
		n.Subnet, n.Gateway = st.Subnets[0].CIDR, st.Subnets[0].Gateway
	}
	return n
}

// Networks lists the Pop's overlays.
func (p *Pop) Networks(ctx context.Context, f pop.Filter) ([]pop.Network, error) {
	all, err := p.b.ListNetworks(ctx)
	if err != nil {
		return nil, err
	}
	var out []pop.Network
	for _, st := range all {
		if !st.Ours {
			continue
		}
		if f.All() || f.ID != "" && (st.ID == f.ID || strings.HasPrefix(st.ID, f.ID) && len(f.ID) >= 12) || f.Name != "" && st.Name == f.Name {
			out = append(out, networkOf(st))
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
