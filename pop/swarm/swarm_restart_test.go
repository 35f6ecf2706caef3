package swarm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

// TestDisruptiveSwarmStartCrashLooping: a crash-looping container shows
// FAILED while Swarm holds its next task in the restart delay, and starts
// again once the operator fixes the cause. Its service is at 1 replica
// already: an update that changes nothing makes no task, so the start
// forces a new one, and waits for that. (Found by review: the start took
// the task held in the delay for an earlier run's and waited for its
// deadline while the container ran.) The process crashes until a file
// the test makes exists; the test makes it, then starts the FAILED
// container at once.
func TestDisruptiveSwarmStartCrashLooping(t *testing.T) {
	s := testenv.SwarmCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 180*time.Second)
	defer cancel()
	p, u := openTestPop(t, ctx, s, "swsc")
	t.Cleanup(func() { p.DeleteNetwork(context.Background(), pop.ByName("swsc-def-"+u)) })
	on1 := []string{"node.labels." + testenv.NodeLabel + "==1"}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	img := "obdocker-test/swarm-fixable:" + u
	// Crashes until the operator's fix (a file) is there, then runs until
	// SIGTERM.
	commitImage(t, img, "if [ -e /ctl/ok ]; then trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done; fi; sleep 1; exit 3")
	c, err := p.Create(ctx, pop.ContainerConfig{Name: "swsc-cl-" + u, Image: img,
		HostOptions: pop.HostOptions{Constraints: on1, Mounts: []pop.BindMount{{Source: dir, Target: "/ctl"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Delete(context.Background(), pop.ByID(c.ID)) })
	if c, err = p.Start(ctx, pop.ByID(c.ID)); err != nil || c.State != pop.StateRunning {
		t.Fatalf("start: %s %v", c.State, err)
	}
	for {
		cs, err := p.Containers(ctx, pop.ByID(c.ID))
		if err != nil {
			t.Fatal(err)
		}
		if c = cs[0]; c.State == pop.StateFailed {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("never FAILED: %s %q", c.State, c.ExtendedStatus)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("crash loop: %q", c.ExtendedStatus)
	// The operator fixes the cause, and starts the FAILED container again.
	if err := os.WriteFile(filepath.Join(dir, "ok"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 25*time.Second)
	defer scancel()
	t0 := time.Now()
	got, err := p.Start(sctx, pop.ByID(c.ID))
	cs, lerr := p.Containers(ctx, pop.ByID(c.ID))
	if lerr != nil {
		t.Fatal(lerr)
	}
	t.Logf("start after %v: %s, %v; the container now: %s %q", time.Since(t0).Round(time.Millisecond), got.State, err, cs[0].State, cs[0].ExtendedStatus)
	if err != nil || got.State != pop.StateRunning {
		t.Fatalf("start of a FAILED crash-looping container whose cause is fixed: %s, %v; the container is %s (%q); want RUNNING",
			got.State, err, cs[0].State, cs[0].ExtendedStatus)
	}
}

// TestDisruptiveSwarmRestartExitedZero: a process that exits 0 leaves the
// container EXITED, its service at 1 replica; it starts again, and exits
// again. (Found by review: the second start changed nothing of the task
// spec, Swarm made no task, and the start waited for its deadline.)
func TestDisruptiveSwarmRestartExitedZero(t *testing.T) {
	s := testenv.SwarmCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	p, u := openTestPop(t, ctx, s, "swsz")
	t.Cleanup(func() { p.DeleteNetwork(context.Background(), pop.ByName("swsz-def-"+u)) })
	on1 := []string{"node.labels." + testenv.NodeLabel + "==1"}
	c, err := p.Create(ctx, pop.ContainerConfig{Name: "swsz-x0-" + u, Image: testenv.BusyboxImage,
		Env: map[string]string{"MODE": "exit", "EXIT_CODE": "0"}, HostOptions: pop.HostOptions{Constraints: on1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Delete(context.Background(), pop.ByID(c.ID)) })
	for i := range 2 {
		sctx, scancel := context.WithTimeout(ctx, 25*time.Second)
		got, err := p.Start(sctx, pop.ByID(c.ID))
		scancel()
		if err != nil || got.State != pop.StateExited {
			t.Fatalf("start %d of a container that exits 0: %s %q, %v; want EXITED", i+1, got.State, got.ExtendedStatus, err)
		}
	}
}
