package pop

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
)

// Create validates cfg, reserves the name and the IPs, and records the
// container in CREATED. Nothing happens on Docker.
func (c *Core) Create(ctx context.Context, cfg ContainerConfig) (Container, error) {
	if err := validateName("container", cfg.Name); err != nil {
		return Container{}, err
	}
	if err := validateImageRef(cfg.Image); err != nil {
		return Container{}, err
	}
	if err := validateEnv("metadata", cfg.Metadata); err != nil {
		return Container{}, err
	}
	if err := validateEnv("env", cfg.Env); err != nil {
		return Container{}, err
	}
	if err := validateHostOptions(cfg); err != nil {
		return Container{}, err
	}
	if len(cfg.Constraints)+len(cfg.PlacementPrefs) > 0 {
		// Refused, not ignored: a VNF whose placement matters must not land anywhere.
		return Container{}, Errorf(ErrInvalidArgument, "container %q: placement constraints and preferences are for Docker Swarm; this Docker VIM is one engine, where every container runs: remove them, or register the Swarm manager as a VIM with metadata obdocker.mode=swarm", cfg.Name)
	}
	if cfg.Flavour != "" {
		if _, err := c.findFlavour(cfg.Flavour); err != nil {
			return Container{}, err
		}
	}
	// Refused now rather than at Start, when the record and its addresses
	// would already be taken (and published to the NFVO).
	if err := c.b.CheckImage(ctx, cfg.Image); err != nil {
		return Container{}, fmt.Errorf("create %q: %w", cfg.Name, err)
	}
	eps := cfg.Endpoints
	if len(eps) == 0 {
		eps = []EndpointConfig{{Network: c.cfg.DefaultNetwork}}
	}
	seen := map[string]bool{}
	for _, ep := range eps {
		n, ok := c.ipam.lookup(ep.Network)
		if !ok {
			return Container{}, Errorf(ErrNotFound, "network %q not found", ep.Network)
		}
		if seen[n.Name] {
			return Container{}, Errorf(ErrInvalidArgument, "network %q is given twice", n.Name)
		}
		seen[n.Name] = true
	}

	ct := Container{
		ID:          uuid.NewString(),
		Name:        cfg.Name,
		Image:       cfg.Image,
		Flavour:     cfg.Flavour,
		State:       StateCreated,
		Created:     time.Now().UTC(),
		Endpoints:   []Endpoint{},
		Env:         maps.Clone(cfg.Env),
		Metadata:    maps.Clone(cfg.Metadata),
		CapAdd:      append([]string(nil), cfg.CapAdd...),
		Sysctls:     maps.Clone(cfg.Sysctls),
		HostOptions: cfg.HostOptions.Clone(),
	}
	e := newEntry(ct)
	// Locked before it is findable: a Delete of the name arriving now waits
	// for the record instead of removing a half-made entry that this
	// Create would then write to the store.
	e.mu.Lock()
	defer e.mu.Unlock()
	// The name is reserved first so two creates of one name never both
	// allocate IPs.
	if err := c.reg.insert(e); err != nil {
		return Container{}, err
	}
	undo := func() {
		c.ipam.release(ct.ID, e.c.Endpoints)
		c.reg.remove(ct.ID, ct.Name)
		e.deleted = true
	}
	for _, ep := range eps {
		got, err := c.ipam.allocate(ep.Network, ep.IPv4, ct.ID, ct.Name)
		if err != nil && ep.IPv4 != "" && errors.Is(err, ErrAlreadyExists) && c.releaseGoneOutside(ctx, ct.ID, ep.Network, ep.IPv4) {
			got, err = c.ipam.allocate(ep.Network, ep.IPv4, ct.ID, ct.Name)
		}
		if err != nil {
			undo()
			return Container{}, fmt.Errorf("create %q: %w", cfg.Name, err)
		}
		got.Aliases = append([]string(nil), ep.Aliases...)
		e.c.Endpoints = append(e.c.Endpoints, got)
	}
	if err := c.persist(e); err != nil {
		undo()
		return Container{}, err
	}
	c.log.WithFields(logrus.Fields{"container": ct.Name, "id": ct.ID}).Debug("created")
	return e.c.clone(), nil
}

// lockEntry finds and locks the container selected by f.
func (c *Core) lockEntry(f Filter) (*entry, error) {
	e, err := c.reg.find(f)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.deleted {
		e.mu.Unlock()
		return nil, Errorf(ErrNotFound, "container %s not found (deleted)", f)
	}
	return e, nil
}

func stateError(op string, ct Container, allowed string) error {
	return Errorf(ErrInvalidState, "cannot %s container %q: it is %s (allowed only when %s)", op, ct.Name, ct.State, allowed)
}

// Metadata merges md into a CREATED container's metadata; an empty value
// deletes the key.
func (c *Core) Metadata(ctx context.Context, f Filter, md map[string]string) (Container, error) {
	if err := validateEnv("metadata", md); err != nil {
		return Container{}, err
	}
	e, err := c.lockEntry(f)
	if err != nil {
		return Container{}, err
	}
	defer e.mu.Unlock()
	if e.c.State != StateCreated {
		return Container{}, stateError("change metadata of", e.c, "CREATED")
	}
	old := e.c.Metadata
	next := maps.Clone(old)
	if next == nil {
		next = map[string]string{}
	}
	for k, v := range md {
		if v == "" {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	e.c.Metadata = next
	if err := c.persist(e); err != nil {
		e.c.Metadata = old
		e.publish()
		return Container{}, err
	}
	return e.c.clone(), nil
}

// Start creates and starts the Docker container of a CREATED container, or
// of an EXITED/FAILED one as a restart with the same IPs.
func (c *Core) Start(ctx context.Context, f Filter) (Container, error) {
	e, err := c.lockEntry(f)
	if err != nil {
		return Container{}, err
	}
	defer e.mu.Unlock()
	switch e.c.State {
	case StateCreated, StateExited, StateFailed:
	default:
		return Container{}, stateError("start", e.c, "CREATED, EXITED or FAILED")
	}
	fromCreated := e.c.State == StateCreated
	log := c.log.WithFields(logrus.Fields{"container": e.c.Name, "id": e.c.ID})

	// A restart replaces the Docker container kept after the last run.
	if e.c.DockerID != "" {
		if err := c.b.RemoveContainer(ctx, e.c.DockerID); err != nil && !errors.Is(err, ErrNotFound) {
			return Container{}, fmt.Errorf("start %q: previous Docker container: %w", e.c.Name, err)
		}
		e.c.DockerID = ""
	}
	spec, err := c.containerSpec(e.c)
	if err != nil {
		return Container{}, c.fail(e, err)
	}
	id, err := c.b.CreateContainer(ctx, spec)
	if errors.Is(err, ErrAlreadyExists) {
		id, err = c.retryAfterConflict(ctx, spec, err)
	}
	if err != nil {
		return Container{}, c.fail(e, fmt.Errorf("start %q: %w", e.c.Name, err))
	}
	cleanup := func() {
		// The caller may have gone; the half-started container must not stay.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := c.b.RemoveContainer(rctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			log.WithError(err).Warn("remove after failed start")
		}
	}
	if err := c.b.StartContainer(ctx, id); err != nil {
		cleanup()
		return Container{}, c.fail(e, fmt.Errorf("start %q: %w", e.c.Name, err))
	}
	e.c.DockerID = id
	e.c.State = StateRunning
	e.c.ExtendedStatus = ""
	e.c.ExitCode = 0
	e.c.Finished = time.Time{}
	e.c.Started = time.Now().UTC()
	if st, err := c.b.InspectContainer(ctx, id); err == nil {
		c.applyInspect(e, st)
	} else {
		log.WithError(err).Debug("inspect after start")
	}
	if fromCreated {
		// Not waited for: should the process die before it lands, recovery
		// finds the running Docker container by its label and adopts it into
		// the CREATED record (reconcile: actAdopt), which is this state.
		c.persistLater(e)
	} else if err := c.persist(e); err != nil {
		// A restart: its EXITED or FAILED record would not adopt the new
		// Docker container, and a start we cannot record would be lost at the
		// next restart: undo it.
		cleanup()
		e.c.DockerID = ""
		return Container{}, c.fail(e, err)
	}
	log.WithField("docker_id", id).Debug("started")
	return e.c.clone(), nil
}

// retryAfterConflict handles a name conflict at Docker create: a leftover
// of our own container (a crash between create and record) is removed and
// the create retried once; anybody else's is a clear error.
func (c *Core) retryAfterConflict(ctx context.Context, spec ContainerSpec, cause error) (string, error) {
	st, err := c.b.InspectContainer(ctx, spec.Name)
	if err != nil {
		return "", cause
	}
	if st.PopID != spec.PopID {
		return "", Errorf(ErrAlreadyExists, "a Docker container named %q already exists and is not this container's (remove it or choose another name)", spec.Name)
	}
	if err := c.b.RemoveContainer(ctx, st.DockerID); err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	return c.b.CreateContainer(ctx, spec)
}

// fail records a failed start. Caller holds e.mu.
func (c *Core) fail(e *entry, cause error) error {
	e.c.State = StateFailed
	e.c.ExtendedStatus = cause.Error()
	e.c.Finished = time.Now().UTC()
	if err := c.persist(e); err != nil {
		c.log.WithError(err).Warn("record failed start")
	}
	return cause
}

// containerSpec turns a record into what Docker is asked to create.
func (c *Core) containerSpec(ct Container) (ContainerSpec, error) {
	env := maps.Clone(ct.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, ct.Metadata) // metadata wins over launcher env
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	spec := ContainerSpec{PopID: ct.ID, Name: ct.Name, Image: ct.Image, CapAdd: ct.CapAdd, Sysctls: ct.Sysctls,
		HostOptions: ct.HostOptions.Clone()}
	for _, k := range keys {
		spec.Env = append(spec.Env, k+"="+env[k])
	}
	if ct.Flavour != "" {
		fl, err := c.findFlavour(ct.Flavour)
		if err != nil {
			return spec, err
		}
		spec.NanoCPUs = int64(fl.CPUs * 1e9)
		spec.MemoryB = fl.MemoryMB << 20
	}
	for _, ep := range ct.Endpoints {
		n, ok := c.ipam.lookup(ep.NetName)
		if !ok {
			return spec, Errorf(ErrNotFound, "network %q of container %q no longer exists", ep.NetName, ct.Name)
		}
		spec.Endpoints = append(spec.Endpoints, EndpointSpec{NetworkID: n.ID, IPv4: ep.IPv4, Aliases: ep.Aliases})
	}
	return spec, nil
}

// applyInspect copies Docker's view of the endpoints into the record and
// reserves addresses Docker chose (overlay networks). Caller holds e.mu.
func (c *Core) applyInspect(e *entry, st ContainerStatus) {
	if st.ImageID != "" {
		e.c.ImageID = st.ImageID
	}
	for i, ep := range e.c.Endpoints {
		n, ok := c.ipam.lookup(ep.NetName)
		if !ok {
			continue
		}
		ds, ok := st.Networks[n.ID]
		if !ok {
			continue
		}
		e.c.Endpoints[i].NetID = n.ID
		e.c.Endpoints[i].MAC = ds.MAC
		e.c.Endpoints[i].EndpointID = ds.EndpointID
		if ep.IPv4 == "" && ds.IPv4 != "" {
			e.c.Endpoints[i].IPv4 = ds.IPv4
			c.ipam.reserve(ep.NetName, ds.IPv4, e.c.ID)
		}
	}
}

// stopTimeout is the caller's deadline, else the configured default.
func (c *Core) stopTimeout(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d > 0 {
			return d
		}
		return 0
	}
	return c.cfg.StopTimeout
}

const (
	// deleteReserve is the part of a Delete's deadline kept for the removal
	// and the store once the stop's grace period is over.
	deleteReserve = 500 * time.Millisecond
	// removeTimeout bounds a removal that runs on its own context.
	removeTimeout = 10 * time.Second
)

// deleteGrace is the stop's grace period within a Delete: the caller's
// deadline less deleteReserve, in whole seconds (Docker's stop API counts
// seconds and the backend rounds up, which would eat the reserve); the
// configured default without a deadline.
func (c *Core) deleteGrace(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return c.cfg.StopTimeout
	}
	return max(time.Until(dl)-deleteReserve, 0).Truncate(time.Second)
}

// Stop moves a RUNNING container to STOPPING and stops it in the background.
func (c *Core) Stop(ctx context.Context, f Filter) (Container, error) {
	e, err := c.lockEntry(f)
	if err != nil {
		return Container{}, err
	}
	defer e.mu.Unlock()
	if e.c.State != StateRunning {
		return Container{}, stateError("stop", e.c, "RUNNING")
	}
	timeout := c.stopTimeout(ctx)
	if err := c.beginStop(e); err != nil {
		return Container{}, err
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.runStop(e, timeout)
	}()
	return e.c.clone(), nil
}

// beginStop records STOPPING. Caller holds e.mu.
func (c *Core) beginStop(e *entry) error {
	prev := e.c.State
	e.c.State = StateStopping
	e.c.ExtendedStatus = ""
	if err := c.persist(e); err != nil {
		e.c.State = prev
		e.publish()
		return err
	}
	e.stopDone = make(chan struct{})
	return nil
}

// runStop stops the Docker container of a STOPPING entry and records the
// outcome. It takes e.mu itself once Docker has answered.
func (c *Core) runStop(e *entry, timeout time.Duration) {
	e.mu.Lock()
	dockerID := e.c.DockerID
	e.mu.Unlock()
	// Not the caller's ctx: the call has returned. Bounded by the timeout.
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	stopErr := c.b.StopContainer(ctx, dockerID, timeout)
	e.mu.Lock()
	defer e.mu.Unlock()
	c.finishStop(ctx, e, stopErr)
}

// finishStop records EXITED (or FAILED when the stop failed), removes the
// Docker container unless KeepStopped, and wakes waiters. Caller holds e.mu.
func (c *Core) finishStop(ctx context.Context, e *entry, stopErr error) {
	defer func() {
		if e.stopDone != nil {
			close(e.stopDone)
			e.stopDone = nil
		}
	}()
	if e.deleted || e.c.State != StateStopping {
		return
	}
	log := c.log.WithFields(logrus.Fields{"container": e.c.Name, "id": e.c.ID})
	e.c.Finished = time.Now().UTC()
	if stopErr != nil && !errors.Is(stopErr, ErrNotFound) {
		e.c.State = StateFailed
		e.c.ExtendedStatus = "stop failed: " + stopErr.Error()
	} else {
		e.c.State = StateExited
		if st, err := c.b.InspectContainer(ctx, e.c.DockerID); err == nil {
			e.c.ExitCode = st.ExitCode
			e.c.ExtendedStatus = fmt.Sprintf("stopped (exit code %d)", st.ExitCode)
		} else {
			e.c.ExtendedStatus = "stopped"
		}
	}
	if !c.cfg.KeepStopped && e.c.DockerID != "" {
		if err := c.b.RemoveContainer(ctx, e.c.DockerID); err == nil || errors.Is(err, ErrNotFound) {
			e.c.DockerID = ""
		} else {
			log.WithError(err).Warn("remove stopped container")
		}
	}
	// Not waited for: should the process die first, recovery finds the
	// STOPPING record's Docker container ended or gone and finishes the stop
	// again (reconcile: actFinishStop).
	c.persistLater(e)
	log.WithField("state", e.c.State).Debug("stopped")
}

// Delete removes a container from any state; a running one is stopped
// first, a stopping one is waited for. Its IPs return to their networks.
func (c *Core) Delete(ctx context.Context, f Filter) error {
	for {
		e, err := c.lockEntry(f)
		if err != nil {
			return err
		}
		if e.c.State == StateStopping && e.stopDone != nil {
			done := e.stopDone
			e.mu.Unlock()
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return fmt.Errorf("delete %s: waiting for the stop: %w", f, ctx.Err())
			}
		}
		err = c.deleteLocked(ctx, e)
		e.mu.Unlock()
		return err
	}
}

func (c *Core) deleteLocked(ctx context.Context, e *entry) error {
	log := c.log.WithFields(logrus.Fields{"container": e.c.Name, "id": e.c.ID})
	// The record's deletion goes to disk while Docker stops and removes the
	// container: a crash in between leaves a labelled Docker container
	// without a record, which recovery removes (reconcile: actRemove), or
	// the record of a container that stopped, which the NFVO's retried
	// delete removes. Nothing in between is written: the record is going.
	gone := c.w.del(e.c.ID)
	select {
	case <-gone.done:
		if gone.err != nil {
			// The store takes no writes (closing, or a disk error): the
			// container stays as it is rather than vanish with its record.
			return fmt.Errorf("delete %q: %w", e.c.Name, gone.err)
		}
	default:
	}
	if e.c.State == StateRunning || e.c.State == StateStopping {
		timeout := c.deleteGrace(ctx)
		e.c.State = StateStopping
		e.c.ExtendedStatus = ""
		e.publish()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout+30*time.Second)
		err := c.b.StopContainer(sctx, e.c.DockerID, timeout)
		cancel()
		if err != nil && !errors.Is(err, ErrNotFound) {
			// The forced removal below kills it anyway.
			log.WithError(err).Debug("stop before delete")
		}
	}
	if e.c.DockerID != "" {
		// Its own context: the stop may have used up the caller's deadline,
		// and a removal cut short would leave the container behind.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		err := c.b.RemoveContainer(rctx, e.c.DockerID)
		cancel()
		if err != nil && !errors.Is(err, ErrNotFound) {
			// The container stays, and so does its record: written again, it
			// replaces the deletion, and the caller can retry.
			e.c.State = StateFailed
			e.c.ExtendedStatus = "delete failed: " + err.Error()
			if perr := c.persist(e); perr != nil {
				log.WithError(perr).Warn("record failed delete")
			}
			return fmt.Errorf("delete %q: %w", e.c.Name, err)
		}
		e.c.DockerID = ""
	}
	if err := gone.wait(); err != nil {
		// Once more: the Docker container is already gone.
		if err = c.w.del(e.c.ID).wait(); err != nil {
			e.c.State = StateFailed
			e.c.ExtendedStatus = "Docker container removed; its record could not be deleted: " + err.Error()
			e.publish()
			return fmt.Errorf("delete %q: the Docker container is removed but its record could not be deleted (retry the delete): %w", e.c.Name, err)
		}
	}
	c.ipam.release(e.c.ID, e.c.Endpoints)
	c.reg.remove(e.c.ID, e.c.Name)
	e.deleted = true
	e.c.State = StateUnavailable
	e.publish()
	log.Debug("deleted")
	return nil
}
