package vim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestLaunchPullsMissingImageOnce: many concurrent launches (different
// hostnames) of one image that is only in a registry pull it once on the
// engine (its pull events count them) and all end ACTIVE. A launch of an
// image the registry lacks fails naming the image and the registry's
// answer, and creates no container. Subnet: 10.207.30.0/24.
func TestLaunchPullsMissingImageOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd and registry")
	}
	raw := testenv.Docker(t)
	reg := testenv.PlainRegistry(t)
	ref := reg.Host + "/obdtest/" + testenv.Name(t) + ":v1"
	reg.Push(t, raw, testenv.BusyboxImage, strings.TrimPrefix(ref, reg.Host+"/"))
	removeAfter(t, raw, ref)
	if _, err := raw.ImageInspect(t.Context(), ref); err == nil {
		t.Fatalf("%s is on the engine before the launches", ref)
	}
	d, vim := registryDriver(t, "10.207.30.0/24", "", io.Discard)
	popName := testenv.Name(t)

	since := time.Now()
	const n = 6
	var wg sync.WaitGroup
	answers := make([]json.RawMessage, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = call(t, d, "launchInstanceAndWait", params(t, vim, fmt.Sprintf("lp%d-%s", i, popName), ref, "", "",
				[]VNFDConnectionPoint{}, []string{}, "", map[string]string{}, []Key{}))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("launch %d: %v", i, errs[i])
		}
		if m := checkServer(t, answers[i]); m["status"] != StatusActive {
			t.Errorf("launch %d answered %s, want ACTIVE", i, answers[i])
		}
	}
	if got := pullEvents(t, raw, ref, since); got != 1 {
		t.Errorf("%d concurrent launches of %s made %d pulls on the engine, want 1", n, ref, got)
	}

	before, _ := testenv.CountPopObjects(t.Context(), raw, popName)
	missing := reg.Host + "/obdtest/nothing-" + testenv.Name(t) + ":v1"
	_, err := call(t, d, "launchInstanceAndWait", params(t, vim, "lpmiss-"+popName, missing, "", "",
		[]VNFDConnectionPoint{}, []string{}, "", map[string]string{}, []Key{}))
	if err == nil {
		t.Fatalf("a launch of %s, which the registry lacks, succeeded", missing)
	}
	t.Logf("missing image: %v", err)
	if msg := err.Error(); !strings.Contains(msg, missing) || !strings.Contains(msg, "manifest unknown") && !strings.Contains(msg, "not found in registry") {
		t.Errorf("the exception names neither %s nor the registry's answer: %s", missing, msg)
	}
	if after, _ := testenv.CountPopObjects(t.Context(), raw, popName); after != before {
		t.Errorf("the failed launch left a container (%d before, %d after)", before, after)
	}
}
