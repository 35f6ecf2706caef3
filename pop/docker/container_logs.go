package docker

import (
	"bytes"
	"context"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/pop"
)

// ContainerLogs returns stdout and stderr, interleaved as Docker recorded
// them, limited to the last tail lines (all when tail <= 0). Containers are
// never created with a TTY, so the stream is always multiplexed.
func (b *Backend) ContainerLogs(ctx context.Context, dockerID string, tail int) (string, error) {
	if dockerID == "" {
		return "", pop.Errorf(pop.ErrInvalidArgument, "container logs: empty ID")
	}
	t := "all"
	if tail > 0 {
		t = strconv.Itoa(tail)
	}
	rc, err := b.cli.ContainerLogs(ctx, dockerID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: t})
	if err != nil {
		if isNotFound(err) {
			return "", pop.Wrap(pop.ErrNotFound, err, "container %s not found", dockerID)
		}
		return "", wrap(err, "logs of container %s", dockerID)
	}
	defer rc.Close()
	var buf bytes.Buffer
	// One buffer for both streams: StdCopy writes frames in order, one at a time.
	if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
		return "", wrap(err, "read logs of container %s", dockerID)
	}
	return buf.String(), nil
}
