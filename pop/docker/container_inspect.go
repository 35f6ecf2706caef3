package docker

import (
	"context"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
)

// InspectContainer reports one container by Docker ID or name. It answers
// for any container of the engine; PopID is empty for containers that are
// not this Pop's.
func (b *Backend) InspectContainer(ctx context.Context, idOrName string) (pop.ContainerStatus, error) {
	if idOrName == "" {
		return pop.ContainerStatus{}, pop.Errorf(pop.ErrInvalidArgument, "inspect container: empty ID")
	}
	c, err := b.cli.ContainerInspect(ctx, idOrName)
	if err != nil {
		if isNotFound(err) {
			return pop.ContainerStatus{}, pop.Wrap(pop.ErrNotFound, err, "container %s not found", idOrName)
		}
		return pop.ContainerStatus{}, wrap(err, "inspect container %s", idOrName)
	}
	if c.ContainerJSONBase == nil {
		return pop.ContainerStatus{}, pop.Errorf(pop.ErrInternal, "inspect container %s: empty answer", idOrName)
	}
	st := pop.ContainerStatus{
		DockerID: c.ID,
		Name:     strings.TrimPrefix(c.Name, "/"),
		ImageID:  c.Image,
	}
	if c.Config != nil && b.ours(c.Config.Labels) {
		st.PopID = c.Config.Labels[LabelID]
	}
	if s := c.State; s != nil {
		st.Running = s.Running
		st.Status = string(s.Status)
		st.ExitCode = s.ExitCode
		st.OOMKilled = s.OOMKilled
		st.Error = s.Error
		st.StartedAt = parseDockerTime(s.StartedAt)
		st.Finished = parseDockerTime(s.FinishedAt)
	}
	if c.NetworkSettings != nil {
		st.Networks = endpoints(c.NetworkSettings.Networks)
		b.resolveNetworkIDs(ctx, st.Networks)
	}
	return st, nil
}

// resolveNetworkIDs rekeys the endpoints endpoints() could only key by
// network name (a container that never ran has no NetworkID yet). One
// NetworkList serves all of them; a network that vanished keeps its name
// as key and as NetworkID.
func (b *Backend) resolveNetworkIDs(ctx context.Context, eps ...map[string]pop.EndpointStatus) {
	var byName map[string]string
	for _, m := range eps {
		var names []string
		for key, ep := range m {
			if ep.NetworkID == "" {
				names = append(names, key)
			}
		}
		for _, name := range names {
			ep := m[name]
			if byName == nil {
				byName = b.networkIDsByName(ctx)
			}
			delete(m, name)
			ep.NetworkID = name
			if id, ok := byName[name]; ok {
				ep.NetworkID = id
			}
			m[ep.NetworkID] = ep
		}
	}
}

func (b *Backend) networkIDsByName(ctx context.Context) map[string]string {
	list, err := b.cli.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		b.log.WithError(err).Debug("cannot resolve network names")
		return map[string]string{}
	}
	byName := make(map[string]string, len(list))
	for _, n := range list {
		byName[n.Name] = n.ID
	}
	return byName
}

// endpoints keys Docker's per-network settings (keyed by network name) by
// network ID. IPv4 is the live address when attached, else the fixed
// address the container asks for (a stopped container keeps only that).
func endpoints(nets map[string]*network.EndpointSettings) map[string]pop.EndpointStatus {
	out := make(map[string]pop.EndpointStatus, len(nets))
	for name, e := range nets {
		if e == nil {
			continue
		}
		id := e.NetworkID
		if id == "" {
			// Left for resolveNetworkIDs: keyed by name, NetworkID empty.
			id = name
		}
		ip := e.IPAddress
		if ip == "" && e.IPAMConfig != nil {
			ip = e.IPAMConfig.IPv4Address
		}
		out[id] = pop.EndpointStatus{NetworkID: e.NetworkID, IPv4: ip, MAC: e.MacAddress, EndpointID: e.EndpointID}
	}
	return out
}

// parseDockerTime reads Docker's RFC 3339 times; Docker's "never" (year 1)
// and garbage become the zero time.
func parseDockerTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
