package pop

import "maps"

// clone deep-copies a container so snapshots never share maps or slices
// with the live record.
func (c Container) clone() Container {
	c.Endpoints = append([]Endpoint(nil), c.Endpoints...)
	c.Env = maps.Clone(c.Env)
	c.Metadata = maps.Clone(c.Metadata)
	c.CapAdd = append([]string(nil), c.CapAdd...)
	c.Sysctls = maps.Clone(c.Sysctls)
	if c.Endpoints == nil {
		c.Endpoints = []Endpoint{}
	}
	return c
}
