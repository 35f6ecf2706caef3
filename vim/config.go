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
	// AllowedBindPrefixes are the host paths userdata may bind-mount
	// (#obdocker:volume=…), each PATH, PATH:ro or PATH:rw (pop.HostPolicy).
	// Under a read-only prefix any path below it by whole elements may be
	// mounted, read-only; a writable prefix only as itself (a VNF could
	// plant a symlink below it). None by default.
	AllowedBindPrefixes []string
	// AllowedPublishPorts are the host ports userdata may publish
	// (#obdocker:publish=…), entries "N" or "N-M". None by default.
	AllowedPublishPorts []string

	// Quota overrides the figures getQuota answers; zero or negative
	// fields are not set (see QuotaLimits).
	Quota QuotaLimits

	// DeleteNetworkWait bounds how long deleteNetwork waits for in-flight
	// deleteServerByIdAndWait calls on that network. Default 30 s.
	DeleteNetworkWait time.Duration
	// DeleteNetworkGrace is how long deleteNetwork keeps polling while
	// containers are still attached but no delete is known yet (the NFVO's
	// delete may be queued behind it on another worker). Default 3 s.
	DeleteNetworkGrace time.Duration
}

// QuotaLimits are the operator's getQuota figures. A field that is zero
// or negative is not set: Cores and RAM then come from the engine (its
// CPUs, its memory in MB), Instances is DefaultInstances, and FloatingIPs
// and KeyPairs are the instance figure (at most one each per container).
// A VIM instance's metadata overrides each (the QuotaKey* keys).
type QuotaLimits struct {
	Cores       int
	RAM         int // MB
	Instances   int
	FloatingIPs int
	KeyPairs    int
}

// DefaultQuota is what getQuota answers for cores or RAM when the engine
// does not report them (a docker-popd older than the figures): large and
// positive, as the NFVO refuses negative quotas.
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
	return c
}
