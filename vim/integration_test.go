package vim

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// realDockerPop gives a Pop factory over the real dockerd for one test: a
// Pop of its own name whose default network and pool are the given
// subnets, and whose Docker objects are removed when the test ends.
func realDockerPop(t *testing.T, subnet, pool string) (*client.Client, string, PopFactory) {
	t.Helper()
	raw := testenv.Docker(t)
	popName := testenv.Name(t)
	t.Cleanup(func() {
		// Whatever a failed run left: only this Pop's objects.
		if err := testenv.RemovePopObjects(raw, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return raw, popName, func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		b, err := docker.New(ctx, docker.Options{Host: key.URL, PopName: popName})
		if err != nil {
			return nil, err
		}
		core, err := pop.Open(ctx, pop.Config{PopName: popName, DefaultNetwork: "priv-" + popName,
			DefaultSubnet: subnet, NetworkPool: pool}, b)
		if err != nil {
			b.Close()
			return nil, err
		}
		return closingPop{core, b}, nil
	}
}

// TestRealDocker runs the NFVO's deployment sequence through the driver
// over the real Pop core and dockerd: refresh, createNetwork,
// launchInstanceAndWait (env, capability, fixed IP), listServer,
// serverLogs, deleteServerByIdAndWait, deleteNetwork. Subnets: 10.204.0.0/16.
func TestRealDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	raw, popName, open := realDockerPop(t, "10.204.240.0/24", "10.204.241.0/24")
	d := New(Config{Open: open, AllowedCaps: []string{"NET_ADMIN"}}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"real","authUrl":%q,"id":"r1","hbVersion":0}`, testenv.DockerHost()))
	do := func(name string, ps ...any) json.RawMessage {
		t.Helper()
		ans, err := call(t, d, name, params(t, append([]any{vimJSON}, ps...)...))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return ans
	}

	var v VimInstance
	if err := json.Unmarshal(do("refresh"), &v); err != nil {
		t.Fatal(err)
	}
	imageID := ""
	for _, img := range v.Images {
		if slices.Contains(img.Tags, testenv.BusyboxImage) {
			imageID = img.ExtID
		}
	}
	if imageID == "" || v.ID != "r1" {
		t.Fatalf("busybox not refreshed: %+v", v)
	}

	vl := "vl-" + popName
	n := checkNetwork(t, do("createNetwork", map[string]any{"name": vl, "subnet": "10.204.242.0/24"}))
	netID := n["extId"].(string)

	host := "h-" + popName
	ud := "#!/bin/sh\n#obdocker:cap-add=NET_ADMIN\nexport GREETING='hi there'\n"
	cps := []VNFDConnectionPoint{{VirtualLinkReference: vl, VirtualLinkReferenceID: netID, FixedIP: "10.204.242.10"}}
	ans, err := call(t, d, "launchInstanceAndWait", params(t, vimJSON, host, imageID, "", "", cps, []string{}, ud, map[string]string{}, []Key{}))
	if err != nil {
		t.Fatal(err)
	}
	m := checkServer(t, ans)
	if m["status"] != StatusActive || fmt.Sprint(m["ips"].(map[string]any)[vl]) != "[10.204.242.10]" {
		t.Fatalf("%s", ans)
	}
	extID := m["extId"].(string)

	pp, err := d.Pops().Get(t.Context(), EndpointKey{URL: testenv.DockerHost()})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := pp.Containers(t.Context(), pop.ByID(extID))
	if err != nil {
		t.Fatal(err)
	}
	insp, err := raw.ContainerInspect(t.Context(), cs[0].DockerID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(insp.Config.Env, "GREETING=hi there") || !slices.Contains([]string(insp.HostConfig.CapAdd), "NET_ADMIN") && !slices.Contains([]string(insp.HostConfig.CapAdd), "CAP_NET_ADMIN") {
		t.Errorf("env %v caps %v", insp.Config.Env, insp.HostConfig.CapAdd)
	}

	// Repeated launch: same container.
	again, err := call(t, d, "launchInstanceAndWait", params(t, vimJSON, host, imageID, "", "", cps, []string{}, ud, map[string]string{}, []Key{}))
	if err != nil || decodeMap(t, again)["extId"] != extID {
		t.Fatalf("repeat: %s %v", again, err)
	}

	// Rebuild: same name and IP, running again.
	rb := checkServer(t, do("rebuildServer", extID, testenv.BusyboxImage))
	if rb["status"] != StatusActive || fmt.Sprint(rb["ips"].(map[string]any)[vl]) != "[10.204.242.10]" || rb["hostName"] != host {
		t.Fatalf("rebuild: %v", rb)
	}
	extID = rb["extId"].(string)

	var servers []Server
	if err := json.Unmarshal(do("listServer"), &servers); err != nil || !slices.ContainsFunc(servers, func(s Server) bool { return s.ExtID == extID }) {
		t.Fatalf("listServer: %v %v", servers, err)
	}
	do("serverLogs", extID, 10)

	// The NFVO's termination: delete (not waited for), then deleteNetwork at once.
	go func() { _, _ = call(t, d, "deleteServerByIdAndWait", params(t, vimJSON, extID)) }()
	time.Sleep(10 * time.Millisecond)
	if ans := do("deleteNetwork", netID); string(ans) != "true" {
		t.Fatalf("deleteNetwork: %s", ans)
	}
	if _, err := raw.NetworkInspect(t.Context(), netID, network.InspectOptions{}); err == nil || !strings.Contains(strings.ToLower(err.Error()), "not found") {
		t.Errorf("network still there: %v", err)
	}
}

type closingPop struct {
	*pop.Core
	b *docker.Backend
}

func (c closingPop) Close() error {
	err := c.Core.Close()
	c.b.Close()
	return err
}
