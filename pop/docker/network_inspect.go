package docker

import (
	"context"

	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
)

// InspectNetwork reports one network by ID or name, with the containers
// attached to it (running ones: Docker attaches endpoints at start).
func (b *Backend) InspectNetwork(ctx context.Context, idOrName string) (pop.NetworkStatus, error) {
	if idOrName == "" {
		return pop.NetworkStatus{}, pop.Errorf(pop.ErrInvalidArgument, "inspect network: empty ID")
	}
	n, err := b.cli.NetworkInspect(ctx, idOrName, network.InspectOptions{})
	if err != nil {
		if isNotFound(err) {
			return pop.NetworkStatus{}, pop.Wrap(pop.ErrNotFound, err, "network %q not found on the Docker host", idOrName)
		}
		return pop.NetworkStatus{}, wrap(err, "inspect network %q", idOrName)
	}
	return b.networkStatus(n), nil
}
