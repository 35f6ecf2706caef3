package pop

import (
	"maps"
	"slices"
)

// clone deep-copies a container so snapshots never share maps or slices
// with the live record.
func (c Container) clone() Container {
	c.Endpoints = append([]Endpoint(nil), c.Endpoints...)
	for i := range c.Endpoints {
		c.Endpoints[i].Aliases = slices.Clone(c.Endpoints[i].Aliases)
	}
	c.Env = maps.Clone(c.Env)
	c.Metadata = maps.Clone(c.Metadata)
	c.CapAdd = append([]string(nil), c.CapAdd...)
	c.Sysctls = maps.Clone(c.Sysctls)
	c.HostOptions = c.HostOptions.Clone()
	if c.Endpoints == nil {
		c.Endpoints = []Endpoint{}
	}
	return c
}

// Clone deep-copies h.
func (h HostOptions) Clone() HostOptions {
	h.Cmd = slices.Clone(h.Cmd)
	h.DNS = slices.Clone(h.DNS)
	h.Ports = slices.Clone(h.Ports)
	h.Expose = slices.Clone(h.Expose)
	h.Mounts = slices.Clone(h.Mounts)
	return h
}
