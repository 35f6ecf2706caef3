package pop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"
)

// Info describes the Pop and counts its containers by state.
func (c *Core) Info(ctx context.Context) (Info, error) {
	eng, err := c.b.Ping(ctx)
	if err != nil {
		return Info{}, Wrap(ErrUnavailable, err, "docker engine")
	}
	inf := Info{PopName: c.cfg.PopName, DefaultNetwork: c.cfg.DefaultNetwork, DockerVersion: eng.Version, APIVersion: eng.APIVersion,
		SwarmManager: eng.SwarmManager, NCPU: eng.NCPU, MemoryMB: eng.MemTotalB >> 20,
		Containers: map[State]int{}, Networks: len(c.ipam.list())}
	for _, e := range c.reg.all() {
		inf.Containers[e.snap.Load().State]++
	}
	if imgs, err := c.b.ListImages(ctx); err == nil {
		inf.Images = len(imgs)
	}
	return inf, nil
}

// Containers lists containers: all, or exactly the one the filter names.
func (c *Core) Containers(ctx context.Context, f Filter) ([]Container, error) {
	if !f.All() {
		e, err := c.reg.find(f)
		if err != nil {
			return nil, err
		}
		return []Container{e.view()}, nil
	}
	es := c.reg.all()
	out := make([]Container, 0, len(es))
	for _, e := range es {
		out = append(out, e.view())
	}
	sortContainers(out)
	return out, nil
}

// Images lists the engine's images, or the one the filter names.
func (c *Core) Images(ctx context.Context, f Filter) ([]Image, error) {
	if f.All() {
		imgs, err := c.b.ListImages(ctx)
		if err != nil {
			return nil, err
		}
		if imgs == nil {
			imgs = []Image{}
		}
		return imgs, nil
	}
	ref := f.ID
	if ref == "" {
		ref = f.Name
	}
	img, err := c.b.InspectImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	return []Image{img}, nil
}

// Flavours lists the flavour table, or the one the filter names.
func (c *Core) Flavours(ctx context.Context, f Filter) ([]Flavour, error) {
	if f.All() {
		return append([]Flavour(nil), c.flavours...), nil
	}
	ref := f.ID
	if ref == "" {
		ref = f.Name
	}
	fl, err := c.findFlavour(ref)
	if err != nil {
		return nil, err
	}
	return []Flavour{fl}, nil
}

// Networks lists the Pop's networks, or the one the filter names.
func (c *Core) Networks(ctx context.Context, f Filter) ([]Network, error) {
	if f.All() {
		return c.ipam.list(), nil
	}
	ref := f.ID
	if ref == "" {
		ref = f.Name
	}
	n, ok := c.ipam.lookup(ref)
	if !ok {
		return nil, Errorf(ErrNotFound, "network %q not found", ref)
	}
	return []Network{n}, nil
}

// Logs returns the last lines of a container's output; "" when it has no
// Docker container (never started, or removed after stop).
func (c *Core) Logs(ctx context.Context, f Filter, tail int) (string, error) {
	e, err := c.reg.find(f)
	if err != nil {
		return "", err
	}
	ct := e.view()
	if ct.DockerID == "" {
		return "", nil
	}
	return c.b.ContainerLogs(ctx, ct.DockerID, tail)
}

// PullImage fetches an image (answering a local one at once).
func (c *Core) PullImage(ctx context.Context, ref string) (Image, error) {
	if err := validateImageRef(ref); err != nil {
		return Image{}, err
	}
	return c.b.PullImage(ctx, ref)
}

// LoadImage loads an image archive.
func (c *Core) LoadImage(ctx context.Context, archive io.Reader) ([]Image, error) {
	return c.b.LoadImage(ctx, archive)
}

// CreateNetwork creates a bridge (or, on a Swarm manager, an attachable
// overlay) network, on the given subnet or the next free /24 of the pool.
func (c *Core) CreateNetwork(ctx context.Context, cfg NetworkConfig) (Network, error) {
	if err := validateName("network", cfg.Name); err != nil {
		return Network{}, err
	}
	return c.createNetwork(ctx, cfg)
}

func (c *Core) createNetwork(ctx context.Context, cfg NetworkConfig) (Network, error) {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	switch cfg.Driver {
	case "", "bridge":
		cfg.Driver = "bridge"
	case "overlay":
		// Asked now, not at Open: the host may have joined a swarm since.
		eng, err := c.b.Ping(ctx)
		if err != nil {
			return Network{}, Wrap(ErrUnavailable, err, "docker engine")
		}
		if !eng.SwarmManager {
			return Network{}, Errorf(ErrInvalidArgument, "network %q: driver overlay needs a Docker Swarm manager (docker swarm init)", cfg.Name)
		}
	default:
		return Network{}, Errorf(ErrInvalidArgument, "network %q: unsupported driver %q (bridge or overlay)", cfg.Name, cfg.Driver)
	}
	if _, ok := c.ipam.lookup(cfg.Name); ok {
		return Network{}, Errorf(ErrAlreadyExists, "network %q already exists", cfg.Name)
	}
	taken, err := c.hostSubnets(ctx)
	if err != nil {
		return Network{}, err
	}
	var subnet netip.Prefix
	if cfg.Subnet != "" {
		p, err := netip.ParsePrefix(strings.TrimSpace(cfg.Subnet))
		if err != nil || !p.Addr().Is4() {
			return Network{}, Errorf(ErrInvalidArgument, "network %q: invalid IPv4 subnet %q", cfg.Name, cfg.Subnet)
		}
		if p.Bits() > 30 {
			return Network{}, Errorf(ErrInvalidArgument, "network %q: subnet %s is too small (at most /30)", cfg.Name, p)
		}
		subnet = p.Masked()
		for _, t := range taken {
			if overlaps(subnet, t) {
				return Network{}, Errorf(ErrAlreadyExists, "network %q: subnet %s overlaps %s, already used on the Docker host", cfg.Name, subnet, t)
			}
		}
	} else {
		pool, err := netip.ParsePrefix(c.cfg.NetworkPool)
		if err != nil {
			return Network{}, Errorf(ErrInvalidArgument, "invalid network pool %q", c.cfg.NetworkPool)
		}
		subnet, err = nextFreeSubnet(pool, 24, taken)
		if err != nil {
			return Network{}, fmt.Errorf("network %q: %w", cfg.Name, err)
		}
	}
	gw := firstHost(subnet)
	if cfg.Gateway != "" {
		g, err := netip.ParseAddr(cfg.Gateway)
		if err != nil || !subnet.Contains(g) {
			return Network{}, Errorf(ErrInvalidArgument, "network %q: gateway %q is not an address of %s", cfg.Name, cfg.Gateway, subnet)
		}
		gw = g
	}
	st, err := c.b.CreateNetwork(ctx, NetworkSpec{Name: cfg.Name, Driver: cfg.Driver, Subnet: subnet.String(),
		Gateway: gw.String(), Internal: cfg.Internal, Attachable: cfg.Driver == "overlay"})
	if err != nil {
		return Network{}, fmt.Errorf("create network %q: %w", cfg.Name, err)
	}
	n := Network{ID: st.ID, Name: cfg.Name, Driver: cfg.Driver, Subnet: subnet.String(), Gateway: gw.String(),
		Internal: cfg.Internal, External: !cfg.Internal, Owned: true}
	if err := c.ipam.add(n); err != nil {
		return Network{}, err
	}
	if err := c.st.putNetwork(n); err != nil {
		c.ipam.remove(n.Name)
		if rerr := c.b.RemoveNetwork(context.WithoutCancel(ctx), n.ID); rerr != nil {
			c.log.WithError(rerr).Warn("remove network after failed record")
		}
		return Network{}, err
	}
	c.log.WithFields(logrus.Fields{"network": n.Name, "subnet": n.Subnet}).Debug("network created")
	return n, nil
}

// DeleteNetwork removes a network no container uses.
func (c *Core) DeleteNetwork(ctx context.Context, f Filter) error {
	ref := f.ID
	if ref == "" {
		ref = f.Name
	}
	if ref == "" {
		return Errorf(ErrInvalidArgument, "a network ID or name is required")
	}
	c.netMu.Lock()
	defer c.netMu.Unlock()
	n, ok := c.ipam.lookup(ref)
	if !ok {
		return Errorf(ErrNotFound, "network %q not found", ref)
	}
	if n.Name == c.cfg.DefaultNetwork {
		return Errorf(ErrInvalidState, "network %q is the Pop's default network and cannot be deleted", n.Name)
	}
	if names := c.attached(n.Name); len(names) > 0 {
		return Errorf(ErrInvalidState, "network %q still has containers attached: %s", n.Name, strings.Join(names, ", "))
	}
	if n.Owned {
		if err := c.b.RemoveNetwork(ctx, n.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("delete network %q: %w", n.Name, err)
		}
	}
	if err := c.st.deleteNetwork(n.Name); err != nil {
		return err
	}
	c.ipam.remove(n.Name)
	return nil
}

// attached names the containers (in any state) with an endpoint on a network.
func (c *Core) attached(netName string) []string {
	var names []string
	for _, e := range c.reg.all() {
		ct := e.snap.Load()
		for _, ep := range ct.Endpoints {
			if ep.NetName == netName {
				names = append(names, ct.Name)
				break
			}
		}
	}
	sort.Strings(names)
	return names
}

// Generation changes whenever a container record is added, changed or
// removed: a cache of a listing stays valid while it does not.
func (c *Core) Generation() uint64 { return c.reg.gen.Load() }
