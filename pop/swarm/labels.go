package swarm

import (
	"encoding/json"

	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Service labels: the Pop record of a container. Ownership is decided by
// docker.LabelPop, as on one engine.
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

func (p *Pop) ownLabels() map[string]string {
	return map[string]string{docker.LabelPop: p.cfg.PopName, docker.LabelManaged: "true"}
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
