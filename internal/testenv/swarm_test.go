package testenv

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// TestDisruptiveSwarmRig builds the two-node rig, runs a task on node 2
// from an image only loaded there by the rig, checks overlay traffic
// between the nodes, and after the teardown finds nothing of it left.
func TestDisruptiveSwarmRig(t *testing.T) {
	Disruptive(t)
	var s *Swarm
	t.Run("rig", func(t *testing.T) {
		s = SwarmCluster(t)
		ctx := t.Context()
		nodes, err := s.Manager.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil || len(nodes) != 2 {
			t.Fatalf("nodes: %d, %v", len(nodes), err)
		}
		for _, n := range nodes {
			if s.NodeOf(n.ID) != n.Spec.Labels[NodeLabel] {
				t.Errorf("node %s: label %q, want %q", n.ID, n.Spec.Labels[NodeLabel], s.NodeOf(n.ID))
			}
		}
		net := "obdrig-" + s.Node2[:6]
		if out, err := dockerCmd(ctx, s.ManagerHost, "network", "create", "-d", "overlay", "--attachable", net); err != nil {
			t.Fatalf("overlay: %v: %s", err, out)
		}
		defer dockerCmd(context.Background(), s.ManagerHost, "network", "rm", net)
		svc := "obdrig-" + s.Node1[:6]
		// The server answers on node 2, pinned by its label.
		if out, err := dockerCmd(ctx, s.ManagerHost, "service", "create", "-d", "--name", svc, "--network", net,
			"--constraint", "node.labels."+NodeLabel+"==2", "--entrypoint", "nc", BusyboxImage, "-ll", "-p", "7", "-e", "cat"); err != nil {
			t.Fatalf("service create: %v: %s", err, out)
		}
		defer dockerCmd(context.Background(), s.ManagerHost, "service", "rm", svc)
		var task swarm.Task
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
			tasks, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{})
			if err == nil && len(tasks) > 0 && tasks[0].Status.State == swarm.TaskStateRunning {
				task = tasks[0]
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the task never ran: %+v %v", tasks, err)
			}
		}
		if s.NodeOf(task.NodeID) != "2" {
			t.Fatalf("task on node %s, want 2", s.NodeOf(task.NodeID))
		}
		// A plain container on node 1 reaches the task on node 2 at its
		// own address. (Not at the service's VIP: that needs IPVS, which
		// this machine's kernel lacks.)
		cont, err := s.Worker.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", "com.docker.swarm.task.id="+task.ID))})
		if err != nil || len(cont) != 1 || cont[0].NetworkSettings.Networks[net] == nil {
			t.Fatalf("the task's container on node 2: %+v %v", cont, err)
		}
		addr := cont[0].NetworkSettings.Networks[net].IPAddress
		out, err := exec.CommandContext(ctx, "docker", "run", "--rm", "--network", net, "--entrypoint", "sh", BusyboxImage,
			"-c", "echo obdocker-rig | nc -w 3 "+addr+" 7").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "obdocker-rig") {
			t.Fatalf("echo across the nodes: %v: %q", err, out)
		}
	})
	if s == nil {
		return
	}
	// The subtest's cleanup ran: nothing of the rig is left.
	ctx := t.Context()
	info, err := s.Manager.Info(ctx)
	if err != nil || info.Swarm.LocalNodeState != swarm.LocalNodeStateInactive {
		t.Errorf("node 1 still in a swarm: %q %v", info.Swarm.LocalNodeState, err)
	}
	if ping(ctx, SwarmWorkerHost) == nil {
		t.Errorf("node 2's engine still answers")
	}
	if exec.Command("ip", "netns", "pids", swarmNetns).Run() == nil {
		t.Errorf("namespace %s still exists", swarmNetns)
	}
	if exec.Command("ip", "link", "show", swarmHostIf).Run() == nil {
		t.Errorf("veth %s still exists", swarmHostIf)
	}
	if out, _ := exec.Command("pgrep", "-f", "dockerd -H "+SwarmWorkerHost).CombinedOutput(); len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("node 2's dockerd still runs: %s", out)
	}
}
