package amqpx

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"
)

// Request is one delivery as a handler sees it.
type Request struct {
	Body          []byte
	ContentType   string
	CorrelationID string
	ReplyTo       string
	Exchange      string
	RoutingKey    string
	Redelivered   bool
}

// Reply is what the server publishes to the request's reply_to queue on the
// default exchange, with the request's correlation id.
type Reply struct {
	Body        []byte
	ContentType string
}

// Handler serves one request. A nil reply means "send nothing"; the request
// is acked either way. A request without reply_to is still handed over
// (fire-and-forget messages exist), and any reply to it is dropped.
type Handler func(ctx context.Context, req *Request) *Reply

// ServerConfig configures an RPC server.
type ServerConfig struct {
	// Dial is the broker and the base connection name; consuming
	// connections are named Name-c0, Name-c1…, the reply connection
	// Name-reply.
	Dial DialConfig
	// Queue is consumed by every worker.
	Queue string
	// Declare declares and binds Queue. It runs on every worker channel
	// before consuming, so it is re-run after every reconnect. Nil: the
	// queue must exist.
	Declare func(ch *amqp.Channel) error
	// Workers is the number of concurrent handlers (default 10), each on
	// its own channel with prefetch 1.
	Workers int
	// Connections is the number of consuming connections the workers are
	// spread over (default 2): while one reconnects, the other keeps an
	// auto-delete queue, and the unacked requests, alive.
	Connections int
	// Handler serves requests.
	Handler Handler
	// OnPanic builds the reply for a handler that panicked; nil: no reply.
	OnPanic func(req *Request, recovered any) *Reply
	// ConfirmTimeout bounds the wait for the broker's confirm of one reply
	// (default 5 s).
	ConfirmTimeout time.Duration
	// ReplyTimeout bounds all attempts to publish one reply, across
	// reconnects of the reply connection (default 30 s). When it runs out
	// the request is requeued (nack) rather than acked unanswered.
	ReplyTimeout time.Duration
	// DrainTimeout bounds how long in-flight handlers may run after Run's
	// ctx is cancelled; then their ctx is cancelled (default 10 s).
	DrainTimeout time.Duration
}

// Server is an RPC server: N workers over a few supervised connections.
type Server struct {
	cfg ServerConfig
	log logrus.FieldLogger

	consuming atomic.Int64
	inflight  atomic.Int64

	mu   sync.Mutex
	sups []*Supervisor
	pub  *Supervisor

	dedup dedup
}

// NewServer validates cfg and fills its defaults.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Dial.URL == "" {
		return nil, errors.New("amqpx server: no broker URL")
	}
	if cfg.Queue == "" {
		return nil, errors.New("amqpx server: no queue")
	}
	if cfg.Handler == nil {
		return nil, errors.New("amqpx server: no handler")
	}
	if cfg.Workers == 0 {
		cfg.Workers = 10
	}
	if cfg.Connections == 0 {
		cfg.Connections = defaultConnections
	}
	if cfg.Workers < 1 || cfg.Connections < 1 {
		return nil, fmt.Errorf("amqpx server: workers (%d) and connections (%d) must be positive", cfg.Workers, cfg.Connections)
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 5 * time.Second
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = 30 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.Dial.Name == "" {
		cfg.Dial.Name = "amqpx-" + cfg.Queue
	}
	return &Server{
		cfg:   cfg,
		log:   cfg.Dial.logger().WithField("queue", cfg.Queue),
		dedup: newDedup(),
	}, nil
}

// defaultConnections is the number of consuming connections of a server
// whose config leaves it zero.
const defaultConnections = 2

// ConnectionNames lists the client-provided names of the server's
// connections: the consuming ones, then the reply one.
func (s *Server) ConnectionNames() []string {
	return ServerConnectionNames(s.cfg.Dial.Name, s.cfg.Connections)
}

// ServerConnectionNames lists the connection names of a server whose
// ServerConfig has Dial.Name name and Connections connections (0: the
// default), so that a caller can name them before the server exists
// (metrics series that must exist from the start).
func ServerConnectionNames(name string, connections int) []string {
	if connections == 0 {
		connections = defaultConnections
	}
	var names []string
	for i := 0; i < connections; i++ {
		names = append(names, fmt.Sprintf("%s-c%d", name, i))
	}
	return append(names, name+"-reply")
}

// Consuming is the number of workers currently subscribed to the queue.
func (s *Server) Consuming() int { return int(s.consuming.Load()) }

// InFlight is the number of requests being handled right now.
func (s *Server) InFlight() int { return int(s.inflight.Load()) }

// Dials sums the successful dials of all the server's connections; it grows
// by one each time a lost connection comes back.
func (s *Server) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sp := range s.sups {
		n += sp.Dials()
	}
	if s.pub != nil {
		n += s.pub.Dials()
	}
	return n
}

// Run serves until ctx is done, then stops consuming, lets in-flight
// handlers reply and ack (bounded by DrainTimeout), closes its connections
// and returns nil. It returns early with an error wrapping ErrAccessRefused
// when the broker refuses the credentials on a (re)dial.
func (s *Server) Run(ctx context.Context) error {
	// Connections outlive ctx: in-flight replies still need them.
	connCtx, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConns()
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()

	names := s.ConnectionNames()
	var sups []*Supervisor
	for i := 0; i < s.cfg.Connections; i++ {
		dc := s.cfg.Dial
		dc.Name = names[i]
		sups = append(sups, Supervise(connCtx, dc))
	}
	pdc := s.cfg.Dial
	pdc.Name = names[len(names)-1]
	pub := Supervise(connCtx, pdc)
	s.mu.Lock()
	s.sups, s.pub = sups, pub
	s.mu.Unlock()

	// A supervisor that stops on its own (access refused) stops the server.
	var fatalMu sync.Mutex
	var fatal error
	for _, sp := range append(append([]*Supervisor{}, sups...), pub) {
		go func() {
			select {
			case <-sp.Done():
				if err := sp.Err(); err != nil && !errors.Is(err, ErrClosed) {
					fatalMu.Lock()
					if fatal == nil {
						fatal = err
					}
					fatalMu.Unlock()
					stop()
				}
			case <-connCtx.Done():
			}
		}()
	}

	var wg sync.WaitGroup
	for i := 0; i < s.cfg.Workers; i++ {
		w := &worker{s: s, id: i, sup: sups[i%len(sups)], pub: pub}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(stopCtx, handlerCtx)
		}()
	}
	s.log.WithFields(logrus.Fields{"workers": s.cfg.Workers, "connections": s.cfg.Connections}).Info("rpc server started")

	<-stopCtx.Done()
	s.log.Info("rpc server stopping: cancelling consumers, draining in-flight requests")
	drained := make(chan struct{})
	go func() {
		wg.Wait()
		close(drained)
	}()
	drainTimer := time.NewTimer(s.cfg.DrainTimeout)
	defer drainTimer.Stop()
	select {
	case <-drained:
	case <-drainTimer.C:
		s.log.WithField("in_flight", s.InFlight()).Warn("drain timeout: cancelling in-flight handlers")
		cancelHandlers()
		select {
		case <-drained:
		case <-time.After(s.cfg.ReplyTimeout):
			s.log.WithField("in_flight", s.InFlight()).Error("handlers ignore cancellation; closing anyway")
		}
	}
	closeConns()
	for _, sp := range sups {
		_ = sp.Close()
	}
	_ = pub.Close()
	s.log.Info("rpc server stopped")
	fatalMu.Lock()
	defer fatalMu.Unlock()
	if fatal != nil {
		return fmt.Errorf("rpc server on %s: %w", s.cfg.Queue, fatal)
	}
	return nil
}

type worker struct {
	s     *Server
	id    int
	sup   *Supervisor
	pub   *Supervisor
	pubCh *amqp.Channel
	log   logrus.FieldLogger
}

func (w *worker) run(stopCtx, handlerCtx context.Context) {
	w.log = w.s.log.WithField("worker", w.id)
	defer func() {
		if w.pubCh != nil {
			_ = w.pubCh.Close()
		}
	}()
	attempt := 0
	for stopCtx.Err() == nil {
		conn, err := w.sup.Conn(stopCtx)
		if err != nil {
			return
		}
		started, err := w.consume(stopCtx, handlerCtx, conn)
		if stopCtx.Err() != nil {
			return
		}
		if started {
			attempt = 0
		}
		if err != nil {
			w.log.WithError(err).Warn("consumer channel failed; reopening")
		}
		if !w.s.cfg.Dial.Backoff.Sleep(stopCtx, attempt) {
			return
		}
		attempt++
	}
}

// consume opens a channel, declares, subscribes and serves until the
// channel dies or stopCtx is done. started reports whether it got as far
// as subscribing.
func (w *worker) consume(stopCtx, handlerCtx context.Context, conn *amqp.Connection) (started bool, err error) {
	ch, err := conn.Channel()
	if err != nil {
		return false, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	// Buffered and fresh per channel: amqp091 sends once and never waits.
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.Qos(1, 0, false); err != nil {
		return false, fmt.Errorf("qos: %w", err)
	}
	if w.s.cfg.Declare != nil {
		if err := w.s.cfg.Declare(ch); err != nil {
			return false, fmt.Errorf("declare: %w", err)
		}
	}
	tag := fmt.Sprintf("%s-w%d-%s", w.s.cfg.Dial.Name, w.id, uuid.NewString()[:8])
	deliveries, err := ch.Consume(w.s.cfg.Queue, tag, false, false, false, false, nil)
	if err != nil {
		return false, fmt.Errorf("consume %s: %w", w.s.cfg.Queue, err)
	}
	w.s.consuming.Add(1)
	var unsubscribe sync.Once
	unsubscribed := func() { unsubscribe.Do(func() { w.s.consuming.Add(-1) }) }
	defer unsubscribed()
	w.log.Debug("consuming")

	// Stop cancels the consumer at once, even while a handler runs, so no
	// new request reaches this worker; the request in hand still gets its
	// reply and ack on this channel below.
	sessionDone := make(chan struct{})
	defer close(sessionDone)
	go func() {
		select {
		case <-stopCtx.Done():
			if err := ch.Cancel(tag, false); err != nil {
				w.log.WithError(err).Debug("cancel consumer")
			}
			unsubscribed()
		case <-sessionDone:
		}
	}()
	// Deliveries pushed before the cancel are served too: requeued, they
	// could die with an auto-delete queue.
	for d := range deliveries {
		w.handle(handlerCtx, d)
	}
	if stopCtx.Err() != nil {
		return true, nil
	}
	select {
	case aerr := <-chClosed:
		if aerr != nil {
			return true, fmt.Errorf("channel closed: %w", aerr)
		}
	default:
	}
	return true, errors.New("delivery channel closed")
}

func (w *worker) handle(ctx context.Context, d amqp.Delivery) {
	w.s.inflight.Add(1)
	defer w.s.inflight.Add(-1)
	req := &Request{
		Body:          d.Body,
		ContentType:   d.ContentType,
		CorrelationID: d.CorrelationId,
		ReplyTo:       d.ReplyTo,
		Exchange:      d.Exchange,
		RoutingKey:    d.RoutingKey,
		Redelivered:   d.Redelivered,
	}
	log := w.log.WithFields(logrus.Fields{"correlation_id": d.CorrelationId, "delivery_tag": d.DeliveryTag})

	// A request redelivered after its first worker lost the channel (and so
	// could not ack) must not run twice. Either copy may reach a worker
	// first: the stale one still buffered on the dead channel, or the
	// broker's redelivery on another connection. Whichever starts second
	// waits for the first run and, when that one replied, just acks.
	dedupOn := d.CorrelationId != "" && d.ReplyTo != ""
	var key dedupKey
	var run uint64
	if dedupOn {
		key = w.s.dedup.key(d.ReplyTo, d.CorrelationId)
	}
	for dedupOn {
		id, prev := w.s.dedup.begin(key)
		if prev == nil {
			run = id
			break
		}
		select {
		case <-prev.done:
		case <-ctx.Done():
			log.Warn("shutting down while an earlier copy of this request runs; requeueing")
			w.nack(d, log)
			return
		}
		if prev.answered {
			log.Info("another copy of this request was already answered; acking")
			w.ack(d, log)
			return
		}
		// The earlier run failed to reply: try to serve it for real.
	}

	reply := w.call(ctx, req)
	if reply != nil && req.ReplyTo != "" {
		if err := w.publish(ctx, req, reply); err != nil {
			log.WithError(err).Error("reply not sent; requeueing the request")
			if dedupOn {
				w.s.dedup.end(key, run, false)
			}
			w.nack(d, log)
			return
		}
	}
	if dedupOn {
		w.s.dedup.end(key, run, true)
	}
	w.ack(d, log)
}

func (w *worker) ack(d amqp.Delivery, log logrus.FieldLogger) {
	if err := d.Ack(false); err != nil {
		// The channel is gone, so the broker will redeliver; dedup answers
		// the redelivery without running the handler again.
		log.WithError(err).Warn("ack failed")
	}
}

func (w *worker) nack(d amqp.Delivery, log logrus.FieldLogger) {
	if err := d.Nack(false, true); err != nil {
		log.WithError(err).Warn("nack failed; the broker redelivers when the channel closes")
	}
}

func (w *worker) call(ctx context.Context, req *Request) (reply *Reply) {
	defer func() {
		if r := recover(); r != nil {
			w.log.WithFields(logrus.Fields{"panic": fmt.Sprint(r), "stack": string(debug.Stack())}).Error("handler panicked")
			reply = nil
			if w.s.cfg.OnPanic != nil {
				reply = w.s.cfg.OnPanic(req, r)
			}
		}
	}()
	return w.s.cfg.Handler(ctx, req)
}

// publish sends the reply on the reply connection with publisher confirms,
// retrying across reconnects until ReplyTimeout.
func (w *worker) publish(ctx context.Context, req *Request, reply *Reply) error {
	ctx, cancel := context.WithTimeout(ctx, w.s.cfg.ReplyTimeout)
	defer cancel()
	msg := amqp.Publishing{
		CorrelationId: req.CorrelationID,
		ContentType:   reply.ContentType,
		Body:          reply.Body,
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		if err := w.publishOnce(ctx, req.ReplyTo, msg); err == nil {
			return nil
		} else {
			lastErr = err
		}
		if w.pubCh != nil {
			_ = w.pubCh.Close()
			w.pubCh = nil
		}
		if !w.s.cfg.Dial.Backoff.Sleep(ctx, attempt) {
			return fmt.Errorf("publish reply to %s: %w (last error: %v)", req.ReplyTo, ctx.Err(), lastErr)
		}
	}
}

func (w *worker) publishOnce(ctx context.Context, key string, msg amqp.Publishing) error {
	if w.pubCh == nil || w.pubCh.IsClosed() {
		conn, err := w.pub.Conn(ctx)
		if err != nil {
			return err
		}
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("open reply channel: %w", err)
		}
		if err := ch.Confirm(false); err != nil {
			_ = ch.Close()
			return fmt.Errorf("confirm mode: %w", err)
		}
		w.pubCh = ch
	}
	dc, err := w.pubCh.PublishWithDeferredConfirmWithContext(ctx, "", key, false, false, msg)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, w.s.cfg.ConfirmTimeout)
	defer cancel()
	ok, err := dc.WaitContext(cctx)
	if err != nil {
		return fmt.Errorf("wait for confirm: %w", err)
	}
	if !ok {
		return errors.New("broker nacked the reply")
	}
	return nil
}

// dedup remembers requests (reply_to + correlation id) served recently by
// this process, so a redelivery caused by a lost ack is answered once.
//
// Every request is remembered for dedupTTL, so at a high rate many are,
// and the cost of each new request must not grow with their number. They
// expire in the order they began, from a queue, on each new request (each
// leaves the queue once: one visit per request); the map is rebuilt once
// it has shrunk to a quarter of its peak, since a Go map never gives back
// the memory of deleted entries; and neither the map nor the queue holds a
// pointer, so the garbage collector never scans them.
type dedup struct {
	mu      sync.Mutex
	seed    [2]maphash.Seed
	entries map[dedupKey]dedupRun
	// queue holds every run in the order it began, and so of at.
	queue dedupQueue
	// peak is the largest len(entries) since the map was last rebuilt.
	peak int
	// waits: the runs in flight that a copy waits for, by run id.
	waits map[uint64]*dedupWait
	// now is the monotonic time since the dedup was made (tests move it);
	// seq numbers the runs.
	now func() time.Duration
	seq uint64
	// visits counts the runs expire looked at and the entries it copied:
	// the only work that could grow with the number remembered (tests
	// compare it per request).
	visits int
}

// dedupKey is a 128-bit keyed hash of reply_to and correlation id: 16
// bytes per remembered request, whatever the names' length. With n
// requests remembered, a new one is mistaken for a copy with odds of
// n/2^128; the seed is random per process.
type dedupKey [2]uint64

// dedupRun is one run of a request.
type dedupRun struct {
	at       time.Duration // began, by dedup.now
	id       uint64
	answered bool
	// overdue: still in flight when dedupTTL passed and the queue let go
	// of it, so end forgets it.
	overdue bool
}

type dedupItem struct {
	key dedupKey
	id  uint64
	at  time.Duration
}

// dedupWait tells a copy of a request how the earlier run ended: answered
// is set before done is closed.
type dedupWait struct {
	done     chan struct{}
	answered bool
}

const dedupTTL = 10 * time.Minute

// dedupMinRebuild: below this peak the map is never rebuilt.
const dedupMinRebuild = 1024

func newDedup() dedup {
	epoch := time.Now()
	return dedup{
		now:     func() time.Duration { return time.Since(epoch) },
		seed:    [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		entries: map[dedupKey]dedupRun{},
		waits:   map[uint64]*dedupWait{},
	}
}

func (d *dedup) key(replyTo, correlationID string) dedupKey {
	var k dedupKey
	for i := range k {
		var h maphash.Hash
		h.SetSeed(d.seed[i])
		h.WriteString(replyTo)
		h.WriteByte(0)
		h.WriteString(correlationID)
		k[i] = h.Sum64()
	}
	return k
}

// begin records a run of key and returns its id, with prev nil. When a
// run of key is already in flight, or answered within dedupTTL, it
// returns that run's outcome as prev instead: the NFVO's correlation ids
// are random UUIDs, so a repeated reply_to + correlation id is a copy of
// the same request, whatever its redelivered flag says.
func (d *dedup) begin(key dedupKey) (id uint64, prev *dedupWait) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.expire(now)
	if r, ok := d.entries[key]; ok && !r.expired(now) {
		if r.answered {
			w := &dedupWait{done: make(chan struct{}), answered: true}
			close(w.done)
			return 0, w
		}
		w := d.waits[r.id]
		if w == nil {
			w = &dedupWait{done: make(chan struct{})}
			d.waits[r.id] = w
		}
		return 0, w
	}
	d.seq++
	d.entries[key] = dedupRun{at: now, id: d.seq}
	d.queue.push(dedupItem{key: key, id: d.seq, at: now})
	d.peak = max(d.peak, len(d.entries))
	return d.seq, nil
}

// expire forgets the runs that began more than dedupTTL before now,
// oldest first. A run still in flight is not forgotten here but marked
// overdue, and end forgets it.
func (d *dedup) expire(now time.Duration) {
	for {
		it, ok := d.queue.front()
		if !ok || it.at >= now-dedupTTL {
			break
		}
		d.queue.pop()
		d.visits++
		r, ok := d.entries[it.key]
		switch {
		case !ok || r.id != it.id:
			// Forgotten already, or replaced by a later run.
		case r.answered:
			delete(d.entries, it.key)
		default:
			r.overdue = true
			d.entries[it.key] = r
		}
	}
	if d.peak >= dedupMinRebuild && len(d.entries) <= d.peak/4 {
		d.visits += len(d.entries)
		m := make(map[dedupKey]dedupRun, len(d.entries))
		for k, v := range d.entries {
			m[k] = v
		}
		d.entries, d.peak = m, len(m)
	}
}

// dedupQueue is a FIFO of fixed-size blocks: it grows without copying
// what it holds (no pause of a large copy under the lock), and gives a
// block's memory back as soon as the block has been read.
type dedupQueue struct {
	blocks [][]dedupItem
	head   int // next to read in blocks[0]
}

const dedupBlock = 1024

func (q *dedupQueue) push(it dedupItem) {
	if n := len(q.blocks); n == 0 || len(q.blocks[n-1]) == dedupBlock {
		q.blocks = append(q.blocks, make([]dedupItem, 0, dedupBlock))
	}
	last := &q.blocks[len(q.blocks)-1]
	*last = append(*last, it)
}

func (q *dedupQueue) front() (dedupItem, bool) {
	if len(q.blocks) == 0 || q.head == len(q.blocks[0]) {
		return dedupItem{}, false
	}
	return q.blocks[0][q.head], true
}

func (q *dedupQueue) pop() {
	q.head++
	if q.head == dedupBlock {
		q.blocks[0] = nil
		q.blocks = q.blocks[1:]
		q.head = 0
	}
}

// expired: the run was answered and began more than dedupTTL before now.
// A run still in flight never expires.
func (r dedupRun) expired(now time.Duration) bool {
	return r.answered && r.at < now-dedupTTL
}

// end records how run id of key ended. A run that did not answer is
// forgotten at once, so that a copy serves the request for real.
func (d *dedup) end(key dedupKey, id uint64, answered bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.entries[key]; ok && r.id == id {
		if answered && !r.overdue {
			r.answered = true
			d.entries[key] = r
		} else {
			delete(d.entries, key)
		}
	}
	if w := d.waits[id]; w != nil {
		w.answered = answered
		close(w.done)
		delete(d.waits, id)
	}
}
