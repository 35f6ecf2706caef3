package vim

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// Driver is the Docker VIM: every method of the NFVO's VIM driver interface
// (and the VNFM extension methods) in terms of pop.Pop. It implements
// plugin.Driver and knows nothing of AMQP.
type Driver struct {
	cfg  Config
	log  logrus.FieldLogger
	pops *Pops

	launches flight[Server]
	deletes  *deleteTracker
	images   imageCache
	servers  serverMemo
}

var _ plugin.Driver = (*Driver)(nil)

// New makes a Driver. Close releases the Pops it opened.
func New(cfg Config, log logrus.FieldLogger) *Driver {
	if log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		log = l
	}
	cfg = cfg.withDefaults()
	return &Driver{
		cfg:     cfg,
		log:     log,
		pops:    NewPops(cfg.Open, cfg.OpenRemote, cfg.Verify, log),
		deletes: newDeleteTracker(),
	}
}

// Close closes every Pop the driver opened.
func (d *Driver) Close() error { return d.pops.Close() }

// Pops is the driver's Pop registry.
func (d *Driver) Pops() *Pops { return d.pops }

// Methods is the dispatch table: every (name, arity) of the protocol
// spec's §3 table, plus the VNFM extension methods.
func (d *Driver) Methods() []plugin.Method {
	return []plugin.Method{
		{Name: "refresh", Arity: 1, Handle: d.refresh},
		{Name: "listServer", Arity: 1, Handle: d.listServer},
		{Name: "listImages", Arity: 1, Handle: d.listImages},
		{Name: "listNetworks", Arity: 1, Handle: d.listNetworks},
		{Name: "listFlavors", Arity: 1, Handle: d.listFlavors},
		{Name: "getQuota", Arity: 1, Handle: d.getQuota},
		{Name: "getType", Arity: 1, Handle: d.getType},

		{Name: "launchInstanceAndWait", Arity: 10, Handle: d.launchInstanceAndWait},
		{Name: "launchInstanceAndWait", Arity: 8, Handle: d.launchInstanceAndWait},
		{Name: "launchInstance", Arity: 8, Handle: d.launchInstance},
		{Name: "rebuildServer", Arity: 3, Handle: d.rebuildServer},
		{Name: "deleteServerByIdAndWait", Arity: 2, Void: true, Handle: d.deleteServerByIDAndWait},

		{Name: "createNetwork", Arity: 2, Handle: d.createNetwork},
		{Name: "getNetworkById", Arity: 2, Handle: d.getNetworkByID},
		{Name: "updateNetwork", Arity: 2, Handle: d.updateNetwork},
		{Name: "deleteNetwork", Arity: 2, Handle: d.deleteNetwork},
		{Name: "createSubnet", Arity: 3, Handle: d.createSubnet},
		{Name: "updateSubnet", Arity: 3, Handle: d.updateSubnet},
		{Name: "getSubnetsExtIds", Arity: 2, Handle: d.getSubnetsExtIDs},
		{Name: "deleteSubnet", Arity: 2, Handle: d.deleteSubnet},

		{Name: "addImage", Arity: 3, Handle: d.addImage},
		{Name: "addImage", Arity: 4, Handle: d.addImage},
		{Name: "updateImage", Arity: 2, Handle: d.updateImage},
		{Name: "copyImage", Arity: 3, Handle: d.copyImage},
		{Name: "deleteImage", Arity: 2, Handle: d.deleteImage},

		{Name: "addFlavor", Arity: 2, Handle: d.addFlavor},
		{Name: "updateFlavor", Arity: 2, Handle: d.updateFlavor},
		{Name: "deleteFlavor", Arity: 2, Handle: d.deleteFlavor},

		// Extension methods for a VNFM (two-phase launch, the seed's way).
		{Name: "setMetadata", Arity: 3, Handle: d.setMetadata},
		{Name: "startServer", Arity: 2, Handle: d.startServer},
		{Name: "stopServer", Arity: 2, Handle: d.stopServer},
		{Name: "serverLogs", Arity: 3, Handle: d.serverLogs},
	}
}

// target is the VIM instance of a call and its Pop.
type target struct {
	vim *VimInstance
	key EndpointKey
	pop pop.Pop
	log logrus.FieldLogger
}

// target decodes parameter 0 and finds (or opens) its Pop.
func (d *Driver) target(ctx context.Context, p plugin.Params) (*target, error) {
	var v VimInstance
	if err := p.Decode(0, "vimInstance", &v); err != nil {
		return nil, err
	}
	if err := v.checkType(); err != nil {
		return nil, pop.Wrap(pop.ErrInvalidArgument, err, "parameter 0 (vimInstance)")
	}
	key, err := EndpointOf(&v, d.cfg.DefaultSocket)
	if err != nil {
		return nil, fmt.Errorf("vim instance %q: %w", v.Name, err)
	}
	if err := d.cfg.allowSocket(key, v.ProjectID); err != nil {
		return nil, fmt.Errorf("vim instance %q: %w", v.Name, err)
	}
	pp, err := d.pops.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("vim instance %q: %w", v.Name, err)
	}
	return &target{vim: &v, key: key, pop: pp, log: d.log.WithFields(logrus.Fields{"vim": v.Name, "endpoint": key.URL})}, nil
}

// stringParam decodes required string parameter i.
func stringParam(p plugin.Params, i int, name string) (string, error) {
	var s string
	err := p.Decode(i, name, &s)
	return s, err
}

// optionalString decodes string parameter i, "" when null.
func optionalString(p plugin.Params, i int, name string) (string, error) {
	var s string
	_, err := p.DecodeOptional(i, name, &s)
	return s, err
}
