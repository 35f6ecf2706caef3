package vim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// listNetworks answers the Pop's networks as DockerNetworks.
func (d *Driver) listNetworks(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("listNetworks: %w", err)
	}
	nets, err := t.pop.Networks(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("listNetworks %s: %w", t.vim.Name, err)
	}
	return dockerNetworks(nets), nil
}

// findNetwork looks a network up by ID (extId), then by name.
func findNetwork(ctx context.Context, pp pop.Pop, refs ...string) (pop.Network, error) {
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		for _, f := range []pop.Filter{pop.ByID(ref), pop.ByName(ref)} {
			ns, err := pp.Networks(ctx, f)
			if err == nil && len(ns) > 0 {
				return ns[0], nil
			}
			if err != nil && !errors.Is(err, pop.ErrNotFound) {
				return pop.Network{}, fmt.Errorf("look up network %q: %w", ref, err)
			}
		}
	}
	var named []string
	for _, r := range refs {
		if r != "" {
			named = append(named, fmt.Sprintf("%q", r))
		}
	}
	return pop.Network{}, pop.Errorf(pop.ErrNotFound, "network %s not found on the Pop", strings.Join(named, " / "))
}

// createNetwork creates a Docker network: driver overlay when the request's
// metadata says "driver: overlay" (else bridge), subnet from the request
// (else the Pop's next free /24). The answer carries the key "subnet", the
// Docker network ID as extId, and no id (the NFVO saves it as new). A
// repeated request for a network that exists with the same name (and a
// compatible subnet) answers that network.
func (d *Driver) createNetwork(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("createNetwork: %w", err)
	}
	var req networkRequest
	if err := p.Decode(1, "network", &req); err != nil {
		return nil, fmt.Errorf("createNetwork: %w", err)
	}
	if req.Name == "" {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "createNetwork: the network has no name")
	}
	cfg := pop.NetworkConfig{Name: req.Name, Subnet: req.cidr(), Gateway: req.gateway()}
	if drv := req.Metadata["driver"]; drv != "" {
		switch strings.ToLower(drv) {
		case "overlay", "bridge":
			cfg.Driver = strings.ToLower(drv)
		default:
			return nil, pop.Errorf(pop.ErrInvalidArgument, "createNetwork %q: metadata driver %q is not supported (bridge or overlay)", req.Name, drv)
		}
	}
	n, err := t.pop.CreateNetwork(ctx, cfg)
	if errors.Is(err, pop.ErrAlreadyExists) {
		existing, ferr := findNetwork(ctx, t.pop, req.Name)
		if ferr == nil && (cfg.Subnet == "" || cfg.Subnet == existing.Subnet) && (cfg.Driver == "" || cfg.Driver == existing.Driver) {
			t.log.WithField("network", req.Name).Info("createNetwork: network exists, answering it")
			n, err = existing, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("createNetwork %q on %s: %w", req.Name, t.vim.Name, err)
	}
	t.log.WithFields(logrus.Fields{"network": n.Name, "network_id": n.ID, "subnet": n.Subnet}).Info("network created")
	ans := dockerNetworkOf(n)
	ans.Metadata = req.Metadata
	return ans, nil
}

// getNetworkByID answers one network (by extId, or name).
func (d *Driver) getNetworkByID(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("getNetworkById: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("getNetworkById: %w", err)
	}
	n, err := findNetwork(ctx, t.pop, id)
	if err != nil {
		return nil, fmt.Errorf("getNetworkById: %w", err)
	}
	return dockerNetworkOf(n), nil
}

// updateNetwork answers the network as it is: a Docker network cannot
// change its subnet or driver, so asking for another one is an error.
func (d *Driver) updateNetwork(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("updateNetwork: %w", err)
	}
	var req networkRequest
	if err := p.Decode(1, "network", &req); err != nil {
		return nil, fmt.Errorf("updateNetwork: %w", err)
	}
	n, err := findNetwork(ctx, t.pop, req.ExtID, req.Name)
	if err != nil {
		return nil, fmt.Errorf("updateNetwork: %w", err)
	}
	if c := req.cidr(); c != "" && c != n.Subnet {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "updateNetwork %q: a Docker network cannot change its subnet (%s → %s): create another network", n.Name, n.Subnet, c)
	}
	if drv := req.Metadata["driver"]; drv != "" && !strings.EqualFold(drv, n.Driver) {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "updateNetwork %q: a Docker network cannot change its driver (%s → %s)", n.Name, n.Driver, drv)
	}
	ans := dockerNetworkOf(n)
	ans.BaseEntity = req.BaseEntity
	return ans, nil
}

// deleteNetwork deletes a network the Pop created. It first waits (at most
// DeleteNetworkWait) for deleteServerByIdAndWait calls in flight on that
// network, then refuses while containers are attached. Unknown networks
// answer true (idempotent); networks the Pop did not create, or keeps (its
// default network), answer an exception that says so.
func (d *Driver) deleteNetwork(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("deleteNetwork: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("deleteNetwork: %w", err)
	}
	n, err := findNetwork(ctx, t.pop, id)
	if errors.Is(err, pop.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deleteNetwork: %w", err)
	}
	log := t.log.WithFields(logrus.Fields{"network": n.Name, "network_id": n.ID})
	// Refusals are exceptions that say why, not false: the NFVO throws
	// "Not deleted Network …" on false as on an exception, but only an
	// exception carries the reason (GenericVIM.delete(vim, network)).
	if !n.Owned {
		return nil, pop.Errorf(pop.ErrInvalidState, "deleteNetwork %q: the Pop did not create this network (a network of the Docker host); it leaves it alone", n.Name)
	}

	deadline := time.Now().Add(d.cfg.DeleteNetworkWait)
	var graceEnd time.Time
	for {
		if drained, err := d.deletes.wait(ctx, t.key.URL, n.ID, deadline); err != nil {
			return nil, fmt.Errorf("deleteNetwork %q: %w", n.Name, err)
		} else if !drained {
			log.Warn("deleteNetwork: container deletes still in flight after the wait bound")
		}
		attached, err := attachedTo(ctx, t.pop, n)
		if err != nil {
			return nil, fmt.Errorf("deleteNetwork %q: %w", n.Name, err)
		}
		if len(attached) == 0 {
			break
		}
		now := time.Now()
		if graceEnd.IsZero() {
			graceEnd = now.Add(d.cfg.DeleteNetworkGrace)
		}
		if now.After(graceEnd) || now.After(deadline) {
			return nil, pop.Errorf(pop.ErrInvalidState, "deleteNetwork %q (%s): containers still attached: %s", n.Name, n.ID, strings.Join(attached, ", "))
		}
		// A delete may be queued behind this call on another worker.
		_, changed := d.deletes.pending(t.key.URL, n.ID)
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("deleteNetwork %q: %w", n.Name, ctx.Err())
		}
	}
	switch err := t.pop.DeleteNetwork(ctx, pop.ByID(n.ID)); {
	case errors.Is(err, pop.ErrInvalidState):
		// Attachments were checked above, so this is the Pop keeping a
		// network of its own (its default network, which a VLD of the same
		// name reuses); the Pop's error says so.
		return nil, fmt.Errorf("deleteNetwork: %w", err)
	case err != nil && !errors.Is(err, pop.ErrNotFound):
		return nil, fmt.Errorf("deleteNetwork %q (%s): %w", n.Name, n.ID, err)
	}
	log.Info("network deleted")
	return true, nil
}

// attachedTo names the containers with an endpoint on n.
func attachedTo(ctx context.Context, pp pop.Pop, n pop.Network) ([]string, error) {
	cs, err := pp.Containers(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var names []string
	for _, c := range cs {
		for _, ep := range c.Endpoints {
			if ep.NetID == n.ID || ep.NetID == "" && ep.NetName == n.Name {
				names = append(names, c.Name)
				break
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// createSubnet and updateSubnet answer the network's own subnet: a Docker
// network has exactly one, fixed at creation. Asking for another CIDR is
// an error. (The NFVO only calls them for OpenStack networks.)
func (d *Driver) createSubnet(ctx context.Context, p plugin.Params) (any, error) {
	return d.subnet(ctx, p, "createSubnet")
}

func (d *Driver) updateSubnet(ctx context.Context, p plugin.Params) (any, error) {
	return d.subnet(ctx, p, "updateSubnet")
}

func (d *Driver) subnet(ctx context.Context, p plugin.Params, method string) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	var net networkRequest
	if err := p.Decode(1, "network", &net); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	var req Subnet
	if err := p.Decode(2, "subnet", &req); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	n, err := findNetwork(ctx, t.pop, net.ExtID, net.Name, req.NetworkID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if req.CIDR != "" && req.CIDR != n.Subnet {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "%s %s on network %q: a Docker network has one subnet, %s, fixed at creation", method, req.CIDR, n.Name, n.Subnet)
	}
	ans := req
	if ans.Name == "" {
		ans.Name = n.Name
	}
	ans.ExtID, ans.NetworkID, ans.CIDR, ans.GatewayIP = n.ID, n.ID, n.Subnet, n.Gateway
	return ans, nil
}

// getSubnetsExtIds answers the network's one subnet, whose extId is the
// network's.
func (d *Driver) getSubnetsExtIDs(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("getSubnetsExtIds: %w", err)
	}
	id, err := stringParam(p, 1, "networkExtId")
	if err != nil {
		return nil, fmt.Errorf("getSubnetsExtIds: %w", err)
	}
	n, err := findNetwork(ctx, t.pop, id)
	if err != nil {
		return nil, fmt.Errorf("getSubnetsExtIds: %w", err)
	}
	return []string{n.ID}, nil
}

// deleteSubnet: a subnet goes with its network. Unknown → true
// (idempotent); the subnet of an existing network → an error saying to
// delete the network.
func (d *Driver) deleteSubnet(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("deleteSubnet: %w", err)
	}
	id, err := stringParam(p, 1, "subnetExtId")
	if err != nil {
		return nil, fmt.Errorf("deleteSubnet: %w", err)
	}
	n, err := findNetwork(ctx, t.pop, id)
	if errors.Is(err, pop.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deleteSubnet: %w", err)
	}
	return nil, pop.Errorf(pop.ErrInvalidState, "deleteSubnet %s: the subnet of Docker network %q goes with the network: delete the network", id, n.Name)
}
