package vnfm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator/rig"
)

// TestSerialEndToEndOfficialStyleNSD: an NSD written for the official Docker
// VNFM (deploy/examples/nsd-echo-official.json: "endpoint": "docker", no
// vimInstanceName, connection points without interfaceId, vm_image tags,
// scale_in_out, m1.small, a vnf_dependency on ["hostname"], and the keys
// publish, volumes, aliases, dns and restart_policy_condition) deploys to
// ACTIVE through the NFVO stand-in, our VNFM (type docker, queue
// docker-vnfm), the VIM driver and dockerd, with its images pulled from a
// registry. The test changes only the site values a user would: the image
// tags (the test registry's), the published host port and the bind-mount
// host path (free ones, allowed to the driver), the DNS server (loopback).
// Then: the published port answers on 127.0.0.1, the client reaches the
// server by its alias, a scale-out past scale_in_out is refused, a
// scale-in leaves the rest ACTIVE, and deleting the NSR and the pulled
// images leaves nothing behind. Subnets: 10.207.31.0/24, 10.207.32.0/22.
func TestSerialEndToEndOfficialStyleNSD(t *testing.T) {
	if testing.Short() {
		t.Skip("real services")
	}
	testenv.Serial(t)
	raw := testenv.Docker(t)
	testenv.RabbitMQ(t)
	checkImages(t, raw)
	// Registered first, so it runs last: after the rig, the Pop's objects
	// and the pulled images are gone.
	before := testenv.Snapshot(t, raw)
	t.Cleanup(func() { testenv.CheckNoLeaks(t, raw, before) })

	reg := testenv.PlainRegistry(t)
	u := testenv.Name(t)
	serverRef := reg.Host + "/obdtest/echo-server-" + u + ":1.0"
	clientRef := reg.Host + "/obdtest/echo-client-" + u + ":1.0"
	reg.Push(t, raw, "obdocker/echo-server:latest", strings.TrimPrefix(serverRef, reg.Host+"/"))
	reg.Push(t, raw, "obdocker/echo-client:latest", strings.TrimPrefix(clientRef, reg.Host+"/"))
	t.Cleanup(func() {
		for _, ref := range []string{serverRef, clientRef} {
			if err := testenv.RemoveImage(raw, ref); err != nil {
				t.Error(err)
			}
		}
	})
	for _, ref := range []string{serverRef, clientRef} {
		if _, err := raw.ImageInspect(t.Context(), ref); err == nil {
			t.Fatalf("%s is on the engine before the test", ref)
		}
	}

	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	// The rig's driver inherits this environment: the operator allows
	// the VNFD's bind mount and published port.
	t.Setenv("OBDOCKER_ALLOWED_BIND_PREFIXES", dir)
	t.Setenv("OBDOCKER_ALLOWED_PUBLISH_PORTS", strconv.Itoa(port))
	r, _, ev := startRigWith(t, func(c *rig.Config) {
		c.VNFMType, c.VNFMEndpoint = "docker", "docker-vnfm"
		c.DefaultSubnet, c.NetworkPool = "10.207.31.0/24", "10.207.32.0/22"
	})
	ctx := t.Context()

	b, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo-official.json"))
	if err != nil {
		t.Fatal(err)
	}
	var nsd map[string]any
	if err := json.Unmarshal(b, &nsd); err != nil {
		t.Fatal(err)
	}
	setImage(nsd, "echo-server", serverRef)
	setImage(nsd, "echo-client", clientRef)
	setConf(t, nsd, "echo-server", "publish", fmt.Sprintf("127.0.0.1:%d:7007/udp", port))
	setConf(t, nsd, "echo-server", "volumes", dir+":/data:ro")
	setConf(t, nsd, "echo-client", "dns", "127.0.0.1")
	// Deployed as it is: no LoadNSD, which would point the VNFDs at the
	// rig's VNFM and VIM.
	id, err := r.Orch.Deploy(ctx, nsd, r.VIM["name"].(string))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 180*time.Second)
	defer cancel()
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		t.Fatalf("%v\nevents:\n%s", err, ev)
	}
	for _, ref := range []string{serverRef, clientRef} {
		if _, err := raw.ImageInspect(ctx, ref); err != nil {
			t.Errorf("%s not pulled: %v", ref, err)
		}
	}
	if !strings.Contains(r.Logs(), "making the image present before the grant") {
		t.Error("the VNFM logged no pull before the grant")
	}

	sv, cv := officialVNFCs(r.Orch.VNFR(id, "echo-server")), officialVNFCs(r.Orch.VNFR(id, "echo-client"))
	if len(sv) != 1 || len(cv) != 1 {
		t.Fatalf("VNFCs: server %v, client %v", sv, cv)
	}
	srv, err := raw.ContainerInspect(ctx, sv[0])
	if err != nil {
		t.Fatal(err)
	}
	cli, err := raw.ContainerInspect(ctx, cv[0])
	if err != nil {
		t.Fatal(err)
	}
	checkOfficialContainers(t, srv, cli, dir, port)
	if !slices.Contains(cli.Config.Env, "SERVER_HOSTNAME="+sv[0]) {
		t.Errorf("client env lacks the dependency parameter hostname (SERVER_HOSTNAME=%s): %v", sv[0], cli.Config.Env)
	}

	// The published port answers on the host's loopback.
	waitFor(t, 20*time.Second, "echo on 127.0.0.1:"+strconv.Itoa(port), func() (bool, string) {
		got, err := udpEcho(port, "official-"+u)
		return err == nil && got == "official-"+u, fmt.Sprintf("%q, %v", got, err)
	})
	// The client resolves the server's alias "echo" (SERVER_IP=echo) on
	// new-network, with a DNS server of its own set, and its round trips
	// succeed.
	waitFor(t, 30*time.Second, "client round trips to echo:7007", func() (bool, string) {
		l := containerLog(t, raw, cv[0])
		return strings.Count(l, "to echo:7007") >= 3 && strings.Contains(l, " ok"), l
	})

	// scale_in_out 1: the server cannot scale out (the NFVO refuses in
	// its REST layer, before any message to the VNFM).
	err = r.Orch.ScaleOut(ctx, id, "echo-server")
	if !errors.Is(err, orchestrator.ErrMaxVNFCInstances) || !strings.Contains(err.Error(), "reached the maximum number of VNFCInstance") {
		t.Fatalf("scale-out of the server past scale_in_out 1: %v", err)
	}
	// The client scales out to its scale_in_out 2, then no further.
	if err := r.Orch.ScaleOut(ctx, id, "echo-client"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "second client VNFC ACTIVE", func() (bool, string) {
		return len(officialVNFCs(r.Orch.VNFR(id, "echo-client"))) == 2 && r.Orch.Status(id) == "ACTIVE" && ev.has("echo-client", "SCALING"), ev.String()
	})
	err = r.Orch.ScaleOut(ctx, id, "echo-client")
	if !errors.Is(err, orchestrator.ErrMaxVNFCInstances) {
		t.Fatalf("scale-out of the client past scale_in_out 2: %v", err)
	}
	cv = officialVNFCs(r.Orch.VNFR(id, "echo-client"))
	added := cv[1]
	if added == cv[0] || cv[0] == "" {
		t.Fatalf("client VNFCs %v", cv)
	}
	waitFor(t, 30*time.Second, "the new client's round trips", func() (bool, string) {
		l := containerLog(t, raw, added)
		return strings.Contains(l, "to echo:7007") && strings.Contains(l, " ok"), l
	})

	// Scale-in: the NFVO deletes the last client VNFC itself; the rest
	// stays ACTIVE, nothing is reported in ERROR or restarted.
	nEvents := ev.len()
	if err := r.Orch.ScaleIn(ctx, id, "echo-client"); err != nil {
		t.Fatal(err)
	}
	left := officialVNFCs(r.Orch.VNFR(id, "echo-client"))
	if len(left) != 1 || r.Orch.Status(id) != "ACTIVE" {
		t.Fatalf("after scale-in: client VNFCs %v, NSR %s", left, r.Orch.Status(id))
	}
	gone := cv[0]
	if left[0] == cv[0] {
		gone = cv[1]
	}
	waitFor(t, 30*time.Second, "the monitor sees the deleted VNFC", func() (bool, string) {
		return strings.Contains(r.Logs(), "VNFC deleted through the VIM driver") || ev.hasSince(nEvents, "echo-client", "ERROR"), ev.String()
	})
	time.Sleep(2 * time.Second) // a few monitor rounds (500 ms)
	if ev.hasSince(nEvents, "echo-client", "ERROR") || ev.hasSince(nEvents, "echo-server", "ERROR") || ev.hasSince(nEvents, "", "ERROR") {
		t.Fatalf("ERROR after the scale-in:\n%s", ev)
	}
	if _, err := raw.ContainerInspect(ctx, gone); !client.IsErrNotFound(err) {
		t.Fatalf("scaled-in container %s: %v (want not found)", gone, err)
	}
	for _, h := range []string{sv[0], left[0]} {
		ins, err := raw.ContainerInspect(ctx, h)
		if err != nil || !ins.State.Running {
			t.Fatalf("VNFC %s not running after the scale-in: %v", h, err)
		}
	}
	for _, name := range []string{"echo-server", "echo-client"} {
		for _, s := range vnfcStates(r.Orch.VNFR(id, name)) {
			if s != "ACTIVE" {
				t.Fatalf("%s VNFC state %s after the scale-in", name, s)
			}
		}
	}
	if r.Orch.Status(id) != "ACTIVE" {
		t.Fatalf("NSR %s after the scale-in", r.Orch.Status(id))
	}
	if d, stale, _ := r.Orch.Counters(id); d != 0 || stale != 0 {
		t.Errorf("protocol anomalies: %d duplicate VNFRs, %d stale saves", d, stale)
	}

	// Delete: the NSR goes, then its containers and network; the pulled
	// images are removed; the leak check at the end covers the rest.
	if err := r.Orch.Delete(wctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(wctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "containers and the VLD's network removed", func() (bool, string) {
		c, n := ours(t, raw, r.PopName)
		return c == 0 && n <= 1, fmt.Sprintf("%d containers, %d networks", c, n)
	})
	for _, ref := range []string{serverRef, clientRef} {
		if err := testenv.RemoveImage(raw, ref); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ImageInspect(ctx, ref); !client.IsErrNotFound(err) {
			t.Errorf("pulled image %s still on the engine: %v", ref, err)
		}
	}
}

// checkOfficialContainers checks the settings the official keys asked
// for on the deployed containers.
func checkOfficialContainers(t *testing.T, srv, cli container.InspectResponse, dir string, port int) {
	t.Helper()
	for _, c := range []container.InspectResponse{srv, cli} {
		if c.HostConfig.Memory != 2048<<20 {
			t.Errorf("%s: flavour m1.small not applied: memory %d", c.Name, c.HostConfig.Memory)
		}
	}
	mounted := false
	for _, m := range srv.Mounts {
		if m.Source == dir && m.Destination == "/data" && !m.RW {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("server: %s not bind-mounted read-only at /data: %+v", dir, srv.Mounts)
	}
	bound := false
	for _, b := range srv.HostConfig.PortBindings["7007/udp"] {
		if b.HostIP == "127.0.0.1" && b.HostPort == strconv.Itoa(port) {
			bound = true
		}
	}
	if !bound {
		t.Errorf("server: 7007/udp not published on 127.0.0.1:%d: %+v", port, srv.HostConfig.PortBindings)
	}
	aliases := map[string]bool{}
	for _, ep := range srv.NetworkSettings.Networks {
		for _, a := range ep.Aliases {
			aliases[a] = true
		}
	}
	for _, want := range []string{"echo", "echo-server.new-network"} {
		if !aliases[want] {
			t.Errorf("server: alias %s missing: %v", want, aliases)
		}
	}
	if !slices.Contains(cli.HostConfig.DNS, "127.0.0.1") {
		t.Errorf("client: dns not applied: %v", cli.HostConfig.DNS)
	}
	for _, c := range []container.InspectResponse{srv, cli} {
		for _, e := range c.Config.Env {
			k, _, _ := strings.Cut(e, "=")
			for _, reserved := range []string{"publish", "volumes", "aliases", "dns", "restart_policy_condition"} {
				if strings.EqualFold(k, reserved) {
					t.Errorf("%s: reserved key reached the environment: %s", c.Name, k)
				}
			}
		}
	}
}

// officialVNFCs are a VNFR's VNFC hostnames (container names).
func officialVNFCs(rec map[string]any) []string {
	var out []string
	vdus, _ := rec["vdu"].([]any)
	for _, v := range vdus {
		insts, _ := v.(map[string]any)["vnfc_instance"].([]any)
		for _, i := range insts {
			h, _ := i.(map[string]any)["hostname"].(string)
			out = append(out, h)
		}
	}
	return out
}

// setConf sets the value of a configuration parameter the named VNFD
// already has.
func setConf(t *testing.T, nsd map[string]any, vnfd, key, value string) {
	t.Helper()
	vnfds, _ := nsd["vnfd"].([]any)
	for _, v := range vnfds {
		m, _ := v.(map[string]any)
		if m == nil || m["name"] != vnfd {
			continue
		}
		conf, _ := m["configurations"].(map[string]any)
		params, _ := conf["configurationParameters"].([]any)
		for _, p := range params {
			if pm, _ := p.(map[string]any); pm != nil && pm["confKey"] == key {
				pm["value"] = value
				return
			}
		}
	}
	t.Fatalf("VNFD %s has no configuration key %s", vnfd, key)
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// udpEcho sends msg to 127.0.0.1:port and answers what comes back.
func udpEcho(port int, msg string) (string, error) {
	c, err := net.Dial("udp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	return string(buf[:n]), err
}
