package client

import (
	"context"
	"io"
	"sync"

	"github.com/openbaton-docker/obdocker/pop"
)

// fakePop is a pop.Pop for testing the gRPC layer alone: it answers from a
// map, returns err when set, and blocks Start while hold is set.
type fakePop struct {
	mu         sync.Mutex
	containers map[string]pop.Container
	err        error
	// entered receives when Start begins; Start then waits for release or
	// its ctx.
	entered chan struct{}
	release chan struct{}
	loaded  int64
}

func newFakePop() *fakePop {
	return &fakePop{containers: map[string]pop.Container{}}
}

func (f *fakePop) fail() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakePop) Info(context.Context) (pop.Info, error) {
	if err := f.fail(); err != nil {
		return pop.Info{}, err
	}
	return pop.Info{PopName: "fake", DockerVersion: "0", Containers: map[pop.State]int{pop.StateCreated: len(f.containers)}}, nil
}

func (f *fakePop) find(flt pop.Filter) (pop.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.ID == flt.ID || c.Name == flt.Name {
			return c, nil
		}
	}
	return pop.Container{}, pop.Errorf(pop.ErrNotFound, "container %v not found", flt)
}

func (f *fakePop) Containers(_ context.Context, flt pop.Filter) ([]pop.Container, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	if flt.All() {
		f.mu.Lock()
		defer f.mu.Unlock()
		var out []pop.Container
		for _, c := range f.containers {
			out = append(out, c)
		}
		return out, nil
	}
	c, err := f.find(flt)
	if err != nil {
		return nil, err
	}
	return []pop.Container{c}, nil
}

func (f *fakePop) Images(context.Context, pop.Filter) ([]pop.Image, error) {
	return nil, f.fail()
}

func (f *fakePop) Networks(context.Context, pop.Filter) ([]pop.Network, error) {
	return []pop.Network{{ID: "n1", Name: "private", Subnet: "10.0.0.0/24"}}, f.fail()
}

func (f *fakePop) Flavours(context.Context, pop.Filter) ([]pop.Flavour, error) {
	return pop.DefaultFlavours(), f.fail()
}

func (f *fakePop) Create(_ context.Context, cfg pop.ContainerConfig) (pop.Container, error) {
	if err := f.fail(); err != nil {
		return pop.Container{}, err
	}
	c := pop.Container{ID: "id-" + cfg.Name, Name: cfg.Name, Image: cfg.Image, State: pop.StateCreated,
		Metadata: cfg.Metadata, Env: cfg.Env, Endpoints: []pop.Endpoint{{NetName: "private", IPv4: "10.0.0.2"}}}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.containers[c.ID]; ok {
		return pop.Container{}, pop.Errorf(pop.ErrAlreadyExists, "container %q exists", cfg.Name)
	}
	f.containers[c.ID] = c
	return c, nil
}

func (f *fakePop) Metadata(_ context.Context, flt pop.Filter, md map[string]string) (pop.Container, error) {
	c, err := f.find(flt)
	if err != nil {
		return c, err
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
	f.mu.Lock()
	f.containers[c.ID] = c
	f.mu.Unlock()
	return c, nil
}

func (f *fakePop) Start(ctx context.Context, flt pop.Filter) (pop.Container, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
		select {
		case <-f.release:
		case <-ctx.Done():
			return pop.Container{}, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "start interrupted")
		}
	}
	c, err := f.find(flt)
	if err != nil {
		return c, err
	}
	c.State = pop.StateRunning
	return c, nil
}

func (f *fakePop) Stop(_ context.Context, flt pop.Filter) (pop.Container, error) {
	c, err := f.find(flt)
	c.State = pop.StateStopping
	return c, err
}

func (f *fakePop) Delete(_ context.Context, flt pop.Filter) error {
	c, err := f.find(flt)
	if err != nil {
		return err
	}
	f.mu.Lock()
	delete(f.containers, c.ID)
	f.mu.Unlock()
	return nil
}

func (f *fakePop) Logs(_ context.Context, flt pop.Filter, tail int) (string, error) {
	if _, err := f.find(flt); err != nil {
		return "", err
	}
	return "line\xff\n", nil // not UTF-8: logs travel as bytes
}

func (f *fakePop) CreateNetwork(_ context.Context, cfg pop.NetworkConfig) (pop.Network, error) {
	return pop.Network{Name: cfg.Name, Subnet: cfg.Subnet}, f.fail()
}

func (f *fakePop) DeleteNetwork(context.Context, pop.Filter) error { return f.fail() }

func (f *fakePop) PullImage(_ context.Context, ref string) (pop.Image, error) {
	return pop.Image{ID: "sha256:x", Tags: []string{ref}}, f.fail()
}

func (f *fakePop) LoadImage(_ context.Context, r io.Reader) ([]pop.Image, error) {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.loaded += n
	f.mu.Unlock()
	return []pop.Image{{ID: "sha256:loaded", Size: n}}, nil
}
