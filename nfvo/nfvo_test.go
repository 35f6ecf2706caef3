package nfvo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/internal/testenv"
)

func TestEncodeRequestIsGsonShaped(t *testing.T) {
	got, err := EncodeRequest("launchInstanceAndWait", json.RawMessage(`{"type":"docker"}`), "h", nil, []string{}, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "methodName": "launchInstanceAndWait",
  "parameters": [
    {
      "type": "docker"
    },
    "h",
    null,
    [],
    {}
  ]
}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := EncodeRequest("x", json.RawMessage(`{`)); err == nil {
		t.Fatal("invalid raw parameter accepted")
	}
}

func TestDecodeAnswer(t *testing.T) {
	tests := []struct {
		doc    string
		body   string
		answer string
		detail string
		server bool
		err    error
	}{
		{doc: "answer", body: `{"answer": [1]}`, answer: `[1]`},
		{doc: "false answer", body: `{"answer":false}`, answer: `false`},
		{doc: "exception", body: `{"exception":{"detailMessage":"boom"}}`, detail: "boom"},
		{doc: "exception with server", body: `{"exception":{"detailMessage":"boom","server":{"name":"s"}}}`, detail: "boom", server: true},
		{doc: "missing answer", body: `{}`, err: ErrNullAnswer},
		{doc: "null answer", body: `{"answer":null}`, err: ErrNullAnswer},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			ans, err := DecodeAnswer([]byte(tc.body))
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			case tc.detail != "":
				var e *Exception
				if !errors.As(err, &e) || e.DetailMessage != tc.detail || (e.Server != nil) != tc.server {
					t.Fatalf("got %v", err)
				}
			default:
				if err != nil || string(ans) != tc.answer {
					t.Fatalf("got %s, %v", ans, err)
				}
			}
		})
	}
	for _, bad := range []string{`[]`, `nope`, `{"exception":"text"}`} {
		if _, err := DecodeAnswer([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestDecodeManagerMessageLenient(t *testing.T) {
	for _, body := range []string{
		`{"type":"vim-drivers.docker.x","action":"register"}`,
		`{'type':'vim-drivers.docker.x','action':'register'}`, // the Java SDK
	} {
		m, err := decodeManagerMessage([]byte(body))
		if err != nil || m.Type != "vim-drivers.docker.x" || m.Action != "register" {
			t.Fatalf("%s: %+v, %v", body, m, err)
		}
	}
}

func TestPluginPrefixForVIMType(t *testing.T) {
	for in, want := range map[string]string{"docker": "vim-drivers.docker.", "docker.foo": "vim-drivers.docker.foo"} {
		if got := PluginPrefixForVIMType(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestRegistrationProtocol plays a plugin by hand, byte for byte as the
// spec describes it, against the stand-in.
func TestRegistrationProtocol(t *testing.T) {
	testenv.RabbitMQ(t)
	name := testenv.Name(t)
	l := logrus.New()
	l.SetOutput(io.Discard)
	n, err := Start(t.Context(), Options{
		AMQPURL: testenv.AMQPURL(), ManagementURL: testenv.ManagementURL(),
		ManagerUser: "mgr-" + name, OwnManagerUser: true, ManagerQueue: DefaultManagerQueue + "-" + name, Logger: l,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	perms, err := n.Management().UserPermissions(ctx, "mgr-"+name)
	if err != nil || perms != BootstrapPermissions(n.ManagerQueue()) {
		t.Fatalf("bootstrap permissions %+v, %v", perms, err)
	}
	if !strings.Contains(perms.Write, "nfvo.manager.handling") || perms.Configure != `^amq\.gen.*|amq\.default$` {
		t.Fatalf("bootstrap permissions differ from the NFVO's: %+v", perms)
	}

	// Register as the bootstrap user, the Java way: openbaton-exchange.
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{
		URL: "amqp://mgr-" + name + ":openbaton@127.0.0.1:5672/", Name: name,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if !strings.HasPrefix(cl.ReplyQueue(), "amq.gen-") {
		t.Fatalf("reply queue %q is not server-named", cl.ReplyQueue())
	}
	id := "vim-drivers.docker." + name
	d, err := cl.Call(ctx, Exchange, n.ManagerQueue(), amqp.Publishing{
		ContentType: "text/plain", Body: []byte(`{'type':'` + id + `','action':'register'}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var mc managerCredentials
	if err := json.Unmarshal(d.Body, &mc); err != nil || mc.RabbitUsername != id || len(mc.RabbitPassword) != 16 || mc.ID == "" {
		t.Fatalf("credentials %s, %v", d.Body, err)
	}
	if d.ContentType != "text/plain" {
		t.Errorf("content type %q", d.ContentType)
	}
	// Registering again returns the same credentials.
	d2, err := cl.Call(ctx, Exchange, n.ManagerQueue(), amqp.Publishing{
		ContentType: "text/plain", Body: []byte(`{"type":"` + id + `","action":"register"}`),
	})
	var mc2 managerCredentials
	if err != nil || json.Unmarshal(d2.Body, &mc2) != nil || mc2.RabbitPassword != mc.RabbitPassword {
		t.Fatalf("second registration %s, %v", d2.Body, err)
	}
	if p, err := n.Management().UserPermissions(ctx, id); err != nil || p != PluginPermissions(id) {
		t.Fatalf("plugin permissions %+v, %v", p, err)
	}

	// A wrong password does not unregister; the right one does.
	bad := `{"type":"` + id + `","action":"unregister","username":"` + id + `","password":"wrong"}`
	good := `{"type":"` + id + `","action":"unregister","username":"` + id + `","password":"` + mc.RabbitPassword + `"}`
	for _, b := range []string{bad, good} {
		if err := cl.Publish(ctx, Exchange, n.ManagerQueue(), amqp.Publishing{ContentType: "text/plain", Body: []byte(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.WaitUnregistered(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n.Unregistrations(id) != 1 {
		t.Fatalf("unregistrations %d", n.Unregistrations(id))
	}
	if ok, err := n.Management().UserExists(ctx, id); err != nil || ok {
		t.Fatalf("plugin user still there: %v %v", ok, err)
	}
}

// TestVNFMRegistrationKeyedByEndpoint: a VNFM's registration saves its
// endpoint, found again by type, and its user's permissions are keyed by
// the endpoint (NFVO 5.1+), not the user name; a second registration
// keeps the first endpoint; unregister forgets it.
func TestVNFMRegistrationKeyedByEndpoint(t *testing.T) {
	testenv.RabbitMQ(t)
	name := testenv.Name(t)
	l := logrus.New()
	l.SetOutput(io.Discard)
	n, err := Start(t.Context(), Options{
		AMQPURL: testenv.AMQPURL(), ManagementURL: testenv.ManagementURL(),
		ManagerUser: "mgr-" + name, OwnManagerUser: true, ManagerQueue: DefaultManagerQueue + "-" + name, Logger: l,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cl, err := amqpx.NewClient(ctx, amqpx.ClientConfig{Dial: amqpx.DialConfig{
		URL: "amqp://mgr-" + name + ":openbaton@127.0.0.1:5672/", Name: name,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	typ := "dockertype-" + name
	register := func(ep string) managerCredentials {
		t.Helper()
		body := `{"type":"` + typ + `","action":"register","vnfmManagerEndpoint":{"type":"` + typ + `","endpoint":"` + ep + `","endpointType":"RABBIT","enabled":true,"active":true}}`
		d, err := cl.Call(ctx, "", n.ManagerQueue(), amqp.Publishing{ContentType: "text/plain", Body: []byte(body)})
		var mc managerCredentials
		if err != nil || json.Unmarshal(d.Body, &mc) != nil || mc.RabbitUsername != typ {
			t.Fatalf("register: %v", err)
		}
		return mc
	}
	mc := register("q-" + name)
	if ep, ok := n.VNFMByType(typ); !ok || ep.Endpoint != "q-"+name {
		t.Fatalf("endpoint by type %+v %v", ep, ok)
	}
	if p, err := n.Management().UserPermissions(ctx, typ); err != nil || p != PluginPermissions("q-"+name) {
		t.Fatalf("permissions %+v, %v: want them keyed by the endpoint", p, err)
	}
	if register("other-"+name).RabbitPassword != mc.RabbitPassword {
		t.Fatal("second registration got new credentials")
	}
	if ep, _ := n.VNFMByType(typ); ep.Endpoint != "q-"+name {
		t.Fatalf("second registration changed the endpoint to %q", ep.Endpoint)
	}
	good := `{"type":"` + typ + `","action":"unregister","username":"` + typ + `","password":"` + mc.RabbitPassword + `","vnfmManagerEndpoint":{"type":"` + typ + `","endpoint":"q-` + name + `"}}`
	if err := cl.Publish(ctx, Exchange, n.ManagerQueue(), amqp.Publishing{ContentType: "text/plain", Body: []byte(good)}); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitUnregistered(ctx, typ); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.VNFMByType(typ); ok {
		t.Fatal("endpoint still registered after unregister")
	}
}

// TestCloseDeletesItsOwnManagerUser: a stand-in whose bootstrap user is
// its own (a test's unique name) deletes it at Close, so test runs leave no
// users on the broker; the shared default user is never deleted.
func TestCloseDeletesItsOwnManagerUser(t *testing.T) {
	testenv.RabbitMQ(t)
	name := testenv.Name(t)
	l := logrus.New()
	l.SetOutput(io.Discard)
	for _, own := range []bool{true, false} {
		user := fmt.Sprintf("mgr-%s-%v", name, own)
		n, err := Start(t.Context(), Options{
			AMQPURL: testenv.AMQPURL(), ManagementURL: testenv.ManagementURL(),
			ManagerUser: user, OwnManagerUser: own, ManagerQueue: DefaultManagerQueue + "-" + name, Logger: l,
		})
		if err != nil {
			t.Fatal(err)
		}
		mg := n.Management()
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		exists, err := mg.UserExists(t.Context(), user)
		if err != nil {
			t.Fatal(err)
		}
		if exists == own {
			t.Errorf("OwnManagerUser %v: user %s exists after Close: %v", own, user, exists)
		}
		if err := mg.DeleteUser(t.Context(), user); err != nil {
			t.Fatal(err)
		}
	}
}
