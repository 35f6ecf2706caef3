package swarm_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// countingBackend counts the engine Pop's container listings: its Open's
// recovery makes one, and each resync one more, so a test can wait for
// resyncs instead of guessing their time.
type countingBackend struct {
	*docker.Backend
	lists atomic.Int32
}

func (b *countingBackend) ListContainers(ctx context.Context) ([]pop.ContainerStatus, error) {
	defer b.lists.Add(1)
	return b.Backend.ListContainers(ctx)
}

// TestDisruptiveSwarmEngineSameName: an engine-mode Pop and a Swarm Pop of
// the same Pop name on the manager (the driver names both after its own
// Pop name) keep out of each other's objects. A Swarm task pinned on node 1
// (the manager's engine) survives the engine Pop's Open and its resyncs;
// each lists only its own networks; a network name the other mode holds
// is refused naming it, and left alone.
func TestDisruptiveSwarmEngineSameName(t *testing.T) {
	s := testenv.SwarmCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()
	p, u := openTestPop(t, ctx, s, "swi")
	popName := "swi-" + u
	swDef := "swi-def-" + u

	defer p.DeleteNetwork(context.Background(), pop.ByName(swDef))
	swNet, err := p.CreateNetwork(ctx, pop.NetworkConfig{Name: "swi-ov-" + u})
	if err != nil {
		t.Fatal(err)
	}
	defer p.DeleteNetwork(context.Background(), pop.ByID(swNet.ID))
	a, err := p.Create(ctx, pop.ContainerConfig{Name: "swi-a-" + u, Image: testenv.BusyboxImage,
		Endpoints: []pop.EndpointConfig{{Network: swNet.Name}},
		HostOptions: pop.HostOptions{Cmd: []string{"sleep", "600"},
			Constraints: []string{"node.labels." + testenv.NodeLabel + "==1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Delete(context.Background(), pop.ByID(a.ID))
	if a, err = p.Start(ctx, pop.ByID(a.ID)); err != nil || a.State != pop.StateRunning {
		t.Fatalf("start: %s %v", a.State, err)
	}
	taskCtr := a.DockerID
	ins, err := s.Manager.ContainerInspect(ctx, taskCtr)
	if err != nil {
		t.Fatalf("the task's container %s is not on node 1: %v", taskCtr, err)
	}
	if v, ok := ins.Config.Labels[docker.LabelPop]; ok {
		t.Errorf("the Swarm task's container carries the engine Pop label %s=%s", docker.LabelPop, v)
	}
	taskID := runningTask(t, ctx, s, a.ID)

	// The engine Pop, with the name the driver gives every Pop.
	eb, err := docker.New(ctx, docker.Options{Host: s.ManagerHost, PopName: popName})
	if err != nil {
		t.Fatal(err)
	}
	defer eb.Close()
	cb := &countingBackend{Backend: eb}
	engNet := "swi-eng-" + u
	core, err := pop.Open(ctx, pop.Config{PopName: popName, StorePath: t.TempDir() + "/p.db", DefaultNetwork: engNet,
		DefaultSubnet: "10.209.64.0/24", NetworkPool: "10.209.65.0/24", ResyncInterval: 200 * time.Millisecond}, cb)
	if err != nil {
		t.Fatalf("open the engine Pop: %v", err)
	}
	defer func() {
		core.Close()
		s.Manager.NetworkRemove(context.Background(), engNet)
	}()
	for after := cb.lists.Load() + 2; cb.lists.Load() < after; time.Sleep(50 * time.Millisecond) {
		if ctx.Err() != nil {
			t.Fatalf("the engine Pop made no resync: %d listings", cb.lists.Load())
		}
	}
	if _, err := s.Manager.ContainerInspect(ctx, taskCtr); err != nil {
		t.Errorf("the engine Pop (same Pop name) removed the Swarm task's container %s: %v", taskCtr[:12], err)
	}
	if now := runningTask(t, ctx, s, a.ID); now != taskID {
		t.Errorf("the Swarm task changed from %s to %s across the engine Pop's open and resyncs", taskID, now)
	}
	if cs, err := core.Containers(ctx, pop.Filter{}); err != nil || len(cs) != 0 {
		t.Errorf("the engine Pop lists %d containers (%v), want none", len(cs), err)
	}

	// An engine Pop whose default network would be the Swarm Pop's
	// default overlay (both modes in one driver, one default name) is
	// refused: Swarm allocates that overlay's addresses.
	if c2, err := pop.Open(ctx, pop.Config{PopName: popName, StorePath: t.TempDir() + "/p2.db", DefaultNetwork: swDef,
		DefaultSubnet: "10.209.66.0/24", NetworkPool: "10.209.67.0/24", ResyncInterval: time.Hour}, eb); err == nil {
		c2.Close()
		t.Errorf("an engine Pop opened with the Swarm Pop's overlay %s as its default network", swDef)
	} else if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), swDef) {
		t.Errorf("engine Pop over the Swarm overlay %s: %v", swDef, err)
	}

	// Each lists only its own networks.
	sws, err := p.Networks(ctx, pop.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sws {
		if n.Name != swDef && n.Name != swNet.Name {
			t.Errorf("the Swarm Pop lists %s (driver %s), not one of its overlays", n.Name, n.Driver)
		}
	}
	if len(sws) != 2 {
		t.Errorf("the Swarm Pop lists %d networks, want its 2 overlays: %+v", len(sws), sws)
	}
	ens, err := core.Networks(ctx, pop.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ens {
		if n.Name != engNet {
			t.Errorf("the engine Pop lists %s (driver %s), not its own bridge", n.Name, n.Driver)
		}
	}
	engList, err := eb.ListNetworks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range engList {
		if n.Ours && n.Name != engNet {
			t.Errorf("the engine Pop's backend takes %s (driver %s) for its own", n.Name, n.Driver)
		}
	}

	// A name the other mode holds: refused by name, and left alone.
	_, err = p.CreateNetwork(ctx, pop.NetworkConfig{Name: engNet})
	if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), engNet) || !strings.Contains(err.Error(), "bridge") {
		t.Errorf("Swarm CreateNetwork on the engine Pop's bridge name: %v", err)
	}
	t.Logf("Swarm Pop, name of the engine Pop's bridge: %v", err)
	if err := p.DeleteNetwork(ctx, pop.ByName(engNet)); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("Swarm DeleteNetwork of the engine Pop's bridge: %v, want not found", err)
	}
	if _, err := s.Manager.NetworkInspect(ctx, engNet, network.InspectOptions{}); err != nil {
		t.Errorf("the engine Pop's bridge is gone: %v", err)
	}
	if _, err := core.CreateNetwork(ctx, pop.NetworkConfig{Name: swNet.Name}); err == nil {
		t.Errorf("the engine Pop created a network named as the Swarm Pop's overlay %s", swNet.Name)
	}
	if ns, err := p.Networks(ctx, pop.ByName(swNet.Name)); err != nil || ns[0].ID != swNet.ID {
		t.Errorf("the Swarm overlay after the engine Pop's attempt: %+v %v", ns, err)
	}
}

// runningTask is the ID of the service's running task.
func runningTask(t *testing.T, ctx context.Context, s *testenv.Swarm, service string) string {
	t.Helper()
	ts, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", service))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		if tk.Status.State == swarm.TaskStateRunning {
			return tk.ID
		}
	}
	t.Fatalf("service %s has no running task", service)
	return ""
}
