package docker

import (
	"context"

	"github.com/docker/docker/api/types/container"

	"github.com/openbaton-docker/obdocker/pop"
)

// RemoveContainer force-removes a container with its anonymous volumes.
func (b *Backend) RemoveContainer(ctx context.Context, dockerID string) error {
	if dockerID == "" {
		return pop.Errorf(pop.ErrInvalidArgument, "remove container: empty ID")
	}
	err := b.cli.ContainerRemove(ctx, dockerID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return pop.Wrap(pop.ErrNotFound, err, "container %s not found", dockerID)
	case isConflict(err):
		// e.g. "removal already in progress": retrying later is the answer.
		return pop.Wrap(pop.ErrInvalidState, err, "remove container %s", dockerID)
	}
	return wrap(err, "remove container %s", dockerID)
}
