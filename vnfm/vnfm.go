package vnfm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// VNFM is the Docker VNFM: it serves the NFVO's lifecycle commands on its
// endpoint queue and drives the containers through the VIM driver plugin.
type VNFM struct {
	cfg    Config
	log    logrus.FieldLogger
	plugin *nfvo.NFVO // the NFVO-side plugin client (Call, FindPlugin)
	vims   *vimStore
	mon    *monitor

	credsMu sync.Mutex
	creds   nfvo.Credentials

	pubMu  sync.Mutex
	pubSup *amqpx.Supervisor
	pubCh  *amqp.Channel
	pubFor *amqp.Connection

	sem      chan struct{}
	inflight sync.WaitGroup
	bg       sync.WaitGroup // stalled registration attempts
	active   atomic.Int64   // commands being handled
	// pending counts the commands acked but not started, until they start
	// or their abandoned answer is sent; abandon is closed when the drain
	// ends, and those still waiting for a worker are then answered.
	pending sync.WaitGroup
	abandon chan struct{}

	recMu   sync.Mutex
	records map[string]Obj // latest VNFR by name, for LOG_REQUEST and the monitor

	consuming chan struct{} // closed once the command queue is consumed
	consOnce  sync.Once
}

// New builds a VNFM from a validated configuration.
func New(cfg Config, log logrus.FieldLogger) (*VNFM, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		log = l
	}
	log = log.WithField("vnfm", cfg.Endpoint)
	pc, err := nfvo.New(nfvo.Options{
		AMQPURL:       cfg.amqpURL(cfg.NFVOUser, cfg.NFVOPassword),
		ManagementURL: cfg.ManagementURL,
		AdminUser:     cfg.NFVOUser,
		AdminPassword: cfg.NFVOPassword,
		CallTimeout:   cfg.PluginTimeout,
		Logger:        log,
	})
	if err != nil {
		return nil, fmt.Errorf("vnfm: plugin client: %w", err)
	}
	vs, err := newVimStore(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("vnfm: %w", err)
	}
	v := &VNFM{
		cfg:       cfg,
		log:       log,
		plugin:    pc,
		vims:      vs,
		sem:       make(chan struct{}, cfg.Workers),
		records:   map[string]Obj{},
		consuming: make(chan struct{}),
		abandon:   make(chan struct{}),
	}
	v.mon = newMonitor(v)
	return v, nil
}

// Consuming is closed once the VNFM consumes its command queue.
func (v *VNFM) Consuming() <-chan struct{} { return v.consuming }

// Run registers, serves commands until ctx ends, lets the commands in
// flight finish (bounded), then unregisters.
func (v *VNFM) Run(ctx context.Context) error {
	creds, err := v.register(ctx)
	if err != nil {
		return err
	}
	v.setCreds(creds)
	// Handlers outlive ctx by a drain period so a command being worked on
	// still gets its answer at shutdown.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()

	monDone := make(chan struct{})
	go func() { defer close(monDone); v.mon.run(ctx, hctx) }()

	serveErr := v.serve(ctx, hctx)

	drained := make(chan struct{})
	go func() { v.inflight.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(v.cfg.DrainTimeout):
		v.log.Warn("commands still running at shutdown; abandoning them")
		// First answer the commands still waiting for a worker, while the
		// connection is up; then cut the running ones off, which answer
		// with their error.
		close(v.abandon)
		v.pending.Wait()
		hcancel()
		<-drained
	}
	hcancel()
	<-monDone
	v.closePublisher()
	bgDone := make(chan struct{})
	go func() { v.bg.Wait(); close(bgDone) }()
	select {
	case <-bgDone:
	case <-time.After(5 * time.Second):
		v.log.Warn("a stalled registration attempt is still running at shutdown")
	}
	if v.cfg.Unregister {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := v.unregister(uctx, v.getCreds()); err != nil {
			v.log.WithError(err).Warn("unregister")
		} else {
			v.log.Info("unregistered from the NFVO")
		}
		cancel()
	}
	if errors.Is(serveErr, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return serveErr
}

func (v *VNFM) setCreds(c nfvo.Credentials) {
	v.credsMu.Lock()
	v.creds = c
	v.credsMu.Unlock()
}

func (v *VNFM) getCreds() nfvo.Credentials {
	v.credsMu.Lock()
	defer v.credsMu.Unlock()
	return v.creds
}

func (v *VNFM) privateURL() string {
	c := v.getCreds()
	return v.cfg.amqpURL(c.RabbitUsername, c.RabbitPassword)
}

// serve keeps the command queue consumed: a supervised connection with the
// private credentials, redeclared and reconsumed after every reconnect. A
// broker refusal of the credentials (the NFVO forgot us) re-registers.
func (v *VNFM) serve(ctx, hctx context.Context) error {
	for {
		// Neither on ctx nor on hctx: the replies of draining handlers, and
		// of those cut off at the drain's end, still need the connection
		// after both end; Run closes it (closePublisher).
		sup := amqpx.Supervise(context.WithoutCancel(hctx), amqpx.DialConfig{URL: v.privateURL(), Name: "obdocker-vnfm-" + v.cfg.Endpoint, Log: v.log})
		v.pubMu.Lock()
		old := v.pubSup
		v.pubSup = sup
		v.pubMu.Unlock()
		if old != nil {
			old.Close()
		}
		err := v.consumeLoop(ctx, hctx, sup)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, amqpx.ErrAccessRefused) {
			return err
		}
		v.log.WithError(err).Warn("the broker refused our credentials; registering again")
		creds, rerr := v.register(ctx)
		if rerr != nil {
			return rerr
		}
		v.setCreds(creds)
	}
}

func (v *VNFM) consumeLoop(ctx, hctx context.Context, sup *amqpx.Supervisor) error {
	for {
		conn, err := sup.Conn(ctx)
		if err != nil {
			return err
		}
		err = v.consume(ctx, hctx, conn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if amqpx.IsAccessRefused(err) {
			return fmt.Errorf("consume: %w", &refused{err})
		}
		v.log.WithError(err).Warn("command queue consumer ended; resubscribing")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

type refused struct{ err error }

func (r *refused) Error() string   { return r.err.Error() }
func (r *refused) Unwrap() []error { return []error{amqpx.ErrAccessRefused, r.err} }

// consume declares the endpoint queue with the NFVO's flags (durable,
// auto-delete, not exclusive: spec §1.4), binds it and consumes it. Every
// delivery is acked on receipt and handled in its own goroutine: a late
// ack and a redelivery would replay INSTANTIATE (a second GRANT, a
// duplicate VNFR), and a command may take minutes.
func (v *VNFM) consume(ctx, hctx context.Context, conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	q := v.cfg.Endpoint
	if _, err := ch.QueueDeclare(q, true, true, false, false, nil); err != nil {
		return fmt.Errorf("declare %s: %w", q, err)
	}
	if err := ch.QueueBind(q, q, nfvo.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind %s: %w", q, err)
	}
	if err := ch.Qos(v.cfg.Workers, 0, false); err != nil {
		return fmt.Errorf("qos: %w", err)
	}
	deliveries, err := ch.Consume(q, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", q, err)
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	v.log.WithField("queue", q).Info("serving NFVO commands")
	v.consOnce.Do(func() { close(v.consuming) })
	// At shutdown, keep consuming until no command has run for a quiet
	// period (bounded): cancelling the consumer deletes the auto-delete
	// queue, and the NFVO's next command for a deployment in progress
	// (START after our INSTANTIATE reply) would be dropped unroutable.
	var quiet <-chan time.Time
	var idleSince time.Time
	drainDeadline := time.Time{}
	done := ctx.Done()
	for {
		select {
		case <-done:
			done = nil
			drainDeadline = time.Now().Add(v.cfg.DrainTimeout)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			quiet = t.C
			v.log.Info("stopping: serving until the commands in progress are done")
		case <-quiet:
			if v.active.Load() > 0 {
				idleSince = time.Time{}
			} else if idleSince.IsZero() {
				idleSince = time.Now()
			}
			if !idleSince.IsZero() && time.Since(idleSince) >= time.Second || time.Now().After(drainDeadline) {
				return ctx.Err()
			}
		case aerr := <-closed:
			if aerr != nil {
				return aerr
			}
			return errors.New("channel closed")
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("deliveries ended")
			}
			if err := d.Ack(false); err != nil {
				v.log.WithError(err).Warn("ack failed; the command may be redelivered")
			}
			v.inflight.Add(1)
			v.pending.Add(1)
			v.active.Add(1)
			idleSince = time.Time{}
			go v.handleDelivery(hctx, d)
		}
	}
}

// handleDelivery runs one command and answers it exactly once on its
// reply_to (spec §2.1): the result, an ERROR, or JSON null.
func (v *VNFM) handleDelivery(ctx context.Context, d amqp.Delivery) {
	defer v.inflight.Done()
	defer v.active.Add(-1)
	var reply Obj
	if v.startWork(ctx) {
		defer func() { <-v.sem }()
		v.pending.Done()
		reply = v.safeHandle(ctx, d.Body)
	} else {
		// Run waits for this answer before it closes the connection.
		defer v.pending.Done()
		reply = v.abandoned(d.Body)
	}
	if d.ReplyTo == "" {
		v.log.Debug("command without reply_to; nothing to answer")
		return
	}
	body := []byte("null")
	if reply != nil {
		b, err := json.Marshal(reply)
		if err != nil {
			v.log.WithError(err).Error("encode reply; answering null")
		} else {
			body = b
		}
	}
	msg := amqp.Publishing{ContentType: "text/plain", CorrelationId: d.CorrelationId, Body: body}
	if err := v.publish(ctx, d.ReplyTo, msg); err != nil {
		v.log.WithError(err).Error("could not answer the NFVO; its waiting thread stays blocked")
	}
}

// startWork waits for a worker. False once the drain has ended: the
// command is then never started (and no worker is held).
func (v *VNFM) startWork(ctx context.Context) bool {
	select {
	case v.sem <- struct{}{}:
	case <-v.abandon:
		return false
	case <-ctx.Done():
		return false
	}
	// Both may have been ready at once: the drain's end wins.
	select {
	case <-v.abandon:
		<-v.sem
		return false
	default:
		return true
	}
}

// abandoned answers a command acked but never started because the VNFM
// shut down first, so that the NFVO's waiting thread is released: ERROR
// with the reason when the command carries a VNFR for it; otherwise what
// its action allows, since an ERROR without a VNFR fails in the NFVO's
// ErrorTask (spec §3.2).
func (v *VNFM) abandoned(body []byte) Obj {
	msg, err := Decode(body)
	if err != nil {
		return nil
	}
	action := Str(msg, "action")
	reason := fmt.Sprintf("the Docker VNFM shut down before it could start %s; send it again once the VNFM is back", action)
	log := v.log.WithField("action", action)
	switch action {
	case ActionLogRequest:
		log.Warn("shutting down: answering LOG_REQUEST with no log")
		return logAnswer([]any{}, []any{reason})
	case ActionInstantiate, ActionModify, ActionStart, ActionStop, ActionReleaseResources,
		ActionScaleOut, ActionHeal, ActionResume, ActionUpdate:
		if r := RecordOf(msg); r != nil {
			log.WithField("vnfr", Str(r, "name")).Warn("shutting down: answering ERROR to a command not started")
			return failed(r, errors.New(reason))
		}
	}
	// ERROR, SCALE_IN, EXECUTE and unknown actions are answered null when
	// run too; the others lack the VNFR an ERROR needs.
	log.Warn("shutting down: answering null to a command not started")
	return nil
}

func (v *VNFM) safeHandle(ctx context.Context, body []byte) (reply Obj) {
	defer func() {
		if r := recover(); r != nil {
			v.log.WithField("panic", r).WithField("stack", string(debug.Stack())).Error("command handler panicked; answering null")
			reply = nil
		}
	}()
	msg, err := Decode(body)
	if err != nil {
		v.log.WithError(err).Warn("undecodable command; answering null")
		return nil
	}
	return v.dispatch(ctx, msg)
}

// publish sends to the default exchange with confirms, retrying across
// reconnects for up to 30 s.
func (v *VNFM) publish(ctx context.Context, key string, msg amqp.Publishing) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var last error
	for attempt := 0; ; attempt++ {
		if err := v.publishOnce(pctx, key, msg); err == nil {
			return nil
		} else {
			last = err
		}
		if !(amqpx.Backoff{}).Sleep(pctx, attempt) {
			return fmt.Errorf("publish to %s: %w", key, last)
		}
	}
}

func (v *VNFM) publishOnce(ctx context.Context, key string, msg amqp.Publishing) error {
	v.pubMu.Lock()
	defer v.pubMu.Unlock()
	if v.pubSup == nil {
		return errors.New("not connected")
	}
	conn, err := v.pubSup.Conn(ctx)
	if err != nil {
		return err
	}
	if v.pubCh == nil || v.pubCh.IsClosed() || v.pubFor != conn {
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("open channel: %w", err)
		}
		if err := ch.Confirm(false); err != nil {
			ch.Close()
			return fmt.Errorf("confirm mode: %w", err)
		}
		v.pubCh, v.pubFor = ch, conn
	}
	conf, err := v.pubCh.PublishWithDeferredConfirmWithContext(ctx, "", key, false, false, msg)
	if err != nil {
		v.pubCh.Close()
		v.pubCh = nil
		return err
	}
	ok, err := conf.WaitContext(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("broker nacked the message")
	}
	return nil
}

func (v *VNFM) closePublisher() {
	v.pubMu.Lock()
	defer v.pubMu.Unlock()
	if v.pubCh != nil {
		v.pubCh.Close()
		v.pubCh = nil
	}
	if v.pubSup != nil {
		v.pubSup.Close()
		v.pubSup = nil
	}
}

// rpc sends a request to the NFVO on vnfm.nfvo.actions.reply and waits for
// its answer (spec §2.2), bounded by RPCTimeout: the NFVO has no timeout of
// its own. A JSON null answer is returned as a nil Obj.
func (v *VNFM) rpc(ctx context.Context, msg Obj) (Obj, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", Str(msg, "action"), err)
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.RPCTimeout)
	defer cancel()
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: v.privateURL(), Name: "obdocker-vnfm-rpc-" + v.cfg.Endpoint, Log: v.log}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Str(msg, "action"), err)
	}
	defer cl.Close()
	d, err := cl.Call(ctx, "", v.cfg.ActionsReplyQueue, amqp.Publishing{ContentType: "text/plain", Body: body})
	if err != nil {
		return nil, fmt.Errorf("%s: no answer from the NFVO: %w", Str(msg, "action"), err)
	}
	val, err := DecodeValue(d.Body)
	if err != nil {
		return nil, fmt.Errorf("%s answer: %w", Str(msg, "action"), err)
	}
	if val == nil {
		return nil, nil
	}
	o, ok := val.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s answer is not an object", Str(msg, "action"))
	}
	return o, nil
}

// notify sends a message on vnfm.nfvo.actions (fire-and-forget, spec §2.3).
func (v *VNFM) notify(ctx context.Context, msg Obj) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return v.publish(ctx, v.cfg.ActionsQueue, amqp.Publishing{ContentType: "text/plain", Body: body})
}

// remember keeps the latest VNFR seen for a name.
func (v *VNFM) remember(vnfr Obj) {
	if n := Str(vnfr, "name"); n != "" {
		v.recMu.Lock()
		v.records[n] = Clone(vnfr)
		v.recMu.Unlock()
	}
}

func (v *VNFM) forget(vnfr Obj) {
	v.recMu.Lock()
	delete(v.records, Str(vnfr, "name"))
	v.recMu.Unlock()
}

func (v *VNFM) recordByName(name string) Obj {
	v.recMu.Lock()
	defer v.recMu.Unlock()
	return Clone(v.records[name])
}
