package plugin_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/plugin"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu    sync.Mutex
	calls [][2]string // method, outcome
	conns []string
}

func (r *recorder) CallDone(method, outcome string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, [2]string{method, outcome})
}

func (r *recorder) Reconnected(string) {}

func (r *recorder) Connections(names []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = append(r.conns, names...)
}

func (r *recorder) last() [2]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[len(r.calls)-1]
}

func request(t *testing.T, method string, params ...any) []byte {
	t.Helper()
	if params == nil {
		params = []any{}
	}
	b, err := json.Marshal(map[string]any{"methodName": method, "parameters": params})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exceptionText(t *testing.T, reply []byte) string {
	t.Helper()
	_, err := nfvo.DecodeAnswer(reply)
	var exc *nfvo.Exception
	if !errorsAs(err, &exc) {
		t.Fatalf("want an exception, got %s (%v)", reply, err)
	}
	return exc.DetailMessage
}

// TestWrongArityIsNotUnknownMethod: a known method called with the wrong
// number of parameters is reported as such, naming the method and the
// arities it accepts, with its own metric outcome; an unknown method
// keeps the unknown_method outcome and the method label none.
func TestWrongArityIsNotUnknownMethod(t *testing.T) {
	d, err := plugin.NewDispatcher(&fakeDriver{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	d.SetObserver(rec)

	msg := exceptionText(t, d.Handle(context.Background(), request(t, "addImage", vimJSON(), map[string]string{"name": "x"})))
	if strings.Contains(strings.ToLower(msg), "unknown method") {
		t.Errorf("wrong arity reported as an unknown method: %q", msg)
	}
	for _, want := range []string{`"addImage"`, "3 or 4 parameters", "got 2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if got := rec.last(); got != [2]string{"addImage", "bad_arity"} {
		t.Errorf("wrong arity counted as %v, want [addImage %s]", got, "bad_arity")
	}

	msg = exceptionText(t, d.Handle(context.Background(), request(t, "getType")))
	if want := `method "getType" takes 1 parameter, got 0`; !strings.Contains(msg, want) {
		t.Errorf("message %q, want it to contain %q", msg, want)
	}

	msg = exceptionText(t, d.Handle(context.Background(), request(t, "teleport", vimJSON())))
	if !strings.Contains(msg, `unknown method "teleport"`) {
		t.Errorf("unknown method: %q", msg)
	}
	if got := rec.last(); got != [2]string{plugin.MethodNone, plugin.OutcomeUnknownMethod} {
		t.Errorf("unknown method counted as %v", got)
	}
}

// TestFailedMethodLoggedAtWarn: a method that answers an exception is
// logged at warn level with the method and the error.
func TestFailedMethodLoggedAtWarn(t *testing.T) {
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	d, err := plugin.NewDispatcher(&fakeDriver{}, log)
	if err != nil {
		t.Fatal(err)
	}
	msg := exceptionText(t, d.Handle(context.Background(), request(t, "getNetworkById", vimJSON(), "net-7")))
	var found bool
	for _, e := range hook.AllEntries() {
		if e.Data["method"] != "getNetworkById" {
			continue
		}
		found = true
		if e.Level != logrus.WarnLevel {
			t.Errorf("logged at %s, want warning: %q %v", e.Level, e.Message, e.Data)
		}
		if got, _ := e.Data[logrus.ErrorKey].(error); got == nil || got.Error() != msg {
			t.Errorf("log entry error %v, want %q", e.Data[logrus.ErrorKey], msg)
		}
	}
	if !found {
		t.Fatalf("no log entry names the method: %v", hook.AllEntries())
	}
}

// TestParamDecodeErrorsNameNoGoType: an undecodable parameter is named by
// index and name, and the problem in JSON terms, never a Go type.
func TestParamDecodeErrorsNameNoGoType(t *testing.T) {
	type network struct {
		Name   string   `json:"name"`
		Subnet []string `json:"subnets"`
	}
	for _, tc := range []struct {
		param string
		into  any
		want  string
	}{
		{`"banana"`, &network{}, "parameter 1 (network): expected a JSON object, got a string"},
		{`[1]`, &network{}, "parameter 1 (network): expected a JSON object, got an array"},
		{`{"name": 5}`, &network{}, "parameter 1 (network): field name: expected a string, got a number"},
		{`{"subnets": "a"}`, &network{}, "parameter 1 (network): field subnets: expected an array, got a string"},
		{`{"name": "x"`, &network{}, "parameter 1 (network): not valid JSON"},
		{`{}`, new(string), "parameter 1 (network): expected a string, got a JSON object"},
		{`"x"`, new(int), "parameter 1 (network): expected an integer, got a string"},
		{`1.5`, new(int), "parameter 1 (network): expected an integer, got the number 1.5"},
		{`true`, new(map[string]string), "parameter 1 (network): expected a JSON object, got a boolean"},
	} {
		p := plugin.Params{json.RawMessage(`{}`), json.RawMessage(tc.param)}
		err := p.Decode(1, "network", tc.into)
		if err == nil {
			t.Errorf("%s: decoded", tc.param)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %q, want it to start with %q", tc.param, err, tc.want)
		}
		for _, bad := range []string{"Go value", "Go struct", "plugin_test.", "json: "} {
			if strings.Contains(err.Error(), bad) {
				t.Errorf("%s: %q names Go internals (%q)", tc.param, err, bad)
			}
		}
		if _, err := p.DecodeOptional(1, "network", tc.into); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("DecodeOptional %s: %v", tc.param, err)
		}
	}
}
