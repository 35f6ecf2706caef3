package docker

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/openbaton-docker/obdocker/pop"
)

// StopContainer sends SIGTERM, then SIGKILL after timeout (rounded up to
// whole seconds, the API's unit; 0 kills at once). Stopping a container
// that is not running succeeds.
func (b *Backend) StopContainer(ctx context.Context, dockerID string, timeout time.Duration) error {
	if dockerID == "" {
		return pop.Errorf(pop.ErrInvalidArgument, "stop container: empty ID")
	}
	secs := stopSeconds(timeout)
	err := b.cli.ContainerStop(ctx, dockerID, container.StopOptions{Timeout: &secs})
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return pop.Wrap(pop.ErrNotFound, err, "container %s not found", dockerID)
	}
	return wrap(err, "stop container %s", dockerID)
}

// stopSeconds rounds up so a caller never gets less grace than asked for;
// a negative timeout (Docker: wait forever) is not offered.
func stopSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
