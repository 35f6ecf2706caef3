package docker

import (
	"context"

	"github.com/openbaton-docker/obdocker/pop"
)

// RemoveNetwork removes a network. Whether the Pop may remove it (it owns
// it, nothing is attached) is the core's decision.
func (b *Backend) RemoveNetwork(ctx context.Context, id string) error {
	if id == "" {
		return pop.Errorf(pop.ErrInvalidArgument, "remove network: empty ID")
	}
	err := b.cli.NetworkRemove(ctx, id)
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return pop.Wrap(pop.ErrNotFound, err, "network %q not found on the Docker host", id)
	case isForbidden(err), isConflict(err):
		// Docker answers 403 while endpoints are attached.
		return pop.Wrap(pop.ErrInvalidState, err, "remove network %q: containers are attached", id)
	}
	return wrap(err, "remove network %q", id)
}
