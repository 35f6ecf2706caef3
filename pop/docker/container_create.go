package docker

import (
	"context"
	"net"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
)

// CreateContainer creates (never starts) a container of this Pop attached to
// spec.Endpoints in order, with their fixed IPs. API 1.41 takes one network
// at create, so the first endpoint goes in NetworkingConfig and the others
// are connected one by one before returning. If any step after the create
// fails, the half-made container is force-removed: on error nothing is left.
func (b *Backend) CreateContainer(ctx context.Context, spec pop.ContainerSpec) (string, error) {
	if err := validateContainerSpec(spec); err != nil {
		return "", err
	}
	// Docker checks networks and fixed IPs only at start, so a bad endpoint
	// would surface as an obscure start failure; check them now instead.
	for _, ep := range spec.Endpoints {
		if err := b.checkEndpoint(ctx, ep); err != nil {
			return "", err
		}
	}

	hostname := spec.Hostname
	if hostname == "" {
		hostname = spec.Name
	}
	cfg := &container.Config{
		Hostname: hostname,
		Image:    spec.Image,
		Env:      spec.Env,
		Labels:   b.containerLabels(spec.PopID),
		// Cmd nil: the image's CMD; the image's ENTRYPOINT always runs.
		Cmd:          spec.Cmd,
		ExposedPorts: exposedPorts(spec),
	}
	hostCfg := &container.HostConfig{
		Resources: container.Resources{
			NanoCPUs: spec.NanoCPUs,
			Memory:   spec.MemoryB,
		},
		CapAdd:       spec.CapAdd,
		Sysctls:      spec.Sysctls,
		DNS:          spec.DNS,
		PortBindings: portBindings(spec.Ports),
		Mounts:       bindMounts(spec.Mounts),
		AutoRemove:   false, // the core decides when a stopped container goes
		// No restart policy: the core owns the lifecycle.
	}
	var netCfg *network.NetworkingConfig
	if len(spec.Endpoints) > 0 {
		first := spec.Endpoints[0]
		hostCfg.NetworkMode = container.NetworkMode(first.NetworkID)
		netCfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			first.NetworkID: endpointSettings(first),
		}}
	}

	resp, err := b.cli.ContainerCreate(ctx, cfg, hostCfg, netCfg, nil, spec.Name)
	if err != nil {
		return "", b.createError(ctx, spec, err)
	}
	id := resp.ID

	for _, ep := range spec.Endpoints[min(1, len(spec.Endpoints)):] {
		if err := b.cli.NetworkConnect(ctx, ep.NetworkID, id, endpointSettings(ep)); err != nil {
			b.undoCreate(ctx, id)
			return "", connectError(spec.Name, ep, err)
		}
	}
	return id, nil
}

func validateContainerSpec(spec pop.ContainerSpec) error {
	if strings.TrimSpace(spec.Image) == "" {
		return pop.Errorf(pop.ErrInvalidArgument, "container %q: no image", spec.Name)
	}
	seen := make(map[string]bool, len(spec.Endpoints))
	for _, ep := range spec.Endpoints {
		if ep.NetworkID == "" {
			return pop.Errorf(pop.ErrInvalidArgument, "container %q: endpoint without a network", spec.Name)
		}
		if seen[ep.NetworkID] {
			return pop.Errorf(pop.ErrInvalidArgument, "container %q: network %q given twice", spec.Name, ep.NetworkID)
		}
		seen[ep.NetworkID] = true
		if ep.IPv4 != "" {
			if ip := net.ParseIP(ep.IPv4); ip == nil || ip.To4() == nil {
				return pop.Errorf(pop.ErrInvalidArgument, "container %q: %q is not an IPv4 address", spec.Name, ep.IPv4)
			}
		}
	}
	return nil
}

// checkEndpoint verifies that the network exists and that a fixed IP lies in
// one of its subnets and is not held by an attached container.
func (b *Backend) checkEndpoint(ctx context.Context, ep pop.EndpointSpec) error {
	n, err := b.cli.NetworkInspect(ctx, ep.NetworkID, network.InspectOptions{})
	if err != nil {
		if isNotFound(err) {
			return pop.Wrap(pop.ErrNotFound, err, "network %q not found on the Docker host", ep.NetworkID)
		}
		return wrap(err, "inspect network %q", ep.NetworkID)
	}
	if ep.IPv4 == "" {
		return nil
	}
	ip := net.ParseIP(ep.IPv4)
	inSubnet := false
	for _, c := range n.IPAM.Config {
		_, cidr, err := net.ParseCIDR(c.Subnet)
		if err == nil && cidr.Contains(ip) {
			inSubnet = true
			if c.Gateway != "" && net.ParseIP(c.Gateway).Equal(ip) {
				return pop.Errorf(pop.ErrAlreadyExists, "IP %s is the gateway of network %q", ep.IPv4, n.Name)
			}
		}
	}
	if !inSubnet {
		return pop.Errorf(pop.ErrInvalidArgument, "IP %s is not in a configured subnet of network %q", ep.IPv4, n.Name)
	}
	for id, e := range n.Containers {
		if stripPrefixLen(e.IPv4Address) == ep.IPv4 {
			return pop.Errorf(pop.ErrAlreadyExists, "IP %s on network %q is in use by container %s", ep.IPv4, n.Name, shortID(id))
		}
	}
	return nil
}

func endpointSettings(ep pop.EndpointSpec) *network.EndpointSettings {
	es := &network.EndpointSettings{Aliases: ep.Aliases}
	if ep.IPv4 != "" {
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: ep.IPv4}
	}
	return es
}

// createError names what a failed ContainerCreate was missing.
func (b *Backend) createError(ctx context.Context, spec pop.ContainerSpec, err error) error {
	switch {
	case isNotFound(err):
		// A 404 on create means the image (or, on some engines, the
		// network) is missing; ask which rather than parse the message.
		if _, ierr := b.cli.ImageInspect(ctx, spec.Image); ierr == nil && len(spec.Endpoints) > 0 {
			return pop.Wrap(pop.ErrNotFound, err, "network %q not found on the Docker host", spec.Endpoints[0].NetworkID)
		}
		return pop.Wrap(pop.ErrNotFound, err, "image %q not found on the Docker host", spec.Image)
	case isConflict(err):
		return pop.Wrap(pop.ErrAlreadyExists, err, "container name %q already in use", spec.Name)
	}
	return wrap(err, "create container %q", spec.Name)
}

func connectError(name string, ep pop.EndpointSpec, err error) error {
	switch {
	case isNotFound(err):
		return pop.Wrap(pop.ErrNotFound, err, "container %q: network %q not found on the Docker host", name, ep.NetworkID)
	case isConflict(err), isForbidden(err):
		return pop.Wrap(pop.ErrAlreadyExists, err, "container %q: IP %q on network %q already in use", name, ep.IPv4, ep.NetworkID)
	case isInvalid(err):
		return pop.Wrap(pop.ErrInvalidArgument, err, "container %q: cannot attach to network %q with IP %q", name, ep.NetworkID, ep.IPv4)
	}
	return wrap(err, "container %q: connect to network %q", name, ep.NetworkID)
}

// undoCreate force-removes a half-made container. It runs on its own
// deadline because the caller's ctx may be what failed.
func (b *Backend) undoCreate(ctx context.Context, id string) {
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	if err := b.cli.ContainerRemove(cctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
		b.log.WithField("docker_id", id).WithError(err).Warn("cannot remove half-created container")
	}
}

func stripPrefixLen(addr string) string {
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		return addr[:i]
	}
	return addr
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
