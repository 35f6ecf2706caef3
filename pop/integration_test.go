package pop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	dockerimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Tests here use subnets of 10.201.0.0/16 only, one /24 per test.
var subnetSeq atomic.Int32

type env struct {
	t       testing.TB
	raw     *client.Client
	popName string
	cfg     pop.Config
	b       *docker.Backend
}

func newEnv(t *testing.T) *env { return newBenchEnv(t) }

func newBenchEnv(t testing.TB) *env {
	t.Helper()
	raw := testenv.Docker(t)
	e := &env{t: t, raw: raw, popName: testenv.Name(t)}
	n := subnetSeq.Add(1)
	e.cfg = pop.Config{
		PopName:        e.popName,
		StorePath:      filepath.Join(t.TempDir(), "pop.db"),
		DefaultNetwork: "priv-" + e.popName,
		DefaultSubnet:  fmt.Sprintf("10.201.%d.0/24", n*2),
		NetworkPool:    fmt.Sprintf("10.201.%d.0/24", n*2+1),
		ResyncInterval: 2 * time.Second,
	}
	b, err := docker.New(t.Context(), docker.Options{Host: testenv.DockerHost(), PopName: e.popName})
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	t.Cleanup(func() {
		// Whatever a failed test left behind: only this Pop's objects.
		if err := testenv.RemovePopObjects(raw, e.popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
		b.Close()
	})
	return e
}

func (e *env) open() *pop.Core {
	e.t.Helper()
	c, err := pop.Open(e.t.Context(), e.cfg, e.b)
	if err != nil {
		e.t.Fatalf("open: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// ours lists the Docker containers carrying this Pop's label.
func (e *env) ours() []container.Summary {
	e.t.Helper()
	cs, err := testenv.PopContainers(e.t.Context(), e.raw, e.popName)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func waitFor(t *testing.T, p pop.Pop, name string, ok func(pop.Container) bool, what string) pop.Container {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		cs, err := p.Containers(t.Context(), pop.ByName(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ok(cs[0]) {
			return cs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: waited for %s; state %s (%s)", name, what, cs[0].State, cs[0].ExtendedStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func inState(s pop.State) func(pop.Container) bool {
	return func(c pop.Container) bool { return c.State == s }
}

func final(c pop.Container) bool { return c.State == pop.StateExited || c.State == pop.StateFailed }

func TestDockerIPsAndEnv(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	second, err := c.CreateNetwork(ctx, pop.NetworkConfig{Name: "sec-" + e.popName})
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := c.Networks(ctx, pop.ByName(e.cfg.DefaultNetwork))
	fixed := strings.TrimSuffix(priv[0].Subnet, "0/24") + "77"
	ct, err := c.Create(ctx, pop.ContainerConfig{
		Name:  "ips-" + e.popName,
		Image: testenv.BusyboxImage,
		Endpoints: []pop.EndpointConfig{
			{Network: e.cfg.DefaultNetwork, IPv4: fixed},
			{Network: second.Name},
		},
		Env:      map[string]string{"FROM_USERDATA": "u", "OVERRIDDEN": "userdata"},
		Metadata: map[string]string{"SERVER_IP": "10.0.0.1", "OVERRIDDEN": "metadata"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.ours()) != 0 {
		t.Fatal("Create made a Docker container")
	}
	dynamic := ct.Endpoints[1].IPv4
	ct, err = c.Start(ctx, pop.ByID(ct.ID))
	if err != nil {
		t.Fatal(err)
	}
	ins, err := e.raw.ContainerInspect(ctx, ct.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Name != "/"+ct.Name || ins.Config.Hostname != ct.Name {
		t.Errorf("docker name %q hostname %q, want %q", ins.Name, ins.Config.Hostname, ct.Name)
	}
	if got := ins.NetworkSettings.Networks[e.cfg.DefaultNetwork]; got == nil || got.IPAddress != fixed {
		t.Errorf("fixed IP: %+v, want %s", got, fixed)
	}
	if got := ins.NetworkSettings.Networks[second.Name]; got == nil || got.IPAddress != dynamic {
		t.Errorf("dynamic IP: %+v, want %s", got, dynamic)
	}
	env := execEnv(t, e.raw, ct.DockerID)
	for _, want := range []string{"SERVER_IP=10.0.0.1", "FROM_USERDATA=u", "OVERRIDDEN=metadata"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("env inside the container lacks %s:\n%s", want, env)
		}
	}
	if len(ins.Config.Cmd) != 0 || len(ins.Config.Entrypoint) != 2 {
		t.Errorf("command line overridden: cmd %v entrypoint %v", ins.Config.Cmd, ins.Config.Entrypoint)
	}
}

func execEnv(t *testing.T, raw *client.Client, id string) string {
	t.Helper()
	ctx := t.Context()
	ex, err := raw.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: []string{"/bin/busybox", "env"}, AttachStdout: true})
	if err != nil {
		t.Fatal(err)
	}
	att, err := raw.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	var out strings.Builder
	stdcopy.StdCopy(&out, io.Discard, att.Reader)
	return out.String()
}

func TestDockerKilledFromOutside(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	for _, n := range []string{"k1", "k2"} {
		if _, err := c.Create(ctx, pop.ContainerConfig{Name: n + "-" + e.popName, Image: testenv.BusyboxImage}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := c.Start(ctx, pop.ByName("k1-"+e.popName))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Start(ctx, pop.ByName("k2-"+e.popName))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.raw.ContainerKill(ctx, a.DockerID, "KILL"); err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, c, a.Name, final, "EXITED/FAILED")
	if got.State != pop.StateFailed || got.ExitCode != 137 {
		t.Errorf("killed: %s exit %d", got.State, got.ExitCode)
	}
	// Force-removed outside the Pop: killed then gone; FAILED either way.
	if err := e.raw.ContainerRemove(ctx, b.DockerID, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	got = waitFor(t, c, b.Name, final, "FAILED")
	if got.State != pop.StateFailed || got.ExtendedStatus == "" {
		t.Errorf("removed: %s %q", got.State, got.ExtendedStatus)
	}
	// An exit 0 on its own is EXITED, and its Docker container stays for its logs.
	ct, _ := c.Create(ctx, pop.ContainerConfig{Name: "k3-" + e.popName, Image: testenv.BusyboxImage, Metadata: map[string]string{"MODE": "exit"}})
	c.Start(ctx, pop.ByID(ct.ID))
	got = waitFor(t, c, ct.Name, final, "EXITED")
	if got.State != pop.StateExited || got.DockerID == "" {
		t.Errorf("exit 0: %+v", got)
	}
}

func TestDockerStopTimeouts(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	var names []string
	for _, n := range []string{"slow", "quick", "polite"} {
		md := map[string]string{"MODE": "ignore-term"}
		if n == "polite" {
			md = nil
		}
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: n + "-" + e.popName, Image: testenv.BusyboxImage, Metadata: md})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Start(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
		names = append(names, ct.Name)
	}
	slow, quick, polite := names[0], names[1], names[2]
	// slow: default 5 s; quick: a 1 s context deadline. Both ignore SIGTERM.
	got, err := c.Stop(ctx, pop.ByName(slow))
	if err != nil || got.State != pop.StateStopping {
		t.Fatalf("stop: %s %v", got.State, err)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := c.Stop(dctx, pop.ByName(quick)); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, c, quick, final, "stopped")
	if s, _ := c.Containers(ctx, pop.ByName(slow)); s[0].State != pop.StateStopping {
		t.Errorf("the 5 s stop finished before the 1 s one: %s", s[0].State)
	}
	if q.State != pop.StateExited || q.ExitCode != 137 {
		t.Errorf("quick: %s exit %d (want EXITED, killed)", q.State, q.ExitCode)
	}
	s := waitFor(t, c, slow, final, "stopped")
	if s.State != pop.StateExited || s.ExitCode != 137 || s.DockerID != "" {
		t.Errorf("slow: %+v", s)
	}
	// A container that honours SIGTERM exits 0.
	c.Stop(ctx, pop.ByName(polite))
	p := waitFor(t, c, polite, final, "stopped")
	if p.ExitCode != 0 {
		t.Errorf("polite exit %d", p.ExitCode)
	}
	if n := len(e.ours()); n != 0 {
		t.Errorf("%d Docker containers left after stops (auto-remove)", n)
	}
}

func TestDockerRestartKeepsIPs(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	ct, _ := c.Create(ctx, pop.ContainerConfig{Name: "re-" + e.popName, Image: testenv.BusyboxImage})
	ct, err := c.Start(ctx, pop.ByID(ct.ID))
	if err != nil {
		t.Fatal(err)
	}
	ip := ct.Endpoints[0].IPv4
	c.Stop(ctx, pop.ByID(ct.ID))
	waitFor(t, c, ct.Name, inState(pop.StateExited), "EXITED")
	ct2, err := c.Start(ctx, pop.ByID(ct.ID))
	if err != nil {
		t.Fatal(err)
	}
	ins, _ := e.raw.ContainerInspect(ctx, ct2.DockerID)
	if got := ins.NetworkSettings.Networks[e.cfg.DefaultNetwork].IPAddress; got != ip {
		t.Fatalf("restart IP %s, want %s", got, ip)
	}
}

func TestDockerDeleteFromEveryState(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	mk := func(n string, md map[string]string) pop.Container {
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: n + "-" + e.popName, Image: testenv.BusyboxImage, Metadata: md})
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	created := mk("created", nil)
	running := mk("running", nil)
	c.Start(ctx, pop.ByID(running.ID))
	exited := mk("exited", map[string]string{"MODE": "exit"})
	c.Start(ctx, pop.ByID(exited.ID))
	failed := mk("failed", map[string]string{"MODE": "exit", "EXIT_CODE": "3"})
	c.Start(ctx, pop.ByID(failed.ID))
	stopping := mk("stopping", map[string]string{"MODE": "ignore-term"})
	c.Start(ctx, pop.ByID(stopping.ID))
	waitFor(t, c, exited.Name, inState(pop.StateExited), "EXITED")
	waitFor(t, c, failed.Name, inState(pop.StateFailed), "FAILED")
	if _, err := c.Stop(ctx, pop.ByID(stopping.ID)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, ct := range []pop.Container{created, running, exited, failed, stopping} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Delete(ctx, pop.ByID(ct.ID)); err != nil {
				t.Errorf("delete %s: %v", ct.Name, err)
			}
		}()
	}
	wg.Wait()
	if left := e.ours(); len(left) != 0 {
		t.Fatalf("Docker containers left with our labels: %d", len(left))
	}
	if cs, _ := c.Containers(ctx, pop.Filter{}); len(cs) != 0 {
		t.Fatalf("records left: %d", len(cs))
	}
	if err := c.Delete(ctx, pop.ByID(created.ID)); !errors.Is(err, pop.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
}

// TestDockerCreateRefusesMissingImage: on one engine, Create refuses an
// image the engine does not hold at once, naming it, and keeps no record.
func TestDockerCreateRefusesMissingImage(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	img := "obdocker-test/does-not-exist:1"
	_, err := c.Create(ctx, pop.ContainerConfig{Name: "img-" + e.popName, Image: img})
	if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), `"`+img+`"`) {
		t.Fatalf("create: %v, want not found naming %s", err, img)
	}
	if cs, _ := c.Containers(ctx, pop.Filter{}); len(cs) != 0 {
		t.Fatalf("records left: %+v", cs)
	}
}

// TestDockerUnknownImage: an image removed between Create and Start fails
// the start, naming it, and leaves no Docker container.
func TestDockerUnknownImage(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	img := "obdocker-test/gone-" + strings.ToLower(e.popName) + ":1"
	if err := e.raw.ImageTag(ctx, testenv.BusyboxImage, img); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = e.raw.ImageRemove(context.Background(), img, dockerimage.RemoveOptions{}) })
	ct, err := c.Create(ctx, pop.ContainerConfig{Name: "img-" + e.popName, Image: img})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.raw.ImageRemove(ctx, img, dockerimage.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Start(ctx, pop.ByID(ct.ID))
	if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), img) {
		t.Fatalf("start: %v", err)
	}
	got, _ := c.Containers(ctx, pop.ByID(ct.ID))
	if got[0].State != pop.StateFailed || !strings.Contains(got[0].ExtendedStatus, img) {
		t.Fatalf("%+v", got[0])
	}
	if len(e.ours()) != 0 {
		t.Fatal("a Docker container was left")
	}
}

func TestDockerParallelCreatesOnSlash24(t *testing.T) {
	e := newEnv(t)
	c := e.open()
	ctx := t.Context()
	n, err := c.CreateNetwork(ctx, pop.NetworkConfig{Name: "par-" + e.popName})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ips := map[string]string{}
	create := func(i int) error {
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: fmt.Sprintf("p%03d-%s", i, e.popName), Image: testenv.BusyboxImage,
			Endpoints: []pop.EndpointConfig{{Network: n.Name}}})
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if other, dup := ips[ct.Endpoints[0].IPv4]; dup {
			t.Errorf("IP %s given to %s and %s", ct.Endpoints[0].IPv4, other, ct.Name)
		}
		ips[ct.Endpoints[0].IPv4] = ct.Name
		return nil
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := create(i); err != nil {
				t.Errorf("create %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if len(ips) != 200 {
		t.Fatalf("%d distinct IPs", len(ips))
	}
	// A /24 has 253 host addresses besides the gateway.
	for i := 200; i < 253; i++ {
		if err := create(i); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	err = create(253)
	if !errors.Is(err, pop.ErrExhausted) || !strings.Contains(err.Error(), n.Subnet) || !strings.Contains(err.Error(), n.Name) {
		t.Fatalf("past the last address: %v", err)
	}
	// Start a few for real to prove the IPs are accepted by Docker.
	for _, name := range []string{fmt.Sprintf("p000-%s", e.popName), fmt.Sprintf("p252-%s", e.popName)} {
		ct, err := c.Start(ctx, pop.ByName(name))
		if err != nil {
			t.Fatal(err)
		}
		ins, _ := e.raw.ContainerInspect(ctx, ct.DockerID)
		if got := ins.NetworkSettings.Networks[n.Name].IPAddress; got != ct.Endpoints[0].IPv4 {
			t.Fatalf("%s: Docker gave %s, Pop says %s", name, got, ct.Endpoints[0].IPv4)
		}
	}
}

func TestDockerRestartOverStore(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c := e.open()
	mk := func(n string, md map[string]string, start bool) pop.Container {
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: n + "-" + e.popName, Image: testenv.BusyboxImage, Metadata: md})
		if err != nil {
			t.Fatal(err)
		}
		if start {
			if ct, err = c.Start(ctx, pop.ByID(ct.ID)); err != nil {
				t.Fatal(err)
			}
		}
		return ct
	}
	created := mk("created", map[string]string{"K": "v"}, false)
	running := mk("running", nil, true)
	dies := mk("dies", nil, true)
	exited := mk("exited", nil, true)
	c.Stop(ctx, pop.ByID(exited.ID))
	waitFor(t, c, exited.Name, inState(pop.StateExited), "EXITED")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// While the Pop is down, one container is killed.
	if err := e.raw.ContainerKill(ctx, dies.DockerID, "KILL"); err != nil {
		t.Fatal(err)
	}
	waitDocker(t, e.raw, dies.DockerID)

	c2 := e.open()
	want := map[string]pop.State{created.Name: pop.StateCreated, running.Name: pop.StateRunning,
		dies.Name: pop.StateFailed, exited.Name: pop.StateExited}
	cs, err := c2.Containers(ctx, pop.Filter{})
	if err != nil || len(cs) != len(want) {
		t.Fatalf("%d containers, %v", len(cs), err)
	}
	for _, ct := range cs {
		if ct.State != want[ct.Name] {
			t.Errorf("%s: %s, want %s", ct.Name, ct.State, want[ct.Name])
		}
	}
	r, _ := c2.Containers(ctx, pop.ByID(running.ID))
	if r[0].DockerID != running.DockerID || r[0].Endpoints[0].IPv4 != running.Endpoints[0].IPv4 {
		t.Errorf("running after reopen: %+v", r[0])
	}
	cr, _ := c2.Containers(ctx, pop.ByID(created.ID))
	if cr[0].Metadata["K"] != "v" {
		t.Errorf("metadata lost")
	}
	// Still tracked after reopen.
	e.raw.ContainerKill(ctx, running.DockerID, "KILL")
	waitFor(t, c2, running.Name, final, "FAILED")
	for _, ct := range cs {
		if err := c2.Delete(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.ours()); n != 0 {
		t.Fatalf("%d Docker containers left", n)
	}
}

func waitDocker(t *testing.T, raw *client.Client, id string) {
	t.Helper()
	for range 200 {
		ins, err := raw.ContainerInspect(t.Context(), id)
		if err != nil || !ins.State.Running {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("container %s still runs", id)
}

// listHook is the real backend with a hook that runs once after a
// ListContainers, to interleave work with a resync.
type listHook struct {
	*docker.Backend
	mu    sync.Mutex
	lists int
	after func()
}

func (h *listHook) ListContainers(ctx context.Context) ([]pop.ContainerStatus, error) {
	out, err := h.Backend.ListContainers(ctx)
	h.mu.Lock()
	h.lists++
	f := h.after
	h.after = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return out, err
}

func (h *listHook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lists
}

// TestDockerResyncKeepsUnlistedContainer: a container that starts and ends
// between a resync's Docker listing and its snapshot of the records keeps
// its Docker container (and logs). It ends by a Stop with KeepStopped: the
// hook holds the tracker, so a death on its own would be seen only after.
func TestDockerResyncKeepsUnlistedContainer(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.cfg.KeepStopped = true
	h := &listHook{Backend: e.b}
	c, err := pop.Open(ctx, e.cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ct, err := c.Create(ctx, pop.ContainerConfig{Name: "brief-" + e.popName, Image: testenv.BusyboxImage})
	if err != nil {
		t.Fatal(err)
	}
	hooked := make(chan int, 1)
	var dockerID string
	h.mu.Lock()
	h.after = func() { // on the tracker's goroutine, inside a resync
		defer func() { hooked <- h.count() }()
		got, err := c.Start(ctx, pop.ByID(ct.ID))
		if err != nil {
			t.Errorf("start: %v", err)
			return
		}
		dockerID = got.DockerID
		if _, err := c.Stop(ctx, pop.ByID(ct.ID)); err != nil {
			t.Errorf("stop: %v", err)
			return
		}
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cs, err := c.Containers(ctx, pop.ByID(ct.ID)); err == nil && cs[0].State == pop.StateExited {
				return
			}
		}
		t.Errorf("%s did not reach EXITED", ct.Name)
	}
	h.mu.Unlock()
	var at int
	select {
	case at = <-hooked:
	case <-time.After(30 * time.Second):
		t.Fatal("no resync ran")
	}
	// The tracker resyncs one at a time: the next listing means the hooked
	// resync has acted.
	for deadline := time.Now().Add(30 * time.Second); h.count() <= at; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no resync after the hooked one")
		}
	}
	got, _ := c.Containers(ctx, pop.ByID(ct.ID))
	if got[0].State != pop.StateExited || got[0].DockerID != dockerID || dockerID == "" {
		t.Fatalf("after the resync: %s, Docker ID %q, want EXITED with %q", got[0].State, got[0].DockerID, dockerID)
	}
	if _, err := e.raw.ContainerInspect(ctx, dockerID); err != nil {
		t.Fatalf("Docker container: %v", err)
	}
	if _, err := c.Logs(ctx, pop.ByID(ct.ID), 0); err != nil {
		t.Fatalf("logs: %v", err)
	}
}

// TestDockerOutsideAddressAfterReopen: the address of a container that is
// not the Pop's, on the default network the Pop adopted, stays out of the
// pool after the Pop reopens its store.
func TestDockerOutsideAddressAfterReopen(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	prefix := strings.TrimSuffix(e.cfg.DefaultSubnet, "0/24")
	outsideIP := prefix + "4" // the pool hands out .2 and .3 first
	n, err := e.raw.NetworkCreate(ctx, e.cfg.DefaultNetwork, network.CreateOptions{Internal: true,
		IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: e.cfg.DefaultSubnet, Gateway: prefix + "1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	outside, err := e.raw.ContainerCreate(ctx, &container.Config{Image: testenv.BusyboxImage},
		&container.HostConfig{NetworkMode: container.NetworkMode(e.cfg.DefaultNetwork)},
		&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			e.cfg.DefaultNetwork: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: outsideIP}}}},
		nil, "outside-"+e.popName)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx := context.Background()
		// The Pop's containers first: the network goes only once it is empty.
		testenv.RemovePopObjects(e.raw, e.popName)
		e.raw.ContainerRemove(cctx, outside.ID, container.RemoveOptions{Force: true})
		if err := e.raw.NetworkRemove(cctx, n.ID); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	if err := e.raw.ContainerStart(ctx, outside.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	c := e.open()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := e.open() // same store: the network is loaded, not adopted anew
	ips := map[string]string{}
	for i := range 4 {
		ct, err := c2.Create(ctx, pop.ContainerConfig{Name: fmt.Sprintf("in%d-%s", i, e.popName), Image: testenv.BusyboxImage})
		if err != nil {
			t.Fatal(err)
		}
		if ct, err = c2.Start(ctx, pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
		ip := ct.Endpoints[0].IPv4
		if ip == outsideIP {
			t.Errorf("%s got %s, the outside container's address", ct.Name, ip)
		}
		if other, dup := ips[ip]; dup {
			t.Errorf("%s and %s both got %s", other, ct.Name, ip)
		}
		ips[ip] = ct.Name
		ins, err := e.raw.ContainerInspect(ctx, ct.DockerID)
		if err != nil {
			t.Fatal(err)
		}
		if got := ins.NetworkSettings.Networks[e.cfg.DefaultNetwork].IPAddress; got != ip {
			t.Errorf("%s: Docker gave %s, the Pop says %s", ct.Name, got, ip)
		}
	}
}
