package pop

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

func openFake(t *testing.T, b *fakeBackend, cfg Config) *Core {
	t.Helper()
	if cfg.PopName == "" {
		cfg.PopName = "unit"
	}
	cfg.ResyncInterval = time.Hour // tests trigger resyncs themselves
	c, err := Open(t.Context(), cfg, b)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitState(t *testing.T, c *Core, name string, want State) Container {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs, err := c.Containers(t.Context(), ByName(name))
		if err != nil {
			t.Fatalf("containers %s: %v", name, err)
		}
		if cs[0].State == want {
			return cs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: state %s, want %s (%s)", name, cs[0].State, want, cs[0].ExtendedStatus)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLifecycleTransitions(t *testing.T) {
	ctx := t.Context()
	b := newFakeBackend()
	c := openFake(t, b, Config{})

	ct, err := c.Create(ctx, ContainerConfig{Name: "web", Image: "busybox:latest", Metadata: map[string]string{"A": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if ct.State != StateCreated || len(ct.Endpoints) != 1 || ct.Endpoints[0].NetName != "private" || ct.Endpoints[0].IPv4 != "172.16.0.2" {
		t.Fatalf("created: %+v", ct)
	}
	if n := b.countCalls("create"); n != 0 {
		t.Fatalf("create touched Docker %d times", n)
	}
	if _, err := c.Create(ctx, ContainerConfig{Name: "web", Image: "busybox:latest"}); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	// Refused before start.
	if _, err := c.Stop(ctx, ByName("web")); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("stop CREATED: %v", err)
	}
	ct, err = c.Metadata(ctx, ByName("web"), map[string]string{"B": "2", "A": ""})
	if err != nil || ct.Metadata["B"] != "2" || ct.Metadata["A"] != "" {
		t.Fatalf("metadata: %+v %v", ct.Metadata, err)
	}
	if _, err := c.Metadata(ctx, ByName("web"), map[string]string{"bad-key": "xx"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad metadata key: %v", err)
	}
	ct, err = c.Start(ctx, ByName("web"))
	if err != nil || ct.State != StateRunning || ct.DockerID == "" {
		t.Fatalf("start: %+v %v", ct, err)
	}
	spec := b.conts[ct.DockerID].spec
	if len(spec.Env) != 1 || spec.Env[0] != "B=2" {
		t.Fatalf("env: %v", spec.Env)
	}
	// Refused while running.
	if _, err := c.Start(ctx, ByName("web")); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("start RUNNING: %v", err)
	}
	if _, err := c.Metadata(ctx, ByName("web"), map[string]string{"C": "3"}); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("metadata RUNNING: %v", err)
	}
	// Stop: STOPPING at once, every op but Delete refused, then EXITED.
	b.mu.Lock()
	b.stopGate = make(chan struct{})
	b.mu.Unlock()
	ct, err = c.Stop(ctx, ByName("web"))
	if err != nil || ct.State != StateStopping {
		t.Fatalf("stop: %+v %v", ct, err)
	}
	for _, op := range []func() error{
		func() error { _, err := c.Start(ctx, ByName("web")); return err },
		func() error { _, err := c.Stop(ctx, ByName("web")); return err },
		func() error { _, err := c.Metadata(ctx, ByName("web"), map[string]string{"X": "1"}); return err },
	} {
		if err := op(); !errors.Is(err, ErrInvalidState) {
			t.Fatalf("op in STOPPING: %v", err)
		}
	}
	close(b.stopGate)
	ct = waitState(t, c, "web", StateExited)
	if ct.DockerID != "" {
		t.Fatalf("auto-remove kept docker id %s", ct.DockerID)
	}
	if got := b.countCalls("stop"); got != 1 {
		t.Fatalf("stop calls %d", got)
	}
	// Restart keeps the IP.
	ct2, err := c.Start(ctx, ByName("web"))
	if err != nil || ct2.State != StateRunning || ct2.Endpoints[0].IPv4 != "172.16.0.2" {
		t.Fatalf("restart: %+v %v", ct2, err)
	}
	if err := c.Delete(ctx, ByName("web")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Containers(ctx, ByName("web")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := c.Delete(ctx, ByName("web")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if len(b.conts) != 0 {
		t.Fatalf("docker containers left: %d", len(b.conts))
	}
	// The address is free again.
	ct, err = c.Create(ctx, ContainerConfig{Name: "web2", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "private", IPv4: "172.16.0.2"}}})
	if err != nil {
		t.Fatalf("reuse IP: %v", err)
	}
}

func TestStopTimeoutFromContext(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	for _, n := range []string{"aa", "bb"} {
		if _, err := c.Create(ctx, ContainerConfig{Name: n, Image: "busybox:latest"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Start(ctx, ByName(n)); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for _, n := range []string{"aa", "bb"} {
		cs, _ := c.Containers(ctx, ByName(n))
		ids[cs[0].DockerID] = n
	}
	if _, err := c.Stop(ctx, ByName("aa")); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := c.Stop(dctx, ByName("bb")); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, "aa", StateExited)
	waitState(t, c, "bb", StateExited)
	b.mu.Lock()
	defer b.mu.Unlock()
	got := map[string]string{}
	for _, call := range b.calls {
		var id, d string
		if n, _ := fmt.Sscanf(call, "stop %s %s", &id, &d); n == 2 {
			got[ids[id]] = d
		}
	}
	if got["aa"] != "5s" || got["bb"] != "2s" {
		t.Fatalf("stop timeouts %v, want a:5s (default) b:2s (ctx deadline)", got)
	}
}

func TestStopFailureIsFailed(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	c.Create(ctx, ContainerConfig{Name: "aa", Image: "busybox:latest"})
	c.Start(ctx, ByName("aa"))
	b.mu.Lock()
	b.stopErr = Errorf(ErrUnavailable, "engine down")
	b.mu.Unlock()
	c.Stop(ctx, ByName("aa"))
	ct := waitState(t, c, "aa", StateFailed)
	if ct.ExtendedStatus == "" {
		t.Fatal("no reason for FAILED")
	}
}

func TestDeleteDuringStopping(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	c.Create(ctx, ContainerConfig{Name: "aa", Image: "busybox:latest"})
	c.Start(ctx, ByName("aa"))
	b.mu.Lock()
	b.stopGate = make(chan struct{})
	b.mu.Unlock()
	c.Stop(ctx, ByName("aa"))
	done := make(chan error, 1)
	go func() { done <- c.Delete(ctx, ByName("aa")) }()
	select {
	case err := <-done:
		t.Fatalf("delete returned before the stop finished: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.stopGate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(b.conts) != 0 {
		t.Fatal("docker container left")
	}
}

func TestDeleteFromEveryState(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		setup func(c *Core, b *fakeBackend)
	}{
		{"created", func(c *Core, b *fakeBackend) {}},
		{"running", func(c *Core, b *fakeBackend) { c.Start(context.Background(), ByName("xx")) }},
		{"exited", func(c *Core, b *fakeBackend) {
			ct, _ := c.Start(context.Background(), ByName("xx"))
			b.kill(ct.DockerID, 0)
		}},
		{"failed", func(c *Core, b *fakeBackend) {
			ct, _ := c.Start(context.Background(), ByName("xx"))
			b.kill(ct.DockerID, 3)
		}},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			b := newFakeBackend()
			c := openFake(t, b, Config{})
			if _, err := c.Create(t.Context(), ContainerConfig{Name: "xx", Image: "busybox:latest"}); err != nil {
				t.Fatal(err)
			}
			tc.setup(c, b)
			if tc.doc == "exited" {
				waitState(t, c, "xx", StateExited)
			}
			if tc.doc == "failed" {
				waitState(t, c, "xx", StateFailed)
			}
			if err := c.Delete(t.Context(), ByName("xx")); err != nil {
				t.Fatal(err)
			}
			if len(b.conts) != 0 {
				t.Fatalf("docker containers left: %d", len(b.conts))
			}
			cs, _ := c.Containers(t.Context(), Filter{})
			if len(cs) != 0 {
				t.Fatalf("records left: %v", cs)
			}
		})
	}
}

func TestDeathDetected(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	c.Create(ctx, ContainerConfig{Name: "ok", Image: "busybox:latest"})
	c.Create(ctx, ContainerConfig{Name: "bad", Image: "busybox:latest"})
	a, _ := c.Start(ctx, ByName("ok"))
	d, _ := c.Start(ctx, ByName("bad"))
	b.kill(a.DockerID, 0)
	b.kill(d.DockerID, 137)
	waitState(t, c, "ok", StateExited)
	ct := waitState(t, c, "bad", StateFailed)
	if ct.ExitCode != 137 || ct.DockerID == "" {
		t.Fatalf("failed container: %+v (its Docker container must stay for its logs)", ct)
	}
}

func TestResyncSeesVanished(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	c.Create(ctx, ContainerConfig{Name: "vv", Image: "busybox:latest"})
	ct, _ := c.Start(ctx, ByName("vv"))
	b.mu.Lock()
	delete(b.conts, ct.DockerID) // removed without an event
	b.mu.Unlock()
	c.resync <- struct{}{}
	waitState(t, c, "vv", StateFailed)
}

// TestResyncKeepsUnlistedDockerContainer: a container that starts and
// dies between a resync's Docker listing and its snapshot of the records
// keeps its Docker ID, and with it its logs.
func TestResyncKeepsUnlistedDockerContainer(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	// Open's recover lists once, the tracker's first resync once more;
	// after that the tracker lists only when asked.
	for deadline := time.Now().Add(10 * time.Second); b.countCalls("list") < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the tracker's first resync did not run")
		}
	}
	if _, err := c.Create(ctx, ContainerConfig{Name: "brief", Image: "busybox:latest"}); err != nil {
		t.Fatal(err)
	}
	var dockerID string
	b.mu.Lock()
	b.afterList = func() {
		ct, err := c.Start(ctx, ByName("brief"))
		if err != nil {
			t.Errorf("start: %v", err)
			return
		}
		dockerID = ct.DockerID
		b.kill(dockerID, 0)
		waitState(t, c, "brief", StateExited)
	}
	b.mu.Unlock()
	c.resyncNow()
	if dockerID == "" {
		t.Fatal("the hook did not run")
	}
	ct := waitState(t, c, "brief", StateExited)
	if ct.DockerID != dockerID {
		t.Fatalf("Docker ID after the resync: %q, want %q (the Docker container still exists)", ct.DockerID, dockerID)
	}
	if logs, err := c.Logs(ctx, ByName("brief"), 0); err != nil || logs != "log of "+dockerID {
		t.Fatalf("logs %q, %v", logs, err)
	}
	// A Docker container that is really gone is still forgotten.
	b.mu.Lock()
	delete(b.conts, dockerID)
	b.mu.Unlock()
	c.resyncNow()
	if ct := waitState(t, c, "brief", StateExited); ct.DockerID != "" {
		t.Fatalf("Docker ID of a removed Docker container kept: %q", ct.DockerID)
	}
}

// TestCreateRefusesMissingImage: an image the backend cannot run from is
// refused by Create, naming it, before any record or address is taken.
func TestCreateRefusesMissingImage(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	ctx := t.Context()
	_, err := c.Create(ctx, ContainerConfig{Name: "uu", Image: "nope:1"})
	if !errors.Is(err, ErrNotFound) || !contains(err.Error(), `"nope:1"`) {
		t.Fatalf("create with a missing image: %v, want not found naming \"nope:1\"", err)
	}
	if cs, _ := c.Containers(ctx, Filter{}); len(cs) != 0 {
		t.Fatalf("a refused create left %d records", len(cs))
	}
	// The name and the addresses are free again.
	if _, err := c.Create(ctx, ContainerConfig{Name: "uu", Image: "busybox:latest"}); err != nil {
		t.Fatal(err)
	}
}

// TestStartUnknownImageFails: an image that disappears between Create and
// Start fails the start, naming it.
func TestStartUnknownImageFails(t *testing.T) {
	b := newFakeBackend()
	b.images["nope:1"] = Image{ID: "sha256:nope", Tags: []string{"nope:1"}}
	c := openFake(t, b, Config{})
	ctx := t.Context()
	if _, err := c.Create(ctx, ContainerConfig{Name: "uu", Image: "nope:1"}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	delete(b.images, "nope:1")
	b.mu.Unlock()
	_, err := c.Start(ctx, ByName("uu"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("start: %v", err)
	}
	ct := waitState(t, c, "uu", StateFailed)
	if want := `"nope:1"`; !contains(ct.ExtendedStatus, want) {
		t.Fatalf("status %q does not name the image", ct.ExtendedStatus)
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestCreateValidation(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	n, err := c.CreateNetwork(t.Context(), NetworkConfig{Name: "net1", Subnet: "10.1.2.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Gateway != "10.1.2.1" {
		t.Fatalf("gateway %s", n.Gateway)
	}
	for _, tc := range []struct {
		doc  string
		cfg  ContainerConfig
		want error
		in   string
	}{
		{"bad name", ContainerConfig{Name: "-x", Image: "busybox:latest"}, ErrInvalidArgument, `"-x"`},
		{"bad image", ContainerConfig{Name: "xx", Image: "Busybox:latest"}, ErrInvalidArgument, "Busybox:latest"},
		{"no image", ContainerConfig{Name: "xx"}, ErrInvalidArgument, "image"},
		{"unknown network", ContainerConfig{Name: "xx", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "nope"}}}, ErrNotFound, `"nope"`},
		{"bad ip", ContainerConfig{Name: "xx", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1", IPv4: "10.1.2.x"}}}, ErrInvalidArgument, "10.1.2.x"},
		{"outside", ContainerConfig{Name: "xx", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1", IPv4: "10.1.3.4"}}}, ErrInvalidArgument, "10.1.3.4"},
		{"gateway", ContainerConfig{Name: "xx", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1", IPv4: "10.1.2.1"}}}, ErrInvalidArgument, "gateway"},
		{"broadcast", ContainerConfig{Name: "xx", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1", IPv4: "10.1.2.255"}}}, ErrInvalidArgument, "10.1.2.255"},
		{"twice", ContainerConfig{Name: "xx", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1"}, {Network: "net1"}}}, ErrInvalidArgument, "twice"},
		{"flavour", ContainerConfig{Name: "xx", Image: "busybox:latest", Flavour: "m9.huge"}, ErrNotFound, "m9.huge"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			_, err := c.Create(t.Context(), tc.cfg)
			if !errors.Is(err, tc.want) || !contains(err.Error(), tc.in) {
				t.Fatalf("got %v, want %v naming %q", err, tc.want, tc.in)
			}
		})
	}
	// A taken fixed IP names the holder.
	if _, err := c.Create(t.Context(), ContainerConfig{Name: "hh", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1", IPv4: "10.1.2.9"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(t.Context(), ContainerConfig{Name: "h2", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1", IPv4: "10.1.2.9"}}})
	if !errors.Is(err, ErrAlreadyExists) || !contains(err.Error(), "10.1.2.9") {
		t.Fatalf("taken: %v", err)
	}
	// A failed create leaves nothing reserved: h2's name is free.
	if _, err := c.Create(t.Context(), ContainerConfig{Name: "h2", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "net1"}}}); err != nil {
		t.Fatal(err)
	}
	// Network still in use.
	if err := c.DeleteNetwork(t.Context(), ByName("net1")); !errors.Is(err, ErrInvalidState) || !contains(err.Error(), "h2") {
		t.Fatalf("delete used network: %v", err)
	}
}

func TestParallelCreatesExhaustSubnet(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	if _, err := c.CreateNetwork(t.Context(), NetworkConfig{Name: "small", Subnet: "10.9.9.0/26"}); err != nil {
		t.Fatal(err)
	}
	// /26: 64 addresses - network - broadcast - gateway = 61.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ips := map[string]bool{}
	var fails []error
	for i := range 70 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct, err := c.Create(t.Context(), ContainerConfig{Name: "p" + itoa(i), Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "small"}}})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails = append(fails, err)
				return
			}
			if ips[ct.Endpoints[0].IPv4] {
				t.Errorf("duplicate IP %s", ct.Endpoints[0].IPv4)
			}
			ips[ct.Endpoints[0].IPv4] = true
		}()
	}
	wg.Wait()
	if len(ips) != 61 || len(fails) != 9 {
		t.Fatalf("%d allocated, %d failed; want 61 and 9", len(ips), len(fails))
	}
	for _, err := range fails {
		if !errors.Is(err, ErrExhausted) || !contains(err.Error(), "10.9.9.0/26") {
			t.Fatalf("exhaustion error: %v", err)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestRestartOverStore(t *testing.T) {
	b := newFakeBackend()
	path := filepath.Join(t.TempDir(), "pop.db")
	ctx := t.Context()
	c, err := Open(ctx, Config{PopName: "unit", StorePath: path, ResyncInterval: time.Hour}, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNetwork(ctx, NetworkConfig{Name: "n1", Subnet: "10.3.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	c.Create(ctx, ContainerConfig{Name: "created", Image: "busybox:latest", Metadata: map[string]string{"K": "vv"}})
	c.Create(ctx, ContainerConfig{Name: "running", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "n1"}}})
	c.Create(ctx, ContainerConfig{Name: "dies", Image: "busybox:latest"})
	c.Create(ctx, ContainerConfig{Name: "vanishes", Image: "busybox:latest"})
	r, _ := c.Start(ctx, ByName("running"))
	d, _ := c.Start(ctx, ByName("dies"))
	v, _ := c.Start(ctx, ByName("vanishes"))
	c.Close()

	// While the Pop is down: one dies, one is removed, and an orphan appears.
	b.mu.Lock()
	b.conts[d.DockerID].st.Running, b.conts[d.DockerID].st.Status, b.conts[d.DockerID].st.ExitCode = false, "exited", 2
	delete(b.conts, v.DockerID)
	b.conts["orphan"] = &fakeCont{st: ContainerStatus{DockerID: "orphan", Name: "orphan", PopID: "gone", Running: true, Status: "running"}}
	b.mu.Unlock()

	c2, err := Open(ctx, Config{PopName: "unit", StorePath: path, ResyncInterval: time.Hour}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	want := map[string]State{"created": StateCreated, "running": StateRunning, "dies": StateFailed, "vanishes": StateFailed}
	cs, _ := c2.Containers(ctx, Filter{})
	if len(cs) != len(want) {
		t.Fatalf("got %d containers", len(cs))
	}
	for _, ct := range cs {
		if ct.State != want[ct.Name] {
			t.Errorf("%s: %s, want %s", ct.Name, ct.State, want[ct.Name])
		}
	}
	if _, ok := b.conts["orphan"]; ok {
		t.Error("orphan not removed")
	}
	got, _ := c2.Containers(ctx, ByName("running"))
	if got[0].Endpoints[0].IPv4 != r.Endpoints[0].IPv4 || got[0].DockerID != r.DockerID {
		t.Errorf("running: %+v", got[0])
	}
	got, _ = c2.Containers(ctx, ByName("created"))
	if got[0].Metadata["K"] != "vv" {
		t.Errorf("metadata lost: %+v", got[0])
	}
	// IP reservations survived: a fixed request for running's IP is refused.
	_, err = c2.Create(ctx, ContainerConfig{Name: "clash", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "n1", IPv4: r.Endpoints[0].IPv4}}})
	if !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("reservation lost: %v", err)
	}
}

// TestOutsideAddressReservedOnReopen: the addresses of containers that are
// not the Pop's, on a network it adopted, are reserved at every Open, not
// only at the first adoption.
func TestOutsideAddressReservedOnReopen(t *testing.T) {
	b := newFakeBackend()
	b.nets["n-adopted"] = NetworkStatus{ID: "n-adopted", Name: "private", Driver: "bridge",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"}}, Containers: map[string]string{"outside": "10.9.0.3"}}
	cfg := Config{PopName: "unit", StorePath: filepath.Join(t.TempDir(), "pop.db"), ResyncInterval: time.Hour}
	ctx := t.Context()
	c, err := Open(ctx, cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := openFake(t, b, cfg)
	for _, n := range []string{"aa", "bb", "cc"} {
		ct, err := c2.Create(ctx, ContainerConfig{Name: n, Image: "busybox:latest"})
		if err != nil {
			t.Fatal(err)
		}
		if ip := ct.Endpoints[0].IPv4; ip == "10.9.0.3" {
			t.Fatalf("%s got %s, the address of a container outside the Pop", n, ip)
		}
	}
}

func TestDefaultSubnetAvoidsOverlap(t *testing.T) {
	b := newFakeBackend()
	b.nets["xx"] = NetworkStatus{ID: "xx", Name: "other", Subnets: []SubnetStatus{{CIDR: "172.16.0.0/16"}}}
	c := openFake(t, b, Config{})
	ns, _ := c.Networks(t.Context(), ByName("private"))
	if ns[0].Subnet != "172.18.0.0/16" { // 172.17 is the fake's docker0
		t.Fatalf("default subnet %s", ns[0].Subnet)
	}
}

func TestNetworkPool(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{NetworkPool: "10.50.0.0/23"})
	n1, err := c.CreateNetwork(t.Context(), NetworkConfig{Name: "aa"})
	if err != nil || n1.Subnet != "10.50.0.0/24" {
		t.Fatalf("%+v %v", n1, err)
	}
	n2, _ := c.CreateNetwork(t.Context(), NetworkConfig{Name: "bb"})
	if n2.Subnet != "10.50.1.0/24" {
		t.Fatalf("%+v", n2)
	}
	if _, err := c.CreateNetwork(t.Context(), NetworkConfig{Name: "cc"}); !errors.Is(err, ErrExhausted) {
		t.Fatalf("pool exhausted: %v", err)
	}
	if _, err := c.CreateNetwork(t.Context(), NetworkConfig{Name: "dd", Subnet: "10.50.1.128/25"}); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("overlap: %v", err)
	}
	if _, err := c.CreateNetwork(t.Context(), NetworkConfig{Name: "oo", Driver: "overlay"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("overlay without swarm: %v", err)
	}
	if err := c.DeleteNetwork(t.Context(), ByName("aa")); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteNetwork(t.Context(), ByName("aa")); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := c.DeleteNetwork(t.Context(), ByName("private")); !errors.Is(err, ErrInvalidState) {
		t.Fatal(err)
	}
}

// TestOpenWarnsOnAnotherPopsNetwork: adopting a default network that
// another Pop manages works, and says loudly that the two IPAMs cannot see
// each other.
func TestOpenWarnsOnAnotherPopsNetwork(t *testing.T) {
	b := newFakeBackend()
	b.nets["n-other"] = NetworkStatus{ID: "n-other", Name: "private", Driver: "bridge", Owner: "other-pop",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"}}, Containers: map[string]string{"d1": "10.9.0.2"}}
	log, hook := logtest.NewNullLogger()
	c := openFake(t, b, Config{Logger: log})
	ct, err := c.Create(t.Context(), ContainerConfig{Name: "one", Image: "busybox:latest"})
	if err != nil {
		t.Fatal(err)
	}
	if ip := ct.Endpoints[0].IPv4; ip != "10.9.0.3" {
		t.Errorf("IP %s: the other Pop's running container holds 10.9.0.2", ip)
	}
	warned := false
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && e.Data["owner"] == "other-pop" && e.Data["network"] == "private" {
			warned = true
		}
	}
	if !warned {
		t.Error("no warning that the default network belongs to another Pop")
	}
}

// TestOutsideHolderKeepsAddressOfStoppedRecord: a stopped VNFC keeps its
// address for a restart, but a container outside the Pop took it meanwhile
// (Docker hands a stopped container's address out again). Loading our
// record must not take the address from the outside holder, so deleting
// the record does not free an address Docker still shows in use.
func TestOutsideHolderKeepsAddressOfStoppedRecord(t *testing.T) {
	b, cfg, ct := stoppedRecord(t)
	ctx := t.Context()
	ip := ct.Endpoints[0].IPv4
	setHolders(b, map[string]string{"outside": ip})

	c2 := openFake(t, b, cfg)
	if err := c2.Delete(ctx, ByName("mine")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aa", "bb"} {
		got, err := c2.Create(ctx, ContainerConfig{Name: name, Image: "busybox:latest"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Endpoints[0].IPv4 == ip {
			t.Fatalf("%s got %s, which Docker showed held by container 'outside' at Open", name, ip)
		}
	}
}

// TestRemovedOrphanFreesItsAddress: an orphan of this Pop (labelled, no
// record) is removed at Open; its address returns to the pool at once.
func TestRemovedOrphanFreesItsAddress(t *testing.T) {
	b := newFakeBackend()
	b.nets["n-adopted"] = NetworkStatus{ID: "n-adopted", Name: "private", Driver: "bridge",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/29", Gateway: "10.9.0.1"}}, Containers: map[string]string{"orphan": "10.9.0.2"}}
	b.conts["orphan"] = &fakeCont{st: ContainerStatus{DockerID: "orphan", Name: "orphan", PopID: "gone", Running: true, Status: "running",
		Networks: map[string]EndpointStatus{"n-adopted": {NetworkID: "n-adopted", IPv4: "10.9.0.2"}}}}
	c := openFake(t, b, Config{PopName: "unit", ResyncInterval: time.Hour})
	b.mu.Lock()
	_, still := b.conts["orphan"]
	b.mu.Unlock()
	if still {
		t.Fatal("the orphan was not removed at Open")
	}
	for i := range 5 { // .2 to .6: every usable address of the /29
		if _, err := c.Create(t.Context(), ContainerConfig{Name: fmt.Sprintf("c%d", i), Image: "busybox:latest"}); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
}

// TestOpenRefusesASwarmOverlayAsDefault: the default network's name is
// taken by a Swarm VIM's overlay on this engine (a Swarm Pop of the same
// driver opened first). Swarm allocates its addresses, so adopting it
// would make two allocators collide: Open refuses, naming both.
func TestOpenRefusesASwarmOverlayAsDefault(t *testing.T) {
	b := newFakeBackend()
	b.nets["n-swarm"] = NetworkStatus{ID: "n-swarm", Name: "private", Driver: "overlay", SwarmOwner: "sw-pop",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"}}}
	_, err := Open(t.Context(), Config{PopName: "unit", ResyncInterval: time.Hour}, b)
	if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), `"private"`) || !strings.Contains(err.Error(), `"sw-pop"`) ||
		!strings.Contains(err.Error(), "OBDOCKER_DEFAULT_NETWORK") {
		t.Fatalf("Open over a Swarm overlay as default network: %v", err)
	}
}

// TestOutsideAddressFreedOnceDockerReleasesIt: an address Open reserved
// for a container outside the Pop (here the stale endpoint "ep-…" that a
// crash during one of our removals left for Docker to finish, as a CI run
// showed) is taken by a fixed-IP create once Docker no longer shows it on
// the network; while Docker shows it, the create is refused, naming it.
// Before, it stayed refused until the next Open.
func TestOutsideAddressFreedOnceDockerReleasesIt(t *testing.T) {
	b := newFakeBackend()
	b.nets["n-adopted"] = NetworkStatus{ID: "n-adopted", Name: "private", Driver: "bridge",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"}}, Containers: map[string]string{"ep-e67e7ee0": "10.9.0.10"}}
	c := openFake(t, b, Config{PopName: "unit", ResyncInterval: time.Hour})
	ctx := t.Context()
	fixed := ContainerConfig{Name: "fixed", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "private", IPv4: "10.9.0.10"}}}
	if _, err := c.Create(ctx, fixed); !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), "ep-e67e7ee0") {
		t.Fatalf("create on an address Docker shows in use: %v, want AlreadyExists naming the holder", err)
	}
	setHolders(b, map[string]string{})
	ct, err := c.Create(ctx, fixed)
	if err != nil || ct.Endpoints[0].IPv4 != "10.9.0.10" {
		t.Fatalf("create once Docker released the address: %+v, %v; want 10.9.0.10", ct.Endpoints, err)
	}
}

// TestGoneOutsideHolderGivesTheAddressBackToItsRecord: our stopped VNFC
// "mine" keeps 10.9.0.2 in its record; while the Pop was down an outside
// container took it, so Open leaves it reserved as "docker:outside" and
// the record contested (recover.go settleContested). Once the outside
// container is gone, a fixed-IP create of 10.9.0.2 is refused, naming
// "mine", whose address it is again, and "mine" starts on it. Found by
// review: the first version of the re-inspect handed it to the create,
// and two of our containers held one IP.
func TestGoneOutsideHolderGivesTheAddressBackToItsRecord(t *testing.T) {
	b, cfg, ct := stoppedRecord(t)
	ctx := t.Context()
	ip := ct.Endpoints[0].IPv4
	setHolders(b, map[string]string{"outside": ip})
	c2 := openFake(t, b, cfg)
	setHolders(b, map[string]string{}) // the operator removes the outside container

	thief, err := c2.Create(ctx, ContainerConfig{Name: "thief", Image: "busybox:latest",
		Endpoints: []EndpointConfig{{Network: "private", IPv4: ip}}})
	if err == nil {
		mine, _ := c2.Containers(ctx, ByName("mine"))
		t.Fatalf("create %q got %s, the address record %q (%s) still holds: two of our containers now hold one IP",
			thief.Name, thief.Endpoints[0].IPv4, mine[0].Name, mine[0].Endpoints[0].IPv4)
	}
	if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), ct.ID) {
		t.Errorf("create on the address of %q: %v, want AlreadyExists naming its ID %s", ct.Name, err, ct.ID)
	}
	if got, err := c2.Start(ctx, ByName("mine")); err != nil || got.Endpoints[0].IPv4 != ip {
		t.Errorf("start %q on its address %s: %+v, %v", ct.Name, ip, got.Endpoints, err)
	}
}

type failingInspect struct {
	*fakeBackend
	fail atomic.Bool
}

func (f *failingInspect) InspectNetwork(ctx context.Context, ref string) (NetworkStatus, error) {
	if f.fail.Load() {
		return NetworkStatus{}, Errorf(ErrUnavailable, "docker engine down")
	}
	return f.fakeBackend.InspectNetwork(ctx, ref)
}

// TestOutsideAddressByIDAndInspectError: a network given by its Docker ID
// frees a gone holder's address too; an inspect that fails keeps it
// refused, naming the holder; our own record's address is never freed.
func TestOutsideAddressByIDAndInspectError(t *testing.T) {
	fb := newFakeBackend()
	fb.nets["n-adopted"] = NetworkStatus{ID: "n-adopted", Name: "private", Driver: "bridge",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"}}, Containers: map[string]string{"ep-1": "10.9.0.10", "ep-2": "10.9.0.11"}}
	b := &failingInspect{fakeBackend: fb}
	c, err := Open(t.Context(), Config{PopName: "unit", ResyncInterval: time.Hour}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	setHolders(fb, map[string]string{})
	ct, err := c.Create(ctx, ContainerConfig{Name: "byid", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "n-adopted", IPv4: "10.9.0.10"}}})
	if err != nil || ct.Endpoints[0].IPv4 != "10.9.0.10" {
		t.Fatalf("by ID: %+v %v", ct.Endpoints, err)
	}
	b.fail.Store(true)
	_, err = c.Create(ctx, ContainerConfig{Name: "down", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "private", IPv4: "10.9.0.11"}}})
	if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), "ep-2") {
		t.Fatalf("inspect failing: %v", err)
	}
	b.fail.Store(false)
	// Our own record's address is never freed by the re-inspect.
	_, err = c.Create(ctx, ContainerConfig{Name: "again", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "private", IPv4: "10.9.0.10"}}})
	if !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), ct.ID) {
		t.Fatalf("own address: %v", err)
	}
}

// stoppedRecord opens a Pop with a store on a fake engine whose default
// network is "private" (n-adopted, 10.9.0.0/24), makes the VNFC "mine",
// starts and stops it, and closes the Pop: the record keeps its address
// for a restart.
func stoppedRecord(t *testing.T) (*fakeBackend, Config, Container) {
	t.Helper()
	b := newFakeBackend()
	b.nets["n-adopted"] = NetworkStatus{ID: "n-adopted", Name: "private", Driver: "bridge",
		Subnets: []SubnetStatus{{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"}}, Containers: map[string]string{}}
	cfg := Config{PopName: "unit", StorePath: filepath.Join(t.TempDir(), "pop.db"), ResyncInterval: time.Hour}
	ctx := t.Context()
	c, err := Open(ctx, cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Create(ctx, ContainerConfig{Name: "mine", Image: "busybox:latest"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx, ByName("mine")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stop(ctx, ByName("mine")); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, "mine", StateExited)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return b, cfg, ct
}

// setHolders sets the containers Docker shows on the fake's default
// network (container ID → address).
func setHolders(b *fakeBackend, m map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.nets["n-adopted"]
	n.Containers = m
	b.nets["n-adopted"] = n
}
