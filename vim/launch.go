package vim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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

	return d.launches.do(ctx, t.key.URL+"\x00"+req.hostname, func() (Server, error) {
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

func (d *Driver) launchOnce(ctx context.Context, t *target, req launchRequest, env map[string]string,
	opts LaunchOptions, flavour string, deferred bool, log logrus.FieldLogger) (Server, error) {
	img, err := resolveImage(ctx, t.pop, req.image)
	if err != nil {
		return Server{}, err
	}
	if flavour != "" {
		f, err := resolveFlavour(ctx, t.pop, flavour)
		if err != nil {
			return Server{}, err
		}
		flavour = f.Name
	}
	endpoints, vlr, err := d.endpoints(ctx, t.pop, req.cps)
	if err != nil {
		return Server{}, err
	}

	c, err := getContainer(ctx, t.pop, req.hostname)
	switch {
	case err == nil:
		log.WithField("state", c.State).Info("launch: container exists, answering it")
	case errors.Is(err, pop.ErrNotFound):
		c, err = t.pop.Create(ctx, pop.ContainerConfig{
			Name:      req.hostname,
			Image:     img.ID,
			Flavour:   flavour,
			Endpoints: endpoints,
			Env:       env,
			CapAdd:    opts.CapAdd,
			Sysctls:   opts.Sysctls,
		})
		if errors.Is(err, pop.ErrAlreadyExists) {
			// Created meanwhile by someone else (another plugin process).
			c, err = getContainer(ctx, t.pop, req.hostname)
		}
		if err != nil {
			return Server{}, fmt.Errorf("create: %w", err)
		}
		log.WithFields(logrus.Fields{"server_id": c.ID, "image": img.ID, "flavour": flavour}).Info("container created")
	default:
		return Server{}, err
	}

	// Start what a launch should have started: a container left CREATED (a
	// crash between create and start) or FAILED (a start that failed, now
	// retried). An EXITED one is answered as it is: it ran.
	if !deferred && (c.State == pop.StateCreated || c.State == pop.StateFailed) {
		sc, err := startChecked(ctx, t.pop, pop.ByID(c.ID))
		if err != nil {
			return Server{}, d.withPartial(ctx, t, c.ID, vlr, fmt.Errorf("start: %w", err))
		}
		c = sc
		log.WithField("server_id", c.ID).Info("container started")
	}
	return d.view(ctx, t).server(c, vlr), nil
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
// the answer's ips.
func (d *Driver) endpoints(ctx context.Context, pp pop.Pop, cps []VNFDConnectionPoint) ([]pop.EndpointConfig, map[string]string, error) {
	sorted := append([]VNFDConnectionPoint(nil), cps...)
	sort.SliceStable(sorted, func(i, j int) bool { return ifaceID(sorted[i]) < ifaceID(sorted[j]) })
	eps := make([]pop.EndpointConfig, 0, len(sorted))
	vlr := map[string]string{}
	for _, cp := range sorted {
		if cp.VirtualLinkReference == "" && cp.VirtualLinkReferenceID == "" {
			return nil, nil, pop.Errorf(pop.ErrInvalidArgument, "connection point (interfaceId %d) names no virtual link", ifaceID(cp))
		}
		n, err := findNetwork(ctx, pp, cp.VirtualLinkReferenceID, cp.VirtualLinkReference)
		if err != nil {
			return nil, nil, fmt.Errorf("virtual link %q: %w", cp.VirtualLinkReference, err)
		}
		if prev, dup := vlr[n.ID]; dup {
			return nil, nil, pop.Errorf(pop.ErrInvalidArgument, "virtual links %q and %q are both on network %q: a container joins a network once", prev, cp.VirtualLinkReference, n.Name)
		}
		name := cp.VirtualLinkReference
		if name == "" {
			name = n.Name
		}
		vlr[n.ID] = name
		eps = append(eps, pop.EndpointConfig{Network: n.ID, IPv4: cp.FixedIP})
	}
	return eps, vlr, nil
}

func ifaceID(cp VNFDConnectionPoint) int {
	if cp.InterfaceID == nil {
		return 0
	}
	return *cp.InterfaceID
}
