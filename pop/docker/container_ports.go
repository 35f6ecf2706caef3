package docker

import (
	"strconv"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"

	"github.com/openbaton-docker/obdocker/pop"
)

// portKey is Docker's "80/tcp".
func portKey(port int, proto string) nat.Port {
	if proto == "" {
		proto = "tcp"
	}
	return nat.Port(strconv.Itoa(port) + "/" + proto)
}

// exposedPorts declares the exposed ports and every published container
// port (Docker publishes only declared ones).
func exposedPorts(spec pop.ContainerSpec) nat.PortSet {
	if len(spec.Expose) == 0 && len(spec.Ports) == 0 {
		return nil
	}
	set := nat.PortSet{}
	for _, e := range spec.Expose {
		set[nat.Port(e)] = struct{}{}
	}
	for _, p := range spec.Ports {
		set[portKey(p.ContainerPort, p.Protocol)] = struct{}{}
	}
	return set
}

func portBindings(ps []pop.PortBinding) nat.PortMap {
	if len(ps) == 0 {
		return nil
	}
	m := nat.PortMap{}
	for _, p := range ps {
		k := portKey(p.ContainerPort, p.Protocol)
		m[k] = append(m[k], nat.PortBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)})
	}
	return m
}

func bindMounts(ms []pop.BindMount) []mount.Mount {
	var out []mount.Mount
	for _, m := range ms {
		// A missing source is an error, not a directory Docker makes on
		// the host (what the -v form would do).
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	return out
}
