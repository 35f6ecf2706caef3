package pop_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// The crash-point test kills a process running the core (SIGKILL, from a
// test-only hook in the store's writer) before and after each commit of a
// launch, of a stop and of a delete, then opens the store again as a
// restarted plugin would and checks what recovery made of it: no Docker
// container without a record (leak), none twice (duplicate), every state
// true to Docker (misreport), and the operation, retried as the NFVO
// retries it, ends as asked with its fixed IP free again afterwards.

const (
	crashChildEnv = "OBDOCKER_CRASH_CHILD" // scenario name; set only in the child
	crashAtEnv    = "OBDOCKER_CRASH_AT"    // e.g. "before:2"
	crashCfgEnv   = "OBDOCKER_CRASH_CFG"   // pop name|store|network|subnet|pool
	crashHostname = "crash-vnfc"
	exhausted     = "CRASH-POINTS-EXHAUSTED"
)

func TestCrashPoints(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	e := newEnv(t)
	e.cfg.StorePath = filepath.Join(t.TempDir(), "crash.db")
	fixed := nthAddr(t, e.cfg.DefaultSubnet, 10)
	for _, scenario := range []string{"launch", "stop", "delete", "restart", "exit"} {
		t.Run(scenario, func(t *testing.T) {
			points := 0
			for k := 1; k < 10; k++ {
				for _, when := range []string{"before", "after"} {
					out, killed := runCrashChild(t, e, scenario, fmt.Sprintf("%s:%d", when, k), fixed)
					if !killed {
						if !strings.Contains(out, exhausted) {
							t.Fatalf("%s %s:%d: child neither crashed nor finished:\n%s", scenario, when, k, out)
						}
						if points == 0 {
							t.Fatalf("%s: no commit to crash at", scenario)
						}
						// The uninterrupted run must pass the same checks.
						checkRecovery(t, e, scenario, "no crash", fixed)
						t.Logf("%s: %d crash points checked", scenario, points)
						return
					}
					points++
					checkRecovery(t, e, scenario, fmt.Sprintf("%s:%d", when, k), fixed)
				}
			}
			t.Fatalf("%s: more than 9 commits", scenario)
		})
	}
}

func nthAddr(t *testing.T, subnet string, n int) string {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a.String()
}

// runCrashChild runs the scenario in a child process that dies at point.
func runCrashChild(t *testing.T, e *env, scenario, point, fixed string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashPointChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+scenario, crashAtEnv+"="+point,
		crashCfgEnv+"="+strings.Join([]string{e.cfg.PopName, e.cfg.StorePath, e.cfg.DefaultNetwork, e.cfg.DefaultSubnet, e.cfg.NetworkPool, fixed}, "|"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return out.String(), false
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return out.String(), true
		}
	}
	t.Fatalf("%s %s: child: %v\n%s", scenario, point, err, out.String())
	return "", false
}

// TestCrashPointChild is the child's side of TestCrashPoints.
func TestCrashPointChild(t *testing.T) {
	scenario := os.Getenv(crashChildEnv)
	if scenario == "" {
		t.Skip("run by TestCrashPoints")
	}
	f := strings.Split(os.Getenv(crashCfgEnv), "|")
	when, ks, _ := strings.Cut(os.Getenv(crashAtEnv), ":")
	k, _ := strconv.Atoi(ks)
	ctx := context.Background()
	cfg := pop.Config{PopName: f[0], StorePath: f[1], DefaultNetwork: f[2], DefaultSubnet: f[3], NetworkPool: f[4], ResyncInterval: time.Hour}
	fixed := f[5]
	var armed atomic.Bool
	var base atomic.Int64
	cfg = pop.WithCommitHook(cfg, func(before bool, n int) {
		if !armed.Load() || (when == "before") != before || n-int(base.Load()) != k {
			return
		}
		fmt.Printf("crashing %s commit %d\n", when, k)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	})
	b, err := docker.New(ctx, docker.Options{Host: testenv.DockerHost(), PopName: cfg.PopName})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pop.Open(ctx, cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	launchEnv := func(env map[string]string) pop.Container {
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: crashHostname, Image: testenv.BusyboxImage, Env: env,
			Endpoints: []pop.EndpointConfig{{Network: cfg.DefaultNetwork, IPv4: fixed}}})
		if err != nil {
			t.Fatal(err)
		}
		ct, err = c.Start(ctx, pop.ByID(ct.ID))
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	launch := func() pop.Container { return launchEnv(nil) }
	waitState := func(id string, want pop.State) {
		deadline := time.Now().Add(time.Minute)
		for {
			cs, err := c.Containers(ctx, pop.ByID(id))
			if err != nil {
				t.Fatal(err)
			}
			if cs[0].State == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %s, want %s", cs[0].State, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Commits before arming are setup; n counts from the last of them.
	arm := func() {
		if err := pop.Settle(c); err != nil {
			t.Fatal(err)
		}
		base.Store(int64(commitsSoFar(c)))
		armed.Store(true)
	}
	switch scenario {
	case "launch":
		arm()
		launch()
	case "stop":
		ct := launch()
		arm()
		if _, err := c.Stop(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
		waitState(ct.ID, pop.StateExited)
	case "delete":
		ct := launch()
		arm()
		if err := c.Delete(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
	case "restart":
		// Start again with the same IP after a stop: its write is waited
		// for (an EXITED record cannot adopt the new container).
		ct := launch()
		if _, err := c.Stop(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
		waitState(ct.ID, pop.StateExited)
		arm()
		if _, err := c.Start(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
	case "exit":
		// A launch answered RUNNING whose container ends on its own (exit
		// code 3), perhaps while the process is down.
		arm()
		ct := launchEnv(map[string]string{"MODE": "exit", "EXIT_CODE": "3"})
		waitState(ct.ID, pop.StateFailed)
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
	if err := pop.Settle(c); err != nil {
		t.Fatal(err)
	}
	// The crash point lies beyond the scenario's commits (the Settle
	// commits above count too, so the last point checked is theirs).
	fmt.Println(exhausted)
	// Leave the Docker side as a crash would: the parent recovers it.
	os.Exit(0)
}

func commitsSoFar(c *pop.Core) int { return pop.Commits(c) }

// checkRecovery opens the store as a restarted plugin, checks the
// invariants, retries the scenario's operation, and cleans up.
func checkRecovery(t *testing.T, e *env, scenario, point, fixed string) {
	t.Helper()
	ctx := t.Context()
	c, err := pop.Open(ctx, e.cfg, e.b)
	if err != nil {
		t.Fatalf("%s %s: reopen: %v", scenario, point, err)
	}
	defer c.Close()
	where := scenario + " " + point
	// A recovered STOPPING container is stopped again in the background.
	deadline := time.Now().Add(time.Minute)
	var recs []pop.Container
	for {
		recs, err = c.Containers(ctx, pop.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		stopping := false
		for _, r := range recs {
			stopping = stopping || r.State == pop.StateStopping
			// A container that exits at once may still run when recovery
			// adopts it: its death follows from the event stream.
			stopping = stopping || (scenario == "exit" && r.State == pop.StateRunning)
		}
		if !stopping || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkTrueToDocker(t, e, where, recs)
	allowed := map[string][]pop.State{
		"launch":  {pop.StateCreated, pop.StateRunning},
		"stop":    {pop.StateRunning, pop.StateExited},
		"delete":  {pop.StateRunning, pop.StateExited, pop.StateFailed},
		"restart": {pop.StateExited, pop.StateRunning},
		// Never RUNNING (it ended) nor CREATED with a run behind it.
		"exit": {pop.StateCreated, pop.StateFailed},
	}[scenario]
	for _, r := range recs {
		ok := false
		for _, s := range allowed {
			ok = ok || r.State == s
		}
		if !ok {
			t.Errorf("%s: recovered %s as %s (%s); want one of %v", where, r.Name, r.State, r.ExtendedStatus, allowed)
		}
	}
	if len(recs) > 1 {
		t.Errorf("%s: %d records after recovery, want at most 1", where, len(recs))
	}
	for _, r := range recs {
		if r.Endpoints[0].IPv4 != fixed {
			t.Errorf("%s: recovered %s on %s, want %s", where, r.Name, r.Endpoints[0].IPv4, fixed)
		}
		if scenario != "exit" {
			continue
		}
		// A run that ended keeps its end: the exit code, and its Docker
		// container (logs) until Delete.
		if r.State == pop.StateCreated && len(e.ours()) > 0 {
			t.Errorf("%s: CREATED while a Docker container of it exists", where)
		}
		if r.State == pop.StateFailed && (r.ExitCode != 3 || r.DockerID == "") {
			t.Errorf("%s: recovered FAILED with exit code %d, Docker container %q; want 3 and the container kept", where, r.ExitCode, r.DockerID)
		}
	}

	// The NFVO retries what it did not get an answer for.
	switch scenario {
	case "launch":
		var ct pop.Container
		if len(recs) == 0 {
			if ct, err = c.Create(ctx, pop.ContainerConfig{Name: crashHostname, Image: testenv.BusyboxImage,
				Endpoints: []pop.EndpointConfig{{Network: e.cfg.DefaultNetwork, IPv4: fixed}}}); err != nil {
				t.Fatalf("%s: retried create: %v", where, err)
			}
		} else {
			ct = recs[0]
		}
		if ct.State == pop.StateCreated {
			if ct, err = c.Start(ctx, pop.ByID(ct.ID)); err != nil {
				t.Fatalf("%s: retried start: %v", where, err)
			}
		}
		if ct.Endpoints[0].IPv4 != fixed {
			t.Errorf("%s: launched on %s, want %s", where, ct.Endpoints[0].IPv4, fixed)
		}
	case "stop":
		if recs[0].State == pop.StateRunning {
			if _, err := c.Stop(ctx, pop.ByID(recs[0].ID)); err != nil {
				t.Fatalf("%s: retried stop: %v", where, err)
			}
			waitFor(t, c, crashHostname, inState(pop.StateExited), "EXITED after the retried stop")
		}
	case "restart":
		if recs[0].State == pop.StateExited {
			if _, err := c.Start(ctx, pop.ByID(recs[0].ID)); err != nil {
				t.Fatalf("%s: retried start: %v", where, err)
			}
		}
	case "delete":
		if len(recs) == 1 {
			if err := c.Delete(ctx, pop.ByID(recs[0].ID)); err != nil {
				t.Fatalf("%s: retried delete: %v", where, err)
			}
		}
	}
	recs, _ = c.Containers(ctx, pop.Filter{})
	checkTrueToDocker(t, e, where+" (after the retry)", recs)

	// Clean up for the next point, and prove the fixed IP is free again.
	for _, r := range recs {
		if err := c.Delete(ctx, pop.ByID(r.ID)); err != nil {
			t.Fatalf("%s: delete: %v", where, err)
		}
	}
	if n := len(e.ours()); n != 0 {
		t.Fatalf("%s: %d Docker containers of the Pop left after deleting every record", where, n)
	}
	probe, err := c.Create(ctx, pop.ContainerConfig{Name: "crash-probe", Image: testenv.BusyboxImage,
		Endpoints: []pop.EndpointConfig{{Network: e.cfg.DefaultNetwork, IPv4: fixed}}})
	if err != nil {
		t.Fatalf("%s: the fixed IP %s is not free after recovery and delete: %v", where, fixed, err)
	}
	if err := c.Delete(ctx, pop.ByID(probe.ID)); err != nil {
		t.Fatal(err)
	}
}

// checkTrueToDocker: every Docker container of the Pop belongs to exactly
// one record, as that record's Docker container, and each record's state
// says what Docker says.
func checkTrueToDocker(t *testing.T, e *env, where string, recs []pop.Container) {
	t.Helper()
	byID := map[string]pop.Container{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	seen := map[string]int{}
	for _, d := range e.ours() {
		popID := d.Labels[docker.LabelID]
		r, ok := byID[popID]
		if !ok {
			t.Errorf("%s: leak: Docker container %s (%s, %s) has no record", where, d.ID[:12], d.Names, d.State)
			continue
		}
		seen[popID]++
		if r.DockerID != d.ID {
			t.Errorf("%s: Docker container %s of %s is not its record's (%q)", where, d.ID[:12], r.Name, r.DockerID)
		}
		running := d.State == "running"
		if running != (r.State == pop.StateRunning) {
			t.Errorf("%s: misreport: %s is %s, Docker says %s", where, r.Name, r.State, d.State)
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s: duplicate: %d Docker containers for record %s", where, n, id)
		}
	}
	for _, r := range recs {
		if r.State == pop.StateRunning && seen[r.ID] == 0 {
			t.Errorf("%s: misreport: %s is RUNNING without a Docker container", where, r.Name)
		}
	}
}
