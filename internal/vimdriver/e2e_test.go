package vimdriver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// The end-to-end tests use 10.201.192.0/18 only.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// driverBinary builds cmd/docker-vim-driver once per test run.
func driverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "obdocker-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "docker-vim-driver")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, "github.com/openbaton-docker/obdocker/cmd/docker-vim-driver").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type rig struct {
	t       *testing.T
	nfvo    *nfvo.NFVO
	queue   string
	popName string
	raw     *client.Client
	cmd     *exec.Cmd
	logs    *testenv.Buffer
	done    chan error
	env     []string
}

// startRig starts an NFVO stand-in and the plugin daemon as its own
// process, with extraEnv added to its environment.
func startRig(t *testing.T, subnet, pool string, extraEnv ...string) *rig {
	t.Helper()
	raw := testenv.Docker(t)
	amqpURL := testenv.RabbitMQ(t)
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	r := &rig{t: t, raw: raw, popName: "e2e-" + u}
	n, err := nfvo.Start(t.Context(), nfvo.Options{AMQPURL: amqpURL, ManagerQueue: "nfvo.manager.handling-e2e-" + u})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	r.nfvo = n
	plugin := "e2e" + u
	r.queue = "vim-drivers.docker." + plugin
	r.env = append(os.Environ(),
		"OBDOCKER_PLUGIN_NAME="+plugin,
		"OBDOCKER_MANAGER_QUEUE="+n.ManagerQueue(),
		"OBDOCKER_STATE_DIR="+t.TempDir(),
		"OBDOCKER_POP_NAME="+r.popName,
		"OBDOCKER_DEFAULT_NETWORK=private-"+u,
		"OBDOCKER_DEFAULT_SUBNET="+subnet,
		"OBDOCKER_NETWORK_POOL="+pool,
		"OBDOCKER_DOCKER_HOST="+testenv.DockerHost(),
		"OBDOCKER_LOG_LEVEL=debug",
	)
	r.env = append(r.env, extraEnv...)
	t.Cleanup(func() { r.cleanupDocker() })
	r.start()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("plugin log:\n%s", r.logs.String())
		}
	})
	return r
}

func (r *rig) start() {
	r.t.Helper()
	r.logs = &testenv.Buffer{}
	r.cmd = exec.Command(driverBinary(r.t))
	r.cmd.Env = r.env
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.done = make(chan error, 1)
	go func(c *exec.Cmd, done chan error) { done <- c.Wait() }(r.cmd, r.done)
	// Serving once the queue exists (the NFVO looks it up the same way).
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := r.nfvo.Management().QueueExists(r.t.Context(), r.queue)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("plugin queue %s never appeared; log:\n%s", r.queue, r.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (r *rig) stop() error {
	if r.cmd == nil || r.cmd.Process == nil {
		return nil
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		r.cmd = nil
		return err
	case <-time.After(40 * time.Second):
		r.cmd.Process.Kill()
		r.cmd = nil
		return fmt.Errorf("plugin did not exit within 40 s of SIGTERM")
	}
}

func (r *rig) cleanupDocker() {
	if err := testenv.RemovePopObjects(r.raw, r.popName); err != nil {
		r.t.Logf("cleanup: %v", err)
	}
}

// ours counts Docker objects carrying this Pop's label.
func (r *rig) ours() (containers, networks int) {
	return testenv.CountPopObjects(r.t.Context(), r.raw, r.popName)
}

func (r *rig) call(method string, params ...any) json.RawMessage {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), 60*time.Second)
	defer cancel()
	ans, err := r.nfvo.Call(ctx, r.queue, method, params...)
	if err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
	return ans
}

type jsonMap = map[string]any

func decode(t *testing.T, raw json.RawMessage) jsonMap {
	t.Helper()
	var m jsonMap
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return m
}

// TestEndToEndNFVOSequence plays the NFVO 6.0 deployment sequence (protocol
// spec §3.1) against the daemon over RabbitMQ, with the NFVO's permissions,
// on the real Docker engine.
func TestEndToEndNFVOSequence(t *testing.T) {
	r := startRig(t, "10.201.250.0/24", "10.201.224.0/20")
	ctx := t.Context()

	// 1. VIM registration: refresh of a VIM instance without id.
	vim := jsonMap{"name": "vim-" + r.popName, "authUrl": "", "type": "docker",
		"location": jsonMap{"name": "Berlin", "latitude": "52.525876", "longitude": "13.314400"}, "active": true}
	ref := decode(t, r.call("refresh", vim))
	if ref["name"] != vim["name"] || ref["type"] != "docker" {
		t.Fatalf("refresh echo: %v", ref)
	}
	imgs, _ := ref["images"].([]any)
	var imageExt string
	for _, i := range imgs {
		im := i.(jsonMap)
		tags, _ := im["tags"].([]any)
		for _, tag := range tags {
			if tag == testenv.BusyboxImage {
				imageExt, _ = im["extId"].(string)
			}
		}
	}
	if imageExt == "" {
		t.Fatalf("refresh lists no image tagged %s", testenv.BusyboxImage)
	}
	if _, ok := ref["networks"].([]any); !ok {
		t.Fatalf("refresh networks not an array: %v", ref["networks"])
	}
	// 2. The NFVO saved it and refreshes again, now with an id.
	vim["id"], vim["hbVersion"], vim["projectId"] = "d4-"+r.popName, 3, "proj"
	ref = decode(t, r.call("refresh", vim))
	if ref["id"] != vim["id"] || ref["hbVersion"] != float64(3) || ref["projectId"] != "proj" {
		t.Fatalf("refresh does not echo id/hbVersion/projectId: %v", ref)
	}

	// 3. createNetwork for two virtual links: with and without a cidr.
	vlA, vlB := "vla-"+r.popName, "vlb-"+r.popName
	na := decode(t, r.call("createNetwork", vim, jsonMap{"name": vlA, "subnet": "10.201.200.0/24", "metadata": jsonMap{}}))
	nb := decode(t, r.call("createNetwork", vim, jsonMap{"name": vlB}))
	for _, n := range []jsonMap{na, nb} {
		if _, ok := n["subnet"]; !ok || n["extId"] == "" || n["extId"] == nil {
			t.Fatalf("network answer lacks subnet/extId: %v", n)
		}
	}
	if na["subnet"] != "10.201.200.0/24" || !strings.HasPrefix(nb["subnet"].(string), "10.201.22") {
		t.Fatalf("subnets %v %v", na["subnet"], nb["subnet"])
	}

	// 4. launchInstanceAndWait (10 parameters) of a server and a client.
	cps := func(fixedA string) []any {
		a := jsonMap{"virtual_link_reference": vlA, "virtual_link_reference_id": na["extId"], "interfaceId": 0}
		if fixedA != "" {
			a["fixedIp"] = fixedA
		}
		b := jsonMap{"virtual_link_reference": vlB, "virtual_link_reference_id": nb["extId"], "interfaceId": 1}
		return []any{b, a} // arbitrary order, as the NFVO's Set gives it
	}
	srvName, cliName := "server-"+r.popName, "client-"+r.popName
	srv := decode(t, r.call("launchInstanceAndWait", vim, srvName, imageExt, "", "", cps("10.201.200.10"), []any{},
		"#!/bin/bash\nexport ROLE=server\nexport GREETING='hello world'\nHostname="+srvName+"\n", jsonMap{}, []any{}))
	if srv["status"] != "ACTIVE" || srv["hostName"] != srvName {
		t.Fatalf("server: %v", srv)
	}
	ips := srv["ips"].(jsonMap)
	if got := ips[vlA].([]any); len(got) != 1 || got[0] != "10.201.200.10" {
		t.Fatalf("server ips %v", ips)
	}
	if _, ok := srv["floatingIps"].(jsonMap); !ok {
		t.Fatalf("floatingIps %v", srv["floatingIps"])
	}
	serverIP := "10.201.200.10"
	cli := decode(t, r.call("launchInstanceAndWait", vim, cliName, imageExt, "", "", cps(""), nil,
		"export ROLE=client\nSERVER_IP="+serverIP+"\n#obdocker:flavour=m1.tiny\n", jsonMap{}, []any{}))
	if cli["status"] != "ACTIVE" {
		t.Fatalf("client: %v", cli)
	}
	cliIPs := cli["ips"].(jsonMap)

	// What Docker says: running, those IPs, that env, NICs in interfaceId order.
	check := func(name string, wantIPs jsonMap, wantEnv ...string) {
		t.Helper()
		ins, err := r.raw.ContainerInspect(ctx, name)
		if err != nil {
			t.Fatalf("inspect %s: %v", name, err)
		}
		if !ins.State.Running {
			t.Errorf("%s not running", name)
		}
		for vl, l := range wantIPs {
			ep := ins.NetworkSettings.Networks[vl]
			if ep == nil || ep.IPAddress != l.([]any)[0] {
				t.Errorf("%s on %s: %+v, want %v", name, vl, ep, l)
			}
		}
		for _, e := range wantEnv {
			if !slices.Contains(ins.Config.Env, e) {
				t.Errorf("%s env lacks %q: %v", name, e, ins.Config.Env)
			}
		}
	}
	check(srvName, ips, "ROLE=server", "GREETING=hello world")
	check(cliName, cliIPs, "ROLE=client", "SERVER_IP="+serverIP)
	if ins, _ := r.raw.ContainerInspect(ctx, cliName); ins.HostConfig.Memory != 512<<20 {
		t.Errorf("flavour m1.tiny not applied: memory %d", ins.HostConfig.Memory)
	}

	// 5. listServer and getQuota (dashboard).
	var servers []jsonMap
	json.Unmarshal(r.call("listServer", vim), &servers)
	names := map[any]bool{}
	for _, s := range servers {
		names[s["hostName"]] = true
	}
	if !names[srvName] || !names[cliName] {
		t.Fatalf("listServer: %v", servers)
	}
	q := decode(t, r.call("getQuota", vim))
	for _, k := range []string{"cores", "ram", "instances", "floatingIps", "keyPairs"} {
		if v, _ := q[k].(float64); v <= 0 {
			t.Errorf("quota %s = %v", k, q[k])
		}
	}

	// 6. Termination: deletes the NFVO does not wait for, then deleteNetwork.
	r.call("deleteServerByIdAndWait", vim, srv["extId"])
	r.call("deleteServerByIdAndWait", vim, cli["extId"])
	for _, n := range []jsonMap{na, nb} {
		var ok bool
		if err := json.Unmarshal(r.call("deleteNetwork", vim, n["extId"]), &ok); err != nil || !ok {
			t.Fatalf("deleteNetwork %v: %v %v", n["name"], ok, err)
		}
	}
	// Only the Pop's own default network ("private", as the seed's server
	// keeps it) may remain: no container, no VNF network.
	if c, n := r.ours(); c != 0 || n != 1 {
		t.Fatalf("left with our labels: %d containers, %d networks (want 0 and the default network)", c, n)
	}

	// SIGTERM: drain, unregister from the NFVO, exit 0.
	if err := r.stop(); err != nil {
		t.Fatalf("plugin exit after SIGTERM: %v", err)
	}
	if got := r.nfvo.Unregistrations(r.queue); got != 1 {
		t.Fatalf("unregistrations seen by the NFVO: %d", got)
	}
}

// TestEndToEndManyPops: one plugin, two VIM instances on two Docker engines,
// deploying and deleting concurrently. Each container lands on its own
// engine and neither Pop touches the other's objects.
func TestEndToEndManyPops(t *testing.T) {
	raw2 := testenv.SecondDocker(t)
	// A socket carries no credential: the operator grants the second one.
	r := startRig(t, "10.201.251.0/24", "10.201.240.0/21",
		"OBDOCKER_ALLOWED_SOCKETS="+testenv.DockerHost()+","+testenv.SecondDockerHost)
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw2, r.popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	vims := []jsonMap{
		{"name": "vim1-" + r.popName, "authUrl": testenv.DockerHost(), "type": "docker", "id": "v1-" + r.popName, "location": jsonMap{"name": "a"}},
		{"name": "vim2-" + r.popName, "authUrl": testenv.SecondDockerHost, "type": "docker.second", "id": "v2-" + r.popName, "location": jsonMap{"name": "b"}},
	}
	raws := []*client.Client{r.raw, raw2}
	var wg sync.WaitGroup
	for i, vim := range vims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := decode(t, r.call("refresh", vim))
			var imageExt string
			for _, im := range ref["images"].([]any) {
				for _, tag := range im.(jsonMap)["tags"].([]any) {
					if tag == testenv.BusyboxImage {
						imageExt = im.(jsonMap)["extId"].(string)
					}
				}
			}
			if imageExt == "" {
				t.Errorf("vim %d: no test image", i)
				return
			}
			vl := fmt.Sprintf("vl%d-%s", i, r.popName)
			n := decode(t, r.call("createNetwork", vim, jsonMap{"name": vl}))
			var servers []jsonMap
			for j := range 3 {
				name := fmt.Sprintf("s%d%d-%s", i, j, r.popName)
				s := decode(t, r.call("launchInstanceAndWait", vim, name, imageExt, "", "",
					[]any{jsonMap{"virtual_link_reference": vl, "virtual_link_reference_id": n["extId"], "interfaceId": 0}},
					[]any{}, fmt.Sprintf("export ENGINE=%d\n", i), jsonMap{}, []any{}))
				if s["status"] != "ACTIVE" {
					t.Errorf("%s: %v", name, s)
					return
				}
				servers = append(servers, s)
				// On its own engine, not on the other.
				if ins, err := raws[i].ContainerInspect(t.Context(), name); err != nil || !slices.Contains(ins.Config.Env, fmt.Sprintf("ENGINE=%d", i)) {
					t.Errorf("%s not on engine %d: %v", name, i+1, err)
				}
				if _, err := raws[1-i].ContainerInspect(t.Context(), name); err == nil {
					t.Errorf("%s also on engine %d", name, 2-i)
				}
			}
			var listed []jsonMap
			json.Unmarshal(r.call("listServer", vim), &listed)
			if len(listed) != 3 {
				t.Errorf("vim %d lists %d servers, want its own 3", i, len(listed))
			}
			for _, s := range servers {
				r.call("deleteServerByIdAndWait", vim, s["extId"])
			}
			var ok bool
			json.Unmarshal(r.call("deleteNetwork", vim, n["extId"]), &ok)
			if !ok {
				t.Errorf("vim %d: deleteNetwork not true", i)
			}
		}()
	}
	wg.Wait()
	for i, raw := range raws {
		cs, _ := testenv.PopContainers(t.Context(), raw, r.popName)
		if len(cs) != 0 {
			t.Errorf("engine %d: %d containers left", i+1, len(cs))
		}
	}
}

// TestDisruptiveEndToEndOverlay makes the engine a single-node swarm
// manager, creates an overlay network through createNetwork (VLD metadata
// driver: overlay) and launches on it, then leaves the swarm.
func TestDisruptiveEndToEndOverlay(t *testing.T) {
	testenv.Disruptive(t)
	testenv.Docker(t)
	if out, err := exec.Command("docker", "swarm", "init", "--advertise-addr", "127.0.0.1").CombinedOutput(); err != nil {
		t.Fatalf("swarm init: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "swarm", "leave", "--force").CombinedOutput(); err != nil {
			t.Errorf("swarm leave: %v: %s", err, out)
		}
		// Made by swarm init, kept by leave, used by nothing once out.
		exec.Command("docker", "network", "rm", "docker_gwbridge").Run()
	})
	r := startRig(t, "10.201.252.0/24", "10.201.236.0/22")
	vim := jsonMap{"name": "vim-" + r.popName, "authUrl": "", "type": "docker", "id": "v-" + r.popName}
	ref := decode(t, r.call("refresh", vim))
	var imageExt string
	for _, im := range ref["images"].([]any) {
		for _, tag := range im.(jsonMap)["tags"].([]any) {
			if tag == testenv.BusyboxImage {
				imageExt = im.(jsonMap)["extId"].(string)
			}
		}
	}
	vl := "ov-" + r.popName
	n := decode(t, r.call("createNetwork", vim, jsonMap{"name": vl, "subnet": "10.201.238.0/24", "metadata": jsonMap{"driver": "overlay"}}))
	if n["driver"] != "overlay" {
		t.Fatalf("network answer: %v", n)
	}
	ni, err := r.raw.NetworkInspect(t.Context(), n["extId"].(string), network.InspectOptions{})
	if err != nil || ni.Driver != "overlay" || !ni.Attachable {
		t.Fatalf("docker network: driver %q attachable %v err %v", ni.Driver, ni.Attachable, err)
	}
	cp := func(fixed string) []any {
		m := jsonMap{"virtual_link_reference": vl, "virtual_link_reference_id": n["extId"], "interfaceId": 0}
		if fixed != "" {
			m["fixedIp"] = fixed
		}
		return []any{m}
	}
	a := decode(t, r.call("launchInstanceAndWait", vim, "ova-"+r.popName, imageExt, "", "", cp("10.201.238.50"), []any{}, "", jsonMap{}, []any{}))
	b := decode(t, r.call("launchInstanceAndWait", vim, "ovb-"+r.popName, imageExt, "", "", cp(""), []any{}, "", jsonMap{}, []any{}))
	for _, s := range []jsonMap{a, b} {
		ins, err := r.raw.ContainerInspect(t.Context(), s["hostName"].(string))
		if err != nil {
			t.Fatal(err)
		}
		got := ins.NetworkSettings.Networks[vl]
		want := s["ips"].(jsonMap)[vl].([]any)[0]
		if got == nil || got.IPAddress != want {
			t.Errorf("%s: Docker has %+v, the answer says %v", s["hostName"], got, want)
		}
	}
	if a["ips"].(jsonMap)[vl].([]any)[0] != "10.201.238.50" {
		t.Errorf("fixed IP not honoured: %v", a["ips"])
	}
	r.call("deleteServerByIdAndWait", vim, a["extId"])
	r.call("deleteServerByIdAndWait", vim, b["extId"])
	var ok bool
	json.Unmarshal(r.call("deleteNetwork", vim, n["extId"]), &ok)
	if !ok {
		t.Fatal("deleteNetwork not true")
	}
}
