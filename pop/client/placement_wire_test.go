package client_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

// TestPlacementRefusedOverTheWire: placement constraints and preferences
// sent to a docker-popd of one engine are refused as the in-process Pop
// refuses them (naming them, and the Swarm VIM as the way out), and
// nothing is created. (Before: they did not cross the wire, and the
// container was created as if no placement had been asked.)
func TestPlacementRefusedOverTheWire(t *testing.T) {
	tg, _ := startServer(t)
	ctx := t.Context()
	for _, h := range []pop.HostOptions{
		{Constraints: []string{"node.labels.zone==a"}},
		{PlacementPrefs: []string{"spread=node.labels.rack"}},
	} {
		name := "place-" + uuid.NewString()[:8]
		c, err := tg.Pop.Create(ctx, pop.ContainerConfig{Name: name, Image: testenv.BusyboxImage, HostOptions: h})
		if err == nil {
			tg.Pop.Delete(ctx, pop.ByID(c.ID))
		}
		if !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), "placement constraints and preferences") ||
			!strings.Contains(err.Error(), "obdocker.mode=swarm") {
			t.Errorf("create with %+v over gRPC: %v, want the single engine's refusal", h, err)
		}
		if _, err := tg.Pop.Containers(ctx, pop.ByName(name)); !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("after a refused create: %v, want not found", err)
		}
	}
}
