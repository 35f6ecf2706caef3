package vim

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

const busyboxID = "sha256:1b2c3d0000000000000000000000000000000000000000000000000000000001"

func cp(vlr, vlrID string, iface int) VNFDConnectionPoint {
	c := VNFDConnectionPoint{VirtualLinkReference: vlr, VirtualLinkReferenceID: vlrID}
	c.InterfaceID = &iface
	return c
}

// launch10 calls launchInstanceAndWait with the NFVO's 10 parameters.
func launch10(t *testing.T, d *Driver, hostname, image string, cps []VNFDConnectionPoint, userdata string) (json.RawMessage, error) {
	t.Helper()
	return call(t, d, "launchInstanceAndWait", params(t, json.RawMessage(testVim), hostname, image, "", "", cps, []string{}, userdata, map[string]string{}, []Key{}))
}

// TestLaunchFixture: the spec's full launch request (§4.7), minus its
// floating IP (refused in TestLaunchRefusesFloatingIP), gives an ACTIVE
// server with ips keyed by the virtual link and floatingIps {}.
func TestLaunchFixture(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := fixtureCall(t, d, "launch-request-two-nets.json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "launchInstanceAndWait", ans)
	m := checkServer(t, ans)
	if m["status"] != StatusActive || m["extendedStatus"] != "RUNNING" || m["hostName"] != "iperf-client-7654321" {
		t.Errorf("answer %s", ans)
	}
	ips := m["ips"].(map[string]any)
	if ips["mgmt"].([]any)[0] != "10.204.0.77" || len(ips["host-net"].([]any)) != 1 {
		t.Errorf("ips %v", ips)
	}
	if fl := m["flavor"].(map[string]any); fl["flavour_key"] != "m1.small" || fl["ram"] != 2048.0 {
		t.Errorf("flavor %v", fl)
	}

	cs, _ := fp.Containers(t.Context(), pop.ByName("iperf-client-7654321"))
	c := cs[0]
	if c.State != pop.StateRunning || c.Flavour != "m1.small" || c.Image != busyboxID {
		t.Errorf("container %+v", c)
	}
	// interfaceId order: host-net (0) before private (1).
	if len(c.Endpoints) != 2 || c.Endpoints[0].NetName != "host-net" || c.Endpoints[1].NetName != "private" || c.Endpoints[1].IPv4 != "10.204.0.77" {
		t.Errorf("endpoints %+v", c.Endpoints)
	}
	want := map[string]string{"SERVER_IP": "10.204.0.5", "GREETING": "hello world", "PORT": "5201", "Hostname": "iperf-client-7654321"}
	if !jsonEqual(t, mustJSON(t, want), mustJSON(t, c.Env)) {
		t.Errorf("env %v, want %v", c.Env, want)
	}
}

func TestLaunchRefusesFloatingIP(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	_, err := fixtureCall(t, d, "launch-request.json")
	if err == nil || !strings.Contains(err.Error(), "floating IP") || !strings.Contains(err.Error(), `"random"`) || !strings.Contains(err.Error(), `"private"`) {
		t.Fatalf("err %v", err)
	}
	if !errors.Is(err, pop.ErrInvalidArgument) {
		t.Errorf("class %v", pop.Class(err))
	}
	// Only in the floatingIps map (10th-argument form) is refused too.
	_, err = call(t, d, "launchInstanceAndWait", params(t, json.RawMessage(testVim), "h", busyboxID, "", "", []VNFDConnectionPoint{cp("private", "", 0)}, []string{}, "", map[string]string{"private": "10.0.0.9"}, []Key{}))
	if err == nil || !strings.Contains(err.Error(), "10.0.0.9") {
		t.Fatalf("err %v", err)
	}
	if n := len(fp.containerNames()); n != 0 {
		t.Errorf("%d containers made", n)
	}
}

// TestLaunchEightParams: the 8-parameter overload works the same; no
// connection points → the Pop's default network, keyed by its name.
func TestLaunchEightParams(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	ans, err := call(t, d, "launchInstanceAndWait", params(t, json.RawMessage(testVim), "eight", "obdocker-test/busybox:latest", "", "", nil, nil, "A=1"))
	if err != nil {
		t.Fatal(err)
	}
	m := checkServer(t, ans)
	if _, ok := m["ips"].(map[string]any)["private"]; !ok || m["status"] != StatusActive {
		t.Errorf("%s", ans)
	}
}

func TestLaunchInstanceCreatesOnly(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := call(t, d, "launchInstance", params(t, json.RawMessage(testVim), "two-phase", busyboxID, "", "", []VNFDConnectionPoint{cp("private", "", 0)}, []string{}, "X=1"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "launchInstance", ans)
	m := checkServer(t, ans)
	if m["status"] != StatusBuild || m["extendedStatus"] != "CREATED" {
		t.Errorf("%s", ans)
	}
	if fp.starts != 0 {
		t.Errorf("started")
	}
}

func TestLaunchDeferredDirective(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := launch10(t, d, "deferred", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, "#!/bin/sh\n#obdocker:start=deferred\n")
	if err != nil {
		t.Fatal(err)
	}
	if m := checkServer(t, ans); m["status"] != StatusBuild {
		t.Errorf("%s", ans)
	}
	if fp.starts != 0 {
		t.Errorf("started")
	}
	// A VNFM then sets metadata and starts it.
	id := decodeMap(t, ans)["extId"].(string)
	ans = mustCall(t, d, "setMetadata", id, map[string]string{"PEER_IP": "10.0.0.1"})
	checkServer(t, ans)
	ans = mustCall(t, d, "startServer", id)
	if m := checkServer(t, ans); m["status"] != StatusActive {
		t.Errorf("%s", ans)
	}
	cs, _ := fp.Containers(t.Context(), pop.ByID(id))
	if cs[0].Metadata["PEER_IP"] != "10.0.0.1" {
		t.Errorf("metadata %v", cs[0].Metadata)
	}
}

// TestLaunchIdempotent: a repeated launch (redelivery) answers the same
// container, and concurrent ones make only one.
func TestLaunchIdempotent(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	cps := []VNFDConnectionPoint{cp("private", "", 0)}
	first, err := launch10(t, d, "again", busyboxID, cps, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := launch10(t, d, "again", busyboxID, cps, "")
	if err != nil {
		t.Fatal(err)
	}
	if decodeMap(t, first)["extId"] != decodeMap(t, second)["extId"] {
		t.Errorf("two containers: %s / %s", first, second)
	}

	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ans, err := launch10(t, d, "concurrent", busyboxID, cps, "")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = decodeMap(t, ans)["extId"].(string)
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("ids differ: %v", ids)
		}
	}
	if fp.creates != 2 {
		t.Errorf("%d creates, want 2", fp.creates)
	}

	// A container left CREATED (crash between create and start) is started
	// by the redelivered launch.
	if _, err := fp.Create(t.Context(), pop.ContainerConfig{Name: "half", Image: busyboxID}); err != nil {
		t.Fatal(err)
	}
	ans, err := launch10(t, d, "half", busyboxID, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if m := checkServer(t, ans); m["status"] != StatusActive {
		t.Errorf("%s", ans)
	}
}

// TestLaunchStartFailureCarriesServer: a failed start answers an exception
// whose server is the partial (FAILED) container.
func TestLaunchStartFailureCarriesServer(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	fp.startErr["broken"] = errors.New("exec: no entrypoint")
	_, err := launch10(t, d, "broken", busyboxID, []VNFDConnectionPoint{cp("data", "netprivate0000000000000000000000000000000000000000000000000001", 0)}, "")
	var se *plugin.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("err %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "launchInstanceAndWait broken") || !strings.Contains(err.Error(), "no entrypoint") {
		t.Errorf("message %q", err)
	}
	b := mustJSON(t, se.Server)
	golden(t, "launchInstanceAndWait-failed-server", b)
	m := checkServer(t, b)
	if m["status"] != StatusError || !strings.Contains(m["extendedStatus"].(string), "FAILED") {
		t.Errorf("server %s", b)
	}
	if _, ok := m["ips"].(map[string]any)["data"]; !ok {
		t.Errorf("ips not keyed by virtual link: %s", b)
	}

	// The NFVO (or an operator) retries: the same container is started again.
	delete(fp.startErr, "broken")
	ans, err := launch10(t, d, "broken", busyboxID, []VNFDConnectionPoint{cp("data", privateID, 0)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if m := checkServer(t, ans); m["status"] != StatusActive || m["extId"] != se.Server.(*Server).ExtID || fp.creates != 1 {
		t.Errorf("retry: %s (creates %d)", ans, fp.creates)
	}
}

func TestLaunchErrors(t *testing.T) {
	d, fp := newTestDriver(t, Config{AllowedCaps: []string{"NET_ADMIN"}, AllowedSysctls: []string{"net.ipv4.*"}})
	tests := []struct {
		doc      string
		image    string
		cps      []VNFDConnectionPoint
		userdata string
		want     string
	}{
		{"unknown image", "nope:1", nil, "", `image "nope:1" not found`},
		{"unknown network", busyboxID, []VNFDConnectionPoint{cp("ghost", "ghost-id", 0)}, "", `network "ghost-id" / "ghost" not found`},
		{"unknown flavour", busyboxID, nil, "#obdocker:flavour=m9.huge", `flavour "m9.huge"`},
		{"refused capability", busyboxID, nil, "#obdocker:cap-add=NET_ADMIN,SYS_ADMIN", "capability SYS_ADMIN is not allowed"},
		{"refused sysctl", busyboxID, nil, "#obdocker:sysctl=kernel.shmmax=1", "sysctl kernel.shmmax is not allowed"},
		{"unknown directive", busyboxID, nil, "#obdocker:colour=blue", "unknown directive"},
		{"fixed IP outside the subnet", busyboxID, []VNFDConnectionPoint{{VirtualLinkReference: "private", FixedIP: "192.168.9.9"}}, "", "192.168.9.9"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			_, err := launch10(t, d, "err-"+strings.ReplaceAll(tc.doc, " ", "-"), tc.image, tc.cps, tc.userdata)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			t.Log(err)
		})
	}
	// Two virtual links on one network: Docker attaches a network once.
	_, err := launch10(t, d, "dup", busyboxID, []VNFDConnectionPoint{cp("x", "netprivate0000000000000000000000000000000000000000000000000001", 0), cp("private", "", 1)}, "")
	if err == nil || !strings.Contains(err.Error(), "both on network") {
		t.Errorf("dup: %v", err)
	}
	if names := fp.containerNames(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}

	// Allowed ones go through.
	if _, err := launch10(t, d, "caps-ok", busyboxID, nil, "#obdocker:cap-add=cap_net_admin\n#obdocker:sysctl=net.ipv4.ip_forward=1\n"); err != nil {
		t.Fatal(err)
	}
	cs, _ := fp.Containers(t.Context(), pop.ByName("caps-ok"))
	if len(cs[0].CapAdd) != 1 || cs[0].CapAdd[0] != "NET_ADMIN" || cs[0].Sysctls["net.ipv4.ip_forward"] != "1" {
		t.Errorf("caps %v sysctls %v", cs[0].CapAdd, cs[0].Sysctls)
	}
}
