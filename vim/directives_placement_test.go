package vim

import (
	"slices"
	"testing"
)

// TestDirectivesPlacement: constraint and placement-pref directives become
// the launch's placement (the Pop decides: Swarm places by them, one
// engine refuses them at Create).
func TestDirectivesPlacement(t *testing.T) {
	o, err := ParseDirectives(ParseUserdata("#obdocker:constraint=node.labels.zone==a\n#obdocker:constraint=node.role!=manager\n#obdocker:placement-pref=spread=node.labels.rack\n").Directives)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Host.Constraints, []string{"node.labels.zone==a", "node.role!=manager"}) ||
		!slices.Equal(o.Host.PlacementPrefs, []string{"spread=node.labels.rack"}) {
		t.Fatalf("placement: %q %q", o.Host.Constraints, o.Host.PlacementPrefs)
	}
	for _, bad := range []string{"#obdocker:placement-pref=binpack=x", "#obdocker:constraint=zone"} {
		if _, err := ParseDirectives(ParseUserdata(bad).Directives); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
