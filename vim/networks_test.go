package vim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

const privateID = "netprivate0000000000000000000000000000000000000000000000000001"

func TestCreateNetwork(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := fixtureCall(t, d, "create-network-request.json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "createNetwork", ans)
	m := checkNetwork(t, ans)
	if m["subnet"] != "10.204.7.0/24" || m["driver"] != "overlay" || m["scope"] != "swarm" || m["name"] != "data_net" {
		t.Errorf("%s", ans)
	}
	ns, err := fp.Networks(t.Context(), pop.ByName("data_net"))
	if err != nil || ns[0].ID != m["extId"] || ns[0].Driver != "overlay" {
		t.Errorf("pop network %+v %v", ns, err)
	}

	// Repeated (redelivered): the same network.
	again, err := fixtureCall(t, d, "create-network-request.json")
	if err != nil || decodeMap(t, again)["extId"] != m["extId"] {
		t.Errorf("repeat: %s %v", again, err)
	}

	// No cidr: the Pop picks; the answer still has the key "subnet".
	ans, err = fixtureCall(t, d, "create-network-request-nocidr.json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "createNetwork-nocidr", ans)
	if m := checkNetwork(t, ans); m["subnet"] == "" || m["driver"] != "bridge" {
		t.Errorf("%s", ans)
	}

	// An OpenStack-style network's first subnet is honoured.
	ans = mustCall(t, d, "createNetwork", json.RawMessage(readFile(t, "testdata/nfvo/openstack-network.json")))
	if m := checkNetwork(t, ans); m["subnet"] != "10.204.9.0/24" || m["gateway"] != "10.204.9.1" {
		t.Errorf("%s", ans)
	}

	// Same name, other subnet: the Pop's conflict is reported.
	err = callErr(t, d, "createNetwork", map[string]any{"name": "data_net", "subnet": "10.204.8.0/24"})
	if !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), "data_net") {
		t.Errorf("%v", err)
	}
	err = callErr(t, d, "createNetwork", map[string]any{"name": "x", "metadata": map[string]string{"driver": "macvlan"}})
	if !strings.Contains(err.Error(), "macvlan") {
		t.Errorf("%v", err)
	}
	callErr(t, d, "createNetwork", map[string]any{"subnet": "10.204.10.0/24"})
}

func TestNetworkQueries(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	ans := mustCall(t, d, "listNetworks")
	golden(t, "listNetworks", ans)
	var nets []map[string]any
	if err := json.Unmarshal(ans, &nets); err != nil || len(nets) != 2 {
		t.Fatalf("%s", ans)
	}
	for _, n := range nets {
		checkNetwork(t, mustJSON(t, n))
	}

	ans = mustCall(t, d, "getNetworkById", privateID)
	golden(t, "getNetworkById", ans)
	checkNetwork(t, ans)
	err := callErr(t, d, "getNetworkById", "nope")
	if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("%v", err)
	}

	ans = mustCall(t, d, "updateNetwork", map[string]any{"name": "private", "extId": privateID, "id": "uuid-1", "hbVersion": 2, "subnet": "10.204.0.0/24"})
	golden(t, "updateNetwork", ans)
	if m := decodeMap(t, ans); m["subnet"] != "10.204.0.0/24" || m["id"] != "uuid-1" {
		t.Errorf("%s", ans)
	}
	err = callErr(t, d, "updateNetwork", map[string]any{"extId": privateID, "subnet": "10.204.99.0/24"})
	if !strings.Contains(err.Error(), "cannot change its subnet") {
		t.Errorf("%v", err)
	}

	ans = mustCall(t, d, "getSubnetsExtIds", privateID)
	if string(ans) != `["`+privateID+`"]` {
		t.Errorf("%s", ans)
	}
	ans = mustCall(t, d, "createSubnet", map[string]any{"extId": privateID}, map[string]any{"name": "s", "cidr": "10.204.0.0/24"})
	golden(t, "createSubnet", ans)
	if m := decodeMap(t, ans); m["cidr"] != "10.204.0.0/24" || m["extId"] != privateID || m["gatewayIp"] != "10.204.0.1" {
		t.Errorf("%s", ans)
	}
	mustCall(t, d, "updateSubnet", map[string]any{"name": "private"}, map[string]any{})
	err = callErr(t, d, "createSubnet", map[string]any{"extId": privateID}, map[string]any{"cidr": "10.204.50.0/24"})
	if !strings.Contains(err.Error(), "one subnet") {
		t.Errorf("%v", err)
	}
	if ans := mustCall(t, d, "deleteSubnet", "gone"); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
	callErr(t, d, "deleteSubnet", privateID)
}

func TestDeleteNetwork(t *testing.T) {
	d, fp := newTestDriver(t, Config{DeleteNetworkGrace: 50 * time.Millisecond})
	n := decodeMap(t, mustCall(t, d, "createNetwork", map[string]any{"name": "vl", "subnet": "10.204.20.0/24"}))
	id := n["extId"].(string)

	// Attached container: refused with the container's name.
	if _, err := launch10(t, d, "user", busyboxID, []VNFDConnectionPoint{cp("vl", id, 0)}, ""); err != nil {
		t.Fatal(err)
	}
	err := callErr(t, d, "deleteNetwork", id)
	if !strings.Contains(err.Error(), "containers still attached: user") {
		t.Errorf("%v", err)
	}

	if ans := mustCall(t, d, "deleteServerByIdAndWait", "user"); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
	if ans := mustCall(t, d, "deleteNetwork", id); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
	if _, err := fp.Networks(t.Context(), pop.ByID(id)); !errors.Is(err, pop.ErrNotFound) {
		t.Errorf("network still there: %v", err)
	}
	// Idempotent.
	if ans := mustCall(t, d, "deleteNetwork", id); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
	// Not ours, or the Pop's default network: left alone, and an exception
	// that says why (false would reach the operator as a bare "Not deleted
	// Network" from the NFVO, which throws on false as on an exception).
	for n, why := range map[string]string{
		"host-net": `deleteNetwork "host-net": the Pop did not create this network`,
		privateID:  `deleteNetwork: network "private" is the Pop's default network`,
	} {
		err := callErr(t, d, "deleteNetwork", n)
		if err == nil || !strings.Contains(err.Error(), why) || !errors.Is(err, pop.ErrInvalidState) {
			t.Errorf("%s: %v, want an InvalidState error containing %q", n, err, why)
		}
	}
	if _, err := fp.Networks(t.Context(), pop.ByID(privateID)); err != nil {
		t.Errorf("default network deleted: %v", err)
	}
}

// TestDeleteNetworkWaitsForPendingDeletes: the NFVO sends deleteNetwork
// right after deleteServerByIdAndWait calls it does not wait for;
// deleteNetwork waits for them instead of refusing.
func TestDeleteNetworkWaitsForPendingDeletes(t *testing.T) {
	d, fp := newTestDriver(t, Config{DeleteNetworkGrace: 50 * time.Millisecond})
	id := decodeMap(t, mustCall(t, d, "createNetwork", map[string]any{"name": "vl2", "subnet": "10.204.21.0/24"}))["extId"].(string)
	var srv []string
	for _, h := range []string{"a", "b"} {
		ans, err := launch10(t, d, h, busyboxID, []VNFDConnectionPoint{cp("vl2", id, 0)}, "")
		if err != nil {
			t.Fatal(err)
		}
		srv = append(srv, decodeMap(t, ans)["extId"].(string))
	}

	gate := make(chan struct{})
	started := make(chan string, 2)
	fp.mu.Lock()
	fp.deleteGate, fp.deleteStarted = gate, started
	fp.mu.Unlock()

	deleted := make(chan error, 2)
	for _, s := range srv {
		go func() {
			_, err := call(t, d, "deleteServerByIdAndWait", params(t, json.RawMessage(testVim), s))
			deleted <- err
		}()
	}
	<-started
	<-started // both deletes are in flight, blocked in the Pop

	netDone := make(chan error, 1)
	var netAns json.RawMessage
	go func() {
		var err error
		netAns, err = call(t, d, "deleteNetwork", params(t, json.RawMessage(testVim), id))
		netDone <- err
	}()
	select {
	case err := <-netDone:
		t.Fatalf("deleteNetwork did not wait: %s %v", netAns, err)
	case <-time.After(200 * time.Millisecond): // longer than the grace: it waits on the deletes
	}
	close(gate)
	for range srv {
		if err := <-deleted; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-netDone; err != nil || string(netAns) != "true" {
		t.Fatalf("deleteNetwork: %s %v", netAns, err)
	}
}

// TestDeleteNetworkGrace: a deleteNetwork that overtakes the delete of its
// last container (another worker) polls for the grace period.
func TestDeleteNetworkGrace(t *testing.T) {
	d, fp := newTestDriver(t, Config{DeleteNetworkGrace: 5 * time.Second})
	id := decodeMap(t, mustCall(t, d, "createNetwork", map[string]any{"name": "vl3", "subnet": "10.204.22.0/24"}))["extId"].(string)
	if _, err := launch10(t, d, "late", busyboxID, []VNFDConnectionPoint{cp("vl3", id, 0)}, ""); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = fp.Delete(t.Context(), pop.ByName("late")) // out of band, untracked
	}()
	if ans := mustCall(t, d, "deleteNetwork", id); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
}
