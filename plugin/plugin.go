package plugin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
)

// Exchange is the NFVO's exchange; the plugin binds to it, never declares
// it (spec §1.1).
const Exchange = "openbaton-exchange"

// Plugin is a VIM driver plugin: it registers with the NFVO, serves the
// driver on its queue, and unregisters on shutdown.
type Plugin struct {
	cfg  Config
	disp *Dispatcher
	log  logrus.FieldLogger
	obs  Observer

	mu     sync.Mutex
	server *amqpx.Server
}

// New validates cfg and the driver's method table.
func New(cfg Config, d Driver, log logrus.FieldLogger) (*Plugin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		l := logrus.New()
		l.Out = discard{}
		log = l
	}
	log = log.WithField("plugin_id", cfg.ID())
	disp, err := NewDispatcher(d, log)
	if err != nil {
		return nil, err
	}
	return &Plugin{cfg: cfg, disp: disp, log: log}, nil
}

// Serve runs a plugin until ctx is done; see Plugin.Run.
func Serve(ctx context.Context, cfg Config, d Driver, log logrus.FieldLogger) error {
	p, err := New(cfg, d, log)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

// SetObserver makes o receive the plugin's measurements (calls and
// reconnects). Call it before Run.
func (p *Plugin) SetObserver(o Observer) {
	p.obs = o
	p.disp.obs = o
	if o != nil {
		// The names serve uses: Dial.Name is the plugin id.
		o.Connections(amqpx.ServerConnectionNames(p.cfg.ID(), p.cfg.Connections))
	}
}

// onConnect reports reconnects of the serving connections to the observer.
func (p *Plugin) onConnect(name string, redial bool) {
	if redial && p.obs != nil {
		p.obs.Reconnected(name)
	}
}

// ID is the plugin's id and queue name.
func (p *Plugin) ID() string { return p.cfg.ID() }

// Server is the RPC server currently serving (nil while registering);
// tests read its connection names and counters.
func (p *Plugin) Server() *amqpx.Server {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.server
}

// Run registers, serves until ctx is done, then stops consuming, lets
// in-flight calls reply (bounded by DrainTimeout), unregisters and returns
// nil. If the broker later refuses the private credentials (the NFVO was
// reinstalled), it registers again.
func (p *Plugin) Run(ctx context.Context) error {
	p.log.WithFields(logrus.Fields{
		"broker":      amqpx.Redact(p.cfg.URL(p.cfg.BrokerUser, p.cfg.BrokerPassword)),
		"workers":     p.cfg.Workers,
		"connections": p.cfg.Connections,
	}).Info("plugin starting")
	for {
		creds, err := p.register(ctx)
		if err != nil {
			if ctx.Err() != nil {
				p.log.Info("stopped before registering")
				return nil
			}
			return err
		}
		err = p.serve(ctx, creds)
		if ctx.Err() != nil {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if uerr := p.unregister(uctx, creds); uerr != nil {
				p.log.WithError(uerr).Warn("could not unregister")
			}
			cancel()
			p.log.Info("plugin stopped")
			return nil
		}
		if errors.Is(err, amqpx.ErrAccessRefused) {
			p.log.WithError(err).Warn("the broker refuses the private credentials (NFVO reinstalled?); registering again")
			continue
		}
		return fmt.Errorf("plugin %s: %w", p.cfg.ID(), err)
	}
}

// serve runs the RPC server on the plugin queue with the private
// credentials (spec §1.4).
func (p *Plugin) serve(ctx context.Context, creds Credentials) error {
	id := p.cfg.ID()
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial: amqpx.DialConfig{
			URL:       p.cfg.URL(creds.Username, creds.Password),
			Name:      id,
			Log:       p.log,
			OnConnect: p.onConnect,
		},
		Queue: id,
		Declare: func(ch *amqp.Channel) error {
			// Exactly the Java SDK's flags: another plugin instance (or the
			// queue left from our previous run) must not 406 us.
			if _, err := ch.QueueDeclare(id, true, true, false, false, nil); err != nil {
				return fmt.Errorf("declare %s: %w", id, err)
			}
			if err := ch.QueueBind(id, id, Exchange, false, nil); err != nil {
				return fmt.Errorf("bind %s to %s: %w", id, Exchange, err)
			}
			return nil
		},
		Workers:      p.cfg.Workers,
		Connections:  p.cfg.Connections,
		Handler:      p.handle,
		OnPanic:      p.onPanic,
		DrainTimeout: p.cfg.DrainTimeout,
	})
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.server = srv
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.server = nil
		p.mu.Unlock()
	}()
	return srv.Run(ctx)
}

func (p *Plugin) handle(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
	if req.ReplyTo == "" {
		p.log.WithFields(logrus.Fields{"correlation_id": req.CorrelationID, "bytes": len(req.Body)}).
			Warn("request without reply_to: nobody to answer; dropped")
		return nil
	}
	return &amqpx.Reply{Body: p.disp.Handle(ctx, req.Body), ContentType: "text/plain"}
}

func (p *Plugin) onPanic(_ *amqpx.Request, r any) *amqpx.Reply {
	return &amqpx.Reply{Body: EncodeException(fmt.Errorf("internal error: %v", r)), ContentType: "text/plain"}
}
