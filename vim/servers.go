package vim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// listServer answers every container of the Pop as a Server (ips keyed by
// network name).
func (d *Driver) listServer(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("listServer: %w", err)
	}
	// An in-process Pop says when its records last changed: while they and
	// the image list have not, the last answer is the answer (a VNFM polls
	// listServer every few seconds). The generation is read before the
	// listing, so a change during it only makes the next call list again.
	gp, cacheable := t.pop.(generationer)
	var key wholeKey
	imgs := d.serverImages(ctx, t)
	if cacheable {
		key = wholeKey{gen: gp.Generation(), images: imagesIdentity(imgs)}
		if enc, ok := d.servers.whole(t.key.poolKey(), key); ok {
			return enc, nil
		}
	}
	cs, err := t.pop.Containers(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("listServer %s: %w", t.vim.Name, err)
	}
	v := d.viewWith(ctx, t, imgs)
	out := make([]Server, 0, len(cs))
	for _, c := range cs {
		out = append(out, v.server(c, nil))
	}
	enc, err := d.servers.encode(t.key.poolKey(), out)
	if err == nil && cacheable {
		d.servers.keepWhole(t.key.poolKey(), key, enc)
	}
	return enc, err
}

// generationer is a Pop that says when its container records changed
// (pop.Core; a remote Pop cannot).
type generationer interface{ Generation() uint64 }

// withContainer runs op on the container ref names: by ID (the Server's
// extId), else by name (the hostname), so a VNFM can use either.
func withContainer[T any](ref string, op func(pop.Filter) (T, error)) (T, error) {
	if ref == "" {
		var zero T
		return zero, pop.Errorf(pop.ErrInvalidArgument, "no server id given")
	}
	v, err := op(pop.ByID(ref))
	if errors.Is(err, pop.ErrNotFound) {
		if v2, err2 := op(pop.ByName(ref)); !errors.Is(err2, pop.ErrNotFound) {
			return v2, err2
		}
	}
	return v, err
}

func getContainer(ctx context.Context, pp pop.Pop, ref string) (pop.Container, error) {
	return withContainer(ref, func(f pop.Filter) (pop.Container, error) {
		cs, err := pp.Containers(ctx, f)
		if err != nil {
			return pop.Container{}, err
		}
		if len(cs) == 0 {
			return pop.Container{}, pop.Errorf(pop.ErrNotFound, "server %s not found", f)
		}
		return cs[0], nil
	})
}

// deleteServerByIDAndWait deletes the container (the Pop stops it first if
// it runs). Unknown containers are fine: deletes are idempotent. The NFVO
// does not wait for the answer; deleteNetwork waits for these calls.
func (d *Driver) deleteServerByIDAndWait(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("deleteServerByIdAndWait: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("deleteServerByIdAndWait: %w", err)
	}
	pd := d.deletes.begin(t.key.URL)
	defer pd.end()
	c, err := getContainer(ctx, t.pop, id)
	if errors.Is(err, pop.ErrNotFound) {
		t.log.WithField("server", id).Info("deleteServerByIdAndWait: already gone")
		return true, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deleteServerByIdAndWait %s: %w", id, err)
	}
	nets := make([]string, 0, len(c.Endpoints))
	for _, ep := range c.Endpoints {
		nets = append(nets, ep.NetID)
	}
	pd.resolve(nets)
	if err := t.pop.Delete(ctx, pop.ByID(c.ID)); err != nil && !errors.Is(err, pop.ErrNotFound) {
		t.log.WithField("server", c.Name).WithError(err).Warn("deleteServerByIdAndWait failed (the NFVO does not wait for this answer)")
		return nil, fmt.Errorf("deleteServerByIdAndWait %s (%s): %w", c.Name, c.ID, err)
	}
	t.log.WithField("server", c.Name).Info("server deleted")
	return true, nil
}

// setMetadata (vim, extId, {K: V}) merges metadata into a CREATED
// container; an empty value deletes a key. Metadata becomes environment at
// start and wins over userdata and image ENV.
func (d *Driver) setMetadata(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("setMetadata: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("setMetadata: %w", err)
	}
	md := map[string]string{}
	if err := p.Decode(2, "metadata", &md); err != nil {
		return nil, fmt.Errorf("setMetadata %s: %w", id, err)
	}
	for k := range md {
		if !ValidEnvName(k) {
			return nil, pop.Errorf(pop.ErrInvalidArgument, "setMetadata %s: key %q is not a valid environment variable name", id, k)
		}
	}
	c, err := withContainer(id, func(f pop.Filter) (pop.Container, error) { return t.pop.Metadata(ctx, f, md) })
	if err != nil {
		return nil, fmt.Errorf("setMetadata %s: %w", id, err)
	}
	return d.view(ctx, t).server(c, nil), nil
}

// startServer (vim, extId) starts a CREATED container, or restarts an
// EXITED one with the same IPs, and answers it RUNNING.
func (d *Driver) startServer(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("startServer: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("startServer: %w", err)
	}
	c, err := withContainer(id, func(f pop.Filter) (pop.Container, error) { return startChecked(ctx, t.pop, f) })
	if err != nil {
		return nil, d.withPartial(ctx, t, id, nil, fmt.Errorf("startServer %s: %w", id, err))
	}
	t.log.WithField("server", c.Name).Info("server started")
	return d.view(ctx, t).server(c, nil), nil
}

// stopServer (vim, extId) stops a RUNNING container; the answer is in
// STOPPING or EXITED (status SHUTOFF).
func (d *Driver) stopServer(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("stopServer: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("stopServer: %w", err)
	}
	c, err := withContainer(id, func(f pop.Filter) (pop.Container, error) { return t.pop.Stop(ctx, f) })
	if err != nil {
		return nil, fmt.Errorf("stopServer %s: %w", id, err)
	}
	t.log.WithField("server", c.Name).Info("server stopping")
	return d.view(ctx, t).server(c, nil), nil
}

// serverLogs (vim, extId, tailLines) answers the container's last log
// lines as one string (all of them when tailLines <= 0).
func (d *Driver) serverLogs(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("serverLogs: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("serverLogs: %w", err)
	}
	var tail int
	if _, err := p.DecodeOptional(2, "tailLines", &tail); err != nil {
		return nil, fmt.Errorf("serverLogs %s: %w", id, err)
	}
	logs, err := withContainer(id, func(f pop.Filter) (string, error) { return t.pop.Logs(ctx, f, tail) })
	if err != nil {
		return nil, fmt.Errorf("serverLogs %s: %w", id, err)
	}
	return logs, nil
}

// withPartial wraps err as a plugin.ServerError carrying the container's
// current Server, when it can still be read, so the NFVO can recover it.
func (d *Driver) withPartial(ctx context.Context, t *target, ref string, vlr map[string]string, err error) error {
	// The call's ctx may be what failed: look with a fresh, short one.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c, gerr := getContainer(lctx, t.pop, ref)
	if gerr != nil {
		return err
	}
	s := d.view(lctx, t).server(c, vlr)
	return &plugin.ServerError{Err: err, Server: &s}
}

// rebuildServer (vim, serverId, imageId) recreates the container from
// another image with the same name, IPs (now fixed), flavour, environment,
// metadata, capabilities and sysctls, and starts it unless it was only
// CREATED. A Pop that can change the image in place (pop.Rebuilder: a
// Swarm VIM, whose services cannot ask for their VIPs back) does that
// instead; a remote Pop (docker-popd) serves one engine and is rebuilt by
// delete and create.
func (d *Driver) rebuildServer(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("rebuildServer: %w", err)
	}
	id, err := stringParam(p, 1, "serverId")
	if err != nil {
		return nil, fmt.Errorf("rebuildServer: %w", err)
	}
	imageRef, err := stringParam(p, 2, "imageId")
	if err != nil {
		return nil, fmt.Errorf("rebuildServer %s: %w", id, err)
	}
	c, err := getContainer(ctx, t.pop, id)
	if err != nil {
		return nil, fmt.Errorf("rebuildServer %s: %w", id, err)
	}
	// Check the image before anything is deleted.
	img, err := resolveImage(ctx, t.pop, imageRef)
	if err != nil {
		return nil, fmt.Errorf("rebuildServer %s: %w", c.Name, err)
	}
	cfg := pop.ContainerConfig{
		Name:     c.Name,
		Image:    imageRef,
		Flavour:  c.Flavour,
		Env:      c.Env,
		Metadata: c.Metadata,
		CapAdd:   c.CapAdd,
		Sysctls:  c.Sysctls,
		// What the launch asked for stays: command, ports, volumes, ….
		HostOptions: c.HostOptions,
	}
	for _, ep := range c.Endpoints {
		net := ep.NetID
		if net == "" {
			net = ep.NetName
		}
		cfg.Endpoints = append(cfg.Endpoints, pop.EndpointConfig{Network: net, IPv4: ep.IPv4, Aliases: ep.Aliases})
	}
	// The recorded options meet today's allowlists or nothing happens: a
	// container made under an older, wider policy (writable mounts under a
	// prefix that is read-only now, a capability since removed) must not
	// be made again by a rebuild.
	policy, err := pop.NewHostPolicy(d.cfg.AllowedBindPrefixes, d.cfg.AllowedPublishPorts, d.cfg.AllowedCaps, d.cfg.AllowedSysctls, policySettings)
	if err == nil {
		err = policy.Check(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("rebuildServer %s: its recorded options are not allowed any more (launch it anew): %w", c.Name, err)
	}
	start := c.State != pop.StateCreated
	log := t.log.WithField("server", c.Name)

	if rb, ok := t.pop.(pop.Rebuilder); ok {
		nc, err := d.rebuildInPlace(ctx, t, rb, c, imageRef, img, start)
		if err != nil {
			return nil, err
		}
		log.WithField("image", imageRef).Info("server rebuilt in place")
		return d.view(ctx, t).server(nc, nil), nil
	}
	if err := t.pop.Delete(ctx, pop.ByID(c.ID)); err != nil && !errors.Is(err, pop.ErrNotFound) {
		return nil, fmt.Errorf("rebuildServer %s: delete the old container: %w", c.Name, err)
	}
	nc, err := t.pop.Create(ctx, cfg)
	if err != nil {
		log.WithError(err).Error("rebuildServer: the old container is deleted and the new one could not be created")
		return nil, fmt.Errorf("rebuildServer %s: old container deleted, recreate from %s failed: %w", c.Name, imageRef, err)
	}
	if start {
		sc, err := startChecked(ctx, t.pop, pop.ByID(nc.ID))
		if err != nil {
			return nil, d.withPartial(ctx, t, nc.ID, nil, fmt.Errorf("rebuildServer %s: %w", c.Name, err))
		}
		nc = sc
	}
	log.WithField("image", imageRef).Info("server rebuilt")
	return d.view(ctx, t).server(nc, nil), nil
}

// rebuildInPlace is rebuildServer on a Pop that changes a container's
// image itself (a Swarm service update: the VIPs stay; a delete and create
// would lose them). A container that runs after the rebuild is checked
// for the environment the new image requires first, as a new one would be.
func (d *Driver) rebuildInPlace(ctx context.Context, t *target, rb pop.Rebuilder, c pop.Container, imageRef string, img pop.Image, start bool) (pop.Container, error) {
	if start {
		next := c
		next.Image = imageRef
		if err := requireEnv(next, imageRef, img); err != nil {
			return pop.Container{}, fmt.Errorf("rebuildServer %s: %w", c.Name, err)
		}
	}
	nc, err := rb.Rebuild(ctx, pop.ByID(c.ID), imageRef)
	if err != nil {
		return pop.Container{}, d.withPartial(ctx, t, c.ID, nil, fmt.Errorf("rebuildServer %s: %w", c.Name, err))
	}
	// A stopped container rebuilt keeps its state: start it, as a rebuild
	// by delete and create does.
	if start && (nc.State == pop.StateExited || nc.State == pop.StateFailed) {
		if nc, err = startChecked(ctx, t.pop, pop.ByID(nc.ID)); err != nil {
			return pop.Container{}, d.withPartial(ctx, t, c.ID, nil, fmt.Errorf("rebuildServer %s: %w", c.Name, err))
		}
	}
	return nc, nil
}
