package pop

import (
	"context"
	"io"
	"time"
)

// Backend is the narrow view of one Docker engine the core needs. It is
// scoped to one Pop: everything it creates carries the Pop's labels, and
// ListContainers and Events report only that Pop's containers.
// Implemented by pop/docker; tests use a fake.
//
// Errors: ErrNotFound when the object does not exist, ErrAlreadyExists on a
// name conflict, ErrUnavailable when the engine cannot be reached.
type Backend interface {
	Ping(ctx context.Context) (EngineInfo, error)

	// CreateContainer creates (does not start) a container attached to all
	// spec.Endpoints in order, with their fixed IPs. On error nothing is left.
	CreateContainer(ctx context.Context, spec ContainerSpec) (dockerID string, err error)
	StartContainer(ctx context.Context, dockerID string) error
	// StopContainer stops with SIGTERM, then SIGKILL after timeout.
	StopContainer(ctx context.Context, dockerID string, timeout time.Duration) error
	// RemoveContainer force-removes; ErrNotFound if already gone.
	RemoveContainer(ctx context.Context, dockerID string) error
	// InspectContainer accepts an ID or a name.
	InspectContainer(ctx context.Context, idOrName string) (ContainerStatus, error)
	// ListContainers lists this Pop's containers in any state.
	ListContainers(ctx context.Context) ([]ContainerStatus, error)
	ContainerLogs(ctx context.Context, dockerID string, tail int) (string, error)
	// Events streams this Pop's container events from since until ctx ends
	// or the stream breaks (then errs receives one error; reopen it).
	Events(ctx context.Context, since time.Time) (<-chan ContainerEvent, <-chan error)

	// CheckImage reports whether a container can be made from ref where
	// this backend takes its images: nil if so, ErrNotFound naming ref if
	// not. One engine looks at its own images; a backend that pulls or
	// places containers elsewhere answers for its own source.
	CheckImage(ctx context.Context, ref string) error
	InspectImage(ctx context.Context, ref string) (Image, error)
	ListImages(ctx context.Context) ([]Image, error)
	PullImage(ctx context.Context, ref string) (Image, error)
	LoadImage(ctx context.Context, archive io.Reader) ([]Image, error)

	// ListNetworks lists every network on the engine (ours or not), so the
	// core can avoid overlapping subnets.
	ListNetworks(ctx context.Context) ([]NetworkStatus, error)
	InspectNetwork(ctx context.Context, idOrName string) (NetworkStatus, error)
	CreateNetwork(ctx context.Context, spec NetworkSpec) (NetworkStatus, error)
	RemoveNetwork(ctx context.Context, id string) error
}

// EngineInfo describes the engine behind a Backend.
type EngineInfo struct {
	Version      string
	APIVersion   string
	SwarmManager bool
	// NCPU and MemTotalB are the engine host's CPUs and memory in bytes
	// (Docker's info), the capacity getQuota reports.
	NCPU      int
	MemTotalB int64
}

// ContainerSpec is what the core asks the backend to create.
type ContainerSpec struct {
	PopID     string // the Pop container ID, stored in a label
	Name      string // Docker container name (and hostname unless Hostname is set)
	Image     string
	Env       []string // KEY=VALUE
	Endpoints []EndpointSpec
	NanoCPUs  int64
	MemoryB   int64
	CapAdd    []string
	Sysctls   map[string]string
	// HostOptions: Hostname empty means Name.
	HostOptions
}

// EndpointSpec attaches the container to a network with an optional fixed
// IP and network-scoped DNS aliases.
type EndpointSpec struct {
	NetworkID string
	IPv4      string
	Aliases   []string
}

// ContainerStatus is what Docker says about one container.
type ContainerStatus struct {
	DockerID  string
	Name      string
	PopID     string // from our label; empty if the container is not ours
	ImageID   string
	Running   bool
	Status    string // Docker's word: created, running, exited, dead, …
	ExitCode  int
	OOMKilled bool
	Error     string
	StartedAt time.Time
	Finished  time.Time
	// Networks by network ID.
	Networks map[string]EndpointStatus
}

// EndpointStatus is one network attachment as Docker reports it.
type EndpointStatus struct {
	NetworkID  string
	IPv4       string
	MAC        string
	EndpointID string
}

// ContainerEvent is a container event of this Pop.
type ContainerEvent struct {
	DockerID string
	PopID    string
	Action   string // die, destroy, start, oom, …
	ExitCode int    // for die, when Docker reports it
	Time     time.Time
}

// NetworkSpec is a network to create on the engine.
type NetworkSpec struct {
	Name     string
	Driver   string
	Subnet   string
	Gateway  string
	Internal bool
	// Attachable is set for overlay networks so plain containers can join.
	Attachable bool
}

// NetworkStatus is what Docker says about one network.
type NetworkStatus struct {
	ID       string
	Name     string
	Driver   string
	Subnets  []SubnetStatus
	Internal bool
	Ours     bool // carries this Pop's labels
	// Owner is the Pop named in the labels ("" when no Pop manages it).
	Owner string
	// SwarmOwner is the Swarm VIM's Pop whose overlay this is ("" when
	// none): Swarm allocates its addresses, so no Core may use it.
	SwarmOwner string
	Labels     map[string]string
	// Containers by Docker ID, with their IPv4 on this network.
	Containers map[string]string
}

// SubnetStatus is one IPAM pool of a network.
type SubnetStatus struct {
	CIDR    string
	Gateway string
}
