package docker

import (
	"github.com/docker/docker/api/types/filters"
)

// Label keys. Every container and network the backend creates carries
// them; ownership is decided by LabelPop alone.
const (
	LabelPop     = "org.openbaton-docker.pop"     // the Pop name
	LabelID      = "org.openbaton-docker.id"      // the Pop container ID (containers only)
	LabelManaged = "org.openbaton-docker.managed" // always "true"
	// LabelSwarmPop names the Swarm Pop (pop/swarm) of an overlay or a
	// task container; never this Backend's.
	LabelSwarmPop = "org.openbaton-docker.swarm-pop"
)

// containerLabels are the labels of a container of this Pop.
func (b *Backend) containerLabels(popID string) map[string]string {
	l := b.networkLabels()
	l[LabelID] = popID
	return l
}

// networkLabels are the labels of a network of this Pop.
func (b *Backend) networkLabels() map[string]string {
	return map[string]string{LabelPop: b.popName, LabelManaged: "true"}
}

// ours reports whether labels mark an object of this Pop.
func (b *Backend) ours(labels map[string]string) bool {
	return labels[LabelPop] == b.popName
}

// popFilter selects this Pop's objects on the engine side.
func (b *Backend) popFilter() filters.KeyValuePair {
	return filters.Arg("label", LabelPop+"="+b.popName)
}
