package vim

import (
	"context"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

// PopFactory opens the Pop behind one Docker endpoint. The daemon wires
// pop.Open over pop/docker (unix://, tcp://) and pop/client (pop://); tests
// pass a fake. The ctx lives as long as the driver: a Pop may keep it for
// its own goroutines.
type PopFactory func(ctx context.Context, key EndpointKey) (pop.Pop, error)

// EndpointVerifier checks that an engine accepts key's credentials (a
// ping with the caller's own TLS material, a docker-popd login). Pops asks
// it before handing a Pop opened with other credentials to a new caller.
type EndpointVerifier func(ctx context.Context, key EndpointKey) error

// Config configures a Driver. The zero value works (with no Pop factory,
// every call fails with a clear error).
type Config struct {
	// Open opens the Pop of a unix:// or tcp:// endpoint.
	Open PopFactory
	// OpenRemote opens the Pop of a pop://host:port endpoint (docker-popd);
	// nil means such VIM instances are refused as not supported yet.
	OpenRemote PopFactory
	// Verify checks a VIM instance's credentials against its engine when
	// the engine's Pop was opened with other credentials; nil refuses them.
	Verify EndpointVerifier
	// DefaultSocket is the endpoint of a VIM instance with an empty
	// authUrl. Default unix:///var/run/docker.sock.
	DefaultSocket string
	// AllowedSockets are the unix:// endpoints VIM instances may name, and
	// the projects each is open to: a socket carries no credential, so only
	// the operator can grant it. nil: the DefaultSocket, to every project.
	AllowedSockets []SocketRule

	// AllowedCaps are the capabilities userdata may add
	// (#obdocker:cap-add=…), without the CAP_ prefix; "ALL" allows all.
	AllowedCaps []string
	// AllowedSysctls are the sysctl keys userdata may set
	// (#obdocker:sysctl=key=value); an entry ending in "*" is a prefix.
	AllowedSysctls []string

	// Quota answered by getQuota; zero or negative fields get the default.
	Quota QuotaLimits

	// DeleteNetworkWait bounds how long deleteNetwork waits for in-flight
	// deleteServerByIdAndWait calls on that network. Default 30 s.
	DeleteNetworkWait time.Duration
	// DeleteNetworkGrace is how long deleteNetwork keeps polling while
	// containers are still attached but no delete is known yet (the NFVO's
	// delete may be queued behind it on another worker). Default 3 s.
	DeleteNetworkGrace time.Duration
}

// QuotaLimits are the figures getQuota answers.
type QuotaLimits struct {
	Tenant      string
	Cores       int
	RAM         int // MB
	Instances   int
	FloatingIPs int
	KeyPairs    int
}

// DefaultQuota is what getQuota answers by default: large, positive.
const DefaultQuota = 100000

func (c Config) withDefaults() Config {
	if c.DefaultSocket == "" {
		c.DefaultSocket = "unix:///var/run/docker.sock"
	}
	if c.DeleteNetworkWait <= 0 {
		c.DeleteNetworkWait = 30 * time.Second
	}
	if c.DeleteNetworkGrace <= 0 {
		c.DeleteNetworkGrace = 3 * time.Second
	}
	q := &c.Quota
	if q.Tenant == "" {
		q.Tenant = "docker"
	}
	for _, f := range []*int{&q.Cores, &q.RAM, &q.Instances, &q.FloatingIPs, &q.KeyPairs} {
		if *f <= 0 {
			*f = DefaultQuota
		}
	}
	return c
}
