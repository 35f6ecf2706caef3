package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// The swarm rig uses 10.209.0.0/16 only: the veth pair on 10.209.0.0/30,
// Swarm's own address pool (overlays, the ingress network) on
// 10.209.128.0/17.
const (
	swarmHostAddr  = "10.209.0.1" // node 1 (the first engine) on the host side
	swarmInnerAddr = "10.209.0.2" // node 2, inside its namespace
	swarmAddrPool  = "10.209.128.0/17"
	swarmNetns     = "obdswarm2"
	swarmHostIf    = "obdsw0"
	swarmInnerIf   = "obdsw1"
)

// NodeLabel is the node label the rig puts on both nodes: "1" on the first
// engine, "2" on the one in the namespace. Both nodes report the same
// hostname (they share the UTS namespace), so tests tell them apart by it.
const NodeLabel = "obdocker-test-node"

// SwarmWorkerHost is the socket of node 2's engine.
const SwarmWorkerHost = "unix:///var/run/dockerswarm2.sock"

var swarmWorker = engine{name: "dockerswarm2", sock: SwarmWorkerHost, ns: "mobyswarm2", netns: swarmNetns}

// Swarm is a two-node swarm on this machine: node 1 is the first engine
// (manager), node 2 a second dockerd in its own network namespace, joined
// to the host by a veth pair (worker).
type Swarm struct {
	// Manager is a client of node 1, ManagerHost its address.
	Manager     *client.Client
	ManagerHost string
	// Worker is a client of node 2 (unusable after StopWorker).
	Worker *client.Client
	// Node1 and Node2 are the swarm node IDs.
	Node1, Node2 string
}

// SwarmCluster makes the first engine a swarm manager and joins a second
// engine, in its own network namespace, as a worker; the test image (and
// any of images present on the first engine) is loaded into node 2. The
// test's cleanup undoes it all: both engines leave the swarm, node 2's
// engine stops, its data and the namespace are deleted. Disruptive: the
// first engine is a swarm manager meanwhile.
func SwarmCluster(t testing.TB, images ...string) *Swarm {
	t.Helper()
	Disruptive(t)
	mgr := Docker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if os.Geteuid() != 0 {
		missing(t, "swarm rig: not root: cannot make a network namespace")
	}
	info, err := mgr.Info(ctx)
	if err != nil {
		t.Fatalf("swarm rig: docker info: %v", err)
	}
	if info.Swarm.LocalNodeState != swarm.LocalNodeStateInactive {
		if info.Swarm.NodeAddr != swarmHostAddr {
			t.Fatalf("swarm rig: the engine at %s is already in a swarm (node address %q) that this rig did not make: leave it (docker swarm leave --force) and rerun", DockerHost(), info.Swarm.NodeAddr)
		}
		t.Logf("swarm rig: removing the swarm a killed run left")
	}
	// A killed run may have left any part of the rig.
	teardownSwarm(ctx, t)
	s := &Swarm{Manager: mgr, ManagerHost: DockerHost()}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer ccancel()
		teardownSwarm(cctx, t)
	})
	if err := swarmNamespace(); err != nil {
		t.Fatalf("swarm rig: %v", err)
	}
	if err := swarmWorker.start(ctx); err != nil {
		t.Fatalf("swarm rig: node 2: %v", err)
	}
	s.Worker, err = client.NewClientWithOpts(client.WithHost(SwarmWorkerHost), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("swarm rig: node 2 client: %v", err)
	}
	t.Cleanup(func() { s.Worker.Close() })

	// A short heartbeat: a stopped node is seen down, and its tasks
	// rescheduled, within seconds rather than the default's tens.
	if out, err := dockerCmd(ctx, DockerHost(), "swarm", "init", "--advertise-addr", swarmHostAddr,
		"--default-addr-pool", swarmAddrPool, "--default-addr-pool-mask-length", "24",
		"--dispatcher-heartbeat", "1s"); err != nil {
		t.Fatalf("swarm rig: swarm init: %v: %s", err, out)
	}
	token, err := dockerCmd(ctx, DockerHost(), "swarm", "join-token", "-q", "worker")
	if err != nil {
		t.Fatalf("swarm rig: join token: %v: %s", err, token)
	}
	if out, err := dockerCmd(ctx, SwarmWorkerHost, "swarm", "join", "--token", strings.TrimSpace(token),
		"--advertise-addr", swarmInnerAddr, swarmHostAddr+":2377"); err != nil {
		t.Fatalf("swarm rig: swarm join: %v: %s", err, out)
	}
	minfo, err := mgr.Info(ctx)
	if err != nil {
		t.Fatalf("swarm rig: %v", err)
	}
	winfo, err := s.Worker.Info(ctx)
	if err != nil {
		t.Fatalf("swarm rig: %v", err)
	}
	s.Node1, s.Node2 = minfo.Swarm.NodeID, winfo.Swarm.NodeID
	for i, id := range []string{s.Node1, s.Node2} {
		if out, err := dockerCmd(ctx, DockerHost(), "node", "update", "--label-add", fmt.Sprintf("%s=%d", NodeLabel, i+1), id); err != nil {
			t.Fatalf("swarm rig: label node %d: %v: %s", i+1, err, out)
		}
	}
	for _, ref := range append([]string{BusyboxImage}, images...) {
		if out, err := exec.CommandContext(ctx, "sh", "-c",
			"docker save "+ref+" | docker -H "+SwarmWorkerHost+" load -q").CombinedOutput(); err != nil {
			t.Fatalf("swarm rig: image %s onto node 2: %v: %s", ref, err, out)
		}
	}
	if err := s.waitReady(ctx); err != nil {
		t.Fatalf("swarm rig: %v", err)
	}
	return s
}

// waitReady waits until the manager sees both nodes ready.
func (s *Swarm) waitReady(ctx context.Context) error {
	for {
		ready := 0
		nodes, err := s.Manager.NodeList(ctx, swarm.NodeListOptions{})
		if err == nil {
			for _, n := range nodes {
				if n.Status.State == swarm.NodeStateReady {
					ready++
				}
			}
		}
		if ready == 2 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the nodes never both became ready (%d ready, %v)", ready, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// StopWorker stops node 2's engine, as a node failure; its containers
// stop with it. The manager sees the node down after a few heartbeats.
func (s *Swarm) StopWorker(ctx context.Context) error {
	return swarmWorker.stop(ctx)
}

// NodeOf answers "1" or "2": which node a swarm node ID is.
func (s *Swarm) NodeOf(id string) string {
	switch id {
	case s.Node1:
		return "1"
	case s.Node2:
		return "2"
	}
	return "?"
}

// RunningOn says which node ("1", "2") runs the service's task, "?" when
// none runs.
func (s *Swarm) RunningOn(t testing.TB, service string) string {
	t.Helper()
	ts, err := s.Manager.TaskList(t.Context(), swarm.TaskListOptions{Filters: filters.NewArgs(
		filters.Arg("service", service), filters.Arg("desired-state", "running"))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		if tk.Status.State == swarm.TaskStateRunning {
			return s.NodeOf(tk.NodeID)
		}
	}
	return "?"
}

// RemoveServices removes the swarm services carrying label (key=value)
// and answers their names: a test's cleanup, or its check that nothing of
// its Pop is left.
func (s *Swarm) RemoveServices(t testing.TB, label string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svcs, err := s.Manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", label))})
	if err != nil {
		t.Errorf("list services with label %s: %v", label, err)
	}
	var names []string
	for _, sv := range svcs {
		names = append(names, sv.Spec.Name)
		if err := s.Manager.ServiceRemove(ctx, sv.ID); err != nil {
			t.Errorf("remove service %s: %v", sv.Spec.Name, err)
		}
	}
	return names
}

// NodeOfAddr says which node ("1", "2") runs the task that holds addr on
// one of its networks, "?" when no running task does.
func (s *Swarm) NodeOfAddr(t testing.TB, addr string) string {
	t.Helper()
	ts, err := s.Manager.TaskList(t.Context(), swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		for _, na := range tk.NetworksAttachments {
			for _, a := range na.Addresses {
				if ip, _, _ := strings.Cut(a, "/"); ip == addr && tk.Status.State == swarm.TaskStateRunning {
					return s.NodeOf(tk.NodeID)
				}
			}
		}
	}
	return "?"
}

// swarmNamespace makes node 2's namespace and the veth pair.
func swarmNamespace() error {
	nets, err := hostV4Nets()
	if err != nil {
		return err
	}
	_, cand, _ := net.ParseCIDR(swarmHostAddr + "/30")
	_, pool, _ := net.ParseCIDR(swarmAddrPool)
	if overlaps(cand, nets) || overlaps(pool, nets) {
		return fmt.Errorf("10.209.0.0/16 is already in use on this host (ip -4 addr): the swarm rig needs it")
	}
	for _, s := range [][]string{
		{"netns", "add", swarmNetns},
		{"link", "add", swarmHostIf, "type", "veth", "peer", "name", swarmInnerIf, "netns", swarmNetns},
		{"addr", "add", swarmHostAddr + "/30", "dev", swarmHostIf},
		{"link", "set", swarmHostIf, "up"},
		{"-n", swarmNetns, "addr", "add", swarmInnerAddr + "/30", "dev", swarmInnerIf},
		{"-n", swarmNetns, "link", "set", swarmInnerIf, "up"},
		{"-n", swarmNetns, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return nil
}

// teardownSwarm undoes every part of the rig that exists: node 2 leaves
// and stops, its data goes, node 1 leaves (which ends the swarm), the
// namespace (with the veth pair) is deleted. Failures are reported, and
// the rest still runs.
func teardownSwarm(ctx context.Context, t testing.TB) {
	if ping(ctx, SwarmWorkerHost) == nil {
		if out, err := dockerCmd(ctx, SwarmWorkerHost, "swarm", "leave", "--force"); err != nil && !notInSwarm(out) {
			t.Errorf("swarm rig teardown: node 2 swarm leave: %v: %s", err, out)
		}
	}
	if err := swarmWorker.stop(ctx); err != nil {
		t.Errorf("swarm rig teardown: stop node 2: %v", err)
	}
	for _, d := range []string{swarmWorker.dataRoot(), swarmWorker.execRoot()} {
		// The engine is gone: nothing is mounted under its roots any more,
		// except what it left (its overlay namespaces' nsfs mounts), which
		// umount -l takes off. /proc/mounts names them by the real path:
		// /var/run is a link to /run.
		real := d
		if r, err := filepath.EvalSymlinks(d); err == nil {
			real = r
		}
		exec.Command("sh", "-c", "grep -o ' "+real+"/[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l").Run()
		if err := os.RemoveAll(d); err != nil {
			t.Errorf("swarm rig teardown: remove %s: %v", d, err)
		}
	}
	if out, err := dockerCmd(ctx, DockerHost(), "swarm", "leave", "--force"); err != nil && !notInSwarm(out) {
		t.Errorf("swarm rig teardown: node 1 swarm leave: %v: %s", err, out)
	}
	// swarm init made it and leave keeps it; out of a swarm nothing uses
	// it, and the next init makes it again (in use, the removal fails: fine).
	dockerCmd(ctx, DockerHost(), "network", "rm", "docker_gwbridge")
	if exec.Command("ip", "netns", "pids", swarmNetns).Run() == nil {
		if out, err := exec.Command("ip", "netns", "delete", swarmNetns).CombinedOutput(); err != nil {
			t.Errorf("swarm rig teardown: ip netns delete %s: %v: %s", swarmNetns, err, out)
		}
	}
	// Gone with the namespace; a pair left by an interrupted setup may not be.
	if exec.Command("ip", "link", "show", swarmHostIf).Run() == nil {
		exec.Command("ip", "link", "delete", swarmHostIf).Run()
	}
}

func notInSwarm(out string) bool {
	return strings.Contains(out, "not part of a swarm")
}

func dockerCmd(ctx context.Context, host string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", append([]string{"-H", host}, args...)...).CombinedOutput()
	return string(out), err
}

// IPVS reports why Swarm's virtual IPs cannot carry traffic on this
// machine (nil: they can). A service's VIP is balanced by IPVS in each
// container's namespace; a kernel without it still allocates VIPs, but
// packets to them go nowhere.
func IPVS() error {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		return nil
	}
	out, err := exec.Command("sh", "-c", "zcat /proc/config.gz 2>/dev/null | grep -E '^CONFIG_IP_VS=(y|m)'").Output()
	if err == nil && len(out) > 0 {
		return nil // a module dockerd loads
	}
	return fmt.Errorf("the kernel has no IPVS (CONFIG_IP_VS, /proc/net/ip_vs): Swarm's service VIPs carry no traffic here")
}
