package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/pop"
)

// serviceLogs reads the service's logs through the manager (Swarm's
// service logs: every task's, wherever it ran).
func (p *Pop) serviceLogs(ctx context.Context, c pop.Container, tail int) (string, error) {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true}
	if tail > 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	rc, err := p.cli.ServiceLogs(ctx, c.ID, opts)
	if err != nil {
		return "", classify(err, "logs of container %q", c.Name)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		return "", classify(err, "logs of container %q", c.Name)
	}
	return out.String(), nil
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
