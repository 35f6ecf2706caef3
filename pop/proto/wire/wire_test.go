package wire

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestCodeTableBothWays(t *testing.T) {
	seen := map[codes.Code]bool{}
	for _, e := range codeTable {
		if seen[e.code] {
			t.Fatalf("code %v twice in the table", e.code)
		}
		seen[e.code] = true
		err := pop.Errorf(e.class, "boom")
		st := ToStatus(err)
		if status.Code(st) != e.code {
			t.Errorf("%v → %v, want %v", e.class, status.Code(st), e.code)
		}
		back := FromStatus(context.Background(), st)
		if !errors.Is(back, e.class) || back.Error() != "boom" {
			t.Errorf("%v round trip: %v", e.class, back)
		}
	}
	// The table.
	for class, code := range map[error]codes.Code{
		pop.ErrUnauthenticated: codes.Unauthenticated, pop.ErrNotFound: codes.NotFound,
		pop.ErrAlreadyExists: codes.AlreadyExists, pop.ErrInvalidState: codes.FailedPrecondition,
		pop.ErrInvalidArgument: codes.InvalidArgument, pop.ErrExhausted: codes.ResourceExhausted,
		pop.ErrUnavailable: codes.Unavailable,
	} {
		if got := Code(pop.Errorf(class, "x")); got != code {
			t.Errorf("%v: %v, want %v", class, got, code)
		}
	}
	if Code(errors.New("plain")) != codes.Internal || Code(context.Canceled) != codes.Canceled {
		t.Error("unclassified or cancelled errors")
	}
	if ToStatus(nil) != nil || FromStatus(context.Background(), nil) != nil {
		t.Error("nil must stay nil")
	}
	if got := FromStatus(context.Background(), status.Error(codes.DataLoss, "x")); !errors.Is(got, pop.ErrInternal) {
		t.Errorf("unknown code: %v", got)
	}
}

func TestContainerRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 123, time.UTC)
	c := pop.Container{
		ID: "id", Name: "n", Image: "img:1", ImageID: "sha256:1", Flavour: "m1.tiny", DockerID: "d",
		State: pop.StateStopping, ExtendedStatus: "why", ExitCode: 137, Created: now, Started: now.Add(time.Second),
		Endpoints: []pop.Endpoint{{NetID: "nid", NetName: "private", IPv4: "10.0.0.2", Subnet: "10.0.0.0/24",
			Gateway: "10.0.0.1", MAC: "02:42:0a:00:00:02", EndpointID: "e"}},
		Env: map[string]string{"A": "1"}, Metadata: map[string]string{"B": "2"}, CapAdd: []string{"NET_ADMIN"},
		Sysctls: map[string]string{"net.ipv4.ip_forward": "1"},
	}
	if got := ContainerFromPB(ContainerToPB(c)); !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
	}
	empty := ContainerFromPB(ContainerToPB(pop.Container{}))
	if empty.Endpoints == nil || !empty.Created.IsZero() || empty.Metadata != nil {
		t.Fatalf("zero container: %+v", empty)
	}
	cfg := pop.ContainerConfig{Name: "n", Image: "i", Flavour: "f", Endpoints: []pop.EndpointConfig{{Network: "x", IPv4: "1.2.3.4"}},
		Env: map[string]string{"E": "1"}, Metadata: map[string]string{"M": ""}, CapAdd: []string{"C"}, Sysctls: map[string]string{"s": "1"}}
	if got := ContainerConfigFromPB(ContainerConfigToPB(cfg)); !reflect.DeepEqual(got, cfg) {
		t.Fatalf("config round trip: %+v", got)
	}
}

// TestHostOptionsRoundTrip: command, hostname, DNS, ports, exposed ports,
// bind mounts and endpoint aliases cross the wire both ways, in records
// and in create requests; none travels as nothing.
func TestHostOptionsRoundTrip(t *testing.T) {
	h := pop.HostOptions{Cmd: []string{"sh", "-c", "x"}, Hostname: "h", DNS: []string{"10.207.0.53"},
		Ports:  []pop.PortBinding{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "udp"}, {HostPort: 1, ContainerPort: 2}},
		Expose: []string{"53/udp"}, Mounts: []pop.BindMount{{Source: "/a", Target: "/b", ReadOnly: true}, {Source: "/c", Target: "/d"}},
		Constraints: []string{"node.labels.zone==a"}, PlacementPrefs: []string{"spread=node.labels.rack"}}
	c := pop.Container{ID: "i", Endpoints: []pop.Endpoint{{NetName: "n", Aliases: []string{"x", "y"}}}, HostOptions: h}
	if got := ContainerFromPB(ContainerToPB(c)); !reflect.DeepEqual(got, c) {
		t.Fatalf("container:\n got %+v\nwant %+v", got, c)
	}
	cfg := pop.ContainerConfig{Name: "n", Endpoints: []pop.EndpointConfig{{Network: "n", Aliases: []string{"x"}}}, HostOptions: h}
	if got := ContainerConfigFromPB(ContainerConfigToPB(cfg)); !reflect.DeepEqual(got, cfg) {
		t.Fatalf("config:\n got %+v\nwant %+v", got, cfg)
	}
	if HostOptionsToPB(pop.HostOptions{}) != nil {
		t.Error("no options travel as a message")
	}
	// Placement alone travels too: a popd must see it to refuse it.
	for _, only := range []pop.HostOptions{{Constraints: []string{"node.role==worker"}}, {PlacementPrefs: []string{"spread=node.id"}}} {
		if got := HostOptionsFromPB(HostOptionsToPB(only)); !reflect.DeepEqual(got, only) {
			t.Errorf("placement alone: got %+v, want %+v", got, only)
		}
	}
	if err := ValidateConfig(pop.ContainerConfig{HostOptions: pop.HostOptions{Constraints: []string{"node.labels.z==\xff"}}}); err == nil {
		t.Error("invalid UTF-8 in a constraint accepted")
	}
	if err := ValidateConfig(pop.ContainerConfig{HostOptions: pop.HostOptions{Mounts: []pop.BindMount{{Source: "/\xff"}}}}); err == nil {
		t.Error("invalid UTF-8 in a mount accepted")
	}
}

func TestOtherRoundTrips(t *testing.T) {
	n := pop.Network{ID: "i", Name: "n", Driver: "bridge", Subnet: "s", Gateway: "g", Internal: true, External: true, Owned: true}
	if got := NetworkFromPB(NetworkToPB(n)); got != n {
		t.Errorf("network: %+v", got)
	}
	nc := pop.NetworkConfig{Name: "n", Driver: "overlay", Subnet: "s", Gateway: "g", Internal: true}
	if got := NetworkConfigFromPB(NetworkConfigToPB(nc)); got != nc {
		t.Errorf("network config: %+v", got)
	}
	img := pop.Image{ID: "sha256:x", Tags: []string{"a:1"}, Created: time.Unix(5, 0).UTC(), Size: 9,
		Labels: map[string]string{"l": "v"}, Entrypoint: []string{"/run"}, Cmd: []string{"x"}}
	if got := ImageFromPB(ImageToPB(img)); !reflect.DeepEqual(got, img) {
		t.Errorf("image: %+v", got)
	}
	for _, f := range pop.DefaultFlavours() {
		if got := FlavourFromPB(FlavourToPB(f)); got != f {
			t.Errorf("flavour: %+v", got)
		}
	}
	info := pop.Info{PopName: "p", DockerVersion: "28", APIVersion: "1.41", SwarmManager: true, NCPU: 6, MemoryMB: 15872,
		Containers: map[pop.State]int{pop.StateRunning: 2, pop.StateFailed: 1}, Networks: 3, Images: 4}
	if got := InfoFromPB(InfoToPB(info, time.Now())); !reflect.DeepEqual(got, info) {
		t.Errorf("info: %+v", got)
	}
	for _, f := range []pop.Filter{{}, pop.ByID("i"), pop.ByName("n")} {
		if got := FilterFromPB(FilterToPB(f)); got != f {
			t.Errorf("filter %v: %v", f, got)
		}
	}
	if Tail(-1) != 0 || Tail(1<<40) != 1<<31-1 || Tail(7) != 7 {
		t.Error("tail clamp")
	}
	if ValidateConfig(pop.ContainerConfig{Name: "ok", Env: map[string]string{"K": "\xff"}}) == nil {
		t.Error("non-UTF-8 env accepted")
	}
}
