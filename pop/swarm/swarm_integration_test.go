package swarm_test

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
	popswarm "github.com/openbaton-docker/obdocker/pop/swarm"
)

// TestDisruptiveSwarmPop drives the Swarm Pop on the two-node rig: VIPs at
// Create, fixed IPs refused, metadata and start in one update, flavour as
// reservations, placement, images every node has, a start whose image a
// node lacks fails with the task's error, stop and restart keep the VIP,
// and when node 2's engine stops its container goes BUILD and comes back
// RUNNING on node 1 with the same VIP. Deleting leaves nothing.
func TestDisruptiveSwarmPop(t *testing.T) {
	s := testenv.SwarmCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	popName := "swp-" + u
	b, err := docker.New(ctx, docker.Options{Host: s.ManagerHost, PopName: popName})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := popswarm.Open(ctx, popswarm.Config{PopName: popName, DefaultNetwork: "swp-def-" + u}, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leftovers(t, s, popName) })

	net, err := p.CreateNetwork(ctx, pop.NetworkConfig{Name: "swp-net-" + u})
	if err != nil || net.Driver != "overlay" || net.Subnet == "" {
		t.Fatalf("create network: %+v %v", net, err)
	}
	eps := []pop.EndpointConfig{{Network: "swp-def-" + u}, {Network: net.Name, Aliases: []string{"srv"}}}

	_, err = p.Create(ctx, pop.ContainerConfig{Name: "swp-fixed-" + u, Image: testenv.BusyboxImage,
		Endpoints: []pop.EndpointConfig{{Network: net.Name, IPv4: "10.209.200.9"}}})
	if !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), net.Name) || !strings.Contains(err.Error(), "fixed IP") {
		t.Fatalf("fixed IP: %v", err)
	}

	// Lifecycle, pinned on node 2.
	cfg := pop.ContainerConfig{Name: "swp-a-" + u, Image: testenv.BusyboxImage, Flavour: "m1.tiny", Endpoints: eps,
		Env: map[string]string{"FROM_ENV": "1", "BOTH": "env"}, Metadata: map[string]string{"BOTH": "md"}}
	cfg.Constraints = []string{"node.labels." + testenv.NodeLabel + "==2"}
	bi, err := b.InspectImage(ctx, testenv.BusyboxImage)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Image = bi.ID // as the NFVO sends it: the image's extId
	a, err := p.Create(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if asvc, _, err := s.Manager.ServiceInspectWithRaw(ctx, a.ID, swarm.ServiceInspectOptions{}); err != nil ||
		!strings.HasPrefix(asvc.Spec.TaskTemplate.ContainerSpec.Image, "obdocker-test/busybox:") {
		t.Fatalf("a launch by image ID runs from a tag: service image %q, %v", asvc.Spec.TaskTemplate.ContainerSpec.Image, err)
	}
	if a.State != pop.StateCreated || len(a.Endpoints) != 2 || a.Endpoints[0].IPv4 == "" || a.Endpoints[1].IPv4 == "" {
		t.Fatalf("created: %+v", a)
	}
	vips := ips(a)
	if _, err := p.Metadata(ctx, pop.ByName(a.Name), map[string]string{"LATE": "yes"}); err != nil {
		t.Fatal(err)
	}
	a, err = p.Start(ctx, pop.ByID(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != pop.StateRunning || !slices.Equal(ips(a), vips) {
		t.Fatalf("started: %s, IPs %v, want %v", a.State, ips(a), vips)
	}
	ins, err := s.Worker.ContainerInspect(ctx, a.DockerID)
	if err != nil {
		t.Fatalf("the task's container is not on node 2: %v", err)
	}
	for _, want := range []string{"FROM_ENV=1", "BOTH=md", "LATE=yes"} {
		if !slices.Contains(ins.Config.Env, want) {
			t.Errorf("env %v lacks %s", ins.Config.Env, want)
		}
	}
	svc, _, err := s.Manager.ServiceInspectWithRaw(ctx, a.ID, swarm.ServiceInspectOptions{})
	if err != nil || svc.Spec.TaskTemplate.Resources == nil || svc.Spec.TaskTemplate.Resources.Reservations.MemoryBytes == 0 {
		t.Fatalf("flavour as reservations: %+v %v", svc.Spec.TaskTemplate.Resources, err)
	}
	if _, err := p.Logs(ctx, pop.ByID(a.ID), 10); err != nil {
		t.Errorf("logs: %v", err)
	}
	if a, err = p.Stop(ctx, pop.ByID(a.ID)); err != nil || (a.State != pop.StateStopping && a.State != pop.StateExited) {
		t.Fatalf("stop: %s %v", a.State, err)
	}
	a = waitState(t, ctx, p, a.ID, pop.StateExited)
	if a, err = p.Start(ctx, pop.ByID(a.ID)); err != nil || !slices.Equal(ips(a), vips) {
		t.Fatalf("restart: %v, IPs %v want %v", err, ips(a), vips)
	}
	if err := p.Delete(ctx, pop.ByID(a.ID)); err != nil {
		t.Fatal(err)
	}

	// Images: with node 2's engine named by its label, only what both have.
	if out, err := exec.Command("docker", "node", "update", "--label-add", popswarm.LabelEngine+"="+testenv.SwarmWorkerHost, s.Node2).CombinedOutput(); err != nil {
		t.Fatalf("label node 2: %v: %s", err, out)
	}
	only1 := "obdocker-test/swarm-node1-only:" + u
	if out, err := exec.Command("docker", "tag", testenv.BusyboxImage, only1).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	defer exec.Command("docker", "rmi", only1).Run()
	if err := s.Worker.ImageTag(ctx, testenv.BusyboxImage, "obdocker-test/swarm-node2-copy:"+u); err != nil {
		t.Fatal(err)
	}
	imgs, err := p.Images(ctx, pop.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, im := range imgs {
		tags = append(tags, im.Tags...)
	}
	if !slices.Contains(tags, testenv.BusyboxImage) {
		t.Errorf("images %v lack the test image, which both nodes have", tags)
	}
	// Same image ID on both nodes: a tag only node 1 has still names an
	// image node 2 has. An image node 2 lacks altogether is what goes.
	if _, err := p.Images(ctx, pop.ByName(testenv.BusyboxImage)); err != nil {
		t.Errorf("image by name: %v", err)
	}

	// A start on a node without the image fails with the task's error.
	// The registry is node 2's own loopback: nothing leaves the rig.
	missing := "127.0.0.1:1/obdocker-missing:" + u
	m, err := p.Create(ctx, pop.ContainerConfig{Name: "swp-m-" + u, Image: missing, Endpoints: eps[:1],
		HostOptions: pop.HostOptions{Constraints: []string{"node.labels." + testenv.NodeLabel + "==2"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Start(ctx, pop.ByID(m.ID))
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/obdocker-missing") && !strings.Contains(err.Error(), "No such image") {
		t.Fatalf("start without the image on the node: %v", err)
	}
	t.Logf("start without the image: %v", err)
	if m = waitState(t, ctx, p, m.ID, pop.StateFailed); m.ExtendedStatus == "" {
		t.Errorf("FAILED without a reason")
	}
	if err := p.Delete(ctx, pop.ByID(m.ID)); err != nil {
		t.Fatal(err)
	}

	// Rescheduling: a filler on node 1 makes Swarm's spread (the least
	// loaded node) put the next container on node 2; node 2's engine then
	// stops. (A placement preference cannot pin one replica: Swarm breaks
	// the tie between the label's values itself.)
	filler, err := p.Create(ctx, pop.ContainerConfig{Name: "swp-f-" + u, Image: testenv.BusyboxImage, Endpoints: eps[:1],
		HostOptions: pop.HostOptions{Constraints: []string{"node.labels." + testenv.NodeLabel + "==1"},
			PlacementPrefs: []string{"spread=node.labels." + testenv.NodeLabel}}})
	if err != nil {
		t.Fatal(err)
	}
	fsvc, _, err := s.Manager.ServiceInspectWithRaw(ctx, filler.ID, swarm.ServiceInspectOptions{})
	if pl := fsvc.Spec.TaskTemplate.Placement; err != nil || pl == nil || len(pl.Preferences) != 1 ||
		pl.Preferences[0].Spread.SpreadDescriptor != "node.labels."+testenv.NodeLabel {
		t.Fatalf("placement preference not in the service: %+v %v", pl, err)
	}
	if _, err := p.Start(ctx, pop.ByID(filler.ID)); err != nil {
		t.Fatal(err)
	}
	r, err := p.Create(ctx, pop.ContainerConfig{Name: "swp-r-" + u, Image: testenv.BusyboxImage, Endpoints: eps})
	if err != nil {
		t.Fatal(err)
	}
	rvips := ips(r)
	if r, err = p.Start(ctx, pop.ByID(r.ID)); err != nil {
		t.Fatal(err)
	}
	if node := s.RunningOn(t, r.ID); node != "2" {
		t.Fatalf("the container runs on node %s, want 2 (the least loaded)", node)
	}
	failed := time.Now()
	if err := s.StopWorker(ctx); err != nil {
		t.Fatal(err)
	}
	sawBuild := false
	for {
		c, err := p.Containers(ctx, pop.ByID(r.ID))
		if err != nil {
			t.Fatal(err)
		}
		if c[0].State == pop.StateCreated && strings.HasPrefix(c[0].ExtendedStatus, "BUILD") {
			sawBuild = true
		}
		if c[0].State == pop.StateFailed || c[0].State == pop.StateExited {
			t.Fatalf("rescheduling reported as %s: %s", c[0].State, c[0].ExtendedStatus)
		}
		if c[0].State == pop.StateRunning && s.RunningOn(t, r.ID) == "1" {
			if !slices.Equal(ips(c[0]), rvips) {
				t.Errorf("after rescheduling IPs %v, want %v", ips(c[0]), rvips)
			}
			t.Logf("figure: node 2's engine stopped → container RUNNING on node 1 after %s", time.Since(failed).Round(100*time.Millisecond))
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("never rescheduled: %s %s", c[0].State, c[0].ExtendedStatus)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !sawBuild {
		t.Errorf("no BUILD seen while Swarm rescheduled")
	}
	for _, id := range []string{r.ID, filler.ID} {
		if err := p.Delete(ctx, pop.ByID(id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{net.Name, "swp-def-" + u} {
		if err := p.DeleteNetwork(ctx, pop.ByName(n)); err != nil {
			t.Fatalf("delete network %s: %v", n, err)
		}
	}
	if cs, err := p.Containers(ctx, pop.Filter{}); err != nil || len(cs) != 0 {
		t.Fatalf("left: %d containers, %v", len(cs), err)
	}
}

func ips(c pop.Container) []string {
	var out []string
	for _, ep := range c.Endpoints {
		out = append(out, ep.IPv4)
	}
	return out
}

func waitState(t *testing.T, ctx context.Context, p pop.Pop, id string, want pop.State) pop.Container {
	t.Helper()
	for {
		cs, err := p.Containers(ctx, pop.ByID(id))
		if err != nil {
			t.Fatal(err)
		}
		if cs[0].State == want {
			return cs[0]
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: %s (%s), want %s", id, cs[0].State, cs[0].ExtendedStatus, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leftovers fails the test if any service or network of the Pop is left,
// and removes it.
func leftovers(t *testing.T, s *testenv.Swarm, popName string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range s.RemoveServices(t, docker.LabelPop+"="+popName) {
		t.Errorf("service %s left", name)
	}
	nets, _ := s.Manager.NetworkList(ctx, networkListOptions(filters.NewArgs(filters.Arg("label", popswarm.LabelSwarmPop+"="+popName))))
	for _, n := range nets {
		t.Errorf("network %s left", n.Name)
		time.Sleep(2 * time.Second)
		s.Manager.NetworkRemove(ctx, n.ID)
	}
}

func networkListOptions(f filters.Args) network.ListOptions { return network.ListOptions{Filters: f} }
