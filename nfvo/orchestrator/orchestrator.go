package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// The NFVO's VNFM queues (spec §1.1).
const (
	DefaultActionsQueue      = "vnfm.nfvo.actions"
	DefaultActionsReplyQueue = "vnfm.nfvo.actions.reply"
)

// Options configure an orchestrator.
type Options struct {
	// NFVO is the stand-in whose plugin client and management API are
	// used (it may also be answering registrations).
	NFVO *nfvo.NFVO
	// AMQPURL is the broker as the NFVO admin (default
	// amqp://admin:openbaton@127.0.0.1:5672/).
	AMQPURL string
	// ActionsQueue and ActionsReplyQueue rename the NFVO's VNFM queues;
	// tests running several orchestrators on one broker make them unique
	// (the VNFM user's unanchored permission regexes still match).
	ActionsQueue      string
	ActionsReplyQueue string
	// PluginQueue is the VIM driver's queue; empty: found by VIM type.
	PluginQueue string
	// StateFile, if set, keeps the VIM instances, NSRs and VNFRs across
	// restarts (the NFVO's database): loaded at Start, written after
	// every change and at Close.
	StateFile string
	// OnEvent, if set, is called for every status change.
	OnEvent func(Event)
	Logger  logrus.FieldLogger
}

// Event is one status change of an NSR or a VNFR.
type Event struct {
	NSR    string
	VNFR   string // empty for the NSR itself
	Status string
	Task   string
	Detail string
}

// Orchestrator plays the NFVO for VNFMs.
type Orchestrator struct {
	opts Options
	log  logrus.FieldLogger

	cancel context.CancelFunc
	done   chan struct{}
	ctx    context.Context
	wg     sync.WaitGroup

	mu      sync.Mutex
	nsrs    map[string]*NSR
	vnfrs   map[string]*vnfrEntry // by VNFR id
	vims    map[string]obj        // by name
	waitc   chan struct{}
	pending []Event
	dirty   chan struct{} // records changed since the last save (StateFile)
}

type vnfrEntry struct {
	nsr    *NSR
	record obj
}

// NSR is a network service record.
type NSR struct {
	ID     string
	Name   string
	Status string

	vim      obj
	nsd      obj
	vnfds    map[string]obj // by VNFD name
	vlrs     []obj
	deps     map[string]*dependency // by target VNFD name
	vnfrIDs  map[string]string      // VNFD name -> VNFR id
	status   map[string]string      // VNFD name -> VNFR status
	nets     map[string]obj         // virtual link name -> network answer
	netMu    sync.Mutex
	released map[string]bool
	deleted  bool
	errors   []string
	waiting  map[string]bool // targets waiting for sources
	// Duplicates counts VNFRs persisted twice for one VNFD (a replayed
	// INSTANTIATE makes a second GRANT).
	Duplicates int
	// StaleSaves counts records that came back with a stale hbVersion.
	StaleSaves int
}

type dependency struct {
	target  string
	sources map[string][]string // source VNFD name -> parameters
	record  obj                 // VNFRecordDependency
}

// Start declares the NFVO's VNFM queues and serves them.
func Start(ctx context.Context, opts Options) (*Orchestrator, error) {
	if opts.NFVO == nil {
		return nil, errors.New("orchestrator: no NFVO stand-in")
	}
	if opts.AMQPURL == "" {
		opts.AMQPURL = "amqp://admin:openbaton@127.0.0.1:5672/"
	}
	if opts.ActionsQueue == "" {
		opts.ActionsQueue = DefaultActionsQueue
	}
	if opts.ActionsReplyQueue == "" {
		opts.ActionsReplyQueue = DefaultActionsReplyQueue
	}
	if opts.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		opts.Logger = l
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	o := &Orchestrator{
		opts: opts, log: opts.Logger.WithField("component", "nfvo-orchestrator"),
		cancel: cancel, done: make(chan struct{}), ctx: rctx,
		nsrs: map[string]*NSR{}, vnfrs: map[string]*vnfrEntry{}, vims: map[string]obj{},
		waitc: make(chan struct{}), dirty: make(chan struct{}, 1),
	}
	if opts.StateFile != "" {
		st, err := loadState(opts.StateFile)
		if err != nil {
			cancel()
			return nil, err
		}
		o.restore(st)
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			o.saver(rctx)
		}()
	}
	servers := []*amqpx.Server{}
	for _, q := range []struct {
		name string
		h    amqpx.Handler
	}{{opts.ActionsReplyQueue, o.handleRPC}, {opts.ActionsQueue, o.handleVoid}} {
		queue := q.name
		srv, err := amqpx.NewServer(amqpx.ServerConfig{
			Dial:  amqpx.DialConfig{URL: opts.AMQPURL, Name: "obdocker-nfvo-orchestrator-" + queue, Log: opts.Logger},
			Queue: queue,
			Declare: func(ch *amqp.Channel) error {
				if err := ch.ExchangeDeclare(nfvo.Exchange, "topic", true, false, false, false, nil); err != nil {
					return err
				}
				if _, err := ch.QueueDeclare(queue, true, true, false, false, nil); err != nil {
					return err
				}
				return ch.QueueBind(queue, queue, nfvo.Exchange, false, nil)
			},
			// The NFVO's listener concurrency is 25.
			Workers:     25,
			Connections: 1,
			Handler:     q.h,
		})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("orchestrator: %w", err)
		}
		servers = append(servers, srv)
	}
	for _, s := range servers {
		s := s
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			if err := s.Run(rctx); err != nil && rctx.Err() == nil {
				o.log.WithError(err).Error("queue server stopped")
			}
		}()
	}
	go func() { o.wg.Wait(); close(o.done) }()
	for _, s := range servers {
		for s.Consuming() == 0 {
			select {
			case <-ctx.Done():
				o.Close()
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return o, nil
}

// Close stops serving; commands in flight are abandoned. With a
// StateFile the records are saved a last time.
func (o *Orchestrator) Close() {
	o.cancel()
	<-o.done
	if o.opts.StateFile != "" {
		if err := saveState(o.opts.StateFile, o.snapshot()); err != nil {
			o.log.WithError(err).Error("records not saved")
		}
	}
}

// saver writes the records file after changes, one write at a time.
func (o *Orchestrator) saver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.dirty:
		}
		if err := saveState(o.opts.StateFile, o.snapshot()); err != nil {
			o.log.WithError(err).Error("records not saved")
		}
	}
}

// markDirty asks the saver for a write; it never blocks.
func (o *Orchestrator) markDirty() {
	select {
	case o.dirty <- struct{}{}:
	default:
	}
}

func (o *Orchestrator) emit(e Event) {
	o.log.WithFields(logrus.Fields{"nsr": e.NSR, "vnfr": e.VNFR, "status": e.Status, "task": e.Task}).Info("status")
	if o.opts.OnEvent != nil {
		o.opts.OnEvent(e)
	}
}

func (o *Orchestrator) changedLocked() {
	o.markDirty()
	close(o.waitc)
	o.waitc = make(chan struct{})
}

// pluginQueue is the VIM driver queue for a VIM instance.
func (o *Orchestrator) pluginQueue(ctx context.Context, vim obj) (string, error) {
	if o.opts.PluginQueue != "" {
		return o.opts.PluginQueue, nil
	}
	typ := str(vim, "type")
	if typ == "" {
		typ = "docker"
	}
	return o.opts.NFVO.FindPlugin(ctx, typ)
}

// call calls a VIM driver method with the VIM instance first.
func (o *Orchestrator) call(ctx context.Context, vim obj, method string, params ...any) (json.RawMessage, error) {
	q, err := o.pluginQueue(ctx, vim)
	if err != nil {
		return nil, err
	}
	return o.opts.NFVO.Call(ctx, q, method, append([]any{vim}, params...)...)
}

// RegisterVIM registers a VIM instance as the NFVO does: refresh through
// the plugin, then keep it with an id.
func (o *Orchestrator) RegisterVIM(ctx context.Context, vim map[string]any) (map[string]any, error) {
	vim = clone(vim)
	ans, err := o.call(ctx, vim, "refresh")
	if err != nil {
		return nil, fmt.Errorf("register vim %s: %w", str(vim, "name"), err)
	}
	ref, err := decodeObj(ans)
	if err != nil {
		return nil, fmt.Errorf("register vim: refresh answer: %w", err)
	}
	if str(ref, "id") == "" {
		ref["id"] = uuid.NewString()
		ref["hbVersion"] = json.Number("0")
	}
	o.mu.Lock()
	o.vims[str(ref, "name")] = ref
	o.mu.Unlock()
	o.markDirty()
	return clone(ref), nil
}

func (o *Orchestrator) vim(name string) obj {
	o.mu.Lock()
	defer o.mu.Unlock()
	return clone(o.vims[name])
}

// queueOf finds the command queue of the VNFM that a VNFD's or VNFR's
// "endpoint" names: the NFVO matches it against the registered VNFMs'
// type and sends to that VNFM's endpoint (spec §1.2).
func (o *Orchestrator) queueOf(vnfmType string) (string, error) {
	ep, ok := o.opts.NFVO.VNFMByType(vnfmType)
	if !ok {
		return "", fmt.Errorf("no VNFManager of type %s is registered", vnfmType)
	}
	return ep.Endpoint, nil
}

// sendCommand sends an NFVO→VNFM command as RabbitVnfmSender does (spec
// §2.1): to openbaton-exchange with the endpoint of the VNFM of this type
// as key, text/plain, persistent, waiting without a timeout of its own;
// the reply then runs as a VNFM→NFVO action.
func (o *Orchestrator) sendCommand(vnfmType string, msg obj) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		reply, err := o.command(o.ctx, vnfmType, msg)
		if err != nil {
			if o.ctx.Err() == nil {
				o.log.WithError(err).WithField("action", str(msg, "action")).Error("command failed")
			}
			return
		}
		o.executeAction(o.ctx, reply)
	}()
}

func (o *Orchestrator) command(ctx context.Context, vnfmType string, msg obj) (obj, error) {
	endpoint, err := o.queueOf(vnfmType)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", str(msg, "action"), err)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: o.opts.AMQPURL, Name: "obdocker-nfvo-vnfm-sender", Log: o.opts.Logger}})
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	d, err := cl.Call(ctx, nfvo.Exchange, endpoint, amqp.Publishing{
		ContentType: "text/plain", ContentEncoding: "UTF-8", DeliveryMode: amqp.Persistent, Body: body,
	})
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", str(msg, "action"), endpoint, err)
	}
	v, err := decode(d.Body)
	if err != nil {
		return nil, fmt.Errorf("%s reply: %w", str(msg, "action"), err)
	}
	if v == nil {
		o.log.WithField("action", str(msg, "action")).Info("VNFM answered null")
		return nil, nil
	}
	r, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s reply is not an object", str(msg, "action"))
	}
	return r, nil
}
