package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// The Swarm benchmark uses 10.209.80.0/20 (the swarm rig's range); Swarm
// gives its overlays addresses from the rig's pool.

// BenchmarkSwarmLaunch: launchInstanceAndWait on a Swarm VIM (the two-node
// rig; service with 0 replicas, scale to 1, wait for the task) against
// raw `docker service create` of the same image on the same overlay,
// polled until its task runs. Samples alternate; the ratio is the median
// over rounds of the rounds' p50 ratios. Needs OBDOCKER_DISRUPTIVE=1: the
// first engine is a swarm manager meanwhile.
func BenchmarkSwarmLaunch(b *testing.B) {
	const rounds, runs = 5, 6
	s := testenv.SwarmCluster(b)
	r := rig.New(b, rig.Options{Subnet: "10.209.80.0/24", Pool: "10.209.81.0/24"})
	c := newCaller(b, r)
	ctx := context.Background()
	vim := r.VIM()
	vim["metadata"] = map[string]any{"obdocker.mode": "swarm"}
	launchSwarm := func(name string) (server, error) {
		ans, err := c.Call(ctx, "launchInstanceAndWait", vim, name, testenv.BusyboxImage, "", "", []any{}, []any{}, "", map[string]any{}, []any{})
		if err != nil {
			return server{}, err
		}
		var sv server
		return sv, json.Unmarshal(ans, &sv)
	}
	// Warm up: opens the Swarm Pop (its default overlay) and both paths.
	w, err := launchSwarm("warm-" + r.PopName)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Call(ctx, "deleteServerByIdAndWait", vim, w.ExtID); err != nil {
		b.Fatal(err)
	}
	var p50s []float64
	var allPlugin, allRaw []time.Duration
	for round := range rounds {
		var plugin, raw []time.Duration
		for i := range runs {
			pluginRun := func() {
				t0 := time.Now()
				sv, err := launchSwarm(fmt.Sprintf("sl%d%02d-%s", round, i, r.PopName))
				if err != nil {
					b.Fatal(err)
				}
				plugin = append(plugin, time.Since(t0))
				if sv.Status != "ACTIVE" {
					b.Fatalf("launch answered %+v", sv)
				}
				if _, err := c.Call(ctx, "deleteServerByIdAndWait", vim, sv.ExtID); err != nil {
					b.Fatal(err)
				}
			}
			rawRun := func() {
				t0 := time.Now()
				id, err := rawService(ctx, s, fmt.Sprintf("sr%d%02d-%s", round, i, r.PopName), r.DefaultNetwork)
				if err != nil {
					b.Fatal(err)
				}
				raw = append(raw, time.Since(t0))
				if err := s.Manager.ServiceRemove(ctx, id); err != nil {
					b.Fatal(err)
				}
				waitTasksGone(b, s, id)
			}
			if i%2 == 0 {
				pluginRun()
				rawRun()
			} else {
				rawRun()
				pluginRun()
			}
		}
		p50s = append(p50s, ratio(plugin, raw, .5))
		allPlugin, allRaw = append(allPlugin, plugin...), append(allRaw, raw...)
	}
	med, _, _ := bench.Median(p50s)
	record(b, bench.Info("swarm", "Swarm VIM launch p50 ratio", med, "x",
		fmt.Sprintf("launchInstanceAndWait on a Swarm VIM (two-node rig) against raw service create + poll (50 ms) until the task runs, same image and overlay; %d rounds of %d alternating; over all: plugin p50 %.0f ms, raw p50 %.0f ms; p50 ratio %s",
			rounds, runs, bench.MS(bench.Percentile(allPlugin, .5)), bench.MS(bench.Percentile(allRaw, .5)), bench.Spread(p50s))))
}

// rawService creates a one-replica service on the overlay and waits until
// its task runs.
func rawService(ctx context.Context, s *testenv.Swarm, name, net string) (string, error) {
	one := uint64(1)
	resp, err := s.Manager.ServiceCreate(ctx, swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: testenv.BusyboxImage},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: net}},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
	}, swarm.ServiceCreateOptions{})
	if err != nil {
		return "", err
	}
	for {
		ts, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", resp.ID))})
		if err != nil {
			return resp.ID, err
		}
		for _, t := range ts {
			if t.Status.State == swarm.TaskStateRunning {
				return resp.ID, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitTasksGone(b *testing.B, s *testenv.Swarm, id string) {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ts, err := s.Manager.TaskList(context.Background(), swarm.TaskListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		left := 0
		for _, t := range ts {
			if t.ServiceID == id {
				left++
			}
		}
		if left == 0 {
			return
		}
	}
	b.Fatalf("service %s: tasks left a minute after its removal", id)
}
