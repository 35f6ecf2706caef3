package vim

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFlavoursQuotaType(t *testing.T) {
	d, _ := newTestDriver(t, Config{Quota: QuotaLimits{Cores: 8, RAM: -1}})
	golden(t, "listFlavors", mustCall(t, d, "listFlavors"))

	ans := mustCall(t, d, "getQuota")
	golden(t, "getQuota", ans)
	var q map[string]any
	_ = json.Unmarshal(ans, &q)
	for _, k := range []string{"cores", "ram", "instances", "floatingIps", "keyPairs"} {
		if v, _ := q[k].(float64); v <= 0 {
			t.Errorf("quota %s = %v", k, q[k])
		}
	}
	if q["cores"] != 8.0 || q["ram"] != float64(DefaultQuota) {
		t.Errorf("%s", ans)
	}
	if ans := mustCall(t, d, "getType"); string(ans) != `"docker"` {
		t.Errorf("%s", ans)
	}

	ans = mustCall(t, d, "addFlavor", map[string]any{"flavour_key": "m1.small", "ram": 1})
	golden(t, "addFlavor", ans)
	if m := decodeMap(t, ans); m["ram"] != 2048.0 || m["extId"] != "m1.small" {
		t.Errorf("%s", ans)
	}
	mustCall(t, d, "updateFlavor", map[string]any{"extId": "m1.tiny"})
	err := callErr(t, d, "addFlavor", map[string]any{"flavour_key": "gpu.huge"})
	if !strings.Contains(err.Error(), "gpu.huge") {
		t.Errorf("%v", err)
	}
	if ans := mustCall(t, d, "deleteFlavor", "gpu.huge"); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
	callErr(t, d, "deleteFlavor", "m1.small")
}

// TestMethodTable: every (name, arity) of the spec's §3 table is served.
func TestMethodTable(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	want := []string{
		"refresh/1", "listServer/1", "listImages/1", "listNetworks/1", "listFlavors/1",
		"launchInstanceAndWait/10", "launchInstanceAndWait/8", "launchInstance/8", "rebuildServer/3",
		"deleteServerByIdAndWait/2", "createNetwork/2", "getNetworkById/2", "updateNetwork/2",
		"deleteNetwork/2", "createSubnet/3", "updateSubnet/3", "getSubnetsExtIds/2", "deleteSubnet/2",
		"addImage/3", "addImage/4", "updateImage/2", "copyImage/3", "deleteImage/2", "addFlavor/2",
		"updateFlavor/2", "deleteFlavor/2", "getQuota/1", "getType/1",
		"setMetadata/3", "startServer/2", "stopServer/2", "serverLogs/3",
	}
	have := map[string]bool{}
	for _, m := range d.Methods() {
		k := m.Name + "/" + itoa(m.Arity)
		if have[k] {
			t.Errorf("duplicate %s", k)
		}
		have[k] = true
		if m.Handle == nil {
			t.Errorf("%s has no handler", k)
		}
	}
	for _, k := range want {
		if !have[k] {
			t.Errorf("missing %s", k)
		}
	}
	if len(have) != len(want) {
		t.Errorf("%d methods, want %d", len(have), len(want))
	}
}
