package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
)

// Credentials are the private RabbitMQ credentials the NFVO hands a
// registered plugin (ManagerCredentials; only these two fields matter).
type Credentials struct {
	Username string `json:"rabbitUsername"`
	Password string `json:"rabbitPassword"`
}

// registerBackoff spaces registration attempts while the NFVO is absent:
// patient, since an NFVO can take minutes to start.
var registerBackoff = amqpx.Backoff{Initial: time.Second, Max: 15 * time.Second}

// register obtains credentials, retrying until ctx is done. Failures are
// logged at info level now and then (the NFVO is usually just not up
// yet), the others at debug.
func (p *Plugin) register(ctx context.Context) (Credentials, error) {
	lastRefused := false
	for attempt := 0; ; attempt++ {
		creds, err := p.registerOnce(ctx)
		if err == nil {
			p.log.WithField("rabbit_user", creds.Username).Info("registered with the NFVO")
			return creds, nil
		}
		if ctx.Err() != nil {
			return Credentials{}, ctx.Err()
		}
		l := p.log.WithError(err).WithField("attempt", attempt+1)
		// The first failure, every tenth and a change of cause are logged:
		// visible, not noisy. A refused login is an operator's error (a
		// wrong bootstrap user or password), not an NFVO still starting; it
		// is retried all the same, since the user may be created later.
		refused := errors.Is(err, amqpx.ErrAccessRefused)
		changed := refused != lastRefused
		lastRefused = refused
		switch {
		case attempt%10 != 0 && !changed:
			l.Debug("registration attempt failed")
		case refused:
			l.WithField("user", p.cfg.BrokerUser).Errorf("authentication refused for user %s by the broker: check the bootstrap user and password (OBDOCKER_BROKER_USER, OBDOCKER_BROKER_PASSWORD); retrying with backoff", p.cfg.BrokerUser)
		default:
			l.Info("waiting for the NFVO to answer the registration; retrying with backoff")
		}
		if !registerBackoff.Sleep(ctx, attempt) {
			return Credentials{}, ctx.Err()
		}
	}
}

// registerOnce is one registration round trip (spec §1.3) as the bootstrap
// user: a server-named reply queue, a text/plain JSON body to the manager
// queue, one reply bounded by RegisterTimeout.
func (p *Plugin) registerOnce(ctx context.Context) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.RegisterTimeout+5*time.Second)
	defer cancel()
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{
		URL:         p.cfg.URL(p.cfg.BrokerUser, p.cfg.BrokerPassword),
		Name:        p.cfg.ID() + "-register",
		DialTimeout: p.cfg.RegisterTimeout,
		Log:         p.log,
	}})
	if err != nil {
		return Credentials{}, fmt.Errorf("register: %w", err)
	}
	defer cl.Close()
	// Fails fast (404) while the NFVO has not declared its queue.
	if _, err := cl.Channel().QueueDeclarePassive(p.cfg.ManagerQueue, true, true, false, false, nil); err != nil {
		return Credentials{}, fmt.Errorf("register: manager queue %s: %w", p.cfg.ManagerQueue, err)
	}
	body, err := json.Marshal(map[string]string{"type": p.cfg.ID(), "action": "register"})
	if err != nil {
		return Credentials{}, fmt.Errorf("register: %w", err)
	}
	cctx, ccancel := context.WithTimeout(ctx, p.cfg.RegisterTimeout)
	defer ccancel()
	// The default exchange reaches the manager queue by name whatever its
	// bindings (as the Go SDK does); the NFVO's listener does not care.
	d, err := cl.Call(cctx, "", p.cfg.ManagerQueue, amqp.Publishing{ContentType: "text/plain", Body: body})
	if err != nil {
		return Credentials{}, fmt.Errorf("register: no answer from the NFVO: %w", err)
	}
	var creds Credentials
	if err := json.Unmarshal(d.Body, &creds); err != nil {
		return Credentials{}, fmt.Errorf("register: undecodable credentials: %w", err)
	}
	if creds.Username == "" || creds.Password == "" {
		return Credentials{}, errors.New("register: the NFVO answered without rabbitUsername/rabbitPassword")
	}
	return creds, nil
}

// unregister tells the NFVO the plugin is gone (spec §1.5): fire and
// forget, with the private credentials, on a short connection of its own.
func (p *Plugin) unregister(ctx context.Context, creds Credentials) error {
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{
		URL:  p.cfg.URL(creds.Username, creds.Password),
		Name: p.cfg.ID() + "-unregister",
		Log:  p.log,
	}})
	if err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	defer cl.Close()
	body, err := json.Marshal(map[string]string{
		"type":     p.cfg.ID(),
		"action":   "unregister",
		"username": creds.Username,
		"password": creds.Password,
	})
	if err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	ch := cl.Channel()
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("unregister: confirm mode: %w", err)
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "openbaton-exchange", p.cfg.ManagerQueue, false, false,
		amqp.Publishing{ContentType: "text/plain", Body: body})
	if err != nil {
		return fmt.Errorf("unregister: publish: %w", err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("unregister: confirm: %w", err)
	}
	if !ok {
		return errors.New("unregister: broker nacked the message")
	}
	p.log.WithFields(logrus.Fields{"plugin_id": p.cfg.ID()}).Info("unregistered from the NFVO")
	return nil
}
