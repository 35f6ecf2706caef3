package docker_test

// The real-dockerd suite: every test talks to the engine of
// testenv.DockerHost(), names everything with testenv.Name, uses only
// 10.202.0.0/16 (each test its own /24s) and cleans up what it creates.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

const deadline = 10 * time.Second

// engine returns the raw client (for acting behind the backend's back) and
// a Backend of a fresh Pop.
func engine(t *testing.T) (*client.Client, *docker.Backend) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Docker engine")
	}
	// Every test has its own names, Pop and /24s, so they can overlap.
	t.Parallel()
	raw := testenv.Docker(t)
	return raw, newPop(t, testenv.Name(t))
}

func newPop(t *testing.T, name string) *docker.Backend {
	t.Helper()
	b, err := docker.New(t.Context(), docker.Options{Host: testenv.DockerHost(), PopName: name})
	if err != nil {
		t.Fatalf("docker.New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func createNetwork(t *testing.T, b *docker.Backend, subnet, gateway string) pop.NetworkStatus {
	t.Helper()
	n, err := b.CreateNetwork(t.Context(), pop.NetworkSpec{Name: testenv.Name(t), Subnet: subnet, Gateway: gateway})
	if err != nil {
		t.Fatalf("CreateNetwork %s: %v", subnet, err)
	}
	t.Cleanup(func() {
		if err := b.RemoveNetwork(context.Background(), n.ID); err != nil && !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("cleanup network %s: %v", n.Name, err)
		}
	})
	return n
}

func createContainer(t *testing.T, b *docker.Backend, spec pop.ContainerSpec) string {
	t.Helper()
	if spec.Name == "" {
		spec.Name = testenv.Name(t)
	}
	if spec.Image == "" {
		spec.Image = testenv.BusyboxImage
	}
	id, err := b.CreateContainer(t.Context(), spec)
	if err != nil {
		t.Fatalf("CreateContainer %s: %v", spec.Name, err)
	}
	t.Cleanup(func() {
		if err := b.RemoveContainer(context.Background(), id); err != nil && !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("cleanup container %s: %v", spec.Name, err)
		}
	})
	return id
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nextEvent waits for an event of dockerID with action.
func nextEvent(t *testing.T, evs <-chan pop.ContainerEvent, errs <-chan error, dockerID, action string) pop.ContainerEvent {
	t.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("event stream closed before %s: %v", action, <-errs)
			}
			if ev.DockerID == dockerID && ev.Action == action {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %s event for %s", action, dockerID)
		}
	}
}

func execOutput(t *testing.T, raw *client.Client, id string, cmd ...string) string {
	t.Helper()
	ex, err := raw.ContainerExecCreate(t.Context(), id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("exec create: %v", err)
	}
	att, err := raw.ContainerExecAttach(t.Context(), ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec attach: %v", err)
	}
	defer att.Close()
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, att.Reader); err != nil {
		t.Fatalf("exec read: %v", err)
	}
	return out.String() + errOut.String()
}

func TestPing(t *testing.T) {
	_, b := engine(t)
	info, err := b.Ping(t.Context())
	if err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if info.Version == "" || info.APIVersion == "" {
		t.Errorf("info = %+v", info)
	}
	t.Logf("engine %s, API %s, swarm manager %v", info.Version, info.APIVersion, info.SwarmManager)
}

func TestContainerLifecycle(t *testing.T) {
	raw, b := engine(t)
	ctx := t.Context()
	net1 := createNetwork(t, b, "10.202.10.0/24", "10.202.10.1")
	net2 := createNetwork(t, b, "10.202.11.0/24", "10.202.11.1")
	if !net1.Ours || len(net1.Subnets) != 1 || net1.Subnets[0].CIDR != "10.202.10.0/24" || net1.Subnets[0].Gateway != "10.202.10.1" {
		t.Fatalf("created network = %+v", net1)
	}

	evctx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	evs, errs := b.Events(evctx, time.Now().Add(-time.Second))

	name := testenv.Name(t)
	id := createContainer(t, b, pop.ContainerSpec{
		PopID: "pop-" + name,
		Name:  name,
		Env:   []string{"FOO=bar baz", "OBD_TEST=1"},
		Endpoints: []pop.EndpointSpec{
			{NetworkID: net1.ID, IPv4: "10.202.10.10"},
			{NetworkID: net2.ID, IPv4: "10.202.11.20"},
		},
		MemoryB: 64 << 20,
	})

	st, err := b.InspectContainer(ctx, name)
	if err != nil {
		t.Fatalf("InspectContainer by name: %v", err)
	}
	if st.DockerID != id || st.Status != "created" || st.Running || st.PopID != "pop-"+name || st.Name != name {
		t.Fatalf("created container = %+v", st)
	}
	// Before start, Docker has the endpoints but no addresses: keys are
	// still network IDs and IPv4 is the fixed address asked for.
	if ep := st.Networks[net1.ID]; len(st.Networks) != 2 || ep.IPv4 != "10.202.10.10" || st.Networks[net2.ID].IPv4 != "10.202.11.20" {
		t.Errorf("created container networks = %+v, want both by ID with their fixed IPs", st.Networks)
	}
	if ev := nextEvent(t, evs, errs, id, "create"); ev.PopID != "pop-"+name {
		t.Errorf("create event = %+v", ev)
	}

	if err := b.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	nextEvent(t, evs, errs, id, "start")
	st, err = b.InspectContainer(ctx, id)
	if err != nil {
		t.Fatalf("InspectContainer: %v", err)
	}
	if !st.Running || st.StartedAt.IsZero() {
		t.Errorf("started container = %+v", st)
	}
	for netID, want := range map[string]string{net1.ID: "10.202.10.10", net2.ID: "10.202.11.20"} {
		ep, ok := st.Networks[netID]
		if !ok || ep.IPv4 != want || ep.MAC == "" || ep.EndpointID == "" {
			t.Errorf("endpoint on %s = %+v (present %v), want IPv4 %s", netID, ep, ok, want)
		}
	}
	ns, err := b.InspectNetwork(ctx, net1.Name)
	if err != nil {
		t.Fatalf("InspectNetwork: %v", err)
	}
	if ns.Containers[id] != "10.202.10.10" {
		t.Errorf("network containers = %v", ns.Containers)
	}

	env := execOutput(t, raw, id, "/bin/busybox", "env")
	for _, want := range []string{"FOO=bar baz", "OBD_TEST=1", "HOSTNAME=" + name} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("env in the container lacks %q:\n%s", want, env)
		}
	}

	list, err := b.ListContainers(ctx)
	if err != nil {
		t.Fatalf("ListContainers: %v", err)
	}
	if len(list) != 1 || list[0].DockerID != id || !list[0].Running || list[0].Name != name || list[0].PopID != "pop-"+name {
		t.Errorf("ListContainers = %+v", list)
	} else if ep := list[0].Networks[net2.ID]; ep.IPv4 != "10.202.11.20" {
		t.Errorf("listed networks = %+v", list[0].Networks)
	}

	// Killed behind the backend's back: the event stream says so.
	if err := raw.ContainerKill(ctx, id, "KILL"); err != nil {
		t.Fatalf("ContainerKill: %v", err)
	}
	die := nextEvent(t, evs, errs, id, "die")
	if die.ExitCode != 137 || die.PopID != "pop-"+name || die.Time.IsZero() {
		t.Errorf("die event = %+v, want exit 137", die)
	}
	st, err = b.InspectContainer(ctx, id)
	if err != nil {
		t.Fatalf("InspectContainer: %v", err)
	}
	if st.Running || st.Status != "exited" || st.ExitCode != 137 || st.Finished.IsZero() {
		t.Errorf("killed container = %+v", st)
	}
	if ep := st.Networks[net1.ID]; ep.IPv4 != "10.202.10.10" {
		t.Errorf("a stopped container reports its fixed IP: %+v", st.Networks)
	}

	// Restarted with the same IPs, then stopped gracefully (SIGTERM → exit 0).
	if err := b.StartContainer(ctx, id); err != nil {
		t.Fatalf("restart: %v", err)
	}
	// The image's shell traps SIGTERM on its first line; a SIGTERM before
	// it (a loaded machine) is ignored by PID 1 and the stop ends in
	// SIGKILL. Its loop's first "sleep" comes after the trap.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		top, err := raw.ContainerTop(ctx, id, nil)
		if err == nil && strings.Contains(fmt.Sprint(top.Processes), "sleep") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted container never reached its loop: %v %v", top.Processes, err)
		}
	}
	if err := b.StopContainer(ctx, id, 5*time.Second); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	st, err = b.InspectContainer(ctx, id)
	if err != nil {
		t.Fatalf("InspectContainer: %v", err)
	}
	if st.Running || st.ExitCode != 0 {
		t.Errorf("stopped container = %+v", st)
	}
	if err := b.StopContainer(ctx, id, time.Second); err != nil {
		t.Errorf("stopping a stopped container: %v", err)
	}

	if err := b.RemoveContainer(ctx, id); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	nextEvent(t, evs, errs, id, "destroy")
	if _, err := b.InspectContainer(ctx, id); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("inspect after remove: %v, want not found", err)
	}
	if err := b.RemoveContainer(ctx, id); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("second remove: %v, want not found", err)
	}
	if err := b.StopContainer(ctx, id, time.Second); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("stop after remove: %v, want not found", err)
	}

	// Ending the ctx closes both channels without an error.
	stopEvents()
	for range evs {
	}
	if err, ok := <-errs; ok {
		t.Errorf("errs after cancel: %v", err)
	}
}

func TestListContainersOnlyThisPop(t *testing.T) {
	_, a := engine(t)
	other := newPop(t, testenv.Name(t)+"-other")
	idA := createContainer(t, a, pop.ContainerSpec{PopID: "a"})
	idB := createContainer(t, other, pop.ContainerSpec{PopID: "b"})

	for _, tc := range []struct {
		b         *docker.Backend
		mine, not string
	}{{a, idA, idB}, {other, idB, idA}} {
		list, err := tc.b.ListContainers(t.Context())
		if err != nil {
			t.Fatalf("ListContainers: %v", err)
		}
		if len(list) != 1 || list[0].DockerID != tc.mine || list[0].Status != "created" {
			t.Errorf("pop %s lists %+v, want only %s", tc.b.PopName(), list, tc.mine)
		}
	}
	// Inspect answers for any container, but only claims its own.
	st, err := a.InspectContainer(t.Context(), idB)
	if err != nil {
		t.Fatalf("inspect other pop's container: %v", err)
	}
	if st.PopID != "" {
		t.Errorf("other pop's container has PopID %q here", st.PopID)
	}
}

func TestExitCodeAndLogs(t *testing.T) {
	_, b := engine(t)
	ctx := t.Context()
	// EXIT_CODE=abc makes the image's shell complain on stderr and exit 2.
	id := createContainer(t, b, pop.ContainerSpec{PopID: "x", Env: []string{"MODE=exit", "EXIT_CODE=abc"}})
	if err := b.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	waitFor(t, "the container to exit", func() (bool, error) {
		st, err := b.InspectContainer(ctx, id)
		return err == nil && st.Status == "exited", err
	})
	list, err := b.ListContainers(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListContainers = %+v, %v", list, err)
	}
	if list[0].Status != "exited" || list[0].ExitCode != 2 || list[0].Running {
		t.Errorf("listed = %+v, want exited with 2", list[0])
	}
	logs, err := b.ContainerLogs(ctx, id, 0)
	if err != nil {
		t.Fatalf("ContainerLogs: %v", err)
	}
	if !strings.Contains(logs, "Illegal number") {
		t.Errorf("logs = %q", logs)
	}
	if tail, err := b.ContainerLogs(ctx, id, 1); err != nil || strings.Count(tail, "\n") != 1 {
		t.Errorf("tail 1 = %q, %v", tail, err)
	}
	if _, err := b.ContainerLogs(ctx, "obd-no-such-container", 0); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("logs of unknown container: %v", err)
	}
}

func TestEngineCreateErrors(t *testing.T) {
	_, b := engine(t)
	ctx := t.Context()
	n := createNetwork(t, b, "10.202.12.0/24", "")

	t.Run("unknown image", func(t *testing.T) {
		_, err := b.CreateContainer(ctx, pop.ContainerSpec{Name: testenv.Name(t), Image: "obdocker-test/no-such-image:1"})
		if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), `"obdocker-test/no-such-image:1"`) {
			t.Errorf("err = %v, want not found naming the image", err)
		}
	})
	t.Run("name in use", func(t *testing.T) {
		name := testenv.Name(t)
		createContainer(t, b, pop.ContainerSpec{Name: name})
		_, err := b.CreateContainer(ctx, pop.ContainerSpec{Name: name, Image: testenv.BusyboxImage})
		if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), name) {
			t.Errorf("err = %v, want already exists naming %s", err, name)
		}
	})
	t.Run("IP held by a running container", func(t *testing.T) {
		id := createContainer(t, b, pop.ContainerSpec{Endpoints: []pop.EndpointSpec{{NetworkID: n.ID, IPv4: "10.202.12.7"}}})
		if err := b.StartContainer(ctx, id); err != nil {
			t.Fatalf("start: %v", err)
		}
		_, err := b.CreateContainer(ctx, pop.ContainerSpec{Name: testenv.Name(t), Image: testenv.BusyboxImage,
			Endpoints: []pop.EndpointSpec{{NetworkID: n.ID, IPv4: "10.202.12.7"}}})
		if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), "10.202.12.7") {
			t.Errorf("err = %v, want already exists naming the IP", err)
		}
	})
	t.Run("IP taken between create and start", func(t *testing.T) {
		// Docker allocates at start; both creates pass, the second start fails.
		a := createContainer(t, b, pop.ContainerSpec{Endpoints: []pop.EndpointSpec{{NetworkID: n.ID, IPv4: "10.202.12.8"}}})
		c := createContainer(t, b, pop.ContainerSpec{Endpoints: []pop.EndpointSpec{{NetworkID: n.ID, IPv4: "10.202.12.8"}}})
		if err := b.StartContainer(ctx, a); err != nil {
			t.Fatalf("start: %v", err)
		}
		if err := b.StartContainer(ctx, c); !errors.Is(err, pop.ErrAlreadyExists) {
			t.Errorf("start with a taken IP: %v, want already exists", err)
		}
	})
	t.Run("IP outside the subnet", func(t *testing.T) {
		_, err := b.CreateContainer(ctx, pop.ContainerSpec{Name: testenv.Name(t), Image: testenv.BusyboxImage,
			Endpoints: []pop.EndpointSpec{{NetworkID: n.ID, IPv4: "10.202.99.7"}}})
		if !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), "10.202.99.7") {
			t.Errorf("err = %v, want invalid naming the IP", err)
		}
	})
	t.Run("unknown second network leaves nothing", func(t *testing.T) {
		name := testenv.Name(t)
		_, err := b.CreateContainer(ctx, pop.ContainerSpec{Name: name, Image: testenv.BusyboxImage,
			Endpoints: []pop.EndpointSpec{{NetworkID: n.ID}, {NetworkID: "obd-no-such-network"}}})
		if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), "obd-no-such-network") {
			t.Errorf("err = %v, want not found naming the network", err)
		}
		if _, err := b.InspectContainer(ctx, name); !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("a container %s was left: %v", name, err)
		}
	})
	t.Run("unknown container", func(t *testing.T) {
		if err := b.StartContainer(ctx, "obd-no-such-container"); !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("start: %v", err)
		}
		if _, err := b.InspectContainer(ctx, "obd-no-such-container"); !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("inspect: %v", err)
		}
	})
}

func TestNetworks(t *testing.T) {
	_, b := engine(t)
	ctx := t.Context()
	n := createNetwork(t, b, "10.202.13.0/24", "10.202.13.254")

	list, err := b.ListNetworks(ctx)
	if err != nil {
		t.Fatalf("ListNetworks: %v", err)
	}
	var mine, foreign int
	for _, s := range list {
		switch {
		case s.ID == n.ID:
			mine++
			if !s.Ours || s.Subnets[0].CIDR != "10.202.13.0/24" || s.Labels[docker.LabelPop] != b.PopName() {
				t.Errorf("listed = %+v", s)
			}
		case !s.Ours:
			foreign++
		}
	}
	if mine != 1 || foreign == 0 {
		t.Errorf("ListNetworks: mine %d, foreign %d; want 1 and the engine's own", mine, foreign)
	}

	_, err = b.CreateNetwork(ctx, pop.NetworkSpec{Name: n.Name, Subnet: "10.202.14.0/24"})
	if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), n.Name) {
		t.Errorf("duplicate name: %v", err)
	}
	_, err = b.CreateNetwork(ctx, pop.NetworkSpec{Name: testenv.Name(t), Subnet: "10.202.13.128/25"})
	if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), "10.202.13.128/25") {
		t.Errorf("overlapping subnet: %v", err)
	}
	_, err = b.CreateNetwork(ctx, pop.NetworkSpec{Name: testenv.Name(t), Subnet: "10.202.15.0/24", Gateway: "10.202.16.1"})
	if !errors.Is(err, pop.ErrInvalidArgument) {
		t.Errorf("gateway outside the subnet: %v", err)
	}

	if info, err := b.Ping(ctx); err == nil && !info.SwarmManager {
		_, err = b.CreateNetwork(ctx, pop.NetworkSpec{Name: testenv.Name(t), Driver: "overlay", Subnet: "10.202.18.0/24"})
		if !errors.Is(err, pop.ErrInvalidState) || !strings.Contains(err.Error(), "Swarm") {
			t.Errorf("overlay without swarm: %v", err)
		}
	}

	if err := b.RemoveNetwork(ctx, n.ID); err != nil {
		t.Fatalf("RemoveNetwork: %v", err)
	}
	if err := b.RemoveNetwork(ctx, n.ID); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if _, err := b.InspectNetwork(ctx, n.ID); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("inspect removed: %v", err)
	}
}

func TestNetworkRemoveWhileAttached(t *testing.T) {
	_, b := engine(t)
	n := createNetwork(t, b, "10.202.17.0/24", "")
	id := createContainer(t, b, pop.ContainerSpec{Endpoints: []pop.EndpointSpec{{NetworkID: n.ID}}})
	if err := b.StartContainer(t.Context(), id); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := b.RemoveNetwork(t.Context(), n.ID); !errors.Is(err, pop.ErrInvalidState) {
		t.Errorf("remove with an attached container: %v, want invalid state", err)
	}
}

func TestImages(t *testing.T) {
	raw, b := engine(t)
	ctx := t.Context()
	want, err := raw.ImageInspect(ctx, testenv.BusyboxImage)
	if err != nil {
		t.Fatalf("raw inspect: %v", err)
	}

	img, err := b.InspectImage(ctx, testenv.BusyboxImage)
	if err != nil {
		t.Fatalf("InspectImage: %v", err)
	}
	if img.ID != want.ID || img.Created.IsZero() || img.Size == 0 ||
		strings.Join(img.Entrypoint, " ") != "/bin/sh /run.sh" ||
		img.Labels["org.openbaton-docker.nfv.env.optional"] != "MODE EXIT_CODE" {
		t.Errorf("InspectImage = %+v", img)
	}
	if !contains(img.Tags, testenv.BusyboxImage) {
		t.Errorf("tags = %v", img.Tags)
	}
	if byID, err := b.InspectImage(ctx, img.ID); err != nil || byID.ID != img.ID {
		t.Errorf("inspect by ID = %+v, %v", byID, err)
	}

	list, err := b.ListImages(ctx)
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	found := false
	for _, i := range list {
		if len(i.Tags) == 0 || contains(i.Tags, "<none>:<none>") {
			t.Errorf("dangling image listed: %+v", i)
		}
		if i.ID == img.ID && contains(i.Tags, testenv.BusyboxImage) {
			found = true
		}
	}
	if !found {
		t.Errorf("ListImages lacks %s", testenv.BusyboxImage)
	}

	if _, err := b.InspectImage(ctx, "obdocker-test/no-such-image:1"); !errors.Is(err, pop.ErrNotFound) ||
		!strings.Contains(err.Error(), "obdocker-test/no-such-image:1") {
		t.Errorf("unknown image: %v", err)
	}
}

func TestPullImage(t *testing.T) {
	raw, b := engine(t)
	ctx := t.Context()
	want, err := raw.ImageInspect(ctx, testenv.BusyboxImage)
	if err != nil {
		t.Fatalf("raw inspect: %v", err)
	}

	t.Run("local ref answers without network", func(t *testing.T) {
		img, err := b.PullImage(ctx, testenv.BusyboxImage)
		if err != nil || img.ID != want.ID {
			t.Errorf("PullImage = %+v, %v", img, err)
		}
	})
	t.Run("local ID answers", func(t *testing.T) {
		img, err := b.PullImage(ctx, want.ID)
		if err != nil || img.ID != want.ID {
			t.Errorf("PullImage(ID) = %+v, %v", img, err)
		}
	})
	t.Run("unreachable registry is a clear error", func(t *testing.T) {
		const ref = "registry.invalid/x:1"
		_, err := b.PullImage(ctx, ref)
		if err == nil {
			t.Fatal("pull from registry.invalid succeeded")
		}
		if c := pop.Class(err); c != pop.ErrUnavailable && c != pop.ErrNotFound {
			t.Errorf("class = %v (%v)", c, err)
		}
		if !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "registry registry.invalid") {
			t.Errorf("err %q does not name the ref and the registry", err)
		}
		t.Logf("unreachable registry: %v", err)
	})
	t.Run("bad reference is invalid", func(t *testing.T) {
		if _, err := b.PullImage(ctx, "Not A/Ref!"); !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), "Not A/Ref!") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestLoadImage(t *testing.T) {
	raw, b := engine(t)
	ctx := t.Context()
	want, err := raw.ImageInspect(ctx, testenv.BusyboxImage)
	if err != nil {
		t.Fatalf("raw inspect: %v", err)
	}
	rc, err := raw.ImageSave(ctx, []string{testenv.BusyboxImage})
	if err != nil {
		t.Fatalf("ImageSave: %v", err)
	}
	defer rc.Close()
	// Loading the image that is already there changes nothing on the engine.
	imgs, err := b.LoadImage(ctx, rc)
	if err != nil {
		t.Fatalf("LoadImage: %v", err)
	}
	if len(imgs) != 1 || imgs[0].ID != want.ID || !contains(imgs[0].Tags, testenv.BusyboxImage) {
		t.Errorf("loaded = %+v", imgs)
	}

	_, err = b.LoadImage(ctx, strings.NewReader("this is not a tar archive"))
	if !errors.Is(err, pop.ErrInvalidArgument) {
		t.Errorf("garbage archive: %v, want invalid argument", err)
	}
	t.Logf("garbage archive: %v", err)
}

func TestEventsFromThePast(t *testing.T) {
	_, b := engine(t)
	since := time.Now().Add(-time.Second)
	id := createContainer(t, b, pop.ContainerSpec{PopID: "p1"})
	// Opened after the fact, the stream still reports the create.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	evs, errs := b.Events(ctx, since)
	ev := nextEvent(t, evs, errs, id, "create")
	if ev.PopID != "p1" {
		t.Errorf("event = %+v", ev)
	}
}

func TestNewUnreachableEngine(t *testing.T) {
	host := fmt.Sprintf("unix:///tmp/obd-no-such-%d.sock", time.Now().UnixNano())
	_, err := docker.New(t.Context(), docker.Options{Host: host, PopName: "p"})
	if !errors.Is(err, pop.ErrUnavailable) || !strings.Contains(err.Error(), host) {
		t.Errorf("err = %v, want unavailable naming %s", err, host)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
