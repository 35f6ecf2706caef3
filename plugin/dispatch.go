package plugin

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// ErrUnknownMethod is the class of requests for a method the driver does
// not have.
var ErrUnknownMethod = errors.New("unknown method")

// ErrBadArity is the class of requests for a method the driver has, with
// a number of parameters it does not take.
var ErrBadArity = errors.New("wrong number of parameters")

// table maps method name → arity → method.
type table map[string]map[int]Method

func newTable(d Driver) (table, error) {
	if d == nil {
		return nil, errors.New("plugin: nil driver")
	}
	t := table{}
	for _, m := range d.Methods() {
		if m.Name == "" || m.Arity < 0 || m.Handle == nil {
			return nil, fmt.Errorf("plugin: invalid method entry %q/%d", m.Name, m.Arity)
		}
		if t[m.Name] == nil {
			t[m.Name] = map[int]Method{}
		}
		if _, dup := t[m.Name][m.Arity]; dup {
			return nil, fmt.Errorf("plugin: method %s/%d listed twice", m.Name, m.Arity)
		}
		t[m.Name][m.Arity] = m
	}
	return t, nil
}

func (t table) lookup(name string, arity int) (Method, error) {
	byArity, ok := t[name]
	if !ok {
		return Method{}, fmt.Errorf("%w %q: NFVO and plugin are out of sync", ErrUnknownMethod, name)
	}
	m, ok := byArity[arity]
	if !ok {
		var as []int
		for a := range byArity {
			as = append(as, a)
		}
		slices.Sort(as)
		words := make([]string, len(as))
		for i, a := range as {
			words[i] = strconv.Itoa(a)
		}
		noun := "parameters"
		if len(as) == 1 && as[0] == 1 {
			noun = "parameter"
		}
		return Method{}, fmt.Errorf("%w: method %q takes %s %s, got %d",
			ErrBadArity, name, strings.Join(words, " or "), noun, arity)
	}
	return m, nil
}

// Dispatcher turns request bodies into driver calls and answer bodies.
// It is the whole Open Baton envelope, free of AMQP, so it is unit tested
// against golden JSON.
type Dispatcher struct {
	t   table
	log logrus.FieldLogger
	obs Observer
}

// Observer receives the plugin's measurements (internal/metrics implements
// it). Its methods run on the request path and must not block.
type Observer interface {
	// CallDone is told of every request: the method (MethodNone when the
	// body is malformed or names no known method, so outside input cannot
	// grow the label set), the outcome (Outcome*) and the time taken.
	CallDone(method, outcome string, d time.Duration)
	// Connections is told, before the plugin dials, the names of the
	// connections it serves on, so that their reconnect counts exist (at
	// 0) from the start rather than appearing at the first loss.
	Connections(names []string)
	// Reconnected is told when a connection of the plugin is dialled again
	// after a loss.
	Reconnected(connection string)
}

// Outcomes of a request, as Observer.CallDone reports them.
const (
	OutcomeOK            = "ok"             // answered
	OutcomeError         = "error"          // the driver failed: an exception
	OutcomeMalformed     = "malformed"      // undecodable body: an exception
	OutcomeUnknownMethod = "unknown_method" // no such method: an exception
	OutcomeBadArity      = "bad_arity"      // a known method, a wrong number of parameters: an exception
	// MethodNone is the method label of requests without a known method.
	MethodNone = "none"
)

// NewDispatcher builds the method table of d.
func NewDispatcher(d Driver, log logrus.FieldLogger) (*Dispatcher, error) {
	t, err := newTable(d)
	if err != nil {
		return nil, err
	}
	if log == nil {
		l := logrus.New()
		l.Out = discard{}
		log = l
	}
	return &Dispatcher{t: t, log: log}, nil
}

// SetObserver makes o receive the measurements of every request.
func (d *Dispatcher) SetObserver(o Observer) { d.obs = o }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Handle serves one request body and returns the reply body: an answer or
// an exception, never anything the NFVO cannot parse.
func (d *Dispatcher) Handle(ctx context.Context, body []byte) []byte {
	start := time.Now()
	method, outcome := MethodNone, OutcomeMalformed
	if d.obs != nil {
		defer func() { d.obs.CallDone(method, outcome, time.Since(start)) }()
	}
	req, err := DecodeRequest(body)
	if err != nil {
		d.log.WithError(err).Warn("malformed request")
		return EncodeException(err)
	}
	outcome = OutcomeUnknownMethod
	if _, known := d.t[req.MethodName]; known {
		method, outcome = req.MethodName, OutcomeBadArity
	}
	m, err := d.t.lookup(req.MethodName, len(req.Parameters))
	if err != nil {
		d.callLog(&req).WithError(err).Warn("cannot dispatch")
		return EncodeException(err)
	}
	outcome = OutcomeError
	ans, err := d.invoke(ctx, m, req.Parameters)
	if err != nil {
		// Warn: the NFVO gets an exception, and this line is often all the
		// operator has to see why.
		d.callLog(&req).WithError(err).Warn("method failed")
		return EncodeException(err)
	}
	if m.Void {
		// The NFVO does not wait for void methods; answer true anyway so a
		// listener that does parse it gets a non-null answer.
		outcome = OutcomeOK
		b, _ := EncodeAnswer(true)
		return b
	}
	b, err := EncodeAnswer(ans)
	if err != nil {
		err = fmt.Errorf("method %s: %w", req.MethodName, err)
		d.callLog(&req).WithError(err).Error("driver bug")
		return EncodeException(err)
	}
	outcome = OutcomeOK
	if debugEnabled(d.log) {
		d.callLog(&req).Debug("answered")
	}
	return b
}

// callLog is the logger of one call. It is built only for a line that is
// written: its fields cost allocations on every call otherwise.
func (d *Dispatcher) callLog(req *Request) logrus.FieldLogger {
	return d.log.WithFields(logrus.Fields{"method": req.MethodName, "arity": len(req.Parameters)})
}

// debugEnabled reports whether l writes debug lines (true when it cannot
// tell).
func debugEnabled(l logrus.FieldLogger) bool {
	switch l := l.(type) {
	case *logrus.Entry:
		return l.Logger.IsLevelEnabled(logrus.DebugLevel)
	case *logrus.Logger:
		return l.IsLevelEnabled(logrus.DebugLevel)
	}
	return true
}

func (d *Dispatcher) invoke(ctx context.Context, m Method, p Params) (ans any, err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.WithFields(logrus.Fields{"method": m.Name, "panic": fmt.Sprint(r), "stack": string(debug.Stack())}).Error("driver panicked")
			ans, err = nil, fmt.Errorf("internal error in %s: %v", m.Name, r)
		}
	}()
	return m.Handle(ctx, p)
}
