package swarm_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
	popswarm "github.com/openbaton-docker/obdocker/pop/swarm"
)

// openTestPop opens a Swarm Pop of its own name on the rig's manager; the
// test fails if any of its services or networks is left.
func openTestPop(t *testing.T, ctx context.Context, s *testenv.Swarm, prefix string) (*popswarm.Pop, string) {
	t.Helper()
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	popName := prefix + "-" + u
	b, err := docker.New(ctx, docker.Options{Host: s.ManagerHost, PopName: popName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p, err := popswarm.Open(ctx, popswarm.Config{PopName: popName, DefaultNetwork: prefix + "-def-" + u}, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leftovers(t, s, popName) })
	return p, u
}

// commitImage makes image name (on the manager's engine only) from the
// test image with entrypoint, a shell command; removed at the end of the
// test, once Swarm has removed the task containers that use it (shortly
// after their service: a single docker rmi at cleanup left the image).
func commitImage(t *testing.T, name, entrypoint string) {
	t.Helper()
	cid, err := exec.Command("docker", "create", testenv.BusyboxImage).Output()
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Command("docker", "rm", strings.TrimSpace(string(cid))).Run()
	if out, err := exec.Command("docker", "commit", "--change", `ENTRYPOINT ["/bin/sh", "-c", `+strconv.Quote(entrypoint)+`]`,
		strings.TrimSpace(string(cid)), name).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() {
		var out []byte
		for range 50 {
			if out, err = exec.Command("docker", "rmi", name).CombinedOutput(); err == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Errorf("image %s left: %v: %s", name, err, out)
	})
}

// TestDisruptiveSwarmStopNodeDown: a container whose node is down stops.
// Its service is scaled to 0; the task on the dead node can never report
// that it ended (Swarm marks it orphaned much later), and nothing of it
// runs, so it counts as gone: the container goes EXITED, saying why,
// instead of STOPPING for ever. (Before: STOPPING until the node came back.)
func TestDisruptiveSwarmStopNodeDown(t *testing.T) {
	s := testenv.SwarmCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	p, u := openTestPop(t, ctx, s, "sws")

	// A hard constraint: node 2 or nowhere, so Swarm cannot reschedule it.
	c, err := p.Create(ctx, pop.ContainerConfig{Name: "sws-a-" + u, Image: testenv.BusyboxImage,
		HostOptions: pop.HostOptions{Constraints: []string{"node.labels." + testenv.NodeLabel + "==2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = p.Start(ctx, pop.ByID(c.ID)); err != nil || c.State != pop.StateRunning {
		t.Fatalf("start: %s %v", c.State, err)
	}
	if node := s.RunningOn(t, c.ID); node != "2" {
		t.Fatalf("runs on node %s, want 2", node)
	}
	if err := s.StopWorker(ctx); err != nil {
		t.Fatal(err)
	}
	waitNodeDown(t, ctx, s, s.Node2)

	if c, err = p.Stop(ctx, pop.ByID(c.ID)); err != nil || (c.State != pop.StateStopping && c.State != pop.StateExited) {
		t.Fatalf("stop: %s %v", c.State, err)
	}
	// The answer needs no more than a listing; 30 s only bounds a failure.
	for give := time.Now().Add(30 * time.Second); ; {
		cs, err := p.Containers(ctx, pop.ByID(c.ID))
		if err != nil {
			t.Fatal(err)
		}
		if c = cs[0]; c.State == pop.StateExited {
			break
		}
		if time.Now().After(give) {
			t.Fatalf("stopped with its node down: still %s (%s), want EXITED", c.State, c.ExtendedStatus)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(c.ExtendedStatus, "down") || !strings.Contains(c.ExtendedStatus, s.Node2) {
		t.Errorf("EXITED without saying the node is down: %q", c.ExtendedStatus)
	}
	t.Logf("stopped with its node down: %s (%s)", c.State, c.ExtendedStatus)

	if err := p.Delete(ctx, pop.ByID(c.ID)); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteNetwork(ctx, pop.ByName("sws-def-"+u)); err != nil {
		t.Fatal(err)
	}
}

// waitNodeDown waits until the manager sees node id down.
func waitNodeDown(t *testing.T, ctx context.Context, s *testenv.Swarm, id string) {
	t.Helper()
	for {
		n, _, err := s.Manager.NodeInspectWithRaw(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if n.Status.State == swarm.NodeStateDown {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node %s still %s", id, n.Status.State)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
