package docker

import (
	"context"

	"github.com/docker/docker/api/types/container"

	"github.com/openbaton-docker/obdocker/pop"
)

// StartContainer starts a created or stopped container. Network addresses
// are allocated by Docker at this point, so a fixed IP taken meanwhile
// fails here (Docker answers 403 "Address already in use").
func (b *Backend) StartContainer(ctx context.Context, dockerID string) error {
	if dockerID == "" {
		return pop.Errorf(pop.ErrInvalidArgument, "start container: empty ID")
	}
	err := b.cli.ContainerStart(ctx, dockerID, container.StartOptions{})
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return pop.Wrap(pop.ErrNotFound, err, "container %s not found", dockerID)
	case isForbidden(err):
		return pop.Wrap(pop.ErrAlreadyExists, err, "Docker container %s: a fixed address is already in use", shortID(dockerID))
	}
	// The caller says "start" already (the core: start "name": …).
	return wrap(err, "Docker container %s", shortID(dockerID))
}
