package orchestrator

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// A stand-in restarted on its records file knows the VIM, the NSR and its
// VNFRs as they were, and goes on saving them with the version check.
func TestRecordsSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.json")
	o := newTestOrch()
	nsr := newTestNSR("server", "client")
	nsr.Name, nsr.vim = "echo", obj{"id": "vim-1", "name": "docker-vim"}
	nsr.nets, nsr.released, nsr.waiting = map[string]obj{"net": {"extId": "n1", "_created": true}}, map[string]bool{}, map[string]bool{}
	nsr.deps = map[string]*dependency{"client": {target: "client", sources: map[string][]string{"server": {"ip"}}, record: obj{"id": "dep-1"}}}
	o.mu.Lock()
	o.vims["docker-vim"] = obj{"id": "vim-1", "name": "docker-vim", "hbVersion": json.Number("3")}
	o.nsrs[nsr.ID] = nsr
	for _, name := range []string{"server", "client"} {
		rec := o.addLocked(nsr, obj{"name": name, "status": "NULL", "endpoint": "docker",
			"vdu": []any{obj{"vnfc_instance": []any{obj{"hostname": name + "-0", "vim_id": "vim-1", "vc_id": "c-" + name}}}}})
		nsr.vnfrIDs[name] = str(rec, "id")
		saved, _, err := o.saveLocked(rec, "ACTIVE", "start")
		if err != nil {
			t.Fatal(err)
		}
		if version(saved) != 1 {
			t.Fatalf("hbVersion %d", version(saved))
		}
	}
	o.mu.Unlock()
	if nsr.Status != "ACTIVE" {
		t.Fatalf("NSR %s before the restart", nsr.Status)
	}
	if err := saveState(path, o.snapshot()); err != nil {
		t.Fatal(err)
	}

	st, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestOrch()
	r.restore(st)
	if got := r.Status(nsr.ID); got != "ACTIVE" {
		t.Errorf("restored NSR status %q, want ACTIVE", got)
	}
	if v := r.vimByID("vim-1"); str(v, "name") != "docker-vim" {
		t.Errorf("restored VIM %v", v)
	}
	rec := r.VNFR(nsr.ID, "client")
	if rec == nil || version(rec) != 1 || str(rec, "endpoint") != "docker" {
		t.Fatalf("restored VNFR %v", rec)
	}
	if h := str(vnfcInstances(rec)[0], "vc_id"); h != "c-client" {
		t.Errorf("restored VNFC vc_id %q", h)
	}
	rn := r.nsrs[nsr.ID]
	if rn.deps["client"] == nil || rn.deps["client"].sources["server"][0] != "ip" || rn.nets["net"]["_created"] != true {
		t.Errorf("restored deps %v nets %v", rn.deps, rn.nets)
	}
	// The restored record goes on with its version: a release saves it.
	r.mu.Lock()
	saved, _, err := r.saveLocked(rec, "TERMINATED", "releaseresources")
	r.mu.Unlock()
	if err != nil || version(saved) != 2 {
		t.Fatalf("save of a restored VNFR: %v (hbVersion %d)", err, version(saved))
	}
	if got := r.Status(nsr.ID); got != "TERMINATED" {
		t.Errorf("NSR status after the release %q", got)
	}
	// No file yet is an empty start.
	if st, err := loadState(filepath.Join(t.TempDir(), "none.json")); err != nil || len(st.NSRs) != 0 {
		t.Errorf("missing file: %v %v", st, err)
	}
}
