package pop

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"
)

// ipam owns the networks a Pop knows and the IPv4 reservations on them.
// Reservations live from Create to Delete (also across Stop: the NFVO has
// already published them). Networks are keyed by name: Docker IDs change
// when a network is recreated, names do not.
type ipam struct {
	mu     sync.Mutex
	byName map[string]*netState
}

type netState struct {
	net    Network
	prefix netip.Prefix
	gw     netip.Addr
	used   map[netip.Addr]string // address → container ID
	cursor netip.Addr            // next address to try
	// dockerAssigned networks (overlay) take their addresses from Docker's
	// cluster-wide IPAM; we only record what it gave.
	dockerAssigned bool
}

func newIPAM() *ipam { return &ipam{byName: map[string]*netState{}} }

// add registers a network. It fails if its subnet is not a valid IPv4 CIDR.
func (p *ipam) add(n Network) error {
	ns := &netState{net: n, used: map[netip.Addr]string{}, dockerAssigned: n.Driver == "overlay"}
	if n.Subnet != "" {
		pfx, err := netip.ParsePrefix(n.Subnet)
		if err != nil || !pfx.Addr().Is4() {
			return Errorf(ErrInvalidArgument, "network %q: invalid IPv4 subnet %q", n.Name, n.Subnet)
		}
		ns.prefix = pfx.Masked()
		ns.net.Subnet = ns.prefix.String()
		if n.Gateway != "" {
			gw, err := netip.ParseAddr(n.Gateway)
			if err != nil {
				return Errorf(ErrInvalidArgument, "network %q: invalid gateway %q", n.Name, n.Gateway)
			}
			ns.gw = gw
		}
		ns.cursor = ns.prefix.Addr().Next()
	} else if !ns.dockerAssigned {
		return Errorf(ErrInvalidArgument, "network %q has no subnet", n.Name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.byName[n.Name]; ok {
		ns.used = old.used // keep reservations when a network is re-adopted
	}
	p.byName[n.Name] = ns
	return nil
}

func (p *ipam) remove(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.byName, name)
}

// lookup finds a network by name or Docker ID.
func (p *ipam) lookup(ref string) (Network, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ns := p.findLocked(ref)
	if ns == nil {
		return Network{}, false
	}
	return ns.net, true
}

func (p *ipam) findLocked(ref string) *netState {
	if ns, ok := p.byName[ref]; ok {
		return ns
	}
	for _, ns := range p.byName {
		if ns.net.ID == ref {
			return ns
		}
	}
	return nil
}

func (p *ipam) list() []Network {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Network, 0, len(p.byName))
	for _, ns := range p.byName {
		out = append(out, ns.net)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// setID records a network's (new) Docker ID.
func (p *ipam) setID(name, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ns, ok := p.byName[name]; ok {
		ns.net.ID = id
	}
}

// usable reports whether a is a host address of ns (not the network
// address, the broadcast address or the gateway).
func (ns *netState) usable(a netip.Addr) bool {
	if !ns.prefix.Contains(a) || a == ns.prefix.Addr() || a == ns.gw {
		return false
	}
	return !isBroadcast(ns.prefix, a)
}

func isBroadcast(p netip.Prefix, a netip.Addr) bool {
	if p.Bits() >= 31 {
		return false
	}
	b := a.As4()
	hostBits := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	mask := uint32(1)<<hostBits - 1
	return v&mask == mask
}

// capacity is the number of host addresses of ns.
func (ns *netState) capacity() int {
	hostBits := 32 - ns.prefix.Bits()
	if hostBits >= 31 {
		return 1 << 30
	}
	n := 1<<hostBits - 2
	if ns.gw.IsValid() && ns.prefix.Contains(ns.gw) {
		n--
	}
	return n
}

// allocate reserves an address for owner on network ref: fixed when ip is
// given, else the next free one.
func (p *ipam) allocate(ref, ip, owner, ownerName string) (Endpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ns := p.findLocked(ref)
	if ns == nil {
		return Endpoint{}, Errorf(ErrNotFound, "network %q not found", ref)
	}
	ep := Endpoint{NetID: ns.net.ID, NetName: ns.net.Name, Subnet: ns.net.Subnet, Gateway: ns.net.Gateway}
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return Endpoint{}, Errorf(ErrInvalidArgument, "invalid IPv4 address %q for network %q", ip, ns.net.Name)
		}
		if ns.prefix.IsValid() {
			switch {
			case !ns.prefix.Contains(a):
				return Endpoint{}, Errorf(ErrInvalidArgument, "IP %s is outside network %q (%s)", a, ns.net.Name, ns.prefix)
			case a == ns.gw:
				return Endpoint{}, Errorf(ErrInvalidArgument, "IP %s is the gateway of network %q", a, ns.net.Name)
			case !ns.usable(a):
				return Endpoint{}, Errorf(ErrInvalidArgument, "IP %s is not a host address of network %q (%s)", a, ns.net.Name, ns.prefix)
			}
		}
		if holder, taken := ns.used[a]; taken {
			return Endpoint{}, Errorf(ErrAlreadyExists, "IP %s on network %q is already taken by container %s", a, ns.net.Name, holder)
		}
		ns.used[a] = owner
		ep.IPv4 = a.String()
		return ep, nil
	}
	if ns.dockerAssigned {
		return ep, nil // Docker assigns at start; recorded then
	}
	if len(ns.used) >= ns.capacity() {
		return Endpoint{}, exhausted(ns)
	}
	a := ns.cursor
	for range ns.capacity() + 3 {
		if !ns.prefix.Contains(a) {
			a = ns.prefix.Addr().Next()
		}
		if _, taken := ns.used[a]; !taken && ns.usable(a) {
			ns.used[a] = owner
			ns.cursor = a.Next()
			ep.IPv4 = a.String()
			return ep, nil
		}
		a = a.Next()
	}
	return Endpoint{}, exhausted(ns)
}

func exhausted(ns *netState) error {
	return Errorf(ErrExhausted, "network %q (%s) has no free address: all %d in use", ns.net.Name, ns.prefix, ns.capacity())
}

// reserve records an address that is already known to belong to owner
// (store reload, or what Docker assigned on an overlay network).
func (p *ipam) reserve(netName, ip, owner string) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ns := p.byName[netName]; ns != nil {
		ns.used[a] = owner
	}
}

// owner is who holds ip on netName, if anyone.
func (p *ipam) owner(netName, ip string) (string, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ns := p.byName[netName]
	if ns == nil {
		return "", false
	}
	o, ok := ns.used[a]
	return o, ok
}

// replaceOwner gives ip on netName to to (none: frees it) if from still
// holds it, and reports whether it did.
func (p *ipam) replaceOwner(netName, ip, from, to string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ns := p.byName[netName]
	if ns == nil || ns.used[a] != from {
		return false
	}
	if to == "" {
		delete(ns.used, a)
	} else {
		ns.used[a] = to
	}
	return true
}

// releaseOwner returns every address owner holds, on any network.
func (p *ipam) releaseOwner(owner string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ns := range p.byName {
		for a, o := range ns.used {
			if o == owner {
				delete(ns.used, a)
			}
		}
	}
}

// release returns owner's addresses on the given endpoints.
func (p *ipam) release(owner string, eps []Endpoint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ep := range eps {
		ns := p.byName[ep.NetName]
		if ns == nil || ep.IPv4 == "" {
			continue
		}
		a, err := netip.ParseAddr(ep.IPv4)
		if err != nil {
			continue
		}
		if ns.used[a] == owner {
			delete(ns.used, a)
		}
	}
}

// overlaps reports whether two prefixes share an address.
func overlaps(a, b netip.Prefix) bool { return a.Overlaps(b) }

// nextFreeSubnet returns the first sub-prefix of pool with the given bits
// that overlaps none of taken.
func nextFreeSubnet(pool netip.Prefix, bits int, taken []netip.Prefix) (netip.Prefix, error) {
	pool = pool.Masked()
	if bits < pool.Bits() || bits > 30 {
		return netip.Prefix{}, fmt.Errorf("cannot cut /%d subnets from %s", bits, pool)
	}
	step := uint32(1) << (32 - bits)
	b := pool.Addr().As4()
	start := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	count := uint32(1) << (bits - pool.Bits())
	for i := uint32(0); i < count; i++ {
		v := start + i*step
		cand := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
		free := true
		for _, t := range taken {
			if overlaps(cand, t) {
				free = false
				break
			}
		}
		if free {
			return cand, nil
		}
	}
	return netip.Prefix{}, Errorf(ErrExhausted, "no free /%d left in pool %s", bits, pool)
}

// firstHost is the conventional gateway of a subnet.
func firstHost(p netip.Prefix) netip.Addr { return p.Masked().Addr().Next() }
