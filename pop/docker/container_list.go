package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/openbaton-docker/obdocker/pop"
)

// ListContainers lists this Pop's containers in any state (engine-side
// label filter). The list API gives no times, OOM flag or error text: those
// stay zero, and callers that need them inspect. ExitCode is read from the
// "Exited (N) …" status text, Docker's only place for it in a list.
func (b *Backend) ListContainers(ctx context.Context) ([]pop.ContainerStatus, error) {
	list, err := b.cli.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(b.popFilter()),
	})
	if err != nil {
		return nil, wrap(err, "list containers of pop %s", b.popName)
	}
	out := make([]pop.ContainerStatus, 0, len(list))
	for _, c := range list {
		if !b.ours(c.Labels) { // the engine filtered already; be sure
			continue
		}
		st := pop.ContainerStatus{
			DockerID: c.ID,
			PopID:    c.Labels[LabelID],
			ImageID:  c.ImageID,
			Status:   string(c.State),
			Running:  c.State == container.StateRunning,
			ExitCode: exitCodeFromStatus(c.Status),
		}
		if len(c.Names) > 0 {
			st.Name = strings.TrimPrefix(c.Names[0], "/")
		}
		if c.NetworkSettings != nil {
			st.Networks = endpoints(c.NetworkSettings.Networks)
		}
		out = append(out, st)
	}
	nets := make([]map[string]pop.EndpointStatus, 0, len(out))
	for _, st := range out {
		nets = append(nets, st.Networks)
	}
	b.resolveNetworkIDs(ctx, nets...)
	return out, nil
}

// exitCodeFromStatus reads N from "Exited (N) 3 seconds ago"; 0 otherwise.
func exitCodeFromStatus(status string) int {
	var code int
	if _, err := fmt.Sscanf(status, "Exited (%d)", &code); err != nil {
		return 0
	}
	return code
}
