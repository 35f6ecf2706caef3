package vim

import (
	"strings"
	"testing"
)

// TestRelaunchDefaultNetworkAgainstOther: a launch without connection
// points asks for the default network; a container on another network is
// a different request (and the reverse).
func TestRelaunchDefaultNetworkAgainstOther(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	mustLaunch(t, d, "h1", busyboxID, []VNFDConnectionPoint{cp("host-net", "", 0)}, "")
	if _, err := launch10(t, d, "h1", busyboxID, nil, ""); err == nil || !strings.Contains(err.Error(), "default network private") {
		t.Fatalf("default-network launch answered from a container on host-net: %v", err)
	}
	mustLaunch(t, d, "h2", busyboxID, nil, "")
	if _, err := launch10(t, d, "h2", busyboxID, nil, ""); err != nil {
		t.Fatalf("the same default-network launch again: %v", err)
	}
	if _, err := launch10(t, d, "h2", busyboxID, []VNFDConnectionPoint{cp("host-net", "", 0)}, ""); err == nil {
		t.Fatal("host-net launch answered from a container on the default network")
	}
}
