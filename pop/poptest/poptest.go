// Package poptest is the conformance suite of pop.Pop: one set of tests
// that the in-process core and the gRPC client (against a real server)
// must both pass, on a real Docker engine.
package poptest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dockerimage "github.com/docker/docker/api/types/image"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

// Target is one Pop under test.
type Target struct {
	Pop pop.Pop
	// Network is the Pop's default network.
	Network string
	// SmallSubnet is a free /29 the suite may give to a network it creates.
	SmallSubnet string
}

// Image is the image the suite runs (see testdata/images/busybox/run.sh).
const Image = testenv.BusyboxImage

// wait is how long the suite polls for a state: generous, because the
// engine is shared with other tests.
const wait = 20 * time.Second

// Run runs the suite. newTarget gives a fresh Pop for each subtest, with
// its cleanup registered on the t it is given.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, tg Target)
	}{
		{"Lifecycle", testLifecycle},
		{"RefusedTransitions", testRefused},
		{"ExitOnItsOwn", testExitOnItsOwn},
		{"IPAM", testIPAM},
		{"Exhaustion", testExhaustion},
		{"Duplicates", testDuplicates},
		{"UnknownImage", testUnknownImage},
		{"Lookups", testLookups},
		{"LogsAndImages", testLogsAndImages},
		{"Concurrent", testConcurrent},
		{"HostOptions", testHostOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newTarget(t))
		})
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func name(t *testing.T) string { return testenv.Name(t) }

func wantClass(t *testing.T, err, class error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, class)
	}
	if !errors.Is(err, class) {
		t.Fatalf("%s: error %q has class %v, want %v", what, err, pop.Class(err), class)
	}
}

// res holds a call's results so a test can write get(p.X(…)).ok(t, "x").
type res[T any] struct {
	v   T
	err error
}

func get[T any](v T, err error) res[T] { return res[T]{v, err} }

func (r res[T]) ok(t *testing.T, what string) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.v
}

func one(t *testing.T, p pop.Pop, f pop.Filter) pop.Container {
	t.Helper()
	cs, err := p.Containers(ctxFor(t, 10*time.Second), f)
	if err != nil {
		t.Fatalf("containers %v: %v", f, err)
	}
	if len(cs) != 1 {
		t.Fatalf("containers %v: %d results, want 1", f, len(cs))
	}
	return cs[0]
}

func waitState(t *testing.T, p pop.Pop, id string, want pop.State) pop.Container {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		c := one(t, p, pop.ByID(id))
		if c.State == want {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: state %v (%s) after %v, want %v", c.Name, c.State, c.ExtendedStatus, wait, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// create makes a container and registers its deletion.
func create(t *testing.T, p pop.Pop, cfg pop.ContainerConfig) pop.Container {
	t.Helper()
	if cfg.Image == "" {
		cfg.Image = Image
	}
	c, err := p.Create(ctxFor(t, 10*time.Second), cfg)
	if err != nil {
		t.Fatalf("create %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Delete(ctx, pop.ByID(c.ID)); err != nil && !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("cleanup: delete %s: %v", c.Name, err)
		}
	})
	return c
}

func netOf(t *testing.T, p pop.Pop, ref string) (pop.Network, netip.Prefix) {
	t.Helper()
	ns := get(p.Networks(ctxFor(t, 10*time.Second), pop.ByName(ref))).ok(t, "networks "+ref)
	if len(ns) != 1 {
		t.Fatalf("networks %s: %d results", ref, len(ns))
	}
	pfx, err := netip.ParsePrefix(ns[0].Subnet)
	if err != nil {
		t.Fatalf("network %s: subnet %q: %v", ref, ns[0].Subnet, err)
	}
	return ns[0], pfx
}

func ipOn(t *testing.T, c pop.Container, net string) string {
	t.Helper()
	for _, e := range c.Endpoints {
		if e.NetName == net {
			return e.IPv4
		}
	}
	t.Fatalf("container %s has no endpoint on %s: %+v", c.Name, net, c.Endpoints)
	return ""
}

// stopCtx bounds Stop: its deadline is the stop timeout.
func stopCtx(t *testing.T) context.Context { return ctxFor(t, 3*time.Second) }

func testLifecycle(t *testing.T, tg Target) {
	p := tg.Pop
	_, pfx := netOf(t, p, tg.Network)
	n := name(t)
	c := create(t, p, pop.ContainerConfig{Name: n, Metadata: map[string]string{"A": "1", "B": "x"}})
	if c.State != pop.StateCreated || c.ID == "" || c.Name != n || c.DockerID != "" {
		t.Fatalf("created: %+v", c)
	}
	ip := ipOn(t, c, tg.Network)
	if a, err := netip.ParseAddr(ip); err != nil || !pfx.Contains(a) {
		t.Fatalf("created: IP %q not in %s", ip, pfx)
	}
	if got := one(t, p, pop.ByName(n)); got.ID != c.ID || got.State != pop.StateCreated {
		t.Fatalf("by name: %+v", got)
	}
	all := get(p.Containers(ctxFor(t, 10*time.Second), pop.Filter{})).ok(t, "list all")
	if !slices.ContainsFunc(all, func(x pop.Container) bool { return x.ID == c.ID }) {
		t.Fatalf("list all: %s missing", c.ID)
	}

	md := get(p.Metadata(ctxFor(t, 10*time.Second), pop.ByID(c.ID), map[string]string{"B": "", "C": "3"})).ok(t, "metadata")
	if len(md.Metadata) != 2 || md.Metadata["A"] != "1" || md.Metadata["C"] != "3" {
		t.Fatalf("metadata after merge: %v", md.Metadata)
	}

	r := get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "start")
	if r.State != pop.StateRunning || r.DockerID == "" {
		t.Fatalf("started: %+v", r)
	}
	if got := ipOn(t, r, tg.Network); got != ip {
		t.Fatalf("started: IP %s, created with %s", got, ip)
	}

	s := get(p.Stop(stopCtx(t), pop.ByID(c.ID))).ok(t, "stop")
	if s.State != pop.StateStopping && s.State != pop.StateExited {
		t.Fatalf("stop answered %v, want STOPPING", s.State)
	}
	e := waitState(t, p, c.ID, pop.StateExited)
	if e.ExitCode != 0 {
		t.Fatalf("exited with %d (%s)", e.ExitCode, e.ExtendedStatus)
	}
	wantClass(t, must2(p.Stop(stopCtx(t), pop.ByID(c.ID))), pop.ErrInvalidState, "stop on EXITED")

	r2 := get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "restart")
	if r2.State != pop.StateRunning {
		t.Fatalf("restarted: %v", r2.State)
	}
	if got := ipOn(t, r2, tg.Network); got != ip {
		t.Fatalf("restarted with IP %s, had %s", got, ip)
	}

	if err := p.Delete(ctxFor(t, 30*time.Second), pop.ByID(c.ID)); err != nil {
		t.Fatalf("delete running: %v", err)
	}
	wantClass(t, must2(p.Containers(ctxFor(t, 10*time.Second), pop.ByID(c.ID))), pop.ErrNotFound, "lookup after delete")
	wantClass(t, p.Delete(ctxFor(t, 10*time.Second), pop.ByID(c.ID)), pop.ErrNotFound, "delete twice")

	// The address went back to the network.
	re := create(t, p, pop.ContainerConfig{Name: name(t) + "-again",
		Endpoints: []pop.EndpointConfig{{Network: tg.Network, IPv4: ip}}})
	if got := ipOn(t, re, tg.Network); got != ip {
		t.Fatalf("fixed IP %s after delete: got %s", ip, got)
	}
}

// must2 keeps the error of a two-result call.
func must2[T any](_ T, err error) error { return err }

func testRefused(t *testing.T, tg Target) {
	p := tg.Pop
	c := create(t, p, pop.ContainerConfig{Name: name(t)})
	wantClass(t, must2(p.Stop(stopCtx(t), pop.ByID(c.ID))), pop.ErrInvalidState, "stop on CREATED")

	get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "start")
	wantClass(t, must2(p.Metadata(ctxFor(t, 10*time.Second), pop.ByID(c.ID), map[string]string{"K": "v"})),
		pop.ErrInvalidState, "metadata on RUNNING")
	wantClass(t, must2(p.Start(ctxFor(t, 10*time.Second), pop.ByID(c.ID))), pop.ErrInvalidState, "start on RUNNING")

	// A container that ignores SIGTERM stays STOPPING until the timeout.
	slow := create(t, p, pop.ContainerConfig{Name: name(t) + "-slow", Env: map[string]string{"MODE": "ignore-term"}})
	get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(slow.ID))).ok(t, "start slow")
	s := get(p.Stop(ctxFor(t, 5*time.Second), pop.ByID(slow.ID))).ok(t, "stop slow")
	if s.State != pop.StateStopping {
		t.Fatalf("stop answered %v, want STOPPING", s.State)
	}
	wantClass(t, must2(p.Metadata(ctxFor(t, 10*time.Second), pop.ByID(slow.ID), map[string]string{"K": "v"})),
		pop.ErrInvalidState, "metadata on STOPPING")
	wantClass(t, must2(p.Start(ctxFor(t, 10*time.Second), pop.ByID(slow.ID))), pop.ErrInvalidState, "start on STOPPING")
	wantClass(t, must2(p.Stop(stopCtx(t), pop.ByID(slow.ID))), pop.ErrInvalidState, "stop on STOPPING")
	if err := p.Delete(ctxFor(t, 30*time.Second), pop.ByID(slow.ID)); err != nil {
		t.Fatalf("delete on STOPPING: %v", err)
	}
	wantClass(t, must2(p.Containers(ctxFor(t, 10*time.Second), pop.ByID(slow.ID))), pop.ErrNotFound, "lookup after delete")
}

// testExitOnItsOwn: the tracker sees containers exit without a Stop. Exit
// code 0 is EXITED (even though Docker auto-removes it: prior-art bug 15),
// any other code FAILED with the code; both may start again.
func testExitOnItsOwn(t *testing.T, tg Target) {
	p := tg.Pop
	for _, tc := range []struct {
		code string
		want pop.State
	}{{"0", pop.StateExited}, {"3", pop.StateFailed}} {
		c := create(t, p, pop.ContainerConfig{Name: name(t) + "-" + tc.code,
			Env: map[string]string{"MODE": "exit", "EXIT_CODE": tc.code}})
		get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "start")
		e := waitState(t, p, c.ID, tc.want)
		if fmt.Sprint(e.ExitCode) != tc.code || !strings.Contains(e.ExtendedStatus, tc.code) {
			t.Fatalf("exit code %d (%q), want %s", e.ExitCode, e.ExtendedStatus, tc.code)
		}
		r := get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "restart")
		if r.State != pop.StateRunning && r.State != tc.want {
			t.Fatalf("restart: %v", r.State)
		}
	}
}

func testIPAM(t *testing.T, tg Target) {
	p := tg.Pop
	nw, pfx := netOf(t, p, tg.Network)
	ctx := ctxFor(t, 30*time.Second)
	try := func(ip string) error {
		_, err := p.Create(ctx, pop.ContainerConfig{Name: name(t), Image: Image,
			Endpoints: []pop.EndpointConfig{{Network: tg.Network, IPv4: ip}}})
		return err
	}
	wantClass(t, try("192.0.2.10"), pop.ErrInvalidArgument, "IP outside the subnet")
	wantClass(t, try(nw.Gateway), pop.ErrInvalidArgument, "the gateway")
	wantClass(t, try("not-an-ip"), pop.ErrInvalidArgument, "not an IP")
	wantClass(t, try(pfx.Masked().Addr().String()), pop.ErrInvalidArgument, "the network address")

	fixed := pfx.Masked().Addr()
	for range 200 {
		fixed = fixed.Next()
	}
	c := create(t, p, pop.ContainerConfig{Name: name(t), Endpoints: []pop.EndpointConfig{{Network: tg.Network, IPv4: fixed.String()}}})
	if got := ipOn(t, c, tg.Network); got != fixed.String() {
		t.Fatalf("fixed IP: got %s, want %s", got, fixed)
	}
	err := try(fixed.String())
	wantClass(t, err, pop.ErrAlreadyExists, "a taken IP")
	if !strings.Contains(err.Error(), fixed.String()) {
		t.Errorf("taken IP: message %q does not name %s", err, fixed)
	}
	_, err = p.Create(ctx, pop.ContainerConfig{Name: name(t), Image: Image,
		Endpoints: []pop.EndpointConfig{{Network: "no-such-net-" + uuid.NewString()[:8]}}})
	wantClass(t, err, pop.ErrNotFound, "unknown network")

	// The fixed IP survives start, and failed creates left nothing behind.
	r := get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "start")
	if got := ipOn(t, r, tg.Network); got != fixed.String() {
		t.Fatalf("started with %s, want %s", got, fixed)
	}
	all := get(p.Containers(ctx, pop.Filter{})).ok(t, "list")
	if len(all) != 1 {
		t.Fatalf("%d containers after failed creates, want 1: %+v", len(all), all)
	}
}

func testExhaustion(t *testing.T, tg Target) {
	p := tg.Pop
	ctx := ctxFor(t, 60*time.Second)
	netName := name(t)
	nw, err := p.CreateNetwork(ctx, pop.NetworkConfig{Name: netName, Subnet: tg.SmallSubnet})
	if err != nil {
		t.Fatalf("create network: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.DeleteNetwork(ctx, pop.ByName(netName)); err != nil && !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("cleanup: delete network: %v", err)
		}
	})
	if nw.Subnet != tg.SmallSubnet || nw.Gateway == "" || nw.Name != netName {
		t.Fatalf("created network: %+v", nw)
	}
	_, err = p.CreateNetwork(ctx, pop.NetworkConfig{Name: netName, Subnet: tg.SmallSubnet})
	wantClass(t, err, pop.ErrAlreadyExists, "network name taken")

	// A /29 has 8 addresses: network, broadcast and gateway leave 5.
	var made []pop.Container
	ips := map[string]bool{}
	for i := range 5 {
		c := create(t, p, pop.ContainerConfig{Name: fmt.Sprintf("%s-%d", netName, i),
			Endpoints: []pop.EndpointConfig{{Network: netName}}})
		ip := ipOn(t, c, netName)
		if ips[ip] {
			t.Fatalf("IP %s given twice", ip)
		}
		ips[ip] = true
		made = append(made, c)
	}
	_, err = p.Create(ctx, pop.ContainerConfig{Name: netName + "-full", Image: Image,
		Endpoints: []pop.EndpointConfig{{Network: netName}}})
	wantClass(t, err, pop.ErrExhausted, "sixth container on a /29")

	wantClass(t, p.DeleteNetwork(ctx, pop.ByName(netName)), pop.ErrInvalidState, "delete network in use")

	// Deleting one frees its address for the next.
	if err := p.Delete(ctx, pop.ByID(made[0].ID)); err != nil {
		t.Fatalf("delete: %v", err)
	}
	again := create(t, p, pop.ContainerConfig{Name: netName + "-again", Endpoints: []pop.EndpointConfig{{Network: netName}}})
	if ip := ipOn(t, again, netName); ip != ipOn(t, made[0], netName) {
		t.Logf("freed %s, reused as %s", ipOn(t, made[0], netName), ip)
	}
	for _, c := range append(made[1:], again) {
		if err := p.Delete(ctx, pop.ByID(c.ID)); err != nil {
			t.Fatalf("delete %s: %v", c.Name, err)
		}
	}
	if err := p.DeleteNetwork(ctx, pop.ByName(netName)); err != nil {
		t.Fatalf("delete network: %v", err)
	}
	wantClass(t, must2(p.Networks(ctx, pop.ByName(netName))), pop.ErrNotFound, "network after delete")
	wantClass(t, p.DeleteNetwork(ctx, pop.ByName(netName)), pop.ErrNotFound, "delete network twice")
}

func testDuplicates(t *testing.T, tg Target) {
	p := tg.Pop
	n := name(t)
	create(t, p, pop.ContainerConfig{Name: n})
	_, err := p.Create(ctxFor(t, 10*time.Second), pop.ContainerConfig{Name: n, Image: Image})
	wantClass(t, err, pop.ErrAlreadyExists, "duplicate name")
	if all := get(p.Containers(ctxFor(t, 10*time.Second), pop.Filter{})).ok(t, "list"); len(all) != 1 {
		t.Fatalf("%d containers, want 1", len(all))
	}
}

// testUnknownImage: Create refuses an image the Pop cannot run, naming it,
// and keeps no record; an image that disappears between Create and Start
// fails the start, naming it.
func testUnknownImage(t *testing.T, tg Target) {
	p := tg.Pop
	img := "obdocker-test/no-such-image-" + uuid.NewString()[:8] + ":latest"
	n := name(t)
	_, err := p.Create(ctxFor(t, 30*time.Second), pop.ContainerConfig{Name: n, Image: img})
	wantClass(t, err, pop.ErrNotFound, "create with unknown image")
	if err != nil && !strings.Contains(err.Error(), img) {
		t.Errorf("create error %q does not name the image %s", err, img)
	}
	wantClass(t, must2(p.Containers(ctxFor(t, 10*time.Second), pop.ByName(n))), pop.ErrNotFound, "record of a refused create")

	ctx := ctxFor(t, 60*time.Second)
	cli := testenv.Docker(t)
	if err := cli.ImageTag(ctx, Image, img); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), img, dockerimage.RemoveOptions{}) })
	c := create(t, p, pop.ContainerConfig{Name: n, Image: img})
	if _, err := cli.ImageRemove(ctx, img, dockerimage.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = p.Start(ctx, pop.ByID(c.ID))
	if err == nil {
		t.Fatalf("start with removed image %s: no error", img)
	}
	if !strings.Contains(err.Error(), img) {
		t.Errorf("start error %q does not name the image %s", err, img)
	}
	f := one(t, p, pop.ByID(c.ID))
	if f.State != pop.StateFailed || !strings.Contains(f.ExtendedStatus, img) {
		t.Fatalf("after failed start: state %v, extended status %q; want FAILED naming %s", f.State, f.ExtendedStatus, img)
	}
	if err := p.Delete(ctxFor(t, 30*time.Second), pop.ByID(c.ID)); err != nil {
		t.Fatalf("delete FAILED: %v", err)
	}
}

func testLookups(t *testing.T, tg Target) {
	p := tg.Pop
	ctx := ctxFor(t, 30*time.Second)
	ghost := "no-such-" + uuid.NewString()[:8]
	wantClass(t, must2(p.Containers(ctx, pop.ByName(ghost))), pop.ErrNotFound, "container by name")
	wantClass(t, must2(p.Containers(ctx, pop.ByID(ghost))), pop.ErrNotFound, "container by ID")
	wantClass(t, must2(p.Start(ctx, pop.ByName(ghost))), pop.ErrNotFound, "start unknown")
	wantClass(t, must2(p.Stop(ctx, pop.ByName(ghost))), pop.ErrNotFound, "stop unknown")
	wantClass(t, must2(p.Metadata(ctx, pop.ByName(ghost), map[string]string{"a": "b"})), pop.ErrNotFound, "metadata unknown")
	wantClass(t, p.Delete(ctx, pop.ByName(ghost)), pop.ErrNotFound, "delete unknown")
	wantClass(t, must2(p.Flavours(ctx, pop.ByName(ghost))), pop.ErrNotFound, "flavour by name")
	wantClass(t, must2(p.Images(ctx, pop.ByName(ghost+":latest"))), pop.ErrNotFound, "image by name")
	wantClass(t, must2(p.Networks(ctx, pop.ByName(ghost))), pop.ErrNotFound, "network by name")
	wantClass(t, p.DeleteNetwork(ctx, pop.ByName(ghost)), pop.ErrNotFound, "delete unknown network")

	fl := get(p.Flavours(ctx, pop.Filter{})).ok(t, "flavours")
	for _, want := range []string{"docker.container", "m1.tiny"} {
		if !slices.ContainsFunc(fl, func(f pop.Flavour) bool { return f.Name == want }) {
			t.Errorf("flavours: %s missing from %+v", want, fl)
		}
	}
	tiny := get(p.Flavours(ctx, pop.ByName("m1.tiny"))).ok(t, "m1.tiny")
	if len(tiny) != 1 || tiny[0].MemoryMB != 512 {
		t.Errorf("m1.tiny: %+v", tiny)
	}
	c := create(t, p, pop.ContainerConfig{Name: name(t), Flavour: "m1.tiny"})
	if c.Flavour == "" {
		t.Errorf("flavour not recorded: %+v", c)
	}
	_, err := p.Create(ctx, pop.ContainerConfig{Name: name(t), Image: Image, Flavour: ghost})
	wantClass(t, err, pop.ErrNotFound, "unknown flavour")

	imgs := get(p.Images(ctx, pop.ByName(Image))).ok(t, "image by name")
	if len(imgs) != 1 || !slices.Contains(imgs[0].Tags, Image) || imgs[0].ID == "" {
		t.Errorf("image %s: %+v", Image, imgs)
	}
	if byID := get(p.Images(ctx, pop.ByID(imgs[0].ID))).ok(t, "image by ID"); len(byID) != 1 || byID[0].ID != imgs[0].ID {
		t.Errorf("image by ID: %+v", byID)
	}
	nets := get(p.Networks(ctx, pop.Filter{})).ok(t, "networks")
	if !slices.ContainsFunc(nets, func(n pop.Network) bool { return n.Name == tg.Network }) {
		t.Errorf("networks: default %s missing", tg.Network)
	}
	nw, _ := netOf(t, p, tg.Network)
	if byID := get(p.Networks(ctx, pop.ByID(nw.ID))).ok(t, "network by ID"); len(byID) != 1 || byID[0].Name != tg.Network {
		t.Errorf("network by ID: %+v", byID)
	}

	info := get(p.Info(ctx)).ok(t, "info")
	if info.PopName == "" || info.DockerVersion == "" || info.Containers[pop.StateCreated] != 1 || info.Networks < 1 {
		t.Errorf("info: %+v", info)
	}
}

func testLogsAndImages(t *testing.T, tg Target) {
	p := tg.Pop
	ctx := ctxFor(t, 60*time.Second)
	c := create(t, p, pop.ContainerConfig{Name: name(t)})
	get(p.Start(ctx, pop.ByID(c.ID))).ok(t, "start")
	if _, err := p.Logs(ctx, pop.ByID(c.ID), 10); err != nil {
		t.Fatalf("logs: %v", err)
	}
	wantClass(t, must2(p.Logs(ctx, pop.ByName("no-such-"+uuid.NewString()[:8]), 0)), pop.ErrNotFound, "logs of unknown")

	img := get(p.PullImage(ctx, Image)).ok(t, "pull a local image")
	if !slices.Contains(img.Tags, Image) {
		t.Errorf("pull: %+v", img)
	}
	rc, err := testenv.Docker(t).ImageSave(ctx, []string{Image})
	if err != nil {
		t.Fatalf("docker save: %v", err)
	}
	defer rc.Close()
	loaded := get(p.LoadImage(ctx, rc)).ok(t, "load")
	if !slices.ContainsFunc(loaded, func(i pop.Image) bool { return i.ID == img.ID || slices.Contains(i.Tags, Image) }) {
		t.Errorf("load: %+v does not hold %s", loaded, Image)
	}
}

func testConcurrent(t *testing.T, tg Target) {
	p := tg.Pop
	ctx := ctxFor(t, 120*time.Second)
	const workers = 20
	var (
		mu   sync.Mutex
		ips  = map[string]string{}
		errs []error
		wg   sync.WaitGroup
	)
	base := name(t)
	for i := range workers {
		wg.Go(func() {
			n := fmt.Sprintf("%s-%d", base, i)
			c, err := p.Create(ctx, pop.ContainerConfig{Name: n, Image: Image})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("create %s: %w", n, err))
				mu.Unlock()
				return
			}
			mu.Lock()
			for _, e := range c.Endpoints {
				if other, dup := ips[e.IPv4]; dup {
					errs = append(errs, fmt.Errorf("IP %s given to %s and %s", e.IPv4, other, n))
				}
				ips[e.IPv4] = n
			}
			mu.Unlock()
			if i%5 == 0 { // a few go all the way
				if _, err := p.Start(ctx, pop.ByID(c.ID)); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("start %s: %w", n, err))
					mu.Unlock()
				}
			}
			if err := p.Delete(ctx, pop.ByID(c.ID)); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("delete %s: %w", n, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if left := get(p.Containers(ctx, pop.Filter{})).ok(t, "list"); len(left) != 0 {
		t.Fatalf("%d containers left after concurrent create/delete: %+v", len(left), left)
	}
}
