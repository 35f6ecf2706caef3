// Package swarm is a Pop over a Docker Swarm cluster: one VIM instance
// stands for the whole cluster, Swarm places the containers (services of
// one replica), overlay networks span the nodes, and Swarm reschedules a
// lost node's containers elsewhere.
//
// It keeps no state of its own: each Pop container is a service whose
// labels carry the record (Swarm's raft store persists it), so a driver
// restart loses nothing and needs no reconciliation. Addresses are
// Swarm's: a container's IPs are its service's virtual IPs, allocated at
// Create (0 replicas) and kept across restarts and rescheduling.
package swarm

import (
	"context"
	"errors"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Config is the Pop's configuration.
type Config struct {
	PopName string
	// DefaultNetwork is the overlay where containers without endpoints go,
	// created at Open if missing; DefaultSubnet its subnet ("": Swarm
	// picks one from its address pool).
	DefaultNetwork string
	DefaultSubnet  string
	Flavours       []pop.Flavour
	Logger         logrus.FieldLogger
	// TLS is the VIM instance's TLS material (nil: none), for the tcp://
	// engines that nodes' LabelEngine labels name.
	TLS *docker.TLSConfig
}

// Pop is the Swarm Pop. Safe for concurrent use.
type Pop struct {
	cfg      Config
	b        *docker.Backend // the manager's engine: images, networks
	cli      *client.Client
	log      logrus.FieldLogger
	flavours []pop.Flavour

	// mu serialises the read-modify-write of one service's spec; Swarm
	// refuses an update made from a stale version anyway, this only
	// spares the retries.
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

var _ pop.Pop = (*Pop)(nil)

// Open checks that b's engine is a Swarm manager and makes sure the
// default network exists. The Pop does not own b: the caller closes it.
func Open(ctx context.Context, cfg Config, b *docker.Backend) (*Pop, error) {
	if cfg.PopName == "" {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "swarm pop: empty Pop name")
	}
	if cfg.DefaultNetwork == "" {
		cfg.DefaultNetwork = "private"
	}
	if cfg.Logger == nil {
		l := logrus.New()
		cfg.Logger = l
	}
	p := &Pop{cfg: cfg, b: b, cli: b.Client(), log: cfg.Logger.WithField("pop", cfg.PopName),
		flavours: mergeFlavours(pop.DefaultFlavours(), cfg.Flavours), locks: map[string]*sync.Mutex{}}
	info, err := p.cli.Info(ctx)
	if err != nil {
		return nil, pop.Wrap(pop.ErrUnavailable, err, "swarm pop: engine %s", b.Host())
	}
	if !info.Swarm.ControlAvailable {
		return nil, pop.Errorf(pop.ErrInvalidState, "swarm pop: the engine at %s is not a Swarm manager (swarm state %q): give the VIM instance a manager's authUrl, or drop its metadata %s=%s",
			b.Host(), info.Swarm.LocalNodeState, "obdocker.mode", "swarm")
	}
	if err := p.ensureDefaultNetwork(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// lock serialises updates of one service.
func (p *Pop) lock(id string) func() {
	p.mu.Lock()
	l, ok := p.locks[id]
	if !ok {
		l = &sync.Mutex{}
		p.locks[id] = l
	}
	p.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (p *Pop) forget(id string) {
	p.mu.Lock()
	delete(p.locks, id)
	p.mu.Unlock()
}

// Info describes the cluster: the manager's engine version, and the
// capacity of the ready nodes together.
func (p *Pop) Info(ctx context.Context) (pop.Info, error) {
	eng, err := p.b.Ping(ctx)
	if err != nil {
		return pop.Info{}, err
	}
	in := pop.Info{PopName: p.cfg.PopName, DefaultNetwork: p.cfg.DefaultNetwork, DockerVersion: eng.Version,
		APIVersion: eng.APIVersion, SwarmManager: true, Containers: map[pop.State]int{}}
	nodes, err := p.cli.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return pop.Info{}, classify(err, "list swarm nodes")
	}
	for _, n := range nodes {
		if n.Status.State != swarm.NodeStateReady {
			continue
		}
		in.NCPU += int(n.Description.Resources.NanoCPUs / 1e9)
		in.MemoryMB += n.Description.Resources.MemoryBytes >> 20
	}
	cs, err := p.Containers(ctx, pop.Filter{})
	if err != nil {
		return pop.Info{}, err
	}
	for _, c := range cs {
		in.Containers[c.State]++
	}
	nets, err := p.Networks(ctx, pop.Filter{})
	if err != nil {
		return pop.Info{}, err
	}
	in.Networks = len(nets)
	imgs, err := p.Images(ctx, pop.Filter{})
	if err != nil {
		return pop.Info{}, err
	}
	in.Images = len(imgs)
	return in, nil
}

// Flavours lists the flavours; a flavour's CPUs and memory become the
// service's reservations and limits.
func (p *Pop) Flavours(_ context.Context, f pop.Filter) ([]pop.Flavour, error) {
	if f.All() {
		return append([]pop.Flavour(nil), p.flavours...), nil
	}
	fl, err := p.findFlavour(f.ID + f.Name)
	if err != nil {
		return nil, err
	}
	return []pop.Flavour{fl}, nil
}

func (p *Pop) findFlavour(ref string) (pop.Flavour, error) {
	names := make([]string, 0, len(p.flavours))
	for _, f := range p.flavours {
		if f.ID == ref || f.Name == ref {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return pop.Flavour{}, pop.Errorf(pop.ErrNotFound, "flavour %q not found (known: %v)", ref, names)
}

func mergeFlavours(base, extra []pop.Flavour) []pop.Flavour {
	out := append([]pop.Flavour(nil), base...)
	for _, f := range extra {
		if f.ID == "" {
			f.ID = f.Name
		}
		replaced := false
		for i := range out {
			if out[i].Name == f.Name {
				out[i], replaced = f, true
			}
		}
		if !replaced {
			out = append(out, f)
		}
	}
	return out
}

// classify gives a Docker error its Pop class.
func classify(err error, format string, args ...any) error {
	var class error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		class = pop.ErrUnavailable
	case cerrdefs.IsNotFound(err):
		class = pop.ErrNotFound
	case cerrdefs.IsConflict(err), cerrdefs.IsAlreadyExists(err):
		class = pop.ErrAlreadyExists
	case cerrdefs.IsInvalidArgument(err):
		class = pop.ErrInvalidArgument
	case client.IsErrConnectionFailed(err):
		class = pop.ErrUnavailable
	default:
		class = pop.Class(err)
	}
	return pop.Wrap(class, err, format, args...)
}
