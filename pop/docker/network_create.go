package docker

import (
	"context"
	"net"

	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
)

// Network drivers the backend creates.
const (
	DriverBridge  = "bridge"
	DriverOverlay = "overlay"
)

// CreateNetwork creates a network of this Pop with one IPv4 pool. Overlay
// networks are always attachable so plain containers can join them.
func (b *Backend) CreateNetwork(ctx context.Context, spec pop.NetworkSpec) (pop.NetworkStatus, error) {
	if spec.Name == "" {
		return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidArgument, "create network: empty name")
	}
	driver := spec.Driver
	if driver == "" {
		driver = DriverBridge
	}
	if driver != DriverBridge && driver != DriverOverlay {
		return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: driver %q is neither bridge nor overlay", spec.Name, driver)
	}
	opts := network.CreateOptions{
		Driver:     driver,
		Internal:   spec.Internal,
		Attachable: spec.Attachable || driver == DriverOverlay,
		Labels:     b.networkLabels(),
	}
	if spec.Subnet != "" {
		_, cidr, err := net.ParseCIDR(spec.Subnet)
		if err != nil || cidr.IP.To4() == nil {
			return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: %q is not an IPv4 CIDR", spec.Name, spec.Subnet)
		}
		if spec.Gateway != "" {
			gw := net.ParseIP(spec.Gateway)
			if gw == nil || !cidr.Contains(gw) {
				return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: gateway %q is not in %s", spec.Name, spec.Gateway, spec.Subnet)
			}
		}
		opts.IPAM = &network.IPAM{
			Driver: "default",
			Config: []network.IPAMConfig{{Subnet: spec.Subnet, Gateway: spec.Gateway}},
		}
	} else if spec.Gateway != "" {
		return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidArgument, "network %q: a gateway needs a subnet", spec.Name)
	}

	if driver == DriverOverlay {
		// Without this check Docker answers a bare 500.
		info, err := b.cli.Info(ctx)
		if err != nil {
			return pop.NetworkStatus{}, wrap(err, "network %q: engine info", spec.Name)
		}
		if !info.Swarm.ControlAvailable {
			return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidState, "network %q: overlay networks need a Swarm manager and the engine at %s is not one", spec.Name, b.host)
		}
	}
	resp, err := b.cli.NetworkCreate(ctx, spec.Name, opts)
	if err != nil {
		switch {
		case isConflict(err):
			return pop.NetworkStatus{}, pop.Wrap(pop.ErrAlreadyExists, err, "network name %q already in use", spec.Name)
		case isForbidden(err):
			// Docker answers 403 when the pool overlaps another network's.
			return pop.NetworkStatus{}, pop.Wrap(pop.ErrAlreadyExists, err, "network %q: subnet %s overlaps a network of the host", spec.Name, spec.Subnet)
		case isInvalid(err):
			return pop.NetworkStatus{}, pop.Wrap(pop.ErrInvalidArgument, err, "network %q (subnet %s)", spec.Name, spec.Subnet)
		}
		// The core names the network and the step: create network "x": ….
		return pop.NetworkStatus{}, wrap(err, "subnet %s", spec.Subnet)
	}
	st, err := b.InspectNetwork(ctx, resp.ID)
	if err != nil {
		return pop.NetworkStatus{}, err
	}
	return st, nil
}
