package vim

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/swarm"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
	popswarm "github.com/openbaton-docker/obdocker/pop/swarm"
)

// closingSwarmPop is a Swarm Pop over its own Docker client, embedded as
// the driver's factory embeds it: its optional interfaces show through.
type closingSwarmPop struct {
	*popswarm.Pop
	b *docker.Backend
}

func (c closingSwarmPop) Close() error { return c.b.Close() }

// TestDisruptiveSwarmRebuildKeepsVIP: rebuildServer on a Swarm VIM updates
// the service's image in place. A running server comes back ACTIVE on the
// new image with the same service and VIPs; a CREATED one keeps its state
// and VIPs with the new image recorded. (Before: rebuildServer deleted the
// service and re-created it with the old IPs fixed, which a Swarm VIM
// refuses: the server was lost.)
func TestDisruptiveSwarmRebuildKeepsVIP(t *testing.T) {
	s := testenv.SwarmCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	popName := "swrb-" + u

	// The new image: the test image with a label of its own, on both nodes.
	newRef := "obdocker-test/busybox-rebuilt:" + u
	build := exec.CommandContext(ctx, "docker", "build", "-q", "-t", newRef, "-")
	build.Stdin = strings.NewReader("FROM " + testenv.BusyboxImage + "\nLABEL org.openbaton-docker.test.rebuilt=" + u + "\n")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v: %s", newRef, err, out)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		for _, c := range []interface {
			ImageRemove(context.Context, string, image.RemoveOptions) ([]image.DeleteResponse, error)
		}{s.Manager, s.Worker} {
			// The removed service's task containers go a moment after the
			// service: until then the image is in use.
			for {
				_, err := c.ImageRemove(cctx, newRef, image.RemoveOptions{})
				if err == nil || strings.Contains(err.Error(), "No such image") {
					break
				}
				if cctx.Err() != nil {
					t.Errorf("cleanup: remove %s: %v", newRef, err)
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	})
	if out, err := exec.CommandContext(ctx, "sh", "-c", "docker save "+newRef+" | docker -H "+testenv.SwarmWorkerHost+" load -q").CombinedOutput(); err != nil {
		t.Fatalf("%s onto node 2: %v: %s", newRef, err, out)
	}

	b, err := docker.New(ctx, docker.Options{Host: s.ManagerHost, PopName: popName})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := popswarm.Open(ctx, popswarm.Config{PopName: popName, DefaultNetwork: "swrb-def-" + u}, b)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	d := New(Config{Open: func(context.Context, EndpointKey) (pop.Pop, error) { return closingSwarmPop{sp, b}, nil }}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"swarm","authUrl":%q,"id":"sw1","metadata":{%q:%q}}`,
		s.ManagerHost, MetadataMode, ModeSwarm))
	defer func() {
		for _, n := range []string{"a", "c"} {
			if err := sp.Delete(ctx, pop.ByName("swrb-"+n+"-"+u)); err != nil && !strings.Contains(err.Error(), "not found") {
				t.Errorf("delete: %v", err)
			}
		}
		if err := sp.DeleteNetwork(ctx, pop.ByName("swrb-def-"+u)); err != nil {
			t.Errorf("delete network: %v", err)
		}
	}()

	a, err := sp.Create(ctx, pop.ContainerConfig{Name: "swrb-a-" + u, Image: testenv.BusyboxImage, Env: map[string]string{"KEEP": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = sp.Start(ctx, pop.ByID(a.ID)); err != nil {
		t.Fatal(err)
	}
	vips := a.Endpoints[0].IPv4
	ans, err := call(t, d, "rebuildServer", params(t, vimJSON, a.ID, newRef))
	if err != nil {
		t.Fatalf("rebuildServer of a running server: %v", err)
	}
	var srv Server
	if err := json.Unmarshal(ans, &srv); err != nil {
		t.Fatal(err)
	}
	if srv.Status != StatusActive || srv.ExtID != a.ID || !slices.Equal(srv.IPs["swrb-def-"+u], []string{vips}) {
		t.Fatalf("rebuilt: status %s, extId %s (was %s), ips %v (VIP was %s)", srv.Status, srv.ExtID, a.ID, srv.IPs, vips)
	}
	svc, _, err := s.Manager.ServiceInspectWithRaw(ctx, a.ID, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Fatalf("the service is gone: %v", err)
	}
	if got := svc.Spec.TaskTemplate.ContainerSpec.Image; got != newRef {
		t.Errorf("service image %q, want %q", got, newRef)
	}
	if len(svc.Endpoint.VirtualIPs) == 0 || !strings.HasPrefix(svc.Endpoint.VirtualIPs[0].Addr, vips+"/") {
		t.Errorf("service VIPs %+v, want %s", svc.Endpoint.VirtualIPs, vips)
	}
	if !slices.Contains(svc.Spec.TaskTemplate.ContainerSpec.Env, "KEEP=1") {
		t.Errorf("environment lost: %v", svc.Spec.TaskTemplate.ContainerSpec.Env)
	}
	// The running task is the new image's.
	ts, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, tk := range ts {
		if tk.ServiceID == a.ID && tk.Status.State == swarm.TaskStateRunning && tk.DesiredState == swarm.TaskStateRunning {
			running++
			if tk.Spec.ContainerSpec.Image != newRef {
				t.Errorf("running task %s is of %s, want %s", tk.ID, tk.Spec.ContainerSpec.Image, newRef)
			}
		}
	}
	if running != 1 {
		t.Errorf("%d running tasks, want 1", running)
	}

	// A CREATED server: the image is recorded, nothing runs, the VIP stays.
	c, err := sp.Create(ctx, pop.ContainerConfig{Name: "swrb-c-" + u, Image: testenv.BusyboxImage})
	if err != nil {
		t.Fatal(err)
	}
	ans, err = call(t, d, "rebuildServer", params(t, vimJSON, c.Name, newRef))
	if err != nil {
		t.Fatalf("rebuildServer of a CREATED server: %v", err)
	}
	if err := json.Unmarshal(ans, &srv); err != nil {
		t.Fatal(err)
	}
	cs, err := sp.Containers(ctx, pop.ByID(c.ID))
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].State != pop.StateCreated || cs[0].Image != newRef || cs[0].Endpoints[0].IPv4 != c.Endpoints[0].IPv4 ||
		srv.ExtID != c.ID {
		t.Fatalf("CREATED rebuilt: %s %s %v (extId %s, was %s)", cs[0].State, cs[0].Image, cs[0].Endpoints, srv.ExtID, c.ID)
	}
}
