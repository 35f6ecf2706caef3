package vim

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// countingPop counts the image lookups and pulls a driver makes.
type countingPop struct {
	*fakePop
	lookups, pulls atomic.Int32
	pulled         []string
}

func (c *countingPop) Images(ctx context.Context, f pop.Filter) ([]pop.Image, error) {
	if !f.All() {
		c.lookups.Add(1)
	}
	return c.fakePop.Images(ctx, f)
}

func (c *countingPop) PullImage(ctx context.Context, ref string) (pop.Image, error) {
	c.pulls.Add(1)
	c.fakePop.mu.Lock()
	c.pulled = append(c.pulled, ref)
	c.fakePop.mu.Unlock()
	return c.fakePop.PullImage(ctx, ref)
}

func newCountingDriver(t *testing.T) (*Driver, *countingPop) {
	t.Helper()
	cp := &countingPop{fakePop: newFakePop()}
	d := New(Config{Open: func(ctx context.Context, key EndpointKey) (pop.Pop, error) { return cp, nil }}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	return d, cp
}

// TestLaunchPullsMissingImage: a launch whose image is a pullable name the
// engine lacks pulls it through the Pop, then launches; a failed pull
// fails the launch naming the image and the registry's answer and creates
// nothing; an image ID the engine lacks is not pulled (no registry has
// it).
func TestLaunchPullsMissingImage(t *testing.T) {
	d, cp := newCountingDriver(t)

	ans, err := launch10(t, d, "pulled", "mongo:latest", nil, "")
	if err != nil {
		t.Fatalf("launch of an image in the registry only: %v", err)
	}
	if m := checkServer(t, ans); m["status"] != StatusActive {
		t.Fatalf("answer %s", ans)
	}
	if cp.pulls.Load() != 1 || cp.creates != 1 {
		t.Fatalf("%d pulls, %d creates; want 1, 1", cp.pulls.Load(), cp.creates)
	}
	// Now present: a second launch pulls nothing.
	if _, err := launch10(t, d, "pulled-2", "mongo:latest", nil, ""); err != nil {
		t.Fatal(err)
	}
	if cp.pulls.Load() != 1 {
		t.Errorf("a launch of a present image pulled (%d pulls)", cp.pulls.Load())
	}

	creates := cp.creates
	_, err = launch10(t, d, "nothing", "reg.example:5000/vnf/nothing:1", nil, "")
	if err == nil {
		t.Fatal("a launch of an image no registry has succeeded")
	}
	for _, want := range []string{`image "reg.example:5000/vnf/nothing:1"`, "no such image in the registry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(err.Error(), "not found") {
		t.Errorf("error %q lacks not found", err)
	}
	if cp.creates != creates {
		t.Errorf("a failed pull created a container")
	}

	pulls := cp.pulls.Load()
	for _, id := range []string{
		"sha256:ffff000000000000000000000000000000000000000000000000000000000001",
		"ffff00000000000000000000000000000000000000000000000000000000000f",
		"ffff00000001",
	} {
		if _, err := launch10(t, d, "by-id", id, nil, ""); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("launch of missing image ID %s: %v, want not found", id, err)
		}
	}
	if cp.pulls.Load() != pulls {
		t.Errorf("image IDs were pulled: %v", cp.pulled)
	}
}

// TestLaunchLooksTheImageUpOnce: a launch by tag looks its image up on
// the Pop only while resolving it (by ID, then by name), not again to
// check the image's required environment before the start.
func TestLaunchLooksTheImageUpOnce(t *testing.T) {
	d, cp := newCountingDriver(t)
	if _, err := launch10(t, d, "once", "obdocker-test/busybox:latest", nil, ""); err != nil {
		t.Fatal(err)
	}
	if n := cp.lookups.Load(); n > 2 {
		t.Errorf("one launch made %d image lookups, want at most 2 (resolve by ID, by name)", n)
	}
}
