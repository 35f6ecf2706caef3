package vim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// launchRequest is a launch as the NFVO sends it (spec §4.7).
type launchRequest struct {
	method      string
	hostname    string
	image       string
	flavour     string
	cps         []VNFDConnectionPoint
	secGroups   []string
	userdata    string
	floatingIPs map[string]string
	keys        []Key
	createOnly  bool // launchInstance
}

func decodeLaunch(method string, p plugin.Params) (launchRequest, error) {
	r := launchRequest{method: method}
	var err error
	if r.hostname, err = stringParam(p, 1, "hostname"); err != nil {
		return r, err
	}
	if r.image, err = stringParam(p, 2, "image"); err != nil {
		return r, err
	}
	if r.flavour, err = optionalString(p, 3, "flavour"); err != nil {
		return r, err
	}
	// p[4] is the key pair: Docker has none (the NFVO sends "").
	if _, err = p.DecodeOptional(5, "networks", &r.cps); err != nil {
		return r, err
	}
	if _, err = p.DecodeOptional(6, "securityGroups", &r.secGroups); err != nil {
		return r, err
	}
	if r.userdata, err = optionalString(p, 7, "userdata"); err != nil {
		return r, err
	}
	if len(p) > 8 {
		if _, err = p.DecodeOptional(8, "floatingIps", &r.floatingIPs); err != nil {
			return r, err
		}
		if _, err = p.DecodeOptional(9, "keys", &r.keys); err != nil {
			return r, err
		}
	}
	if strings.TrimSpace(r.hostname) == "" {
		return r, &plugin.ParamError{Index: 1, Name: "hostname", Err: errors.New("is empty")}
	}
	return r, nil
}

// launchInstanceAndWait (10 or 8 parameters) creates and starts one
// container and answers it RUNNING (ACTIVE), or CREATED (BUILD) when the
// userdata says #obdocker:start=deferred.
func (d *Driver) launchInstanceAndWait(ctx context.Context, p plugin.Params) (any, error) {
	return d.launchCall(ctx, p, "launchInstanceAndWait", false)
}

// launchInstance (8 parameters) creates only: the answer is CREATED (BUILD).
func (d *Driver) launchInstance(ctx context.Context, p plugin.Params) (any, error) {
	return d.launchCall(ctx, p, "launchInstance", true)
}

func (d *Driver) launchCall(ctx context.Context, p plugin.Params, method string, createOnly bool) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	req, err := decodeLaunch(method, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	req.createOnly = createOnly
	s, err := d.launch(ctx, t, req)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// launch validates everything it can before touching the Pop, then runs
// one launch per (endpoint, hostname) at a time: a redelivered or repeated
// launch answers the existing container and never makes a second one.
func (d *Driver) launch(ctx context.Context, t *target, req launchRequest) (Server, error) {
	fail := func(err error) (Server, error) {
		return Server{}, fmt.Errorf("%s %s: %w", req.method, req.hostname, err)
	}
	log := t.log.WithField("hostname", req.hostname)

	ud := ParseUserdata(req.userdata)
	for _, s := range ud.Skipped {
		log.WithFields(logrus.Fields{"line": s.Line, "reason": s.Reason}).Debug("userdata assignment ignored")
	}
	opts, err := ParseDirectives(ud.Directives)
	if err != nil {
		return fail(err)
	}
	if err := opts.checkAllowed(d.cfg.AllowedCaps, d.cfg.AllowedSysctls); err != nil {
		return fail(err)
	}
	if err := opts.checkHostAllowed(d.cfg.AllowedBindPrefixes, d.cfg.AllowedPublishPorts); err != nil {
		return fail(err)
	}
	if err := refuseFloatingIPs(req); err != nil {
		return fail(err)
	}
	if len(req.secGroups) > 0 {
		log.WithField("security_groups", req.secGroups).Debug("security groups ignored: Docker VIMs have none")
	}
	if len(req.keys) > 0 {
		log.WithField("keys", len(req.keys)).Debug("keys ignored: Docker containers take no SSH keys")
	}
	flavour := req.flavour
	if flavour == "" {
		flavour = opts.Flavour
	}
	deferred := req.createOnly || opts.Deferred

	// One launch per hostname at a time; concurrent ones share an answer
	// only when they ask for the same thing.
	tag := launchTag(req, ud.Env, opts, flavour, deferred)
	return d.launches.do(ctx, t.key.URL+"\x00"+req.hostname, tag, func() (Server, error) {
		s, err := d.launchOnce(ctx, t, req, ud.Env, opts, flavour, deferred, log)
		if err != nil {
			var se *plugin.ServerError
			if errors.As(err, &se) {
				return Server{}, &plugin.ServerError{Err: fmt.Errorf("%s %s: %w", req.method, req.hostname, se.Err), Server: se.Server}
			}
			return fail(err)
		}
		return s, nil
	})
}

// launchTag identifies what a launch asks for (connection points in
// interfaceId order).
func launchTag(req launchRequest, env map[string]string, opts LaunchOptions, flavour string, deferred bool) string {
	cps := append([]VNFDConnectionPoint(nil), req.cps...)
	sort.SliceStable(cps, func(i, j int) bool { return ifaceID(cps[i]) < ifaceID(cps[j]) })
	b, _ := json.Marshal(struct {
		Image, Flavour string
		CPs            []VNFDConnectionPoint
		Env, Sysctls   map[string]string
		CapAdd         []string
		Deferred       bool
		Host           pop.HostOptions
		Aliases        map[string][]string
	}{req.image, flavour, cps, env, opts.Sysctls, opts.CapAdd, deferred, opts.Host, opts.Aliases})
	return string(b)
}

func (d *Driver) launchOnce(ctx context.Context, t *target, req launchRequest, env map[string]string,
	opts LaunchOptions, flavour string, deferred bool, log logrus.FieldLogger) (Server, error) {
	img, pulled, err := launchImage(ctx, t.pop, req.image, log)
	if err != nil {
		return Server{}, err
	}
	if pulled {
		d.images.forget(t) // server answers see the new image at once
	}
	if flavour != "" {
		f, err := resolveFlavour(ctx, t.pop, flavour)
		if err != nil {
			return Server{}, err
		}
		flavour = f.Name
	}
	endpoints, vlr, netNames, err := d.endpoints(ctx, t.pop, req.cps)
	if err != nil {
		return Server{}, err
	}
	if err := attachAliases(endpoints, vlr, netNames, opts.Aliases); err != nil {
		return Server{}, err
	}
	if err := checkPublishable(ctx, t.pop, netNames, opts.Host.Ports); err != nil {
		return Server{}, err
	}
	want := launchInputs{
		imageRef: req.image, image: img, flavour: flavour, endpoints: endpoints, netNames: netNames,
		env: env, capAdd: opts.CapAdd, sysctls: opts.Sysctls, host: opts.Host,
	}

	c, err := getContainer(ctx, t.pop, req.hostname)
	created := false
	switch {
	case err == nil:
		diffs, err := want.differences(ctx, t.pop, c)
		if err != nil {
			return Server{}, err
		}
		if len(diffs) > 0 {
			if c.State != pop.StateFailed && c.State != pop.StateCreated {
				return Server{}, pop.Errorf(pop.ErrAlreadyExists, "hostname %s is in use by a container of image %s (%s) that differs from this launch: %s; delete it first",
					req.hostname, imageName(ctx, t.pop, c), c.State, strings.Join(diffs, "; "))
			}
			// Never ran, or failed: the new request replaces it.
			log.WithFields(logrus.Fields{"server_id": c.ID, "state": c.State, "differences": diffs}).Info("launch: replacing the container of an earlier, different launch")
			if err := t.pop.Delete(ctx, pop.ByID(c.ID)); err != nil && !errors.Is(err, pop.ErrNotFound) {
				return Server{}, fmt.Errorf("replace the earlier container %s: %w", c.ID, err)
			}
			c, created, err = d.create(ctx, t, req, want, log)
			if err != nil {
				return Server{}, err
			}
		} else {
			log.WithField("state", c.State).Info("launch: container exists, answering it")
		}
	case errors.Is(err, pop.ErrNotFound):
		c, created, err = d.create(ctx, t, req, want, log)
		if err != nil {
			return Server{}, err
		}
	default:
		return Server{}, err
	}

	// Start what a launch should have started: a container left CREATED (a
	// crash between create and start) or FAILED (a start that failed, now
	// retried). An EXITED one is answered as it is: it ran.
	if !deferred && (c.State == pop.StateCreated || c.State == pop.StateFailed) {
		if err := checkStartImage(ctx, t.pop, c, req.image, img); err != nil {
			// Refused before anything ran: a launch that made the record
			// takes it back, so that a corrected retry starts afresh.
			if created {
				return Server{}, d.undoCreate(ctx, t, c, vlr, err, log)
			}
			return Server{}, d.withPartial(ctx, t, c.ID, vlr, err)
		}
		sc, err := t.pop.Start(ctx, pop.ByID(c.ID))
		if err != nil {
			// The record stays FAILED: the NFVO recovers it from the server.
			return Server{}, d.withPartial(ctx, t, c.ID, vlr, err)
		}
		c = sc
		log.WithField("server_id", c.ID).Info("container started")
	}
	return d.view(ctx, t).server(c, vlr), nil
}

// create records the container of a launch. A name conflict is a
// concurrent launch of the same hostname (another plugin process): its
// container is answered when it asks for the same thing. Any other
// conflict (a fixed IP that is taken) is reported as the Pop says it.
func (d *Driver) create(ctx context.Context, t *target, req launchRequest, want launchInputs, log logrus.FieldLogger) (pop.Container, bool, error) {
	c, err := t.pop.Create(ctx, pop.ContainerConfig{
		Name:        req.hostname,
		Image:       want.image.ID,
		Flavour:     want.flavour,
		Endpoints:   want.endpoints,
		Env:         want.env,
		CapAdd:      want.capAdd,
		Sysctls:     want.sysctls,
		HostOptions: want.host,
	})
	if err == nil {
		log.WithFields(logrus.Fields{"server_id": c.ID, "image": want.image.ID, "flavour": want.flavour}).Info("container created")
		return c, true, nil
	}
	if !errors.Is(err, pop.ErrAlreadyExists) {
		return pop.Container{}, false, err
	}
	other, gerr := getContainer(ctx, t.pop, req.hostname)
	if gerr != nil {
		// Not a name race: the conflict is something else (a fixed IP).
		return pop.Container{}, false, err
	}
	diffs, derr := want.differences(ctx, t.pop, other)
	if derr != nil {
		return pop.Container{}, false, derr
	}
	if len(diffs) > 0 {
		return pop.Container{}, false, pop.Errorf(pop.ErrAlreadyExists, "hostname %s was just taken by a concurrent, different launch: %s; delete it first",
			req.hostname, strings.Join(diffs, "; "))
	}
	return other, false, nil
}

// undoCreate deletes the record a refused launch made, freeing its IPs.
// If that fails the record is reported as the exception's server, so that
// the NFVO releases it.
func (d *Driver) undoCreate(ctx context.Context, t *target, c pop.Container, vlr map[string]string, cause error, log logrus.FieldLogger) error {
	// The call's ctx may be what failed: undo with a fresh, short one.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := t.pop.Delete(dctx, pop.ByID(c.ID)); err != nil && !errors.Is(err, pop.ErrNotFound) {
		log.WithError(err).WithField("server_id", c.ID).Warn("launch refused; its record could not be deleted")
		return d.withPartial(ctx, t, c.ID, vlr, cause)
	}
	log.WithField("server_id", c.ID).Info("launch refused before start; its record is deleted")
	return cause
}

// refuseFloatingIPs: Docker VIMs have no floating IPs, and losing one the
// VNFD asks for silently would break whoever relies on it.
func refuseFloatingIPs(req launchRequest) error {
	for _, cp := range req.cps {
		if cp.FloatingIP != "" {
			return pop.Errorf(pop.ErrInvalidArgument, "connection point on virtual link %q asks for floating IP %q: Docker VIMs have no floating IPs (remove floatingIp from the VNFD)", cp.VirtualLinkReference, cp.FloatingIP)
		}
	}
	keys := make([]string, 0, len(req.floatingIPs))
	for k, v := range req.floatingIPs {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return pop.Errorf(pop.ErrInvalidArgument, "virtual link %q asks for floating IP %q: Docker VIMs have no floating IPs (remove floatingIp from the VNFD)", keys[0], req.floatingIPs[keys[0]])
	}
	return nil
}

// endpoints maps connection points, in interfaceId order, to Pop endpoints
// on their virtual links' networks (by virtual_link_reference_id, the
// network's extId, else by the virtual_link_reference name), fixed IPs
// honoured. vlr maps each network ID to its virtual link name, the key of
// the answer's ips. names are the networks' names, in endpoint order.
func (d *Driver) endpoints(ctx context.Context, pp pop.Pop, cps []VNFDConnectionPoint) (eps []pop.EndpointConfig, vlr map[string]string, names []string, err error) {
	sorted := append([]VNFDConnectionPoint(nil), cps...)
	sort.SliceStable(sorted, func(i, j int) bool { return ifaceID(sorted[i]) < ifaceID(sorted[j]) })
	eps = make([]pop.EndpointConfig, 0, len(sorted))
	vlr = map[string]string{}
	for _, cp := range sorted {
		if cp.VirtualLinkReference == "" && cp.VirtualLinkReferenceID == "" {
			return nil, nil, nil, pop.Errorf(pop.ErrInvalidArgument, "connection point (interfaceId %d) names no virtual link", ifaceID(cp))
		}
		n, err := findNetwork(ctx, pp, cp.VirtualLinkReferenceID, cp.VirtualLinkReference)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("virtual link %q: %w", cp.VirtualLinkReference, err)
		}
		if prev, dup := vlr[n.ID]; dup {
			return nil, nil, nil, pop.Errorf(pop.ErrInvalidArgument, "virtual links %q and %q are both on network %q: a container joins a network once", prev, cp.VirtualLinkReference, n.Name)
		}
		name := cp.VirtualLinkReference
		if name == "" {
			name = n.Name
		}
		vlr[n.ID] = name
		eps = append(eps, pop.EndpointConfig{Network: n.ID, IPv4: cp.FixedIP})
		names = append(names, n.Name)
	}
	return eps, vlr, names, nil
}

// attachAliases puts the alias directives' names on the endpoints of the
// networks they name (a virtual link's name or the network's). An alias
// for a network the launch does not join is refused, not dropped.
func attachAliases(eps []pop.EndpointConfig, vlr map[string]string, netNames []string, aliases map[string][]string) error {
	nets := make([]string, 0, len(aliases))
	for n := range aliases {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	for _, net := range nets {
		found := false
		for i := range eps {
			if vlr[eps[i].Network] == net || netNames[i] == net {
				eps[i].Aliases = append(eps[i].Aliases, aliases[net]...)
				found = true
				break
			}
		}
		if !found {
			joined := make([]string, 0, len(eps))
			for i := range eps {
				joined = append(joined, vlr[eps[i].Network])
			}
			return pop.Errorf(pop.ErrInvalidArgument, "%s%s=%s:%s: this launch does not join network %q (its networks: %s)",
				DirectivePrefix, DirectiveAlias, net, strings.Join(aliases[net], ","), net, listOrNone(joined))
		}
	}
	return nil
}

// checkPublishable refuses published ports when every network the launch
// joins is internal (the Pop's default network is): Docker publishes
// through a network with outside access and would silently publish
// nothing.
func checkPublishable(ctx context.Context, pp pop.Pop, netNames []string, ports []pop.PortBinding) error {
	if len(ports) == 0 {
		return nil
	}
	names := netNames
	if len(names) == 0 {
		inf, err := pp.Info(ctx)
		if err != nil {
			return err
		}
		names = []string{inf.DefaultNetwork}
	}
	for _, n := range names {
		nw, err := findNetwork(ctx, pp, n)
		if err != nil {
			return err
		}
		if !nw.Internal {
			return nil
		}
	}
	return pop.Errorf(pop.ErrInvalidArgument, "%s%s=%s: the launch joins only internal networks (%s), through which Docker publishes nothing; connect the VNFC to a network created for a virtual link",
		DirectivePrefix, DirectivePublish, publishString(ports[0]), strings.Join(names, ", "))
}

func ifaceID(cp VNFDConnectionPoint) int {
	if cp.InterfaceID == nil {
		return 0
	}
	return *cp.InterfaceID
}
