package wire

import (
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/openbaton-docker/obdocker/pop"
	pb "github.com/openbaton-docker/obdocker/pop/proto"
)

// Times: the zero time travels as an absent timestamp.
func timeToPB(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromPB(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// copyMap copies m; empty maps become nil so both sides agree on "none".
func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// FilterToPB and FilterFromPB convert filters; an ID wins over a name, as
// in pop.Filter.String.
func FilterToPB(f pop.Filter) *pb.Filter {
	switch {
	case f.ID != "":
		return &pb.Filter{Selector: &pb.Filter_Id{Id: f.ID}}
	case f.Name != "":
		return &pb.Filter{Selector: &pb.Filter_Name{Name: f.Name}}
	}
	return &pb.Filter{}
}

func FilterFromPB(f *pb.Filter) pop.Filter {
	return pop.Filter{ID: f.GetId(), Name: f.GetName()}
}

func EndpointToPB(e pop.Endpoint) *pb.Endpoint {
	return &pb.Endpoint{NetId: e.NetID, NetName: e.NetName, Ipv4: e.IPv4, Subnet: e.Subnet,
		Gateway: e.Gateway, Mac: e.MAC, EndpointId: e.EndpointID, Aliases: copyStrings(e.Aliases)}
}

func EndpointFromPB(e *pb.Endpoint) pop.Endpoint {
	return pop.Endpoint{NetID: e.GetNetId(), NetName: e.GetNetName(), IPv4: e.GetIpv4(), Subnet: e.GetSubnet(),
		Gateway: e.GetGateway(), MAC: e.GetMac(), EndpointID: e.GetEndpointId(), Aliases: copyStrings(e.GetAliases())}
}

// HostOptionsToPB gives nil for no options, so older peers see nothing new.
func HostOptionsToPB(h pop.HostOptions) *pb.HostOptions {
	if h.Hostname == "" && len(h.Cmd) == 0 && len(h.DNS) == 0 && len(h.Ports) == 0 && len(h.Expose) == 0 && len(h.Mounts) == 0 &&
		len(h.Constraints) == 0 && len(h.PlacementPrefs) == 0 {
		return nil
	}
	out := &pb.HostOptions{Cmd: copyStrings(h.Cmd), Hostname: h.Hostname, Dns: copyStrings(h.DNS), Expose: copyStrings(h.Expose),
		Constraints: copyStrings(h.Constraints), PlacementPrefs: copyStrings(h.PlacementPrefs)}
	for _, p := range h.Ports {
		out.Ports = append(out.Ports, &pb.PortBinding{HostIp: p.HostIP, HostPort: clampPort(p.HostPort),
			ContainerPort: clampPort(p.ContainerPort), Protocol: p.Protocol})
	}
	for _, m := range h.Mounts {
		out.Mounts = append(out.Mounts, &pb.BindMount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	return out
}

func HostOptionsFromPB(h *pb.HostOptions) pop.HostOptions {
	out := pop.HostOptions{Cmd: copyStrings(h.GetCmd()), Hostname: h.GetHostname(), DNS: copyStrings(h.GetDns()),
		Expose: copyStrings(h.GetExpose()), Constraints: copyStrings(h.GetConstraints()), PlacementPrefs: copyStrings(h.GetPlacementPrefs())}
	for _, p := range h.GetPorts() {
		out.Ports = append(out.Ports, pop.PortBinding{HostIP: p.GetHostIp(), HostPort: int(p.GetHostPort()),
			ContainerPort: int(p.GetContainerPort()), Protocol: p.GetProtocol()})
	}
	for _, m := range h.GetMounts() {
		out.Mounts = append(out.Mounts, pop.BindMount{Source: m.GetSource(), Target: m.GetTarget(), ReadOnly: m.GetReadOnly()})
	}
	return out
}

// clampPort keeps an out-of-range port out of range on the wire (the
// server refuses it) instead of wrapping into a valid one.
func clampPort(n int) int32 {
	if n < 0 || n > 1<<31-1 {
		return -1
	}
	return int32(n)
}

func ContainerToPB(c pop.Container) *pb.Container {
	out := &pb.Container{
		Id: c.ID, Name: c.Name, Image: c.Image, ImageId: c.ImageID, Flavour: c.Flavour, DockerId: c.DockerID,
		Status: pb.Status(c.State), ExtendedStatus: c.ExtendedStatus, ExitCode: int32(c.ExitCode),
		Created: timeToPB(c.Created), Started: timeToPB(c.Started), Finished: timeToPB(c.Finished),
		Env: copyMap(c.Env), Metadata: copyMap(c.Metadata), CapAdd: copyStrings(c.CapAdd), Sysctls: copyMap(c.Sysctls),
		Host: HostOptionsToPB(c.HostOptions),
	}
	for _, e := range c.Endpoints {
		out.Endpoints = append(out.Endpoints, EndpointToPB(e))
	}
	return out
}

// ContainerFromPB gives Endpoints as a non-nil slice, like the core.
func ContainerFromPB(c *pb.Container) pop.Container {
	out := pop.Container{
		ID: c.GetId(), Name: c.GetName(), Image: c.GetImage(), ImageID: c.GetImageId(), Flavour: c.GetFlavour(),
		DockerID: c.GetDockerId(), State: stateFromPB(c.GetStatus()), ExtendedStatus: c.GetExtendedStatus(),
		ExitCode: int(c.GetExitCode()), Created: timeFromPB(c.GetCreated()), Started: timeFromPB(c.GetStarted()),
		Finished: timeFromPB(c.GetFinished()), Endpoints: make([]pop.Endpoint, 0, len(c.GetEndpoints())),
		Env: copyMap(c.GetEnv()), Metadata: copyMap(c.GetMetadata()), CapAdd: copyStrings(c.GetCapAdd()),
		Sysctls: copyMap(c.GetSysctls()), HostOptions: HostOptionsFromPB(c.GetHost()),
	}
	for _, e := range c.GetEndpoints() {
		out.Endpoints = append(out.Endpoints, EndpointFromPB(e))
	}
	return out
}

// stateFromPB maps unknown enum values (a newer server) to UNAVAILABLE.
func stateFromPB(s pb.Status) pop.State {
	if _, ok := pb.Status_name[int32(s)]; !ok {
		return pop.StateUnavailable
	}
	return pop.State(s)
}

func ContainersFromPB(l *pb.ContainerList) []pop.Container {
	out := make([]pop.Container, 0, len(l.GetList()))
	for _, c := range l.GetList() {
		out = append(out, ContainerFromPB(c))
	}
	return out
}

func ContainersToPB(cs []pop.Container) *pb.ContainerList {
	out := &pb.ContainerList{}
	for _, c := range cs {
		out.List = append(out.List, ContainerToPB(c))
	}
	return out
}

func ContainerConfigToPB(c pop.ContainerConfig) *pb.ContainerConfig {
	out := &pb.ContainerConfig{Name: c.Name, Image: c.Image, Flavour: c.Flavour, Env: copyMap(c.Env),
		Metadata: copyMap(c.Metadata), CapAdd: copyStrings(c.CapAdd), Sysctls: copyMap(c.Sysctls),
		Host: HostOptionsToPB(c.HostOptions)}
	for _, e := range c.Endpoints {
		out.Endpoints = append(out.Endpoints, &pb.EndpointConfig{Network: e.Network, Ipv4: e.IPv4, Aliases: copyStrings(e.Aliases)})
	}
	return out
}

func ContainerConfigFromPB(c *pb.ContainerConfig) pop.ContainerConfig {
	out := pop.ContainerConfig{Name: c.GetName(), Image: c.GetImage(), Flavour: c.GetFlavour(),
		Env: copyMap(c.GetEnv()), Metadata: copyMap(c.GetMetadata()), CapAdd: copyStrings(c.GetCapAdd()),
		Sysctls: copyMap(c.GetSysctls()), HostOptions: HostOptionsFromPB(c.GetHost())}
	for _, e := range c.GetEndpoints() {
		out.Endpoints = append(out.Endpoints, pop.EndpointConfig{Network: e.GetNetwork(), IPv4: e.GetIpv4(), Aliases: copyStrings(e.GetAliases())})
	}
	return out
}

// ValidateConfig refuses what protobuf cannot carry: its strings must be
// UTF-8. Without this check the caller would get an opaque marshalling error.
func ValidateConfig(c pop.ContainerConfig) error {
	check := func(what, s string) error {
		if !utf8.ValidString(s) {
			return pop.Errorf(pop.ErrInvalidArgument, "%s %q is not valid UTF-8", what, s)
		}
		return nil
	}
	var errs []error
	errs = append(errs, check("name", c.Name), check("image", c.Image), check("flavour", c.Flavour))
	for _, e := range c.Endpoints {
		errs = append(errs, check("network", e.Network), check("IPv4", e.IPv4))
		for _, a := range e.Aliases {
			errs = append(errs, check("alias", a))
		}
	}
	for _, m := range []map[string]string{c.Env, c.Metadata, c.Sysctls} {
		errs = append(errs, ValidateMap(m))
	}
	h := c.HostOptions
	errs = append(errs, check("hostname", h.Hostname))
	for _, l := range []struct {
		what string
		ss   []string
	}{{"capability", c.CapAdd}, {"command argument", h.Cmd}, {"DNS server", h.DNS}, {"exposed port", h.Expose},
		{"placement constraint", h.Constraints}, {"placement preference", h.PlacementPrefs}} {
		for _, s := range l.ss {
			errs = append(errs, check(l.what, s))
		}
	}
	for _, p := range h.Ports {
		errs = append(errs, check("host IP", p.HostIP), check("protocol", p.Protocol))
	}
	for _, m := range h.Mounts {
		errs = append(errs, check("mount source", m.Source), check("mount target", m.Target))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ValidateMap checks that every key and value of m is UTF-8.
func ValidateMap(m map[string]string) error {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return pop.Errorf(pop.ErrInvalidArgument, "entry %q=%q is not valid UTF-8", k, v)
		}
	}
	return nil
}

// ValidateStrings checks plain arguments (filters, references) the same way.
func ValidateStrings(what string, ss ...string) error {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return pop.Errorf(pop.ErrInvalidArgument, "%s %q is not valid UTF-8", what, s)
		}
	}
	return nil
}

func NetworkToPB(n pop.Network) *pb.Network {
	return &pb.Network{Id: n.ID, Name: n.Name, Driver: n.Driver, Subnet: n.Subnet, Gateway: n.Gateway,
		Internal: n.Internal, External: n.External, Owned: n.Owned}
}

func NetworkFromPB(n *pb.Network) pop.Network {
	return pop.Network{ID: n.GetId(), Name: n.GetName(), Driver: n.GetDriver(), Subnet: n.GetSubnet(),
		Gateway: n.GetGateway(), Internal: n.GetInternal(), External: n.GetExternal(), Owned: n.GetOwned()}
}

func NetworksToPB(ns []pop.Network) *pb.NetworkList {
	out := &pb.NetworkList{}
	for _, n := range ns {
		out.List = append(out.List, NetworkToPB(n))
	}
	return out
}

func NetworksFromPB(l *pb.NetworkList) []pop.Network {
	out := make([]pop.Network, 0, len(l.GetList()))
	for _, n := range l.GetList() {
		out = append(out, NetworkFromPB(n))
	}
	return out
}

func NetworkConfigToPB(c pop.NetworkConfig) *pb.NetworkConfig {
	return &pb.NetworkConfig{Name: c.Name, Driver: c.Driver, Subnet: c.Subnet, Gateway: c.Gateway, Internal: c.Internal}
}

func NetworkConfigFromPB(c *pb.NetworkConfig) pop.NetworkConfig {
	return pop.NetworkConfig{Name: c.GetName(), Driver: c.GetDriver(), Subnet: c.GetSubnet(),
		Gateway: c.GetGateway(), Internal: c.GetInternal()}
}

func ImageToPB(i pop.Image) *pb.Image {
	return &pb.Image{Id: i.ID, Tags: copyStrings(i.Tags), Created: timeToPB(i.Created), Size: i.Size,
		Labels: copyMap(i.Labels), Entrypoint: copyStrings(i.Entrypoint), Cmd: copyStrings(i.Cmd)}
}

// ImageFromPB gives Tags as a non-nil slice.
func ImageFromPB(i *pb.Image) pop.Image {
	tags := copyStrings(i.GetTags())
	if tags == nil {
		tags = []string{}
	}
	return pop.Image{ID: i.GetId(), Tags: tags, Created: timeFromPB(i.GetCreated()), Size: i.GetSize(),
		Labels: copyMap(i.GetLabels()), Entrypoint: copyStrings(i.GetEntrypoint()), Cmd: copyStrings(i.GetCmd())}
}

func ImagesToPB(is []pop.Image) *pb.ImageList {
	out := &pb.ImageList{}
	for _, i := range is {
		out.List = append(out.List, ImageToPB(i))
	}
	return out
}

func ImagesFromPB(l *pb.ImageList) []pop.Image {
	out := make([]pop.Image, 0, len(l.GetList()))
	for _, i := range l.GetList() {
		out = append(out, ImageFromPB(i))
	}
	return out
}

func FlavourToPB(f pop.Flavour) *pb.Flavour {
	return &pb.Flavour{Id: f.ID, Name: f.Name, Cpus: f.CPUs, MemoryMb: f.MemoryMB, DiskGb: f.DiskGB}
}

func FlavourFromPB(f *pb.Flavour) pop.Flavour {
	return pop.Flavour{ID: f.GetId(), Name: f.GetName(), CPUs: f.GetCpus(), MemoryMB: f.GetMemoryMb(), DiskGB: f.GetDiskGb()}
}

func FlavoursToPB(fs []pop.Flavour) *pb.FlavourList {
	out := &pb.FlavourList{}
	for _, f := range fs {
		out.List = append(out.List, FlavourToPB(f))
	}
	return out
}

func FlavoursFromPB(l *pb.FlavourList) []pop.Flavour {
	out := make([]pop.Flavour, 0, len(l.GetList()))
	for _, f := range l.GetList() {
		out = append(out, FlavourFromPB(f))
	}
	return out
}

// InfoToPB stamps the answer with now, as the 2017 Infos did.
func InfoToPB(i pop.Info, now time.Time) *pb.Infos {
	out := &pb.Infos{Type: "docker", PopName: i.PopName, Timestamp: timeToPB(now), DockerVersion: i.DockerVersion,
		ApiVersion: i.APIVersion, SwarmManager: i.SwarmManager, Networks: int64(i.Networks), Images: int64(i.Images),
		Ncpu: int64(i.NCPU), MemoryMb: i.MemoryMB, DefaultNetwork: i.DefaultNetwork}
	if len(i.Containers) > 0 {
		out.Containers = make(map[string]int64, len(i.Containers))
		for s, n := range i.Containers {
			out.Containers[s.String()] += int64(n)
		}
	}
	return out
}

// InfoFromPB counts states it does not know (a newer server) as UNAVAILABLE.
func InfoFromPB(i *pb.Infos) pop.Info {
	out := pop.Info{PopName: i.GetPopName(), DockerVersion: i.GetDockerVersion(), APIVersion: i.GetApiVersion(),
		SwarmManager: i.GetSwarmManager(), Networks: int(i.GetNetworks()), Images: int(i.GetImages()),
		NCPU: int(i.GetNcpu()), MemoryMB: i.GetMemoryMb(), DefaultNetwork: i.GetDefaultNetwork(),
		Containers: make(map[pop.State]int, len(i.GetContainers()))}
	for name, n := range i.GetContainers() {
		out.Containers[pop.ParseState(name)] += int(n)
	}
	return out
}

// Tail clamps a tail count to the wire's int32.
func Tail(n int) int32 {
	switch {
	case n <= 0:
		return 0
	case n > 1<<31-1:
		return 1<<31 - 1
	}
	return int32(n)
}
