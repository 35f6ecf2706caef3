package vim

import (
	"testing"
)

// TestServerAnswersShareOneImageList: repeated listServer calls do not list
// the engine's images each time; addImage makes the next answer fresh.
func TestServerAnswersShareOneImageList(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	if _, err := launch10(t, d, "cached", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, ""); err != nil {
		t.Fatal(err)
	}
	fp.mu.Lock()
	before := fp.imageLists
	fp.mu.Unlock()
	for range 5 {
		mustCall(t, d, "listServer")
	}
	fp.mu.Lock()
	got := fp.imageLists - before
	fp.mu.Unlock()
	if got > 1 {
		t.Fatalf("5 listServer calls listed the images %d times", got)
	}
	mustCall(t, d, "addImage", map[string]any{"name": "mongo"}, "mongo:latest")
	mustCall(t, d, "listServer")
	fp.mu.Lock()
	after := fp.imageLists - before - got
	fp.mu.Unlock()
	if after != 1 {
		t.Fatalf("after addImage the list was fetched %d times, want 1", after)
	}
}
