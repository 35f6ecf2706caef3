package vnfm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// endpointJSON is the VnfmManagerEndpoint this VNFM registers (spec §1.2,
// §1.3): an object (a string makes the NFVO drop the registration),
// endpointType RABBIT (null NPEs in the NFVO), enabled and active.
func (v *VNFM) endpointJSON() Obj {
	return Obj{
		"type":         v.cfg.Type,
		"endpoint":     v.cfg.Endpoint,
		"endpointType": "RABBIT",
		"description":  v.cfg.Description,
		"enabled":      true,
		"active":       true,
	}
}

// register asks the NFVO for private credentials with the bootstrap user,
// retrying with backoff until ctx ends: the NFVO sends no reply on errors
// and may simply not be up yet.
func (v *VNFM) register(ctx context.Context) (nfvo.Credentials, error) {
	body, err := json.Marshal(Obj{"type": v.cfg.Type, "action": "register", "vnfmManagerEndpoint": v.endpointJSON()})
	if err != nil {
		return nfvo.Credentials{}, fmt.Errorf("register: %w", err)
	}
	var bo amqpx.Backoff
	for attempt := 0; ; attempt++ {
		v.log.WithField("attempt", attempt+1).WithField("manager_queue", v.cfg.ManagerQueue).Debug("registering with the NFVO")
		creds, err := v.registerOnce(ctx, body)
		if err == nil {
			v.log.WithField("user", creds.RabbitUsername).Info("registered with the NFVO")
			return creds, nil
		}
		if ctx.Err() != nil {
			return nfvo.Credentials{}, fmt.Errorf("register: %w", ctx.Err())
		}
		if errors.Is(err, amqpx.ErrAccessRefused) {
			// Said here, at error level, with the user: the caller only
			// sees Run fail, and retrying a refused login cannot help.
			v.log.WithError(err).WithField("user", v.cfg.BrokerUser).Errorf(
				"authentication refused for user %s by the broker: check the bootstrap user and password (OBDOCKER_VNFM_BROKER_USER, OBDOCKER_VNFM_BROKER_PASSWORD)", v.cfg.BrokerUser)
			return nfvo.Credentials{}, fmt.Errorf("register: authentication refused for user %s: %w", v.cfg.BrokerUser, err)
		}
		v.log.WithError(err).WithField("attempt", attempt+1).Warn("registration with the NFVO failed; retrying")
		if !bo.Sleep(ctx, attempt) {
			return nfvo.Credentials{}, fmt.Errorf("register: %w", ctx.Err())
		}
	}
}

// registerOnce runs one registration under a hard deadline: a broker that
// stalls a fresh connection (seen under load, after the handshake, where
// the client sets no deadline) must not stall registration forever. A
// stalled attempt finishes, and closes its connection, in the background.
func (v *VNFM) registerOnce(ctx context.Context, body []byte) (nfvo.Credentials, error) {
	limit := 2*v.cfg.RegisterTimeout + 10*time.Second
	ctx, cancel := context.WithTimeout(ctx, limit)
	type result struct {
		c   nfvo.Credentials
		err error
	}
	res := make(chan result, 1)
	v.bg.Add(1)
	go func() {
		defer v.bg.Done()
		defer cancel()
		c, err := v.registerAttempt(ctx, body)
		res <- result{c, err}
	}()
	select {
	case r := <-res:
		return r.c, r.err
	case <-ctx.Done():
		return nfvo.Credentials{}, fmt.Errorf("registration attempt stalled for %s: %w", limit, ctx.Err())
	}
}

func (v *VNFM) registerAttempt(ctx context.Context, body []byte) (nfvo.Credentials, error) {
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{
		URL: v.cfg.amqpURL(v.cfg.BrokerUser, v.cfg.BrokerPassword), Name: "obdocker-vnfm-register-" + v.cfg.Endpoint, Log: v.log,
	}})
	if err != nil {
		return nfvo.Credentials{}, err
	}
	defer cl.Close()
	v.log.WithField("reply_queue", cl.ReplyQueue()).Debug("registration request")
	wctx, wcancel := context.WithTimeout(ctx, v.cfg.RegisterTimeout)
	defer wcancel()
	d, err := cl.Call(wctx, "", v.cfg.ManagerQueue, amqp.Publishing{ContentType: "text/plain", Body: body})
	if err != nil {
		return nfvo.Credentials{}, fmt.Errorf("no answer from the NFVO on %s: %w", v.cfg.ManagerQueue, err)
	}
	var c nfvo.Credentials
	if err := json.Unmarshal(d.Body, &c); err != nil || c.RabbitUsername == "" || c.RabbitPassword == "" {
		return nfvo.Credentials{}, fmt.Errorf("credentials answer unusable (%d bytes)", len(d.Body))
	}
	return c, nil
}

// unregister tells the NFVO to forget the endpoint and the user (spec
// §1.6); fire-and-forget with the VNFM's own credentials.
func (v *VNFM) unregister(ctx context.Context, creds nfvo.Credentials) error {
	body, err := json.Marshal(Obj{
		"action": "unregister", "type": v.cfg.Type,
		"username": creds.RabbitUsername, "password": creds.RabbitPassword,
		"vnfmManagerEndpoint": v.endpointJSON(),
	})
	if err != nil {
		return err
	}
	conn, err := amqpx.Dial(ctx, amqpx.DialConfig{URL: v.cfg.amqpURL(creds.RabbitUsername, creds.RabbitPassword), Name: "obdocker-vnfm-unregister-" + v.cfg.Endpoint})
	if err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	if err := ch.PublishWithContext(ctx, "", v.cfg.ManagerQueue, false, false, amqp.Publishing{ContentType: "text/plain", Body: body}); err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	return nil
}
