package vim

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

// fakePop is an in-memory pop.Pop with the seed's semantics, deterministic
// IDs and dates, and hooks for the awkward paths.
type fakePop struct {
	mu         sync.Mutex
	seq        int
	now        time.Time
	containers []*pop.Container
	networks   []pop.Network
	images     []pop.Image
	registry   map[string]pop.Image // what PullImage can fetch
	flavours   []pop.Flavour
	nextIP     map[string]int // network ID → last host number given
	logs       map[string]string

	// startErr makes Start of the named container fail (it ends FAILED).
	startErr map[string]error
	// deleteGate, when set, blocks Delete until closed; deleteStarted gets
	// the ID of each Delete as it begins.
	deleteGate    chan struct{}
	deleteStarted chan string

	creates, starts, closes int
	imageLists              int
	// engine is what Info reports of the engine host; infoErr fails Info.
	engine  pop.Info
	infoErr error
	infos   int
}

var fakeEpoch = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func newFakePop() *fakePop {
	f := &fakePop{
		now:      fakeEpoch,
		registry: map[string]pop.Image{},
		nextIP:   map[string]int{},
		logs:     map[string]string{},
		startErr: map[string]error{},
		flavours: pop.DefaultFlavours(),
	}
	f.networks = []pop.Network{
		{ID: "netprivate0000000000000000000000000000000000000000000000000001", Name: "private", Driver: "bridge", Subnet: "10.204.0.0/24", Gateway: "10.204.0.1", Owned: true},
		{ID: "nethost000000000000000000000000000000000000000000000000000002", Name: "host-net", Driver: "bridge", Subnet: "10.204.1.0/24", Gateway: "10.204.1.1", Owned: false},
	}
	f.images = []pop.Image{
		{ID: "sha256:1b2c3d0000000000000000000000000000000000000000000000000000000001", Tags: []string{"obdocker-test/busybox:latest"}, Created: fakeEpoch.Add(-48 * time.Hour), Size: 1 << 20},
		{ID: "sha256:1b2c3d0000000000000000000000000000000000000000000000000000000002", Tags: []string{"nginx:1.25", "nginx:latest"}, Created: fakeEpoch.Add(-24 * time.Hour)},
		{ID: "sha256:1b2c3d0000000000000000000000000000000000000000000000000000000003", Tags: nil, Created: fakeEpoch.Add(-72 * time.Hour)},
	}
	f.registry["mongo:latest"] = pop.Image{ID: "sha256:0000000000000000000000000000000000000000000000000000000000000aaa", Tags: []string{"mongo:latest"}, Created: fakeEpoch.Add(-96 * time.Hour)}
	return f
}

func (f *fakePop) id(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%060d", prefix, f.seq)
}

func (f *fakePop) tick() time.Time {
	f.now = f.now.Add(time.Second)
	return f.now
}

func (f *fakePop) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	return nil
}

func (f *fakePop) Info(ctx context.Context) (pop.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.infos++
	if f.infoErr != nil {
		return pop.Info{}, f.infoErr
	}
	inf := f.engine
	inf.PopName, inf.DefaultNetwork = "fake", "private"
	return inf, nil
}

func clone(c *pop.Container) pop.Container {
	out := *c
	out.Endpoints = append([]pop.Endpoint(nil), c.Endpoints...)
	out.Env = copyMap(c.Env)
	out.Metadata = copyMap(c.Metadata)
	out.CapAdd = append([]string(nil), c.CapAdd...)
	out.Sysctls = copyMap(c.Sysctls)
	return out
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f *fakePop) findContainer(fl pop.Filter) (*pop.Container, error) {
	for _, c := range f.containers {
		if fl.ID != "" && c.ID == fl.ID || fl.ID == "" && fl.Name != "" && c.Name == fl.Name {
			return c, nil
		}
	}
	return nil, pop.Errorf(pop.ErrNotFound, "no container with %s", fl)
}

func (f *fakePop) Containers(ctx context.Context, fl pop.Filter) ([]pop.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.All() {
		out := []pop.Container{}
		for _, c := range f.containers {
			out = append(out, clone(c))
		}
		return out, nil
	}
	c, err := f.findContainer(fl)
	if err != nil {
		return nil, err
	}
	return []pop.Container{clone(c)}, nil
}

func (f *fakePop) findImage(ref string) (pop.Image, bool) {
	for _, img := range f.images {
		if img.ID == ref || contains(img.Tags, ref) {
			return img, true
		}
	}
	return pop.Image{}, false
}

func (f *fakePop) Images(ctx context.Context, fl pop.Filter) ([]pop.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.All() {
		f.imageLists++
		return append([]pop.Image(nil), f.images...), nil
	}
	for _, img := range f.images {
		// Like the core (Docker's inspect): a name may also be an ID.
		if fl.ID != "" && img.ID == fl.ID || fl.ID == "" && (contains(img.Tags, fl.Name) || img.ID == fl.Name) {
			return []pop.Image{img}, nil
		}
	}
	return nil, pop.Errorf(pop.ErrNotFound, "no image with %s", fl)
}

func (f *fakePop) findNetwork(ref string) (*pop.Network, bool) {
	for i := range f.networks {
		if f.networks[i].ID == ref || f.networks[i].Name == ref {
			return &f.networks[i], true
		}
	}
	return nil, false
}

func (f *fakePop) Networks(ctx context.Context, fl pop.Filter) ([]pop.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.All() {
		return append([]pop.Network(nil), f.networks...), nil
	}
	for _, n := range f.networks {
		if fl.ID != "" && n.ID == fl.ID || fl.ID == "" && n.Name == fl.Name {
			return []pop.Network{n}, nil
		}
	}
	return nil, pop.Errorf(pop.ErrNotFound, "no network with %s", fl)
}

func (f *fakePop) Flavours(ctx context.Context, fl pop.Filter) ([]pop.Flavour, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.All() {
		return append([]pop.Flavour(nil), f.flavours...), nil
	}
	for _, x := range f.flavours {
		if fl.ID != "" && x.ID == fl.ID || fl.ID == "" && x.Name == fl.Name {
			return []pop.Flavour{x}, nil
		}
	}
	return nil, pop.Errorf(pop.ErrNotFound, "no flavour with %s", fl)
}

func (f *fakePop) ipTaken(netID, ip string) bool {
	for _, c := range f.containers {
		for _, ep := range c.Endpoints {
			if ep.NetID == netID && ep.IPv4 == ip {
				return true
			}
		}
	}
	return false
}

func (f *fakePop) Create(ctx context.Context, cfg pop.ContainerConfig) (pop.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cfg.Name == "" {
		return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "container name is empty")
	}
	if _, err := f.findContainer(pop.ByName(cfg.Name)); err == nil {
		return pop.Container{}, pop.Errorf(pop.ErrAlreadyExists, "container %q exists", cfg.Name)
	}
	if _, ok := f.findImage(cfg.Image); !ok {
		return pop.Container{}, pop.Errorf(pop.ErrNotFound, "image %q not found", cfg.Image)
	}
	if cfg.Flavour != "" {
		found := false
		for _, x := range f.flavours {
			found = found || x.Name == cfg.Flavour || x.ID == cfg.Flavour
		}
		if !found {
			return pop.Container{}, pop.Errorf(pop.ErrNotFound, "flavour %q not found", cfg.Flavour)
		}
	}
	eps := cfg.Endpoints
	if len(eps) == 0 {
		eps = []pop.EndpointConfig{{Network: "private"}}
	}
	c := &pop.Container{Name: cfg.Name, Image: cfg.Image, Flavour: cfg.Flavour, State: pop.StateCreated,
		Env: copyMap(cfg.Env), Metadata: copyMap(cfg.Metadata), CapAdd: cfg.CapAdd, Sysctls: copyMap(cfg.Sysctls),
		HostOptions: cfg.HostOptions.Clone()}
	for _, ep := range eps {
		n, ok := f.findNetwork(ep.Network)
		if !ok {
			return pop.Container{}, pop.Errorf(pop.ErrNotFound, "network %q not found", ep.Network)
		}
		prefix := netip.MustParsePrefix(n.Subnet)
		ip := ep.IPv4
		if ip != "" {
			a, err := netip.ParseAddr(ip)
			if err != nil || !prefix.Contains(a) {
				return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "IP %q not in %s", ip, n.Subnet)
			}
			if f.ipTaken(n.ID, ip) {
				return pop.Container{}, pop.Errorf(pop.ErrAlreadyExists, "IP %s taken on %s", ip, n.Name)
			}
		} else {
			for {
				f.nextIP[n.ID]++
				a := prefix.Addr().As4()
				a[3] = byte(1 + f.nextIP[n.ID])
				ip = netip.AddrFrom4(a).String()
				if !f.ipTaken(n.ID, ip) {
					break
				}
			}
		}
		c.Endpoints = append(c.Endpoints, pop.Endpoint{NetID: n.ID, NetName: n.Name, IPv4: ip, Subnet: n.Subnet, Gateway: n.Gateway, Aliases: ep.Aliases})
	}
	c.ID = f.id("c")
	c.Created = f.tick()
	f.containers = append(f.containers, c)
	f.creates++
	return clone(c), nil
}

func (f *fakePop) Metadata(ctx context.Context, fl pop.Filter, md map[string]string) (pop.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(fl)
	if err != nil {
		return pop.Container{}, err
	}
	if c.State != pop.StateCreated {
		return pop.Container{}, pop.Errorf(pop.ErrInvalidState, "container %s is %s: metadata only while CREATED", c.Name, c.State)
	}
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	for k, v := range md {
		if v == "" {
			delete(c.Metadata, k)
		} else {
			c.Metadata[k] = v
		}
	}
	return clone(c), nil
}

func (f *fakePop) Start(ctx context.Context, fl pop.Filter) (pop.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(fl)
	if err != nil {
		return pop.Container{}, err
	}
	switch c.State {
	case pop.StateCreated, pop.StateExited, pop.StateFailed:
	default:
		return pop.Container{}, pop.Errorf(pop.ErrInvalidState, "container %s is %s", c.Name, c.State)
	}
	f.starts++
	img, _ := f.findImage(c.Image)
	c.ImageID = img.ID
	if err := f.startErr[c.Name]; err != nil {
		c.State = pop.StateFailed
		c.ExtendedStatus = err.Error()
		c.Finished = f.tick()
		return pop.Container{}, pop.Wrap(pop.ErrInternal, err, "start %s", c.Name)
	}
	c.State = pop.StateRunning
	c.DockerID = f.id("d")
	c.Started = f.tick()
	c.ExtendedStatus = ""
	return clone(c), nil
}

func (f *fakePop) Stop(ctx context.Context, fl pop.Filter) (pop.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(fl)
	if err != nil {
		return pop.Container{}, err
	}
	if c.State != pop.StateRunning {
		return pop.Container{}, pop.Errorf(pop.ErrInvalidState, "container %s is %s: only RUNNING stops", c.Name, c.State)
	}
	c.State = pop.StateStopping
	snap := clone(c)
	c.State = pop.StateExited // the fake's background stop is instant
	c.Finished = f.tick()
	return snap, nil
}

func (f *fakePop) Delete(ctx context.Context, fl pop.Filter) error {
	f.mu.Lock()
	gate, started := f.deleteGate, f.deleteStarted
	c, err := f.findContainer(fl)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if started != nil {
		started <- c.ID
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.containers {
		if x.ID == c.ID {
			f.containers = append(f.containers[:i], f.containers[i+1:]...)
			return nil
		}
	}
	return pop.Errorf(pop.ErrNotFound, "no container with %s", fl)
}

func (f *fakePop) Logs(ctx context.Context, fl pop.Filter, tail int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(fl)
	if err != nil {
		return "", err
	}
	lines := strings.SplitAfter(f.logs[c.Name], "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if tail > 0 && tail < len(lines) {
		lines = lines[len(lines)-tail:]
	}
	return strings.Join(lines, ""), nil
}

func (f *fakePop) CreateNetwork(ctx context.Context, cfg pop.NetworkConfig) (pop.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.findNetwork(cfg.Name); ok {
		return pop.Network{}, pop.Errorf(pop.ErrAlreadyExists, "network %q exists", cfg.Name)
	}
	n := pop.Network{Name: cfg.Name, Driver: cfg.Driver, Subnet: cfg.Subnet, Gateway: cfg.Gateway, Owned: true}
	if n.Driver == "" {
		n.Driver = "bridge"
	}
	if n.Subnet == "" {
		n.Subnet = fmt.Sprintf("10.204.%d.0/24", 100+len(f.networks))
	}
	p, err := netip.ParsePrefix(n.Subnet)
	if err != nil {
		return pop.Network{}, pop.Errorf(pop.ErrInvalidArgument, "subnet %q: %v", n.Subnet, err)
	}
	if n.Gateway == "" {
		n.Gateway = p.Masked().Addr().Next().String()
	}
	n.ID = f.id("n")
	f.networks = append(f.networks, n)
	return n, nil
}

func (f *fakePop) DeleteNetwork(ctx context.Context, fl pop.Filter) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, n := range f.networks {
		if fl.ID != "" && n.ID == fl.ID || fl.ID == "" && n.Name == fl.Name {
			if !n.Owned || n.Name == "private" {
				return pop.Errorf(pop.ErrInvalidState, "network %q is the Pop's default network or not ours", n.Name)
			}
			for _, c := range f.containers {
				for _, ep := range c.Endpoints {
					if ep.NetID == n.ID {
						return pop.Errorf(pop.ErrInvalidState, "network %q has container %s attached", n.Name, c.Name)
					}
				}
			}
			f.networks = append(f.networks[:i], f.networks[i+1:]...)
			return nil
		}
	}
	return pop.Errorf(pop.ErrNotFound, "no network with %s", fl)
}

func (f *fakePop) PullImage(ctx context.Context, ref string) (pop.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img, ok := f.findImage(ref); ok {
		return img, nil
	}
	img, ok := f.registry[ref]
	if !ok {
		return pop.Image{}, pop.Errorf(pop.ErrNotFound, "pull %s: no such image in the registry", ref)
	}
	f.images = append(f.images, img)
	return img, nil
}

func (f *fakePop) LoadImage(ctx context.Context, archive io.Reader) ([]pop.Image, error) {
	b, err := io.ReadAll(archive)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(b) == 0 {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "empty archive")
	}
	img := pop.Image{ID: fmt.Sprintf("sha256:%064x", len(b)), Tags: []string{"loaded/image:latest"}, Created: fakeEpoch}
	f.images = append(f.images, img)
	return []pop.Image{img}, nil
}

// containerNames lists the fake's containers, sorted.
func (f *fakePop) containerNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.containers {
		out = append(out, c.Name+"="+c.State.String())
	}
	sort.Strings(out)
	return out
}

var _ pop.Pop = (*fakePop)(nil)
