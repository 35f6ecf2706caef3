// Package pop holds the Pop domain (containers, networks, images, flavours),
// the Pop interface served in process and over gRPC, and the core that
// implements it over a Docker Backend.
package pop

import (
	"context"
	"io"
	"time"
)

// State is the lifecycle state of a Pop container (the seed's states).
type State int

// The seed's states. The numeric values match the 2017 wire enum.
const (
	StateUnavailable State = iota
	StateCreated
	StateRunning
	StateExited
	StateFailed
	StateStopping
)

var stateNames = [...]string{"UNAVAILABLE", "CREATED", "RUNNING", "EXITED", "FAILED", "STOPPING"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "UNAVAILABLE"
	}
	return stateNames[s]
}

// ParseState is the inverse of String; unknown names give StateUnavailable.
func ParseState(s string) State {
	for i, n := range stateNames {
		if n == s {
			return State(i)
		}
	}
	return StateUnavailable
}

// MarshalText makes states readable in JSON and in the store.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (s *State) UnmarshalText(b []byte) error { *s = ParseState(string(b)); return nil }

// Filter selects objects by ID or by name. The zero Filter selects all.
type Filter struct {
	ID   string
	Name string
}

// All reports whether the filter selects everything.
func (f Filter) All() bool { return f.ID == "" && f.Name == "" }

func (f Filter) String() string {
	switch {
	case f.ID != "":
		return "id " + f.ID
	case f.Name != "":
		return "name " + f.Name
	}
	return "all"
}

// ByID and ByName build filters.
func ByID(id string) Filter     { return Filter{ID: id} }
func ByName(name string) Filter { return Filter{Name: name} }

// EndpointConfig asks for one network attachment at Create.
type EndpointConfig struct {
	// Network is the network's name or ID.
	Network string `json:"network"`
	// IPv4 is a fixed address; empty means "assign one".
	IPv4 string `json:"ipv4,omitempty"`
	// Aliases are extra DNS names of the container on this network.
	Aliases []string `json:"aliases,omitempty"`
}

// PortBinding publishes a container port on the engine's host.
type PortBinding struct {
	// HostIP is the host address to bind; empty means every address.
	HostIP        string `json:"hostIp,omitempty"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	// Protocol is "tcp" (default when empty) or "udp".
	Protocol string `json:"protocol,omitempty"`
}

// BindMount mounts a host path into the container.
type BindMount struct {
	Source   string `json:"source"` // absolute path on the engine's host
	Target   string `json:"target"` // absolute path in the container
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// HostOptions are the container settings beyond image, resources and
// networks. They are passed to Docker as given (policy belongs to the
// caller) and recorded with the container.
type HostOptions struct {
	// Cmd replaces the image's CMD (its ENTRYPOINT stays); nil keeps it.
	Cmd []string `json:"cmd,omitempty"`
	// Hostname is the container's hostname; empty: its name.
	Hostname string `json:"hostname,omitempty"`
	// DNS are resolver addresses (Docker's --dns).
	DNS []string `json:"dns,omitempty"`
	// Ports are published on the host; Expose declares ports (port/proto)
	// without publishing them.
	Ports  []PortBinding `json:"ports,omitempty"`
	Expose []string      `json:"expose,omitempty"`
	Mounts []BindMount   `json:"mounts,omitempty"`
	// Constraints and PlacementPrefs place the container on a Swarm VIM
	// (Swarm's syntax: node.labels.zone==a, spread=node.labels.rack). A
	// Pop of one engine refuses them: there is nowhere else to go.
	Constraints    []string `json:"constraints,omitempty"`
	PlacementPrefs []string `json:"placementPrefs,omitempty"`
}

// ContainerConfig describes a container to Create.
type ContainerConfig struct {
	Name  string `json:"name"`
	Image string `json:"image"` // reference (name[:tag], name@digest) or image ID
	// Flavour names a flavour (by ID or name); empty means no limits.
	Flavour string `json:"flavour,omitempty"`
	// Endpoints in attachment order; none means one on the default network.
	Endpoints []EndpointConfig `json:"endpoints,omitempty"`
	// Env is configuration from the launcher (e.g. NFVO userdata). Metadata wins over it.
	Env      map[string]string `json:"env,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// CapAdd and Sysctls are passed to Docker as given; policy belongs to the caller.
	CapAdd  []string          `json:"capAdd,omitempty"`
	Sysctls map[string]string `json:"sysctls,omitempty"`
	HostOptions
}

// Endpoint is a container's attachment to one network.
type Endpoint struct {
	NetID      string `json:"netId"`
	NetName    string `json:"netName"`
	IPv4       string `json:"ipv4,omitempty"`
	Subnet     string `json:"subnet,omitempty"` // CIDR
	Gateway    string `json:"gateway,omitempty"`
	MAC        string `json:"mac,omitempty"`
	EndpointID string `json:"endpointId,omitempty"`
	// Aliases are the DNS names asked for at Create (EndpointConfig).
	Aliases []string `json:"aliases,omitempty"`
}

// Container is a snapshot of a Pop container. It is a copy: callers may keep it.
type Container struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Image    string `json:"image"`             // as requested
	ImageID  string `json:"imageId,omitempty"` // resolved at Start
	Flavour  string `json:"flavour,omitempty"`
	DockerID string `json:"dockerId,omitempty"`
	State    State  `json:"state"`
	// ExtendedStatus says why the state is what it is (an error, an exit code).
	ExtendedStatus string            `json:"extendedStatus,omitempty"`
	ExitCode       int               `json:"exitCode"`
	Created        time.Time         `json:"created"`
	Started        time.Time         `json:"started,omitzero"`
	Finished       time.Time         `json:"finished,omitzero"`
	Endpoints      []Endpoint        `json:"endpoints"`
	Env            map[string]string `json:"env,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	CapAdd         []string          `json:"capAdd,omitempty"`
	Sysctls        map[string]string `json:"sysctls,omitempty"`
	HostOptions
}

// Network is a Docker network the Pop knows.
type Network struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Driver   string `json:"driver"` // bridge or overlay
	Subnet   string `json:"subnet"` // CIDR
	Gateway  string `json:"gateway"`
	Internal bool   `json:"internal"`
	External bool   `json:"external"`
	// Owned is false for networks the Pop uses but did not create (never deleted by it).
	Owned bool `json:"owned"`
}

// NetworkConfig describes a network to create.
type NetworkConfig struct {
	Name string `json:"name"`
	// Driver is "bridge" (default) or "overlay".
	Driver string `json:"driver,omitempty"`
	// Subnet is a CIDR; empty means the next free /24 of the Pop's pool.
	Subnet   string `json:"subnet,omitempty"`
	Gateway  string `json:"gateway,omitempty"`
	Internal bool   `json:"internal,omitempty"`
}

// Image is an image present on the Docker host.
type Image struct {
	ID      string            `json:"id"`
	Tags    []string          `json:"tags"`
	Created time.Time         `json:"created"`
	Size    int64             `json:"size"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Entrypoint and Cmd tell whether the image can run without arguments.
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
}

// Flavour is a named set of resource limits. Zero means unlimited.
type Flavour struct {
	ID       string  `json:"id" toml:"id"`
	Name     string  `json:"name" toml:"name"`
	CPUs     float64 `json:"cpus" toml:"cpus"`
	MemoryMB int64   `json:"memoryMb" toml:"memory_mb"`
	DiskGB   int64   `json:"diskGb" toml:"disk_gb"`
}

// Info describes a Pop.
type Info struct {
	PopName string `json:"popName"`
	// DefaultNetwork is where a container without endpoints goes ("":
	// not reported, e.g. by an older docker-popd).
	DefaultNetwork string `json:"defaultNetwork,omitempty"`
	DockerVersion  string `json:"dockerVersion"`
	APIVersion     string `json:"apiVersion"`
	SwarmManager   bool   `json:"swarmManager"`
	// NCPU and MemoryMB are the engine host's capacity (0: not reported,
	// e.g. by an older docker-popd).
	NCPU       int           `json:"ncpu"`
	MemoryMB   int64         `json:"memoryMb"`
	Containers map[State]int `json:"containers"`
	Networks   int           `json:"networks"`
	Images     int           `json:"images"`
}

// Pop is one Docker host under management: the seed's operations plus
// network management, logs and image transfer. Implemented by the core
// (in process) and by pop/client (over gRPC).
//
// Errors carry one of the classes in errors.go; test them with errors.Is.
type Pop interface {
	Info(ctx context.Context) (Info, error)

	// Containers, Images, Networks and Flavours list by filter. A filter with
	// an ID or a name gives exactly one element or an ErrNotFound error.
	Containers(ctx context.Context, f Filter) ([]Container, error)
	Images(ctx context.Context, f Filter) ([]Image, error)
	Networks(ctx context.Context, f Filter) ([]Network, error)
	Flavours(ctx context.Context, f Filter) ([]Flavour, error)

	// Create records a container in CREATED and allocates its IPs; nothing
	// happens on Docker.
	Create(ctx context.Context, cfg ContainerConfig) (Container, error)
	// Metadata merges md into the container's metadata (an empty value
	// deletes the key). CREATED only.
	Metadata(ctx context.Context, f Filter, md map[string]string) (Container, error)
	// Start creates and starts the Docker container (from CREATED, or from
	// EXITED/FAILED as a restart with the same IPs) and returns it RUNNING.
	Start(ctx context.Context, f Filter) (Container, error)
	// Stop moves a RUNNING container to STOPPING and stops it in the
	// background (timeout: the ctx deadline, else 5 s).
	Stop(ctx context.Context, f Filter) (Container, error)
	// Delete removes a container from any state, stopping it first; its IPs
	// return to their networks. Unknown containers give ErrNotFound.
	Delete(ctx context.Context, f Filter) error
	// Logs returns the last tail lines of the container's output (all when tail <= 0).
	Logs(ctx context.Context, f Filter, tail int) (string, error)

	CreateNetwork(ctx context.Context, cfg NetworkConfig) (Network, error)
	// DeleteNetwork refuses while containers are attached; ErrNotFound when unknown.
	DeleteNetwork(ctx context.Context, f Filter) error

	// PullImage fetches ref from its registry; a ref present locally just answers it.
	PullImage(ctx context.Context, ref string) (Image, error)
	// LoadImage loads an image archive (docker save format).
	LoadImage(ctx context.Context, archive io.Reader) ([]Image, error)
}

// Rebuilder is a Pop that can give a container another image in place,
// keeping its identity and addresses (a Swarm service's image update keeps
// its virtual IPs; a Pop without it is rebuilt by delete and create with
// the old IPs fixed). A RUNNING container, or one being placed, comes back
// RUNNING on the new image; any other keeps its state with the new image
// recorded, for its next Start.
type Rebuilder interface {
	Rebuild(ctx context.Context, f Filter, image string) (Container, error)
}
