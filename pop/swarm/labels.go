package swarm

import (
	"encoding/json"

	"github.com/openbaton-docker/obdocker/pop/docker"
)

// LabelSwarmPop names the Swarm Pop that owns an overlay network or a task
// container. It is not docker.LabelPop: an engine-mode Pop of the same
// name on the manager (the driver names every Pop alike) decides its own
// containers and networks by that label alone, and would otherwise take a
// Swarm task's container for an orphan and remove it, or this Pop's
// overlays for its networks. Services keep docker.LabelPop (with this one):
// no engine-mode Pop lists services.
const LabelSwarmPop = docker.LabelSwarmPop

// Service labels: the Pop record of a container. A service is the Pop's
// when docker.LabelPop names it.
const (
	labelState    = "org.openbaton-docker.state" // created, started, stopped, failed
	labelError    = "org.openbaton-docker.error" // why a start failed
	labelImage    = "org.openbaton-docker.image" // as requested
	labelFlavour  = "org.openbaton-docker.flavour"
	labelEnv      = "org.openbaton-docker.env"      // JSON: the launcher's env
	labelMetadata = "org.openbaton-docker.metadata" // JSON: the metadata
	labelHost     = "org.openbaton-docker.host"     // JSON: pop.HostOptions as asked
)

// Values of labelState. A started service may still be between tasks
// (placed, pulling, rescheduled): the tasks say which.
const (
	recCreated = "created"
	recStarted = "started"
	recStopped = "stopped"
	recFailed  = "failed"
)

// ownLabels are a service's.
func (p *Pop) ownLabels() map[string]string {
	return map[string]string{docker.LabelPop: p.cfg.PopName, LabelSwarmPop: p.cfg.PopName, docker.LabelManaged: "true"}
}

// taskLabels are a task container's: no docker.LabelPop (see LabelSwarmPop).
func (p *Pop) taskLabels() map[string]string {
	return map[string]string{LabelSwarmPop: p.cfg.PopName}
}

// netLabels are an overlay's: no docker.LabelPop (see LabelSwarmPop).
func (p *Pop) netLabels() map[string]string {
	return map[string]string{LabelSwarmPop: p.cfg.PopName, docker.LabelManaged: "true"}
}

func (p *Pop) ours(l map[string]string) bool { return l[docker.LabelPop] == p.cfg.PopName }

func jsonLabel(v any) string {
	b, _ := json.Marshal(v) // maps of strings and plain structs: cannot fail
	return string(b)
}

func mapLabel(s string) map[string]string {
	var m map[string]string
	if s != "" {
		_ = json.Unmarshal([]byte(s), &m) // a hand-edited label reads as empty
	}
	return m
}
