package vim

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// TestEndpointModeSwarm: the VIM metadata key obdocker.mode=swarm is part
// of the Pop's key (a Swarm Pop and an engine Pop over one manager are
// two), unknown modes and docker-popd endpoints are refused by name.
func TestEndpointModeSwarm(t *testing.T) {
	eng, err := EndpointOf(&VimInstance{AuthURL: "unix:///var/run/docker.sock"}, "")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := EndpointOf(&VimInstance{AuthURL: "unix:///var/run/docker.sock", BaseEntity: BaseEntity{Metadata: map[string]string{MetadataMode: "Swarm"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if sw.Mode != ModeSwarm || eng.Mode != "" {
		t.Fatalf("modes: swarm %q, engine %q", sw.Mode, eng.Mode)
	}
	if sw.poolKey() == eng.poolKey() {
		t.Fatalf("one pool key for both modes: %q", sw.poolKey())
	}
	explicit, _ := EndpointOf(&VimInstance{AuthURL: "unix:///var/run/docker.sock", BaseEntity: BaseEntity{Metadata: map[string]string{MetadataMode: "engine"}}}, "")
	if explicit.poolKey() != eng.poolKey() {
		t.Fatalf("mode engine keyed apart from no mode: %q vs %q", explicit.poolKey(), eng.poolKey())
	}
	_, err = EndpointOf(&VimInstance{AuthURL: "unix:///var/run/docker.sock", BaseEntity: BaseEntity{Metadata: map[string]string{MetadataMode: "kubernetes"}}}, "")
	if !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), MetadataMode) {
		t.Fatalf("unknown mode: %v", err)
	}
	_, err = EndpointOf(&VimInstance{AuthURL: "pop://h:60000", DockerKey: "u:p", BaseEntity: BaseEntity{Metadata: map[string]string{MetadataMode: "swarm"}}}, "")
	if !errors.Is(err, pop.ErrInvalidArgument) {
		t.Fatalf("swarm over docker-popd: %v", err)
	}
}
