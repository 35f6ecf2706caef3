package vnfm

import (
	"encoding/json"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestPlanPullsOnlyDockerVIMs: the pulls before the grant go to the
// Docker VIM instances INSTANTIATE lists for each VDU, each image once per
// VIM; an OpenStack VIM listed beside them gets no addImage (its plugin
// would upload an image).
func TestPlanPullsOnlyDockerVIMs(t *testing.T) {
	var msg Obj
	if err := json.Unmarshal([]byte(`{
	  "vnfd": {"vdu": [
	    {"id": "vdu-a", "name": "a", "vm_image": ["reg:5000/x:1", "x:1"]},
	    {"id": "vdu-b", "name": "b", "vm_image": ["reg:5000/x:1"]}]},
	  "vimInstances": {
	    "vdu-a": [{"id": "1", "name": "d1", "type": "docker"}, {"id": "2", "name": "os", "type": "openstack"}],
	    "vdu-b": [{"id": "1", "name": "d1", "type": "docker"}, {"id": "3", "name": "d2", "type": "docker.edge"}]}
	}`), &msg); err != nil {
		t.Fatal(err)
	}
	vims, jobs, needs := planPulls(msg, logrus.New())
	got := map[pullJob]bool{}
	for _, j := range jobs {
		if got[j] {
			t.Errorf("pull %v planned twice", j)
		}
		got[j] = true
	}
	want := []pullJob{{"1/d1", "reg:5000/x:1"}, {"1/d1", "x:1"}, {"3/d2", "reg:5000/x:1"}}
	if len(jobs) != len(want) {
		t.Errorf("jobs %v, want %v", jobs, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing pull %v in %v", w, jobs)
		}
	}
	if _, ok := vims["2/os"]; ok {
		t.Error("the openstack VIM is among the pull targets")
	}
	if len(needs) != 3 {
		t.Errorf("needs %v, want a@d1, b@d1, b@d2", needs)
	}
}
