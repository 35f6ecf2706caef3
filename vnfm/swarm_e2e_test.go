package vnfm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator/rig"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// The Swarm VNFM test uses 10.209.32.0/19 of the swarm rig's range.

// TestDisruptiveSwarmVNFMRescheduling deploys the echo NSD through our
// VNFM on a VIM instance that is the two-node Swarm cluster, then stops
// node 2's engine. Swarm reschedules what ran there; meanwhile the driver
// reports BUILD, so the VNFM's monitor neither reports a failure to the
// NFVO nor restarts the VNFC a second time, and the NSR stays ACTIVE.
func TestDisruptiveSwarmVNFMRescheduling(t *testing.T) {
	s := testenv.SwarmCluster(t, "obdocker/echo-server:latest", "obdocker/echo-client:latest")
	r, _, ev := startRigWith(t, func(c *rig.Config) {
		c.DefaultSubnet, c.NetworkPool = "10.209.32.0/24", "10.209.40.0/21"
		c.VIMMetadata = map[string]any{"obdocker.mode": "swarm"}
	}, "OBDOCKER_VNFM_MONITOR_INTERVAL=500ms")
	ctx := t.Context()
	t.Cleanup(func() { s.RemoveServices(t, docker.LabelPop+"="+r.PopName) })

	// A filler pinned on node 1 makes Swarm's spread (least loaded node)
	// put the server on node 2. The client is pinned on node 1 (the VNFD's
	// "constraints" key): the NFVO launches both VNFCs at once, and a
	// client placed first took node 2 from the server in a CI run.
	filler := "filler-" + r.PopName
	one := uint64(1)
	if _, err := s.Manager.ServiceCreate(ctx, swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: filler, Labels: map[string]string{"obdocker-test": filler}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: testenv.BusyboxImage},
			Placement:     &swarm.Placement{Constraints: []string{"node.labels." + testenv.NodeLabel + "==1"}},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
	}, swarm.ServiceCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.RemoveServices(t, "obdocker-test="+filler) })
	waitFor(t, 60*time.Second, "filler running on node 1", func() (bool, string) {
		n := s.RunningOn(t, filler)
		return n == "1", "on node " + n
	})

	id := deployEchoWith(t, r, func(nsd map[string]any) {
		for _, v := range nsd["vnfd"].([]any) {
			if vnfd := v.(map[string]any); vnfd["name"] == "echo-client" {
				conf := vnfd["configurations"].(map[string]any)
				conf["configurationParameters"] = append(conf["configurationParameters"].([]any),
					map[string]any{"confKey": "constraints", "value": "node.labels." + testenv.NodeLabel + "==1"})
			}
		}
	})
	sv := vnfcsOf(r.Orch.VNFR(id, "echo-server"))
	cv := vnfcsOf(r.Orch.VNFR(id, "echo-client"))
	if node := s.RunningOn(t, sv[0].hostname); node != "2" {
		t.Fatalf("the server runs on node %s, want 2 (Swarm's spread, with the filler on node 1)", node)
	}
	clientNode := s.RunningOn(t, cv[0].hostname)
	if clientNode != "1" {
		t.Fatalf("the client runs on node %s, want 1 (its VNFD's constraints key)", clientNode)
	}
	t.Logf("server %s (%s) on node 2, client %s on node %s", sv[0].hostname, sv[0].ip, cv[0].hostname, clientNode)

	failed := time.Now()
	if err := s.StopWorker(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "the server rescheduled on node 1", func() (bool, string) {
		n := s.RunningOn(t, sv[0].hostname)
		return n == "1", "on node " + n
	})
	t.Logf("figure: node 2's engine stopped → the server runs on node 1 after %s", time.Since(failed).Round(100*time.Millisecond))
	// Several monitor rounds with every VNFC running again: a report or
	// a restart would have shown by now.
	time.Sleep(3 * time.Second)
	for _, vnfr := range []string{"echo-server", "echo-client"} {
		if ev.has(vnfr, "ERROR") {
			t.Errorf("%s reported ERROR while Swarm rescheduled it:\n%s", vnfr, ev)
		}
	}
	if st := r.Orch.Status(id); st != "ACTIVE" {
		t.Errorf("NSR %s after the rescheduling, want ACTIVE", st)
	}
	if l := r.Logs(); strings.Contains(l, "VNFC died") || strings.Contains(l, "restart_policy") {
		t.Errorf("the VNFM took the rescheduling for a death:\n%s", l)
	}
	if now := vnfcsOf(r.Orch.VNFR(id, "echo-server")); now[0].ip != sv[0].ip {
		t.Errorf("server address %s after the rescheduling, want its VIP %s", now[0].ip, sv[0].ip)
	}

	dctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := r.Orch.Delete(dctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(dctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "services removed", func() (bool, string) {
		svcs, err := s.Manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelPop+"="+r.PopName))})
		return err == nil && len(svcs) == 0, fmt.Sprintf("%d services left (%v)", len(svcs), err)
	})
}
