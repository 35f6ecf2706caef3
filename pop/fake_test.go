package pop

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// fakeBackend is an in-memory Docker for unit tests of the core.
type fakeBackend struct {
	mu      sync.Mutex
	seq     int
	conts   map[string]*fakeCont
	nets    map[string]NetworkStatus
	images  map[string]Image
	subs    []chan ContainerEvent
	stopErr error
	// stopGate, when set, blocks StopContainer until closed.
	stopGate chan struct{}
	// afterList, when set, runs once after a ListContainers has taken its
	// snapshot and before it returns (to interleave work with a resync).
	afterList func()
	calls     []string
}

type fakeCont struct {
	st   ContainerStatus
	spec ContainerSpec
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		conts:  map[string]*fakeCont{},
		nets:   map[string]NetworkStatus{},
		images: map[string]Image{"busybox:latest": {ID: "sha256:bb", Tags: []string{"busybox:latest"}}},
	}
}

func (f *fakeBackend) record(call string) {
	f.calls = append(f.calls, call)
}

func (f *fakeBackend) countCalls(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeBackend) Ping(ctx context.Context) (EngineInfo, error) {
	return EngineInfo{Version: "fake", APIVersion: "1.41"}, nil
}

func (f *fakeBackend) CreateContainer(ctx context.Context, spec ContainerSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("create " + spec.Name)
	if _, ok := f.images[spec.Image]; !ok {
		return "", Errorf(ErrNotFound, "image %q not found on the Docker host", spec.Image)
	}
	for _, c := range f.conts {
		if c.st.Name == spec.Name {
			return "", Errorf(ErrAlreadyExists, "container name %q in use", spec.Name)
		}
	}
	f.seq++
	id := fmt.Sprintf("d%04d", f.seq)
	nets := map[string]EndpointStatus{}
	for _, ep := range spec.Endpoints {
		nets[ep.NetworkID] = EndpointStatus{NetworkID: ep.NetworkID, IPv4: ep.IPv4, MAC: "02:42:00:00:00:01"}
	}
	f.conts[id] = &fakeCont{spec: spec, st: ContainerStatus{DockerID: id, Name: spec.Name, PopID: spec.PopID,
		ImageID: f.images[spec.Image].ID, Status: "created", Networks: nets}}
	return id, nil
}

func (f *fakeBackend) StartContainer(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("start " + id)
	c, ok := f.conts[id]
	if !ok {
		return Errorf(ErrNotFound, "no container %s", id)
	}
	c.st.Running, c.st.Status, c.st.StartedAt = true, "running", time.Now()
	return nil
}

func (f *fakeBackend) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	gate := f.stopGate
	f.record(fmt.Sprintf("stop %s %s", id, timeout.Round(time.Second)))
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopErr != nil {
		return f.stopErr
	}
	c, ok := f.conts[id]
	if !ok {
		return Errorf(ErrNotFound, "no container %s", id)
	}
	c.st.Running, c.st.Status, c.st.ExitCode = false, "exited", 0
	return nil
}

func (f *fakeBackend) RemoveContainer(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove " + id)
	if _, ok := f.conts[id]; !ok {
		return Errorf(ErrNotFound, "no container %s", id)
	}
	delete(f.conts, id)
	return nil
}

func (f *fakeBackend) InspectContainer(ctx context.Context, ref string) (ContainerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, c := range f.conts {
		if id == ref || c.st.Name == ref {
			return c.st, nil
		}
	}
	return ContainerStatus{}, Errorf(ErrNotFound, "no container %s", ref)
}

func (f *fakeBackend) ListContainers(ctx context.Context) ([]ContainerStatus, error) {
	f.mu.Lock()
	f.record("list")
	var out []ContainerStatus
	for _, c := range f.conts {
		out = append(out, c.st)
	}
	hook := f.afterList
	f.afterList = nil
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

func (f *fakeBackend) ContainerLogs(ctx context.Context, id string, tail int) (string, error) {
	return "log of " + id, nil
}

func (f *fakeBackend) Events(ctx context.Context, since time.Time) (<-chan ContainerEvent, <-chan error) {
	ch := make(chan ContainerEvent, 16)
	errs := make(chan error, 1)
	f.mu.Lock()
	f.subs = append(f.subs, ch)
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, s := range f.subs {
			if s == ch {
				f.subs = append(f.subs[:i], f.subs[i+1:]...)
				close(ch)
				break
			}
		}
		close(errs)
	}()
	return ch, errs
}

// kill simulates a container dying on its own.
func (f *fakeBackend) kill(id string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.conts[id]
	c.st.Running, c.st.Status, c.st.ExitCode = false, "exited", code
	for _, s := range f.subs {
		s <- ContainerEvent{DockerID: id, PopID: c.st.PopID, Action: "die", ExitCode: code, Time: time.Now()}
	}
}

func (f *fakeBackend) InspectImage(ctx context.Context, ref string) (Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, img := range f.images {
		if k == ref || img.ID == ref {
			return img, nil
		}
	}
	return Image{}, Errorf(ErrNotFound, "image %q not found", ref)
}

func (f *fakeBackend) CheckImage(ctx context.Context, ref string) error {
	_, err := f.InspectImage(ctx, ref)
	return err
}

func (f *fakeBackend) ListImages(ctx context.Context) ([]Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Image
	for _, img := range f.images {
		out = append(out, img)
	}
	return out, nil
}

func (f *fakeBackend) PullImage(ctx context.Context, ref string) (Image, error) {
	return f.InspectImage(ctx, ref)
}

func (f *fakeBackend) LoadImage(ctx context.Context, r io.Reader) ([]Image, error) {
	return nil, Errorf(ErrInvalidArgument, "not supported by the fake")
}

func (f *fakeBackend) ListNetworks(ctx context.Context) ([]NetworkStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []NetworkStatus{{ID: "bridge0", Name: "bridge", Driver: "bridge", Subnets: []SubnetStatus{{CIDR: "172.17.0.0/16"}}}}
	for _, n := range f.nets {
		out = append(out, n)
	}
	return out, nil
}

func (f *fakeBackend) InspectNetwork(ctx context.Context, ref string) (NetworkStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, n := range f.nets {
		if id == ref || n.Name == ref {
			return n, nil
		}
	}
	return NetworkStatus{}, Errorf(ErrNotFound, "network %q not found", ref)
}

func (f *fakeBackend) CreateNetwork(ctx context.Context, spec NetworkSpec) (NetworkStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	n := NetworkStatus{ID: fmt.Sprintf("n%04d", f.seq), Name: spec.Name, Driver: spec.Driver,
		Subnets: []SubnetStatus{{CIDR: spec.Subnet, Gateway: spec.Gateway}}, Internal: spec.Internal, Ours: true}
	f.nets[n.ID] = n
	return n, nil
}

func (f *fakeBackend) RemoveNetwork(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nets[id]; !ok {
		return Errorf(ErrNotFound, "network %s not found", id)
	}
	delete(f.nets, id)
	return nil
}
