package vim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

func TestListServer(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	if ans := mustCall(t, d, "listServer"); string(ans) != "[]" {
		t.Errorf("empty: %s", ans)
	}
	if _, err := launch10(t, d, "one", busyboxID, []VNFDConnectionPoint{cp("vl-name", privateID, 0)}, "#obdocker:flavour=m1.tiny"); err != nil {
		t.Fatal(err)
	}
	if _, err := fp.Create(t.Context(), pop.ContainerConfig{Name: "two", Image: "nginx:latest"}); err != nil {
		t.Fatal(err)
	}
	ans := mustCall(t, d, "listServer")
	golden(t, "listServer", ans)
	var ss []json.RawMessage
	if err := json.Unmarshal(ans, &ss); err != nil || len(ss) != 2 {
		t.Fatalf("%s", ans)
	}
	for _, s := range ss {
		m := checkServer(t, s)
		// listServer keys ips by network name.
		if _, ok := m["ips"].(map[string]any)["private"]; !ok {
			t.Errorf("ips %v", m["ips"])
		}
	}
	if m := decodeMap(t, ss[1]); m["status"] != StatusBuild || m["image"].(map[string]any)["name"] != "nginx:1.25" {
		t.Errorf("%s", ss[1])
	}
}

func TestStatusMapping(t *testing.T) {
	for s, want := range map[pop.State]string{
		pop.StateRunning: StatusActive, pop.StateCreated: StatusBuild, pop.StateStopping: StatusShutoff,
		pop.StateExited: StatusShutoff, pop.StateFailed: StatusError, pop.StateUnavailable: StatusError,
	} {
		if got := StatusOf(s); got != want {
			t.Errorf("%s → %s, want %s", s, got, want)
		}
	}
}

func TestServerLifecycleExtensions(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := call(t, d, "launchInstance", params(t, json.RawMessage(testVim), "vnfc", busyboxID, "", "", nil, nil, "A=from-userdata"))
	if err != nil {
		t.Fatal(err)
	}
	id := decodeMap(t, ans)["extId"].(string)

	ans = mustCall(t, d, "setMetadata", id, map[string]string{"A": "from-metadata", "B": "x"})
	golden(t, "setMetadata", ans)
	mustCall(t, d, "setMetadata", "vnfc", map[string]string{"B": ""}) // by hostname; "" deletes
	cs, _ := fp.Containers(t.Context(), pop.ByID(id))
	if !jsonEqual(t, mustJSON(t, cs[0].Metadata), []byte(`{"A":"from-metadata"}`)) || cs[0].Env["A"] != "from-userdata" {
		t.Errorf("metadata %v env %v", cs[0].Metadata, cs[0].Env)
	}
	err = callErr(t, d, "setMetadata", id, map[string]string{"not-a-name": "1"})
	if !strings.Contains(err.Error(), "not-a-name") {
		t.Errorf("%v", err)
	}

	ans = mustCall(t, d, "startServer", id)
	golden(t, "startServer", ans)
	if checkServer(t, ans)["status"] != StatusActive {
		t.Errorf("%s", ans)
	}
	err = callErr(t, d, "setMetadata", id, map[string]string{"C": "1"})
	if !errors.Is(err, pop.ErrInvalidState) {
		t.Errorf("metadata on RUNNING: %v", err)
	}

	ans = mustCall(t, d, "stopServer", id)
	golden(t, "stopServer", ans)
	if m := checkServer(t, ans); m["status"] != StatusShutoff {
		t.Errorf("%s", ans)
	}
	// EXITED → restart.
	if m := checkServer(t, mustCall(t, d, "startServer", id)); m["status"] != StatusActive {
		t.Errorf("restart: %v", m)
	}

	fp.logs["vnfc"] = "one\ntwo\nthree\n"
	if ans := mustCall(t, d, "serverLogs", id, 2); string(ans) != `"two\nthree\n"` {
		t.Errorf("logs %s", ans)
	}
	if ans := mustCall(t, d, "serverLogs", id, 0); string(ans) != `"one\ntwo\nthree\n"` {
		t.Errorf("logs %s", ans)
	}
	err = callErr(t, d, "startServer", "nobody")
	if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("%v", err)
	}
}

// TestStartServerFailureCarriesServer: startServer's failure also carries
// the partial server.
func TestStartServerFailureCarriesServer(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := call(t, d, "launchInstance", params(t, json.RawMessage(testVim), "flaky", busyboxID, "", "", nil, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	fp.startErr["flaky"] = errors.New("oci runtime error")
	err = callErr(t, d, "startServer", decodeMap(t, ans)["extId"])
	var se *plugin.ServerError
	if !errors.As(err, &se) || checkServer(t, mustJSON(t, se.Server))["status"] != StatusError {
		t.Errorf("%T %v", err, err)
	}
}

func TestDeleteServer(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	m := method(t, d, "deleteServerByIdAndWait", 2)
	if !m.Void {
		t.Error("deleteServerByIdAndWait is not Void")
	}
	ans, err := launch10(t, d, "victim", busyboxID, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	id := decodeMap(t, ans)["extId"].(string)
	if ans := mustCall(t, d, "deleteServerByIdAndWait", id); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
	if n := fp.containerNames(); len(n) != 0 {
		t.Errorf("left %v", n)
	}
	// Idempotent: unknown is fine.
	if ans := mustCall(t, d, "deleteServerByIdAndWait", id); string(ans) != "true" {
		t.Errorf("%s", ans)
	}
}

func TestRebuildServer(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := launch10(t, d, "rb", busyboxID, []VNFDConnectionPoint{cp("private", privateID, 0)}, "#obdocker:flavour=m1.tiny\nexport K=v\n")
	if err != nil {
		t.Fatal(err)
	}
	old := decodeMap(t, ans)
	id := old["extId"].(string)
	mustCallOK := func() json.RawMessage { return mustCall(t, d, "rebuildServer", id, "nginx:latest") }
	ans = mustCallOK()
	golden(t, "rebuildServer", ans)
	m := checkServer(t, ans)
	if m["status"] != StatusActive || m["hostName"] != "rb" || m["image"].(map[string]any)["name"] != "nginx:1.25" {
		t.Errorf("%s", ans)
	}
	if !jsonEqual(t, mustJSON(t, m["ips"]), mustJSON(t, old["ips"])) {
		t.Errorf("ips changed: %v → %v", old["ips"], m["ips"])
	}
	cs, _ := fp.Containers(t.Context(), pop.ByName("rb"))
	if cs[0].Env["K"] != "v" || cs[0].Flavour != "m1.tiny" || cs[0].Endpoints[0].IPv4 == "" {
		t.Errorf("%+v", cs[0])
	}
	// A bad image leaves the container alone.
	newID := m["extId"].(string)
	err = callErr(t, d, "rebuildServer", newID, "nope:1")
	if !strings.Contains(err.Error(), "nope:1") {
		t.Errorf("%v", err)
	}
	if _, err := fp.Containers(t.Context(), pop.ByID(newID)); err != nil {
		t.Errorf("container lost: %v", err)
	}
}
