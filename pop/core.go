package pop

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Core is the in-process Pop: registry, lifecycle, IPAM, store and status
// tracking over one Backend.
type Core struct {
	cfg      Config
	b        Backend
	log      logrus.FieldLogger
	st       store
	w        *writer // container records go through it
	reg      *registry
	ipam     *ipam
	flavours []Flavour
	engine   EngineInfo

	netMu sync.Mutex // serialises network create/delete (subnet choice)

	ctx    context.Context // root of background work; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // background stops, death handlers, tracker
	resync chan struct{}  // asks the tracker for a full resync now
	closed sync.Once
}

var _ Pop = (*Core)(nil)

// Open loads the store, reconciles it with Docker, makes sure the default
// network exists and starts status tracking. Close releases it all.
func Open(ctx context.Context, cfg Config, b Backend) (*Core, error) {
	cfg = cfg.withDefaults()
	if err := validateName("pop", cfg.PopName); err != nil {
		return nil, err
	}
	c := &Core{
		cfg:    cfg,
		b:      b,
		log:    cfg.Logger.WithField("pop", cfg.PopName),
		reg:    newRegistry(),
		ipam:   newIPAM(),
		resync: make(chan struct{}, 1),
	}
	c.flavours = mergeFlavours(DefaultFlavours(), cfg.Flavours)
	eng, err := b.Ping(ctx)
	if err != nil {
		return nil, Wrap(ErrUnavailable, err, "docker engine")
	}
	c.engine = eng
	if cfg.StorePath == "" {
		c.st = newMemStore()
	} else {
		bs, err := openBoltStore(cfg.StorePath)
		if err != nil {
			return nil, err
		}
		c.st = bs
	}
	conts, nets, err := c.st.load()
	if err != nil {
		c.st.close()
		return nil, err
	}
	c.w = newWriter(c.st, c.log, cfg.commitHook)
	closeStore := func() {
		c.w.close()
		c.st.close()
	}
	if err := c.loadNetworks(ctx, nets); err != nil {
		closeStore()
		return nil, err
	}
	if err := c.ensureDefaultNetwork(ctx); err != nil {
		closeStore()
		return nil, err
	}
	var contested []contestedAddr
	for _, ct := range conts {
		if ct.Endpoints == nil {
			ct.Endpoints = []Endpoint{}
		}
		for i, ep := range ct.Endpoints {
			if n, ok := c.ipam.lookup(ep.NetName); ok {
				ct.Endpoints[i].NetID = n.ID
			}
			if ep.IPv4 == "" {
				continue
			}
			// Another Docker container holds the address: one outside the
			// Pop (Docker gave a stopped VNFC's address away), or one of
			// this record's own that the record does not know yet (a crash
			// between Docker's start and the record). Recovery tells them
			// apart by the holder's labels.
			if holder, ok := c.ipam.owner(ep.NetName, ep.IPv4); ok && strings.HasPrefix(holder, outsideOwner) &&
				(ct.DockerID == "" || !sameDockerID(strings.TrimPrefix(holder, outsideOwner), ct.DockerID)) {
				contested = append(contested, contestedAddr{popID: ct.ID, name: ct.Name, network: ep.NetName, ip: ep.IPv4,
					holder: strings.TrimPrefix(holder, outsideOwner)})
				continue
			}
			c.ipam.reserve(ep.NetName, ep.IPv4, ct.ID)
		}
		if err := c.reg.insert(newEntry(ct)); err != nil {
			c.log.WithError(err).Warn("duplicate container in store, skipped")
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.recover(ctx, contested); err != nil {
		c.cancel()
		closeStore()
		return nil, err
	}
	c.wg.Add(1)
	go c.track()
	c.log.WithField("containers", len(conts)).Debug("pop core open")
	return c, nil
}

// Close stops status tracking, waits (bounded) for background stops and
// closes the store. Docker containers keep running.
func (c *Core) Close() error {
	var err error
	c.closed.Do(func() {
		c.cancel()
		done := make(chan struct{})
		go func() { c.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(c.cfg.StopTimeout + 15*time.Second):
			c.log.Warn("background work did not finish before close")
		}
		c.w.close()
		err = c.st.close()
	})
	return err
}

func mergeFlavours(base, extra []Flavour) []Flavour {
	out := append([]Flavour(nil), base...)
	for _, f := range extra {
		if f.ID == "" {
			f.ID = f.Name
		}
		replaced := false
		for i := range out {
			if out[i].Name == f.Name {
				out[i] = f
				replaced = true
			}
		}
		if !replaced {
			out = append(out, f)
		}
	}
	return out
}

func (c *Core) findFlavour(ref string) (Flavour, error) {
	for _, f := range c.flavours {
		if f.ID == ref || f.Name == ref {
			return f, nil
		}
	}
	names := make([]string, 0, len(c.flavours))
	for _, f := range c.flavours {
		names = append(names, f.Name)
	}
	return Flavour{}, Errorf(ErrNotFound, "flavour %q not found (known: %v)", ref, names)
}

// loadNetworks re-adopts the stored networks, recreating owned ones that
// vanished from Docker (a wiped engine) with the same subnet.
func (c *Core) loadNetworks(ctx context.Context, nets []Network) error {
	for _, n := range nets {
		st, err := c.b.InspectNetwork(ctx, n.Name)
		switch {
		case err == nil:
			n.ID = st.ID
		case errors.Is(err, ErrNotFound) && n.Owned:
			c.log.WithField("network", n.Name).Warn("network vanished from Docker; recreating it")
			st, err := c.b.CreateNetwork(ctx, NetworkSpec{Name: n.Name, Driver: n.Driver, Subnet: n.Subnet,
				Gateway: n.Gateway, Internal: n.Internal, Attachable: n.Driver == "overlay"})
			if err != nil {
				return Wrap(Class(err), err, "recreate network %q", n.Name)
			}
			n.ID = st.ID
		case errors.Is(err, ErrNotFound):
			c.log.WithField("network", n.Name).Warn("adopted network vanished; forgetting it")
			if err := c.st.deleteNetwork(n.Name); err != nil {
				return err
			}
			continue
		default:
			return Wrap(Class(err), err, "inspect network %q", n.Name)
		}
		if err := c.ipam.add(n); err != nil {
			return err
		}
		c.reserveAttached(n.Name, st)
		if err := c.st.putNetwork(n); err != nil {
			return err
		}
	}
	return nil
}

// reserveAttached takes the addresses of the containers Docker shows on a
// network, at every Open: those of containers outside the Pop are in no
// record, and Docker refuses to start a container on an address in use.
// Our own containers' addresses are reserved again, by container ID, when
// their records load.
func (c *Core) reserveAttached(name string, st NetworkStatus) {
	for id, ip := range st.Containers {
		c.ipam.reserve(name, ip, outsideOwner+id)
	}
}

// releaseGoneOutside frees a fixed address that Open reserved for a
// container outside the Pop once Docker no longer shows it on the network:
// the operator removed that container, or it was a stale endpoint of one
// of ours whose removal a crash cut short (Docker finishes it). Otherwise
// the address stayed refused until the next Open. A record of ours that
// still names the address (a stopped container whose address the outside
// container had taken) gets it back instead, and the create (self) stays
// refused. It reports whether the address changed hands (allocate again).
// One inspect, on this conflict only.
func (c *Core) releaseGoneOutside(ctx context.Context, self, ref, ip string) bool {
	n, ok := c.ipam.lookup(ref)
	if !ok {
		return false
	}
	holder, ok := c.ipam.owner(n.Name, ip)
	if !ok || !strings.HasPrefix(holder, outsideOwner) {
		return false
	}
	st, err := c.b.InspectNetwork(ctx, n.Name)
	if err != nil {
		return false
	}
	for _, a := range st.Containers {
		if a == ip {
			return false // still in use
		}
	}
	for _, rec := range c.records() {
		if rec.ID == self {
			continue
		}
		for _, ep := range rec.Endpoints {
			if ep.NetName == n.Name && ep.IPv4 == ip {
				return c.ipam.replaceOwner(n.Name, ip, holder, rec.ID)
			}
		}
	}
	if !c.ipam.replaceOwner(n.Name, ip, holder, "") {
		return false // another create took it meanwhile
	}
	c.log.WithFields(logrus.Fields{"network": n.Name, "ip": ip, "holder": strings.TrimPrefix(holder, outsideOwner)}).
		Info("an address held outside the Pop at Open is free again")
	return true
}

// outsideOwner prefixes the IPAM owner of an address Docker shows in use
// by a container (the suffix is its Docker ID) that no record holds.
const outsideOwner = "docker:"

// sameDockerID compares Docker IDs that may be abbreviated.
func sameDockerID(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// ensureDefaultNetwork adopts or creates the default network, as the seed's
// server does with "private".
func (c *Core) ensureDefaultNetwork(ctx context.Context) error {
	name := c.cfg.DefaultNetwork
	if _, ok := c.ipam.lookup(name); ok {
		return nil
	}
	st, err := c.b.InspectNetwork(ctx, name)
	if err == nil {
		if st.SwarmOwner != "" {
			// Swarm gives out its addresses; ours would collide with them.
			return Errorf(ErrAlreadyExists, "default network %q is the overlay of the Swarm VIM's Pop %q on this engine (Swarm allocates its addresses): give this Pop another default network (OBDOCKER_DEFAULT_NETWORK), or serve the single-engine VIM and the Swarm VIM from two drivers", name, st.SwarmOwner)
		}
		if len(st.Subnets) == 0 {
			return Errorf(ErrInvalidArgument, "network %q exists on Docker without an IPv4 subnet; remove it or configure another default network", name)
		}
		n := Network{ID: st.ID, Name: name, Driver: st.Driver, Subnet: st.Subnets[0].CIDR,
			Gateway: st.Subnets[0].Gateway, Internal: st.Internal, External: !st.Internal, Owned: st.Ours}
		if err := c.ipam.add(n); err != nil {
			return err
		}
		c.reserveAttached(name, st)
		if !st.Ours && st.Owner != "" {
			// Its IPAM and ours cannot see each other's reservations.
			c.log.WithFields(logrus.Fields{"network": name, "owner": st.Owner}).
				Warn("the default network belongs to another Pop: both assign its addresses independently, and a start fails when both pick the same one; give each Pop its own default network (OBDOCKER_DEFAULT_NETWORK) or its own engine")
		}
		return c.st.putNetwork(n)
	}
	if !errors.Is(err, ErrNotFound) {
		return Wrap(Class(err), err, "inspect default network %q", name)
	}
	want, err := netip.ParsePrefix(c.cfg.DefaultSubnet)
	if err != nil || !want.Addr().Is4() {
		return Errorf(ErrInvalidArgument, "invalid default subnet %q", c.cfg.DefaultSubnet)
	}
	want = want.Masked()
	taken, err := c.hostSubnets(ctx)
	if err != nil {
		return err
	}
	for _, t := range taken {
		if overlaps(want, t) {
			alt, err := nextFreeSubnet(netip.MustParsePrefix("172.16.0.0/12"), want.Bits(), taken)
			if err != nil {
				return Wrap(ErrExhausted, err, "default network %q: %s overlaps %s", name, want, t)
			}
			c.log.WithFields(logrus.Fields{"wanted": want, "overlaps": t, "chosen": alt}).Info("default subnet taken; using the first free one")
			want = alt
			break
		}
	}
	_, err = c.createNetwork(ctx, NetworkConfig{Name: name, Subnet: want.String(), Internal: true})
	return err
}

// hostSubnets lists the IPv4 subnets of every network on the engine.
func (c *Core) hostSubnets(ctx context.Context) ([]netip.Prefix, error) {
	nets, err := c.b.ListNetworks(ctx)
	if err != nil {
		return nil, Wrap(Class(err), err, "list networks")
	}
	var out []netip.Prefix
	for _, n := range nets {
		for _, s := range n.Subnets {
			if p, err := netip.ParsePrefix(s.CIDR); err == nil && p.Addr().Is4() {
				out = append(out, p.Masked())
			}
		}
	}
	return out, nil
}

// persist writes e's record and waits until it is on disk; caller holds
// e.mu.
func (c *Core) persist(e *entry) error {
	e.publish()
	return c.w.put(e.c).wait()
}

// persistLater queues e's record without waiting: for states that
// recovery derives from Docker alone should the process die before the
// write lands (see each caller). Caller holds e.mu.
func (c *Core) persistLater(e *entry) {
	e.publish()
	c.w.put(e.c)
}
