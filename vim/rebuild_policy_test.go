package vim

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// TestRebuildChecksTodaysPolicy: rebuildServer makes a container again
// only when its recorded host options meet the allowlists of now. One
// made under an older, wider policy (a writable mount under a prefix that
// is read-only now, a capability no longer allowed) is refused, and the
// old container stays. (Before: rebuilt as recorded.)
func TestRebuildChecksTodaysPolicy(t *testing.T) {
	d, fp := newTestDriver(t, Config{AllowedBindPrefixes: []string{"/srv/vnf"}})
	ctx := t.Context()
	old, err := fp.Create(ctx, pop.ContainerConfig{Name: "legacy", Image: busyboxID, CapAdd: []string{"SYS_ADMIN"},
		HostOptions: pop.HostOptions{Mounts: []pop.BindMount{{Source: "/srv/vnf/data", Target: "/data"}}}})
	if err != nil {
		t.Fatal(err)
	}
	err = callErr(t, d, "rebuildServer", old.ID, busyboxID)
	if !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), "not allowed any more") ||
		!strings.Contains(err.Error(), "/srv/vnf/data") {
		t.Fatalf("rebuild of a container outside today's policy: %v", err)
	}
	cs, err := fp.Containers(ctx, pop.ByID(old.ID))
	if err != nil || len(cs) != 1 {
		t.Fatalf("the old container is gone after a refused rebuild: %v %v", cs, err)
	}

	// Within the policy (read-only mount, no capability), the rebuild runs.
	ok, err := fp.Create(ctx, pop.ContainerConfig{Name: "fine", Image: busyboxID,
		HostOptions: pop.HostOptions{Mounts: []pop.BindMount{{Source: "/srv/vnf/data", Target: "/data", ReadOnly: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	mustCall(t, d, "rebuildServer", ok.ID, busyboxID)
}
