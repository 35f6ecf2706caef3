package nfvo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/amqpx"
)

// VoidMethod is the only method the NFVO does not wait for (spec §2.2).
const VoidMethod = "deleteServerByIdAndWait"

// Exception is a plugin's exception answer.
type Exception struct {
	DetailMessage string
	// Server is the exception's "server" (a partial Server), or nil.
	Server json.RawMessage
	// Raw is the whole exception object.
	Raw json.RawMessage
}

func (e *Exception) Error() string {
	return "org.openbaton.exceptions.VimDriverException: " + e.DetailMessage
}

// ErrNullAnswer is returned when a plugin answers without "answer" or with
// a null one: the NFVO fails on both (spec §2.2).
var ErrNullAnswer = errors.New("plugin return null without throwing exception")

// pluginMessage is the NFVO's PluginMessage; interfaceClass and selector
// are always null, so Gson omits them.
type pluginMessage struct {
	MethodName string            `json:"methodName"`
	Parameters []json.RawMessage `json:"parameters"`
}

// EncodeRequest renders a call as the NFVO's Gson does: pretty-printed,
// two-space indent, null parameters kept as null.
func EncodeRequest(method string, params ...any) ([]byte, error) {
	raw := make([]json.RawMessage, len(params))
	for i, p := range params {
		switch v := p.(type) {
		case nil:
			raw[i] = json.RawMessage("null")
		case json.RawMessage:
			if !json.Valid(v) {
				return nil, fmt.Errorf("parameter %d: invalid JSON", i)
			}
			raw[i] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("parameter %d: %w", i, err)
			}
			raw[i] = b
		}
	}
	return json.MarshalIndent(pluginMessage{MethodName: method, Parameters: raw}, "", "  ")
}

// DecodeAnswer applies the NFVO's PluginCaller rules to a reply body: an
// "exception" object becomes *Exception; a missing or null "answer" is
// ErrNullAnswer; otherwise the raw answer is returned.
func DecodeAnswer(body []byte) (json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("plugin answer is not a JSON object: %w", err)
	}
	if exc, ok := env["exception"]; ok {
		var e struct {
			DetailMessage string          `json:"detailMessage"`
			Server        json.RawMessage `json:"server"`
		}
		if err := json.Unmarshal(exc, &e); err != nil {
			return nil, fmt.Errorf("plugin exception is not an object: %w", err)
		}
		if string(e.Server) == "null" {
			e.Server = nil
		}
		return nil, &Exception{DetailMessage: e.DetailMessage, Server: e.Server, Raw: exc}
	}
	ans, ok := env["answer"]
	if !ok || string(ans) == "null" {
		return nil, ErrNullAnswer
	}
	return ans, nil
}

// Call calls method on the plugin queue as the NFVO's PluginCaller does
// (spec §2.1): a new connection as the NFVO admin, a server-named reply
// queue bound to openbaton-exchange, a publish to openbaton-exchange with
// the queue as key, only correlation_id and reply_to set, a pretty-printed
// body. It returns the raw answer, or an *Exception. For
// deleteServerByIdAndWait it does not wait and returns (nil, nil).
func (n *NFVO) Call(ctx context.Context, queue, method string, params ...any) (json.RawMessage, error) {
	body, err := EncodeRequest(method, params...)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", method, err)
	}
	return n.CallRaw(ctx, queue, method == VoidMethod, body)
}

// CallRaw sends an arbitrary body (tests send malformed ones) and, unless
// void, decodes the reply.
func (n *NFVO) CallRaw(ctx context.Context, queue string, void bool, body []byte) (json.RawMessage, error) {
	// The NFVO checks the plugin's queue exists before calling.
	ok, err := n.mgmt.QueueExists(ctx, queue)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", queue, err)
	}
	if !ok {
		return nil, fmt.Errorf("call %s: plugin with id %s not existing anymore: %w", queue, queue, ErrNotFound)
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.opts.CallTimeout)
		defer cancel()
	}
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{
		Dial:         amqpx.DialConfig{URL: n.opts.AMQPURL, Name: "obdocker-nfvo-call", Log: n.opts.Logger},
		BindExchange: Exchange,
	})
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", queue, err)
	}
	defer cl.Close()
	msg := amqp.Publishing{CorrelationId: uuid.NewString(), Body: body}
	if void {
		msg.ReplyTo = cl.ReplyQueue()
		if err := cl.Publish(ctx, Exchange, queue, msg); err != nil {
			return nil, fmt.Errorf("call %s: %w", queue, err)
		}
		return nil, nil
	}
	d, err := cl.Call(ctx, Exchange, queue, msg)
	if err != nil {
		return nil, fmt.Errorf("call %s: plugin did not respond: %w", queue, err)
	}
	return DecodeAnswer(d.Body)
}
