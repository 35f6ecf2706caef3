package pop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
)

// recover makes the loaded records true to Docker at Open: containers that
// died while we were down get their final state, interrupted stops finish,
// interrupted starts are adopted or undone, and Docker containers of ours
// without a record are removed. It is idempotent.
func (c *Core) recover(ctx context.Context, contested []contestedAddr) error {
	docker, err := c.b.ListContainers(ctx)
	if err != nil {
		return Wrap(Class(err), err, "list containers")
	}
	c.settleContested(contested, docker)
	c.apply(ctx, plan(c.records(), docker, false))
	return nil
}

// contestedAddr is a record's address that Open found held by a Docker
// container the record does not name.
type contestedAddr struct {
	popID, name, network, ip, holder string
}

// settleContested gives a record back the addresses held by Docker
// containers labelled with it (its start was interrupted before the record
// knew the container: recovery adopts or removes that container, and the
// address must stay the record's either way). An address held by anybody
// else stays theirs: the record cannot start again on it.
func (c *Core) settleContested(contested []contestedAddr, docker []ContainerStatus) {
	for _, a := range contested {
		own := false
		for _, d := range docker {
			if d.PopID == a.popID && sameDockerID(d.DockerID, a.holder) {
				own = true
				break
			}
		}
		if own {
			c.ipam.reserve(a.network, a.ip, a.popID)
			continue
		}
		c.log.WithFields(logrus.Fields{"container": a.name, "network": a.network, "ip": a.ip, "holder": a.holder}).
			Warn("the address of a stopped container is now used by a container outside the Pop; it cannot start again on it")
	}
}

func (c *Core) records() []Container {
	es := c.reg.all()
	out := make([]Container, 0, len(es))
	for _, e := range es {
		out = append(out, *e.snap.Load())
	}
	return out
}

func (c *Core) apply(ctx context.Context, acts []action) {
	for _, a := range acts {
		log := c.log.WithFields(logrus.Fields{"id": a.popID, "docker_id": a.dockerID})
		e := c.reg.get(a.popID)
		switch a.kind {
		case actRemove:
			log.Info("removing Docker container with no live record")
			if err := c.b.RemoveContainer(ctx, a.dockerID); err != nil && !errors.Is(err, ErrNotFound) {
				log.WithError(err).Warn("remove orphan")
			} else {
				// Open reserved its address as an outside container's.
				c.ipam.releaseOwner(outsideOwner + a.dockerID)
			}
		case actDied:
			if e != nil {
				c.handleDeath(ctx, e, a.dockerID)
			}
		case actFinishStop:
			if e != nil {
				e.mu.Lock()
				c.finishStop(ctx, e, nil)
				e.mu.Unlock()
			}
		case actRestop:
			if e != nil {
				e.mu.Lock()
				if e.c.State == StateStopping && e.stopDone == nil {
					e.stopDone = make(chan struct{})
					c.wg.Add(1)
					go func() {
						defer c.wg.Done()
						c.runStop(e, c.cfg.StopTimeout)
					}()
				}
				e.mu.Unlock()
			}
		case actAdopt:
			if e != nil {
				c.adopt(ctx, e, a.dockerID)
			}
		case actForget:
			if e != nil {
				c.forget(ctx, e, a.dockerID)
			}
		}
	}
}

// forget drops the Docker ID of an ended container once Docker confirms
// the container is gone. The listing the plan came from may predate the
// container: one that started and ended since is not in it, and forgetting
// it would lose its logs.
func (c *Core) forget(ctx context.Context, e *entry, dockerID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.deleted || e.c.DockerID != dockerID {
		return
	}
	log := c.log.WithFields(logrus.Fields{"id": e.c.ID, "docker_id": dockerID})
	if _, err := c.b.InspectContainer(ctx, dockerID); !errors.Is(err, ErrNotFound) {
		if err != nil {
			log.WithError(err).Debug("inspect ended container; the next resync retries")
		}
		return
	}
	e.c.DockerID = ""
	if err := c.persist(e); err != nil {
		log.WithError(err).Warn("record")
	}
}

// adopt records a running Docker container of a CREATED entry.
// A container that has ended since is adopted too and then recorded as
// ended: the start was answered (RUNNING), and its run, exit code and logs
// are the truth to report.
func (c *Core) adopt(ctx context.Context, e *entry, dockerID string) {
	e.mu.Lock()
	if e.deleted || e.c.State != StateCreated {
		e.mu.Unlock()
		return
	}
	st, err := c.b.InspectContainer(ctx, dockerID)
	if err != nil {
		e.mu.Unlock()
		return
	}
	e.c.DockerID = dockerID
	e.c.State = StateRunning
	e.c.Started = st.StartedAt
	c.applyInspect(e, st)
	if err := c.persist(e); err != nil {
		c.log.WithError(err).Warn("record adopted container")
	}
	c.log.WithField("container", e.c.Name).Info("adopted a container whose start was interrupted")
	e.mu.Unlock()
	if !alive(st) {
		c.handleDeath(ctx, e, dockerID)
	}
}

// handleDeath records the final state of a RUNNING container whose Docker
// container stopped or vanished without us asking.
func (c *Core) handleDeath(ctx context.Context, e *entry, dockerID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.deleted || e.c.State != StateRunning || e.c.DockerID != dockerID {
		return
	}
	st, err := c.b.InspectContainer(ctx, dockerID)
	switch {
	case errors.Is(err, ErrNotFound):
		e.c.State = StateFailed
		e.c.ExtendedStatus = "Docker container vanished (removed outside the Pop)"
		e.c.DockerID = ""
		e.c.Finished = time.Now().UTC()
	case err != nil:
		c.log.WithError(err).Debug("inspect dead container; the next resync retries")
		return
	case alive(st):
		return
	default:
		e.c.ExitCode = st.ExitCode
		e.c.Finished = st.Finished
		if e.c.Finished.IsZero() {
			e.c.Finished = time.Now().UTC()
		}
		switch {
		case st.OOMKilled:
			e.c.State = StateFailed
			e.c.ExtendedStatus = fmt.Sprintf("killed: out of memory (exit code %d)", st.ExitCode)
		case st.Error != "":
			e.c.State = StateFailed
			e.c.ExtendedStatus = "docker: " + st.Error
		case st.ExitCode != 0:
			e.c.State = StateFailed
			e.c.ExtendedStatus = fmt.Sprintf("exited with code %d", st.ExitCode)
		default:
			e.c.State = StateExited
			e.c.ExtendedStatus = "exited with code 0"
		}
	}
	if err := c.persist(e); err != nil {
		c.log.WithError(err).Warn("record death")
	}
	c.log.WithFields(logrus.Fields{"container": e.c.Name, "state": e.c.State, "status": e.c.ExtendedStatus}).Info("container ended on its own")
}
