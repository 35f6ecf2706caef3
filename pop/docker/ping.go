package docker

import (
	"context"

	"github.com/openbaton-docker/obdocker/pop"
)

// Ping reports the engine's version, its API version and whether it is a
// Swarm manager (overlay networks need one), and the host's CPUs and memory.
func (b *Backend) Ping(ctx context.Context) (pop.EngineInfo, error) {
	v, err := b.cli.ServerVersion(ctx)
	if err != nil {
		return pop.EngineInfo{}, wrap(err, "docker engine at %s", b.host)
	}
	info, err := b.cli.Info(ctx)
	if err != nil {
		return pop.EngineInfo{}, wrap(err, "docker engine info at %s", b.host)
	}
	return pop.EngineInfo{
		Version:      v.Version,
		APIVersion:   v.APIVersion,
		SwarmManager: info.Swarm.ControlAvailable,
		NCPU:         info.NCPU,
		MemTotalB:    info.MemTotal,
	}, nil
}
