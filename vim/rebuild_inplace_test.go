package vim

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// rebuilderPop is the fake Pop with the optional in-place rebuild of a
// Swarm Pop: the image changes, the record (ID, IPs) stays.
type rebuilderPop struct {
	*fakePop
	rebuilds []string // image per call
}

func (r *rebuilderPop) Rebuild(_ context.Context, f pop.Filter, image string) (pop.Container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.findContainer(f)
	if err != nil {
		return pop.Container{}, err
	}
	r.rebuilds = append(r.rebuilds, image)
	c.Image = image
	return clone(c), nil
}

// TestRebuildInPlace: on a Pop that rebuilds in place (pop.Rebuilder),
// rebuildServer uses it instead of delete and create: same ID and IPs. The
// image and today's host policy are checked first; a stopped container is
// started after, as a rebuild by delete and create starts it. (Before: the
// container was deleted and created anew, which a Swarm Pop refuses.)
func TestRebuildInPlace(t *testing.T) {
	rp := &rebuilderPop{fakePop: newFakePop()}
	d := New(Config{Open: func(context.Context, EndpointKey) (pop.Pop, error) { return rp, nil }}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	ctx := t.Context()
	run, err := rp.Create(ctx, pop.ContainerConfig{Name: "run", Image: busyboxID})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = rp.Start(ctx, pop.ByID(run.ID)); err != nil {
		t.Fatal(err)
	}
	creates := rp.creates
	var s Server
	if err := json.Unmarshal(mustCall(t, d, "rebuildServer", run.ID, "nginx:1.25"), &s); err != nil {
		t.Fatal(err)
	}
	if s.ExtID != run.ID || s.Status != StatusActive || len(rp.rebuilds) != 1 || rp.creates != creates {
		t.Fatalf("rebuild in place: %+v, rebuilds %v, creates %d→%d", s, rp.rebuilds, creates, rp.creates)
	}
	if err := callErr(t, d, "rebuildServer", run.ID, "nope:1"); !errors.Is(err, pop.ErrNotFound) || len(rp.rebuilds) != 1 {
		t.Fatalf("unknown image: %v, rebuilds %v", err, rp.rebuilds)
	}

	// A stopped one is started after.
	if _, err := rp.Stop(ctx, pop.ByID(run.ID)); err != nil {
		t.Fatal(err)
	}
	starts := rp.starts
	if err := json.Unmarshal(mustCall(t, d, "rebuildServer", run.ID, busyboxID), &s); err != nil {
		t.Fatal(err)
	}
	if s.Status != StatusActive || rp.starts != starts+1 || len(rp.rebuilds) != 2 {
		t.Fatalf("stopped rebuilt: %s, starts %d→%d, rebuilds %v", s.Status, starts, rp.starts, rp.rebuilds)
	}

	// Today's policy first: a capability no longer allowed refuses it.
	capped, err := rp.Create(ctx, pop.ContainerConfig{Name: "capped", Image: busyboxID, CapAdd: []string{"SYS_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := callErr(t, d, "rebuildServer", capped.ID, busyboxID); !errors.Is(err, pop.ErrInvalidArgument) || len(rp.rebuilds) != 2 {
		t.Fatalf("outside today's policy: %v, rebuilds %v", err, rp.rebuilds)
	}
}
