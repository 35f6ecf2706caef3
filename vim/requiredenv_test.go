package vim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/nfvimages"
	"github.com/openbaton-docker/obdocker/pop"
)

// TestRequiredEnvCheckedBeforeStart: an image that declares required
// variables is not started without them, at launch and at startServer,
// and the exception names every missing variable.
func TestRequiredEnvCheckedBeforeStart(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	fp.mu.Lock()
	fp.images[0].Labels = map[string]string{nfvimages.LabelRequired: "SERVER_IP SERVER_PORT", nfvimages.LabelOptional: ""}
	fp.mu.Unlock()

	_, err := launch10(t, d, "needy", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, "export SERVER_PORT=7\n")
	if err == nil || !strings.Contains(err.Error(), "SERVER_IP") || strings.Contains(err.Error(), "SERVER_PORT") {
		t.Fatalf("launch without SERVER_IP: %v", err)
	}
	if fp.starts != 0 {
		t.Fatalf("a container was started")
	}
	// Deferred: created; startServer refuses until metadata supplies it.
	ans, err := launch10(t, d, "needy2", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, "#obdocker:start=deferred\n")
	if err != nil {
		t.Fatal(err)
	}
	var srv map[string]any
	json.Unmarshal(ans, &srv)
	id := srv["extId"].(string)
	err = callErr(t, d, "startServer", id)
	if err == nil || !strings.Contains(err.Error(), "SERVER_IP") || !strings.Contains(err.Error(), "SERVER_PORT") {
		t.Fatalf("startServer without both: %v", err)
	}
	if fp.starts != 0 {
		t.Fatalf("a container was started")
	}
	mustCall(t, d, "setMetadata", id, map[string]string{"SERVER_IP": "10.0.0.1", "SERVER_PORT": "7"})
	mustCall(t, d, "startServer", id)
	cs, _ := fp.Containers(t.Context(), pop.ByID(id))
	if cs[0].State != pop.StateRunning {
		t.Fatalf("state %s", cs[0].State)
	}
}

// TestRequiredEnvNamesImageByTag: the NFVO launches by the image's ID
// (the extId refresh gave it); the missing-variable exception names the
// image by its tag, as the VNFD's author wrote it, not by sha256, at
// launch and at startServer.
func TestRequiredEnvNamesImageByTag(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	fp.mu.Lock()
	fp.images[0].Labels = map[string]string{nfvimages.LabelRequired: "SERVER_IP", nfvimages.LabelOptional: ""}
	fp.mu.Unlock()
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if !strings.Contains(err.Error(), "image obdocker-test/busybox:latest: missing required environment variable SERVER_IP") ||
			strings.Contains(err.Error(), "sha256:") {
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err := launch10(t, d, "needy", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, "")
	check("launch", err)
	ans, err := launch10(t, d, "needy2", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, "#obdocker:start=deferred\n")
	if err != nil {
		t.Fatal(err)
	}
	var srv map[string]any
	json.Unmarshal(ans, &srv)
	check("startServer", callErr(t, d, "startServer", srv["extId"].(string)))
}

// TestRequiredEnvNamesTheTagWritten: an image with several tags is named
// by the one the launch used, not by its first.
func TestRequiredEnvNamesTheTagWritten(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	fp.mu.Lock()
	i := -1
	for j, im := range fp.images {
		if len(im.Tags) > 1 {
			i = j
		}
	}
	if i < 0 {
		fp.mu.Unlock()
		t.Fatal("the fake Pop has no image with several tags")
	}
	fp.images[i].Labels = map[string]string{nfvimages.LabelRequired: "SERVER_IP"}
	tags := fp.images[i].Tags
	fp.mu.Unlock()
	last := tags[len(tags)-1]
	_, err := launch10(t, d, "ng", last, nil, "")
	if err == nil || !strings.Contains(err.Error(), "image "+last+": missing required environment variable SERVER_IP") {
		t.Fatalf("%v: want the tag %s named", err, last)
	}
}
