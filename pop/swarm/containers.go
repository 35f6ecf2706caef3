package swarm

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Create makes the container's service with 0 replicas: nothing runs, but
// Swarm has allocated its virtual IPs, which are the container's addresses
// from now on (the VNFM hands them to dependent VNFCs while CREATED).
func (p *Pop) Create(ctx context.Context, cfg pop.ContainerConfig) (pop.Container, error) {
	if !pop.ValidName(cfg.Name) {
		return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "container name %q: use letters, digits, '_', '.' and '-'", cfg.Name)
	}
	for _, kv := range []map[string]string{cfg.Env, cfg.Metadata} {
		for k := range kv {
			if !pop.ValidEnvName(k) {
				return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "container %q: %q is not an environment variable name", cfg.Name, k)
			}
		}
	}
	var res *swarm.ResourceRequirements
	if cfg.Flavour != "" {
		fl, err := p.findFlavour(cfg.Flavour)
		if err != nil {
			return pop.Container{}, err
		}
		res = resources(fl)
	}
	eps := cfg.Endpoints
	if len(eps) == 0 {
		eps = []pop.EndpointConfig{{Network: p.cfg.DefaultNetwork}}
	}
	var attach []swarm.NetworkAttachmentConfig
	for _, ep := range eps {
		n, err := p.network(ctx, ep.Network)
		if err != nil {
			return pop.Container{}, err
		}
		if ep.IPv4 != "" {
			return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument,
				"container %q: the connection point on network %q asks for the fixed IP %s, but this VIM is a Docker Swarm cluster, whose services cannot have fixed IPs (Swarm allocates them): remove fixedIp from the VNFD's connection point, or deploy on a single-engine Docker VIM",
				cfg.Name, n.Name, ep.IPv4)
		}
		for _, a := range attach {
			if a.Target == n.ID {
				return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "network %q is given twice", n.Name)
			}
		}
		attach = append(attach, swarm.NetworkAttachmentConfig{Target: n.ID, Aliases: ep.Aliases})
	}
	prefs, err := placementPrefs(cfg.PlacementPrefs)
	if err != nil {
		return pop.Container{}, err
	}
	if err := meshPorts(cfg.Name, cfg.Ports); err != nil {
		return pop.Container{}, err
	}
	labels := p.ownLabels()
	labels[labelState] = recCreated
	labels[labelImage] = cfg.Image
	labels[labelFlavour] = cfg.Flavour
	labels[labelEnv] = jsonLabel(cfg.Env)
	labels[labelMetadata] = jsonLabel(cfg.Metadata)
	labels[labelHost] = jsonLabel(cfg.HostOptions)
	img, err := p.serviceImage(ctx, cfg.Image)
	if err != nil {
		return pop.Container{}, err
	}
	cs := &swarm.ContainerSpec{
		Image:         img,
		Labels:        p.taskLabels(),
		Env:           envList(cfg.Env, cfg.Metadata),
		Args:          cfg.Cmd,
		Hostname:      cfg.Hostname,
		CapabilityAdd: cfg.CapAdd,
		Sysctls:       cfg.Sysctls,
	}
	if cs.Hostname == "" {
		cs.Hostname = cfg.Name
	}
	if len(cfg.DNS) > 0 {
		cs.DNSConfig = &swarm.DNSConfig{Nameservers: cfg.DNS}
	}
	for _, m := range cfg.Mounts {
		cs.Mounts = append(cs.Mounts, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	zero := uint64(0)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: cfg.Name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: cs,
			Resources:     res,
			// A task that fails is restarted (Swarm's BUILD, then ACTIVE);
			// one that exits 0 is done: the container is EXITED. A crash
			// loop shows FAILED (see crashLoop).
			RestartPolicy: restartPolicy(),
			Placement:     &swarm.Placement{Constraints: cfg.Constraints, Preferences: prefs},
			Networks:      attach,
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP, Ports: ports(cfg.Ports)},
	}
	// No registry query: a service may name a local tag (each node then
	// needs the image), and a private registry's answer needs credentials.
	resp, err := p.cli.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false})
	if err != nil {
		return pop.Container{}, classify(err, "create service %q", cfg.Name)
	}
	c, err := p.waitVIPs(ctx, resp.ID, len(attach))
	if err != nil {
		p.cleanupService(resp.ID)
		return pop.Container{}, err
	}
	return c, nil
}

const (
	// restartMax process failures within restartWindow, at Swarm's
	// default delay of 5 s, make a crash loop: the container shows FAILED
	// between restarts (about 15 s after the first failure) rather than
	// BUILD for ever.
	restartMax    = 3
	restartWindow = 2 * time.Minute
)

// restartPolicy restarts a failed task without limit. Swarm's MaxAttempts
// would also count the replacements of tasks lost with their node, and
// once reached, leave a server whose node died with no task at all; so
// the Pop tells a crash loop itself (crashLoop).
func restartPolicy() *swarm.RestartPolicy {
	return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure}
}

// crashLoop reports whether the service's process keeps failing: the task
// before cur (newest first in tasks) failed, and restartMax tasks failed
// within restartWindow before cur was made. A task lost with its node is
// not a failure of the process, so a server rescheduled after its node
// died stays BUILD.
//
// A failure is timed by the creation of the task that replaced it (Swarm
// makes the replacement as it records the failure; after a failed start,
// the next start makes it): a creation time is the manager's and never
// changes. A task's Status.Timestamp is the clock of the worker that ran
// it, the driver's clock may differ from a remote manager's, and UpdatedAt
// moves whenever a worker reconnects and reports its tasks again.
func crashLoop(tasks []swarm.Task, cur *swarm.Task) (*swarm.Task, bool) {
	var prev *swarm.Task
	n := 0
	for i := range tasks {
		t := &tasks[i]
		if t == cur {
			continue
		}
		failed := t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected
		if prev == nil {
			prev = t
			if !failed {
				return nil, false
			}
		}
		at := cur.CreatedAt // replaced by cur, or newer than every task
		if i > 0 {
			at = tasks[i-1].CreatedAt
		}
		if failed && cur.CreatedAt.Sub(at) <= restartWindow {
			n++
		}
	}
	return prev, n >= restartMax
}

var imageIDRE = regexp.MustCompile(`^(sha256:)?[0-9a-f]{12}([0-9a-f]{52})?$`)

// serviceImage is the image a service names: a launch that names an image
// by ID runs from a tag of it (a node that lacks the image can pull a tag,
// never an ID); references pass as given.
func (p *Pop) serviceImage(ctx context.Context, ref string) (string, error) {
	if !imageIDRE.MatchString(ref) {
		return ref, nil
	}
	im, err := p.b.InspectImage(ctx, ref)
	if err != nil {
		return "", err
	}
	for _, t := range im.Tags {
		if !strings.Contains(t, "@") {
			return t, nil
		}
	}
	if len(im.Tags) > 0 {
		return im.Tags[0], nil // a digest reference
	}
	return "", pop.Errorf(pop.ErrInvalidArgument, "image %s has no tag: a Swarm service names its image by tag (docker tag %s NAME:TAG on every node, or push it to a registry)", ref, ref)
}

// waitVIPs waits until Swarm has given the service a VIP on each network
// (the allocator answers after ServiceCreate returns).
func (p *Pop) waitVIPs(ctx context.Context, id string, want int) (pop.Container, error) {
	for {
		c, err := p.one(ctx, pop.ByID(id))
		if err != nil {
			return pop.Container{}, err
		}
		n := 0
		for _, ep := range c.Endpoints {
			if ep.IPv4 != "" {
				n++
			}
		}
		if n >= want {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return pop.Container{}, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "service %s: Swarm allocated %d of %d virtual IPs", id, n, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *Pop) cleanupService(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.cli.ServiceRemove(ctx, id); err != nil {
		p.log.WithError(err).WithField("service", id).Warn("remove a service whose create failed")
	}
}

func resources(fl pop.Flavour) *swarm.ResourceRequirements {
	if fl.CPUs <= 0 && fl.MemoryMB <= 0 {
		return nil
	}
	r := swarm.Resources{NanoCPUs: int64(fl.CPUs * 1e9), MemoryBytes: fl.MemoryMB << 20}
	// Reservations make Swarm place by them, limits hold the container to them.
	return &swarm.ResourceRequirements{Reservations: &r, Limits: &swarm.Limit{NanoCPUs: r.NanoCPUs, MemoryBytes: r.MemoryBytes}}
}

// placementPrefs reads Swarm's preference syntax: spread=<descriptor>.
func placementPrefs(in []string) ([]swarm.PlacementPreference, error) {
	var out []swarm.PlacementPreference
	for _, s := range in {
		kind, desc, ok := strings.Cut(s, "=")
		if !ok || kind != "spread" || desc == "" {
			return nil, pop.Errorf(pop.ErrInvalidArgument, "placement preference %q: want spread=<node attribute>, e.g. spread=node.labels.rack", s)
		}
		out = append(out, swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: desc}})
	}
	return out, nil
}

// meshPorts refuses a port asked on one host address: Swarm's routing mesh
// (ingress mode) publishes a service's port on every address of every
// node, so honouring the rest of the binding would expose it more widely
// than asked.
func meshPorts(name string, in []pop.PortBinding) error {
	for _, b := range in {
		if b.HostIP == "" {
			continue
		}
		if a, err := netip.ParseAddr(b.HostIP); err == nil && a.IsUnspecified() {
			continue // every address: what the mesh does anyway
		}
		v := fmt.Sprintf("%s:%d:%d", b.HostIP, b.HostPort, b.ContainerPort)
		if b.Protocol == "udp" {
			v += "/udp"
		}
		return pop.Errorf(pop.ErrInvalidArgument,
			"container %q: publish=%s asks for the port on %s only, but this VIM is a Docker Swarm cluster, whose routing mesh publishes a port on every address of every node: drop the address (publish=%d:%d publishes on every node), or deploy on a single-engine Docker VIM",
			name, v, b.HostIP, b.HostPort, b.ContainerPort)
	}
	return nil
}

func ports(in []pop.PortBinding) []swarm.PortConfig {
	var out []swarm.PortConfig
	for _, b := range in {
		proto := swarm.PortConfigProtocolTCP
		if b.Protocol == "udp" {
			proto = swarm.PortConfigProtocolUDP
		}
		out = append(out, swarm.PortConfig{Protocol: proto, TargetPort: uint32(b.ContainerPort), PublishedPort: uint32(b.HostPort)})
	}
	return out
}

// envList is the task's environment: the launcher's env, then metadata,
// which wins (the Pop's precedence).
func envList(env, md map[string]string) []string {
	all := maps.Clone(env)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, md)
	out := make([]string, 0, len(all))
	for k, v := range all {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Metadata merges md into a CREATED container's metadata (the task
// template's environment: it reaches the task at Start).
func (p *Pop) Metadata(ctx context.Context, f pop.Filter, md map[string]string) (pop.Container, error) {
	for k := range md {
		if !pop.ValidEnvName(k) {
			return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "metadata key %q is not an environment variable name", k)
		}
	}
	return p.update(ctx, f, func(svc *swarm.Service, c pop.Container) error {
		if c.State != pop.StateCreated || svc.Spec.Labels[labelState] != recCreated {
			return pop.Errorf(pop.ErrInvalidState, "container %q is %s: metadata can be set only while it is CREATED", c.Name, c.State)
		}
		all := mapLabel(svc.Spec.Labels[labelMetadata])
		if all == nil {
			all = map[string]string{}
		}
		for k, v := range md {
			if v == "" {
				delete(all, k)
			} else {
				all[k] = v
			}
		}
		svc.Spec.Labels[labelMetadata] = jsonLabel(all)
		svc.Spec.TaskTemplate.ContainerSpec.Env = envList(mapLabel(svc.Spec.Labels[labelEnv]), all)
		return nil
	})
}

// updateTries bounds the retries of an update that another writer beat
// (Swarm's version check): this Pop serialises its own updates of a
// service, but another VIM instance over the same cluster, or an operator,
// may change it meanwhile.
const updateTries = 6

// update applies fn to the service's spec and writes it back, re-reading
// the service and retrying, with a short backoff, on a concurrent change.
func (p *Pop) update(ctx context.Context, f pop.Filter, fn func(*swarm.Service, pop.Container) error) (pop.Container, error) {
	c, err := p.one(ctx, f)
	if err != nil {
		return pop.Container{}, err
	}
	defer p.lock(c.ID)()
	for attempt := 0; ; attempt++ {
		svc, _, err := p.cli.ServiceInspectWithRaw(ctx, c.ID, swarm.ServiceInspectOptions{})
		if err != nil {
			return pop.Container{}, classify(err, "container %q", c.Name)
		}
		if c, err = p.one(ctx, pop.ByID(c.ID)); err != nil {
			return pop.Container{}, err
		}
		if err := fn(&svc, c); err != nil {
			return pop.Container{}, err
		}
		_, err = p.cli.ServiceUpdate(ctx, svc.ID, svc.Version, svc.Spec, swarm.ServiceUpdateOptions{})
		if err == nil {
			return p.one(ctx, pop.ByID(c.ID))
		}
		if !strings.Contains(err.Error(), "update out of sequence") {
			return pop.Container{}, classify(err, "update service of container %q", c.Name)
		}
		if attempt+1 >= updateTries {
			return pop.Container{}, pop.Wrap(pop.ErrUnavailable, err,
				"update service of container %q: the service was changed concurrently %d times in a row (another VIM instance over this cluster, or docker service update): retry", c.Name, updateTries)
		}
		// 20, 40, 80, 160, 320 ms, and a jitter that staggers the writers.
		select {
		case <-ctx.Done():
			return pop.Container{}, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "update service of container %q: the service was changed concurrently: retry", c.Name)
		case <-time.After((20 * time.Millisecond << attempt) + rand.N(20*time.Millisecond)):
		}
	}
}

// Start scales the service to 1, with the environment in the same update,
// and waits until its task runs. A task that fails or is refused (an image
// missing on the node Swarm picked) fails the start with the task's error,
// and the container is FAILED.
func (p *Pop) Start(ctx context.Context, f pop.Filter) (pop.Container, error) {
	one := uint64(1)
	// The tasks of earlier runs, by ID: the wait is for a new one. (Task
	// times are the manager's clock, not the driver's.)
	before := map[string]bool{}
	c, err := p.update(ctx, f, func(svc *swarm.Service, c pop.Container) error {
		switch c.State {
		case pop.StateCreated, pop.StateExited, pop.StateFailed:
		default:
			return pop.Errorf(pop.ErrInvalidState, "container %q is %s: only a CREATED, EXITED or FAILED container starts", c.Name, c.State)
		}
		if c.State == pop.StateCreated && svc.Spec.Labels[labelState] == recStarted {
			return pop.Errorf(pop.ErrInvalidState, "container %q is starting already (%s)", c.Name, c.ExtendedStatus)
		}
		ts, err := p.tasks(ctx, svc.ID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			before[t.ID] = true
		}
		svc.Spec.Labels[labelState] = recStarted
		delete(svc.Spec.Labels, labelError)
		svc.Spec.TaskTemplate.ContainerSpec.Env = envList(mapLabel(svc.Spec.Labels[labelEnv]), mapLabel(svc.Spec.Labels[labelMetadata]))
		// A service made by an earlier version of this Pop: Swarm's restart
		// limit off, and task containers without docker.LabelPop (which
		// made an engine Pop of the same name remove them).
		svc.Spec.TaskTemplate.RestartPolicy = restartPolicy()
		svc.Spec.TaskTemplate.ContainerSpec.Labels = p.taskLabels()
		if replicas(*svc) > 0 {
			// At 1 already: a process that exited 0, or one that crash
			// loops (its next task held in Swarm's restart delay). An
			// update that changes nothing makes no task; this one makes
			// a new task at once.
			svc.Spec.TaskTemplate.ForceUpdate++
		}
		svc.Spec.Mode.Replicated.Replicas = &one
		return nil
	})
	if err != nil {
		return pop.Container{}, err
	}
	return p.waitTask(ctx, c, "start", func(t swarm.Task) bool { return before[t.ID] })
}

const (
	// runSettle is how long a task must have been seen running before a
	// start answers: a process that exits at once is often reported running
	// first, then failed about 100 ms later (the manager's dispatcher
	// writes task states in 100 ms batches; measured 97-107 ms on the test
	// rig), and must fail the start rather than be answered ACTIVE. It adds
	// about this much to every launch, so it is twice that batching and no
	// more: a report later than this is still caught, by the restart limit
	// (the container FAILED after a few restarts).
	runSettle = 200 * time.Millisecond
	// placeGrace is how long a task may stay pending because no node meets
	// its constraints or reservations (a node may be just joining or
	// coming back) before the start fails with Swarm's reason.
	placeGrace = 5 * time.Second
)

// waitTask waits until a task of the container's service that is not old
// runs, and answers the container. A task that fails or is refused, or that
// no node can take for placeGrace, fails the wait (verb names the
// operation) with Swarm's reason, and the container is FAILED; a task that
// completes (exit 0) answers the container EXITED. A stop meanwhile ends
// the wait (ErrInvalidState), a delete too (ErrNotFound).
func (p *Pop) waitTask(ctx context.Context, c pop.Container, verb string, old func(swarm.Task) bool) (pop.Container, error) {
	// Manager events do not cover workers' tasks, so this polls: often
	// while a task usually gets going (about a second), then gently, so
	// that many waiting launches do not flood the manager.
	start := time.Now()
	last := "Swarm has made no task for it yet"
	var running string // the task seen running, since runningAt
	var runningAt, unplaceable time.Time
	// The deadline may end any call of the loop: the error then names what
	// was last seen of the task, not the call that the deadline cut.
	timedOut := func() error {
		return pop.Wrap(pop.ErrUnavailable, ctx.Err(), "%s %q: its task did not run in time (%s)", verb, c.Name, last)
	}
	answer := func() (pop.Container, error) {
		got, err := p.one(ctx, pop.ByID(c.ID))
		if err != nil && ctx.Err() != nil {
			return pop.Container{}, timedOut()
		}
		return got, err
	}
	for {
		svc, _, err := p.cli.ServiceInspectWithRaw(ctx, c.ID, swarm.ServiceInspectOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return pop.Container{}, timedOut()
			}
			return pop.Container{}, classify(err, "%s %q", verb, c.Name)
		}
		if st := svc.Spec.Labels[labelState]; st != recStarted || replicas(svc) == 0 {
			return pop.Container{}, pop.Errorf(pop.ErrInvalidState, "%s %q: the container was stopped meanwhile (now %s, %d replicas): no longer waiting for its task", verb, c.Name, st, replicas(svc))
		}
		tasks, err := p.tasks(ctx, c.ID)
		if err != nil {
			if ctx.Err() != nil {
				return pop.Container{}, timedOut()
			}
			return pop.Container{}, err
		}
		sort.Slice(tasks, func(i, j int) bool { return tasks[i].CreatedAt.After(tasks[j].CreatedAt) }) // newest first
		var cur *swarm.Task
		for i, t := range tasks {
			if old(t) {
				continue // a task of an earlier run
			}
			if cur == nil {
				cur = &tasks[i]
			}
			switch t.Status.State {
			case swarm.TaskStateFailed, swarm.TaskStateRejected:
				why := fmt.Sprintf("Swarm task %s on node %s: %s: %s", t.ID, t.NodeID, t.Status.State, taskError(t))
				p.markFailed(c.ID, why)
				hint := "an image must be on every node, or in a registry every node can pull from"
				if cs := t.Status.ContainerStatus; cs != nil && cs.ExitCode != 0 {
					hint = fmt.Sprintf("its process exited with code %d as it started: see the server's logs", cs.ExitCode)
				}
				return pop.Container{}, pop.Errorf(pop.ErrInvalidState, "%s %q: %s (%s)", verb, c.Name, why, hint)
			case swarm.TaskStateComplete:
				// The process exited 0 at once: it ran, as on a single
				// engine, and the container is EXITED.
				last = describeTask(t)
				return answer()
			}
		}
		now := time.Now()
		switch {
		case cur == nil:
		case cur.Status.State == swarm.TaskStateRunning && cur.DesiredState == swarm.TaskStateRunning:
			if running != cur.ID {
				running, runningAt = cur.ID, now
			} else if now.Sub(runningAt) >= runSettle {
				return answer()
			}
		case cur.Status.State == swarm.TaskStatePending && strings.HasPrefix(cur.Status.Err, "no suitable node"):
			if unplaceable.IsZero() {
				unplaceable = now
			} else if now.Sub(unplaceable) >= placeGrace {
				why := fmt.Sprintf("Swarm cannot place task %s: %s", cur.ID, cur.Status.Err)
				p.markFailed(c.ID, why)
				var cons []string
				if pl := svc.Spec.TaskTemplate.Placement; pl != nil {
					cons = pl.Constraints
				}
				return pop.Container{}, pop.Errorf(pop.ErrInvalidState, "%s %q: %s, for %s (constraints %q; a flavour reserves CPU and memory): change the constraints or the flavour, or label, free or add a node, then start it again",
					verb, c.Name, why, placeGrace, cons)
			}
		default:
			unplaceable = time.Time{}
		}
		if cur != nil {
			last = describeTask(*cur)
		}
		wait := 50 * time.Millisecond
		if time.Since(start) > 3*time.Second {
			wait = 250 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return pop.Container{}, timedOut()
		case <-time.After(wait):
		}
	}
}

// describeTask is what a wait last saw of a task, for its timeout.
func describeTask(t swarm.Task) string {
	d := fmt.Sprintf("Swarm task %s is %s", t.ID, t.Status.State)
	if t.NodeID != "" {
		d += " on node " + t.NodeID
	}
	if e := taskError(t); e != "" {
		d += ": " + e
	}
	return d
}

func replicas(svc swarm.Service) uint64 {
	if r := svc.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		return *r.Replicas
	}
	return 0
}

func taskError(t swarm.Task) string {
	if t.Status.Err != "" {
		return t.Status.Err
	}
	return t.Status.Message
}

// markFailed scales a service whose start failed back to 0 (Swarm would
// retry for ever) and records why.
func (p *Pop) markFailed(id, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	zero := uint64(0)
	_, err := p.update(ctx, pop.ByID(id), func(svc *swarm.Service, _ pop.Container) error {
		svc.Spec.Labels[labelState] = recFailed
		svc.Spec.Labels[labelError] = why
		svc.Spec.Mode.Replicated.Replicas = &zero
		return nil
	})
	if err != nil {
		p.log.WithError(err).WithField("service", id).Warn("record a failed start")
	}
}

// Stop scales the service to 0: STOPPING until its task is gone.
func (p *Pop) Stop(ctx context.Context, f pop.Filter) (pop.Container, error) {
	zero := uint64(0)
	return p.update(ctx, f, func(svc *swarm.Service, c pop.Container) error {
		if c.State != pop.StateRunning && svc.Spec.Labels[labelState] != recStarted {
			return pop.Errorf(pop.ErrInvalidState, "container %q is %s: only a RUNNING container stops", c.Name, c.State)
		}
		svc.Spec.Labels[labelState] = recStopped
		svc.Spec.Mode.Replicated.Replicas = &zero
		return nil
	})
}

// Delete removes the service and waits until its tasks are gone (their
// networks can then be deleted).
func (p *Pop) Delete(ctx context.Context, f pop.Filter) error {
	c, err := p.one(ctx, f)
	if err != nil {
		return err
	}
	defer p.forget(c.ID)
	defer p.lock(c.ID)()
	if err := p.cli.ServiceRemove(ctx, c.ID); err != nil && !classIs(err, pop.ErrNotFound) {
		return classify(err, "delete container %q", c.Name)
	}
	for {
		// All tasks, not a "service" filter: the service is gone, and
		// Docker refuses a filter naming it.
		ts, err := p.cli.TaskList(ctx, swarm.TaskListOptions{})
		if err != nil {
			return classify(err, "delete %q: list tasks", c.Name)
		}
		down, err := p.downNodes(ctx)
		if err != nil {
			return err
		}
		// A task on a node that is down stays listed until the node comes
		// back and removes it: nothing of it runs meanwhile.
		tasks := slices.DeleteFunc(ts, func(t swarm.Task) bool { return t.ServiceID != c.ID || down[t.NodeID] })
		if len(tasks) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return pop.Wrap(pop.ErrUnavailable, ctx.Err(), "delete %q: the service is removed but %d of its tasks remain", c.Name, len(tasks))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// downNodes are the nodes the manager sees down.
func (p *Pop) downNodes(ctx context.Context) (map[string]bool, error) {
	nodes, err := p.cli.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, classify(err, "list swarm nodes")
	}
	down := map[string]bool{}
	for _, n := range nodes {
		if n.Status.State != swarm.NodeStateReady {
			down[n.ID] = true
		}
	}
	return down, nil
}

func classIs(err, class error) bool { return pop.Class(classify(err, "")) == class }

// Logs are the service's logs (its tasks', through the manager).
func (p *Pop) Logs(ctx context.Context, f pop.Filter, tail int) (string, error) {
	c, err := p.one(ctx, f)
	if err != nil {
		return "", err
	}
	return p.serviceLogs(ctx, c, tail)
}

func (p *Pop) tasks(ctx context.Context, serviceID string) ([]swarm.Task, error) {
	ts, err := p.cli.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", serviceID))})
	if err != nil {
		return nil, classify(err, "list tasks of service %s", serviceID)
	}
	return ts, nil
}

// one finds exactly one container.
func (p *Pop) one(ctx context.Context, f pop.Filter) (pop.Container, error) {
	cs, err := p.Containers(ctx, f)
	if err != nil {
		return pop.Container{}, err
	}
	return cs[0], nil
}

// Containers lists the Pop's services as containers, their states taken
// from their tasks now (no cache: a change is seen by the next call).
func (p *Pop) Containers(ctx context.Context, f pop.Filter) ([]pop.Container, error) {
	args := filters.NewArgs(filters.Arg("label", docker.LabelPop+"="+p.cfg.PopName))
	svcs, err := p.cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: args})
	if err != nil {
		return nil, classify(err, "list services")
	}
	var sel []swarm.Service
	for _, s := range svcs {
		if !p.ours(s.Spec.Labels) {
			continue
		}
		if f.All() || f.ID != "" && s.ID == f.ID || f.Name != "" && s.Spec.Name == f.Name {
			sel = append(sel, s)
		}
	}
	if !f.All() && len(sel) == 0 {
		return nil, pop.Errorf(pop.ErrNotFound, "container %s not found", f)
	}
	byService := map[string][]swarm.Task{}
	if len(sel) > 0 {
		// The tasks of the Pop's services only: the cluster may run many
		// others, each with its task history. A task "label" filter
		// matches its service's labels (measured on Docker 20.10); a
		// "service" filter naming every service would fail the whole
		// list when one is deleted meanwhile ("service … not found").
		targs := filters.NewArgs(filters.Arg("label", docker.LabelPop+"="+p.cfg.PopName))
		if !f.All() {
			targs = filters.NewArgs(filters.Arg("service", sel[0].ID))
		}
		ts, err := p.cli.TaskList(ctx, swarm.TaskListOptions{Filters: targs})
		if err != nil {
			return nil, classify(err, "list tasks")
		}
		for _, t := range ts {
			byService[t.ServiceID] = append(byService[t.ServiceID], t)
		}
	}
	nets, err := p.netIndex(ctx)
	if err != nil {
		return nil, err
	}
	var down map[string]bool
	if stopping(sel, byService) {
		if down, err = p.downNodes(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]pop.Container, 0, len(sel))
	for _, s := range sel {
		out = append(out, containerOf(s, byService[s.ID], nets, down))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// stopping reports whether a stopped service still has a task that has not
// ended: only then do the nodes' states matter (one more call).
func stopping(svcs []swarm.Service, byService map[string][]swarm.Task) bool {
	for _, s := range svcs {
		if s.Spec.Labels[labelState] != recStopped {
			continue
		}
		for _, t := range byService[s.ID] {
			if !terminal(t.Status.State) {
				return true
			}
		}
	}
	return false
}

// containerOf is the Pop's view of a service and its tasks; down are the
// nodes the manager sees down (needed only for a stopped service).
func containerOf(s swarm.Service, tasks []swarm.Task, nets map[string]pop.Network, down map[string]bool) pop.Container {
	l := s.Spec.Labels
	c := pop.Container{ID: s.ID, Name: s.Spec.Name, Image: l[labelImage], Flavour: l[labelFlavour], DockerID: s.ID,
		Created: s.CreatedAt, Env: mapLabel(l[labelEnv]), Metadata: mapLabel(l[labelMetadata]), Endpoints: []pop.Endpoint{}}
	if cs := s.Spec.TaskTemplate.ContainerSpec; cs != nil {
		c.CapAdd, c.Sysctls = cs.CapabilityAdd, cs.Sysctls
	}
	if h := l[labelHost]; h != "" {
		_ = jsonUnmarshal(h, &c.HostOptions)
	}
	for _, vip := range s.Endpoint.VirtualIPs {
		n := nets[vip.NetworkID]
		if n.ID == "" {
			continue // the ingress network and others not the Pop's
		}
		ep := pop.Endpoint{NetID: n.ID, NetName: n.Name, Subnet: n.Subnet, Gateway: n.Gateway}
		if pfx, err := netip.ParsePrefix(vip.Addr); err == nil {
			ep.IPv4 = pfx.Addr().String()
			ep.Subnet = pfx.Masked().String()
		}
		for _, a := range s.Spec.TaskTemplate.Networks {
			if a.Target == n.ID || a.Target == n.Name {
				ep.Aliases = a.Aliases
			}
		}
		c.Endpoints = append(c.Endpoints, ep)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].CreatedAt.After(tasks[j].CreatedAt) }) // newest first
	var cur, last *swarm.Task
	for i := range tasks {
		t := &tasks[i]
		if last == nil {
			last = t
		}
		if cur == nil && (t.DesiredState == swarm.TaskStateRunning || t.DesiredState == swarm.TaskStateReady) {
			cur = t
		}
	}
	if last != nil && last.Status.ContainerStatus != nil {
		c.ExitCode = last.Status.ContainerStatus.ExitCode
	}
	switch l[labelState] {
	case recCreated:
		c.State = pop.StateCreated
	case recFailed:
		c.State, c.ExtendedStatus = pop.StateFailed, l[labelError]
	case recStopped:
		c.State = pop.StateExited
		var lost *swarm.Task
		for i, t := range tasks {
			switch {
			case terminal(t.Status.State):
			case t.NodeID == "" || down[t.NodeID]:
				// Never placed, or on a node that is down: nothing of it
				// runs, and a dead node cannot report the end (Swarm marks
				// the task orphaned much later, or the node removes it when
				// it returns). Waiting for it would be STOPPING for ever.
				if lost == nil || lost.NodeID == "" {
					lost = &tasks[i] // the message names a node when one is
				}
			default:
				c.State, c.ExtendedStatus = pop.StateStopping, "STOPPING: Swarm is stopping task "+t.ID
			}
		}
		switch {
		case c.State != pop.StateExited:
		case lost != nil && lost.NodeID != "":
			c.ExitCode = 0
			c.ExtendedStatus = fmt.Sprintf("stopped: its task %s was on node %s, which is down; nothing of it runs, and Swarm removes the task when the node returns", lost.ID, lost.NodeID)
		case lost != nil:
			c.ExitCode = 0
			c.ExtendedStatus = fmt.Sprintf("stopped before Swarm placed its task %s", lost.ID)
		case last != nil:
			c.Finished = last.Status.Timestamp
			c.ExtendedStatus = fmt.Sprintf("exited with code %d", c.ExitCode)
		}
	default: // started
		switch {
		case cur != nil && cur.Status.State == swarm.TaskStateRunning:
			c.State, c.Started = pop.StateRunning, cur.Status.Timestamp
			c.ExtendedStatus = "running on node " + cur.NodeID
			if cur.Status.ContainerStatus != nil {
				c.DockerID = cur.Status.ContainerStatus.ContainerID
			}
		case cur != nil && !terminal(cur.Status.State):
			if prev, loop := crashLoop(tasks, cur); loop {
				c.State, c.Finished = pop.StateFailed, prev.Status.Timestamp
				c.ExtendedStatus = fmt.Sprintf("Swarm task %s %s: %s (%d or more failures within %s: Swarm restarts it in a loop; see the server's logs)",
					prev.ID, prev.Status.State, taskError(*prev), restartMax, restartWindow)
				break
			}
			// Placed, pulling, starting, or replacing a task lost with its
			// node: BUILD, not a failure (the VNFM must not restart it).
			c.State = pop.StateCreated
			c.ExtendedStatus = fmt.Sprintf("BUILD: Swarm task %s is %s", cur.ID, cur.Status.State)
			if cur.NodeID != "" {
				c.ExtendedStatus += " on node " + cur.NodeID
			}
			if last != nil && last != cur {
				c.ExtendedStatus += fmt.Sprintf(" (it replaces task %s, %s: %s)", last.ID, last.Status.State, taskError(*last))
			}
		case last != nil && last.Status.State == swarm.TaskStateComplete:
			c.State, c.Finished = pop.StateExited, last.Status.Timestamp
			c.ExtendedStatus = fmt.Sprintf("exited with code %d", c.ExitCode)
		case last != nil && terminal(last.Status.State):
			c.State, c.Finished = pop.StateFailed, last.Status.Timestamp
			c.ExtendedStatus = fmt.Sprintf("Swarm task %s %s: %s", last.ID, last.Status.State, taskError(*last))
		default:
			c.State, c.ExtendedStatus = pop.StateCreated, "BUILD: waiting for Swarm to make the task"
		}
	}
	return c
}

func terminal(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected,
		swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}
