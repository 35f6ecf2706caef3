package client

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// TestPlacementDroppedByServerIsRefused: a server that answers a create
// without the placement it was asked for (a docker-popd older than the
// placement fields, which drops them as unknown) gets the container
// deleted again, and the caller an error that says so: never a container
// placed as if nothing had been asked. The fake server keeps no host
// options, as such a server does. (Before: the create succeeded.)
func TestPlacementDroppedByServerIsRefused(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	ctx := t.Context()
	_, err := c.Create(ctx, pop.ContainerConfig{Name: "placed", Image: "img",
		HostOptions: pop.HostOptions{Constraints: []string{"node.labels.zone==a"}, PlacementPrefs: []string{"spread=node.labels.rack"}}})
	if !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), "node.labels.zone==a") ||
		!strings.Contains(err.Error(), "spread=node.labels.rack") || !strings.Contains(err.Error(), "upgrade docker-popd") {
		t.Fatalf("create with placement on a server that drops it: %v", err)
	}
	if _, err := h.fake.find(pop.ByName("placed")); !errors.Is(err, pop.ErrNotFound) {
		t.Fatalf("the container the server made is left: %v", err)
	}
	// Without placement nothing changes.
	if _, err := c.Create(ctx, pop.ContainerConfig{Name: "plain", Image: "img"}); err != nil {
		t.Fatal(err)
	}
}
