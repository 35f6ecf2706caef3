package orchestrator

import (
	"encoding/json"
	"errors"
	"testing"
)

func newTestNSR(vnfds ...string) *NSR {
	n := &NSR{ID: "nsr", vnfds: map[string]obj{}, status: map[string]string{}, vnfrIDs: map[string]string{}}
	for _, v := range vnfds {
		n.vnfds[v] = obj{"name": v}
	}
	return n
}

func newTestOrch() *Orchestrator {
	return &Orchestrator{nsrs: map[string]*NSR{}, vnfrs: map[string]*vnfrEntry{}, vims: map[string]obj{}, waitc: make(chan struct{})}
}

func TestSaveChecksAndBumpsVersion(t *testing.T) {
	o := newTestOrch()
	nsr := newTestNSR("a", "b")
	o.mu.Lock()
	rec := o.addLocked(nsr, obj{"name": "a", "status": "NULL", "vdu": []any{obj{"vnfc_instance": []any{}}}, "configurations": obj{"configurationParameters": []any{obj{"confKey": "k"}}}})
	o.mu.Unlock()
	if str(rec, "id") == "" || version(rec) != 0 {
		t.Fatalf("added %v", rec)
	}
	vdu := list(rec, "vdu")[0]
	cp := list(sub(rec, "configurations"), "configurationParameters")[0]
	if str(vdu, "id") == "" || str(cp, "id") == "" || str(sub(rec, "configurations"), "id") == "" {
		t.Fatalf("nested entities without ids: %v", rec)
	}
	o.mu.Lock()
	saved, _, err := o.saveLocked(rec, "INITIALIZED", "instantiate")
	o.mu.Unlock()
	if err != nil || version(saved) != 1 || str(saved, "status") != "INITIALIZED" {
		t.Fatalf("save: %v %v", saved, err)
	}
	// The old copy is stale now.
	o.mu.Lock()
	_, _, err = o.saveLocked(rec, "ACTIVE", "start")
	o.mu.Unlock()
	if !errors.Is(err, ErrStaleVersion) {
		t.Fatalf("stale save: %v", err)
	}
	// NSR status is computed only once every VNFD has a VNFR.
	if nsr.Status != "" {
		t.Fatalf("NSR status %q before all VNFRs exist", nsr.Status)
	}
	o.mu.Lock()
	b := o.addLocked(nsr, obj{"name": "b", "status": "NULL"})
	o.noteStatusLocked(nsr, b)
	o.mu.Unlock()
	if nsr.Status != "NULL" {
		t.Fatalf("NSR status %q, want the lowest (NULL)", nsr.Status)
	}
}

func TestFillDependency(t *testing.T) {
	dep := obj{"parameters": obj{}, "vnfcParameters": obj{}}
	src := obj{"type": "server",
		"provides":       obj{"configurationParameters": []any{obj{"confKey": "ip", "value": "10.0.0.9"}}},
		"configurations": obj{"configurationParameters": []any{obj{"confKey": "port", "value": "7"}}},
		"vdu":            []any{obj{"vnfc_instance": []any{obj{"id": "i1", "hostname": "s-1", "ips": []any{obj{"netName": "private", "ip": "10.0.0.2"}}}}}},
	}
	fillDependency(dep, src, []string{"ip", "port", "private", "hostname", "missing"})
	b, _ := json.Marshal(dep)
	want := `{"parameters":{"server":{"parameters":{"hostname":"","ip":"10.0.0.9","missing":"","port":"7","private":""}}},"vnfcParameters":{"server":{"parameters":{"i1":{"parameters":{"hostname":"s-1","private":"10.0.0.2"}}}}}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}
