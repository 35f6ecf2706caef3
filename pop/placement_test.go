package pop

import (
	"errors"
	"strings"
	"testing"
)

// TestCreateRefusesPlacement: on one engine placement constraints and
// preferences have no meaning; Create refuses them, naming the way out.
func TestCreateRefusesPlacement(t *testing.T) {
	c := openFake(t, newFakeBackend(), Config{PopName: "unit"})
	for _, h := range []HostOptions{{Constraints: []string{"node.labels.zone==a"}}, {PlacementPrefs: []string{"spread=node.labels.rack"}}} {
		_, err := c.Create(t.Context(), ContainerConfig{Name: "placed", Image: "img", HostOptions: h})
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "Swarm") {
			t.Fatalf("%+v: %v", h, err)
		}
	}
}
