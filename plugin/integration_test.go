package plugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/plugin"
)

const deadline = 10 * time.Second

// testLogger is quiet unless OBDOCKER_TEST_LOG=1. It never writes through
// t.Log: plugin goroutines may log after the test returned.
func testLogger() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	if os.Getenv("OBDOCKER_TEST_LOG") == "1" {
		l.SetOutput(os.Stderr)
		l.SetLevel(logrus.DebugLevel)
	}
	return l
}

// startNFVO runs a stand-in of its own: a unique bootstrap user and a
// unique manager queue, so concurrent tests do not steal each other's
// registrations (see the nfvo package doc).
func startNFVO(t *testing.T) *nfvo.NFVO {
	t.Helper()
	url := testenv.RabbitMQ(t)
	name := testenv.Name(t)
	n, err := nfvo.Start(t.Context(), nfvo.Options{
		AMQPURL:        url,
		ManagementURL:  testenv.ManagementURL(),
		ManagerUser:    "mgr-" + name,
		OwnManagerUser: true,
		ManagerQueue:   nfvo.DefaultManagerQueue + "-" + name,
		Logger:         testLogger(),
	})
	if err != nil {
		t.Fatalf("start NFVO stand-in: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func pluginConfig(t *testing.T, n *nfvo.NFVO) plugin.Config {
	t.Helper()
	cfg := plugin.DefaultConfig()
	cfg.BrokerHost = "127.0.0.1"
	cfg.BrokerUser = "mgr-" + strings.TrimPrefix(n.ManagerQueue(), nfvo.DefaultManagerQueue+"-")
	cfg.ManagerQueue = n.ManagerQueue()
	cfg.PluginName = testenv.Name(t)
	cfg.DrainTimeout = 20 * time.Second
	return cfg
}

type running struct {
	p      *plugin.Plugin
	cancel context.CancelFunc
	errc   chan error
}

// stop cancels the plugin's ctx (what SIGTERM does) and waits for Run.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.errc:
		r.errc <- err
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("plugin did not stop")
		return nil
	}
}

func startPlugin(t *testing.T, n *nfvo.NFVO, cfg plugin.Config, d plugin.Driver) *running {
	t.Helper()
	p, err := plugin.New(cfg, d, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{p: p, cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- p.Run(ctx) }()
	t.Cleanup(func() {
		_ = r.stop(t)
		// A plugin stopped mid-start can leave its queue declared but never
		// consumed, which auto-delete does not remove.
		dctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		_ = n.Management().DeleteQueue(dctx, cfg.ID())
	})
	waitServing(t, r, cfg.Workers)
	return r
}

// waitServing polls until every worker consumes the plugin queue.
func waitServing(t *testing.T, r *running, workers int) {
	t.Helper()
	poll(t, 2*deadline, "plugin serving", func() bool {
		s := r.p.Server()
		return s != nil && s.Consuming() == workers
	})
}

func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func vimJSON() json.RawMessage {
	return json.RawMessage(`{"name":"vim-docker","authUrl":"unix:///var/run/docker.sock","type":"docker","location":{"name":"local"}}`)
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	t.Cleanup(cancel)
	return ctx
}

func TestRegistersAndServesUnderNFVOPermissions(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	d := &fakeDriver{}
	cfg := pluginConfig(t, n)
	r := startPlugin(t, n, cfg, d)
	id := cfg.ID()
	ctx := callCtx(t)

	creds, err := n.WaitRegistered(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if creds.RabbitUsername != id {
		t.Fatalf("private user %q, want %q", creds.RabbitUsername, id)
	}
	perms, err := n.Management().UserPermissions(ctx, id)
	if err != nil || perms != nfvo.PluginPermissions(id) {
		t.Fatalf("plugin user permissions %+v, %v", perms, err)
	}

	// The queue, exactly as the Java SDK declares it (spec §1.4).
	q, err := n.Management().Queue(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Durable || !q.AutoDelete || q.Exclusive {
		t.Fatalf("queue flags %+v, want durable, auto-delete, not exclusive", q)
	}
	// Found as the NFVO finds it (spec §1.2).
	if got, err := n.FindPlugin(ctx, "docker."+cfg.PluginName); err != nil || got != id {
		t.Fatalf("FindPlugin = %q, %v", got, err)
	}

	// The serving connections log in as the private user only.
	conns, err := nfvo.ListConnections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range conns {
		for _, name := range r.p.Server().ConnectionNames() {
			if c.ClientName == name {
				seen++
				if c.User != id {
					t.Errorf("connection %s logs in as %q, want %q", name, c.User, id)
				}
			}
		}
	}
	if seen != cfg.Connections+1 {
		t.Errorf("found %d of the plugin's %d connections", seen, cfg.Connections+1)
	}

	tests := []struct {
		doc    string
		method string
		params []any
		want   string // raw answer, or
		exc    string // exception detail substring
	}{
		{doc: "string answer", method: "getType", params: []any{vimJSON()}, want: `"docker"`},
		{doc: "nil slice is []", method: "listServer", params: []any{vimJSON()}, want: `[]`},
		{doc: "object answer", method: "getQuota", params: []any{vimJSON()}, want: `{"cores":100000,"ram":100000,"tenant":"docker"}`},
		{doc: "null parameter kept", method: "isNull", params: []any{vimJSON(), nil}, want: `true`},
		{doc: "null required parameter", method: "getType", params: []any{nil}, exc: "parameter 0 (vimInstance): is null but required"},
		{doc: "undecodable parameter", method: "getType", params: []any{42}, exc: "parameter 0 (vimInstance)"},
		{doc: "unknown method", method: "teleport", params: []any{vimJSON()}, exc: `unknown method "teleport"`},
		{doc: "wrong arity names the arities", method: "addImage", params: []any{vimJSON()}, exc: `method "addImage" takes 3 or 4 parameters, got 1`},
		{doc: "nil answer is a driver bug", method: "nilAnswer", params: []any{vimJSON()}, exc: "no answer"},
		{doc: "panic", method: "explode", params: []any{vimJSON()}, exc: "kaboom"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			ans, err := n.Call(callCtx(t), id, tc.method, tc.params...)
			if tc.exc != "" {
				var exc *nfvo.Exception
				if !errors.As(err, &exc) || !strings.Contains(exc.DetailMessage, tc.exc) {
					t.Fatalf("got %s, %v; want exception containing %q", ans, err, tc.exc)
				}
				return
			}
			if err != nil || string(ans) != tc.want {
				t.Fatalf("got %s, %v; want %s", ans, err, tc.want)
			}
		})
	}

	t.Run("exception carries the server", func(t *testing.T) {
		_, err := n.Call(callCtx(t), id, "launchInstanceAndWait",
			vimJSON(), "host-1", "sha256:1", "", "", []any{}, []any{}, "", map[string]string{}, nil)
		var exc *nfvo.Exception
		if !errors.As(err, &exc) || exc.Server == nil {
			t.Fatalf("got %v, want exception with server", err)
		}
		var s struct{ HostName string }
		if err := json.Unmarshal(exc.Server, &s); err != nil || s.HostName != "host-1" {
			t.Fatalf("server %s", exc.Server)
		}
	})

	t.Run("void method is not waited for", func(t *testing.T) {
		ans, err := n.Call(callCtx(t), id, "deleteServerByIdAndWait", vimJSON(), "srv-9")
		if err != nil || ans != nil {
			t.Fatalf("got %s, %v", ans, err)
		}
		poll(t, deadline, "delete to run", func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			return len(d.deleted) == 1 && d.deleted[0] == "srv-9"
		})
	})
}

func TestMalformedBodiesGetExceptionsAndServingGoesOn(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	cfg := pluginConfig(t, n)
	cfg.Workers, cfg.Connections = 2, 1
	startPlugin(t, n, cfg, &fakeDriver{})
	id := cfg.ID()

	bodies := map[string]string{
		"not json":           "this is not json",
		"empty":              "",
		"array":              `["getType"]`,
		"string":             `"getType"`,
		"number":             `42`,
		"null":               `null`,
		"method not string":  `{"methodName": 42, "parameters": []}`,
		"params not array":   `{"methodName": "getType", "parameters": {"a": 1}}`,
		"no method":          `{"parameters": []}`,
		"truncated":          `{"methodName": "getType", "parameters": [`,
		"binary":             "\x00\xff\xfe{",
		"unknown method":     `{"methodName": "nope", "parameters": []}`,
		"wrong arity":        `{"methodName": "getType", "parameters": []}`,
		"undecodable params": `{"methodName": "getType", "parameters": ["x"]}`,
	}
	for doc, body := range bodies {
		t.Run(doc, func(t *testing.T) {
			_, err := n.CallRaw(callCtx(t), id, false, []byte(body))
			var exc *nfvo.Exception
			if !errors.As(err, &exc) || exc.DetailMessage == "" {
				t.Fatalf("body %q: got %v, want an exception", body, err)
			}
		})
	}

	// A request without reply_to is logged and acked, never answered.
	url := testenv.RabbitMQ(t)
	cl, err := amqpx.NewClient(callCtx(t), amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: url, Name: testenv.Name(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Publish(callCtx(t), nfvo.Exchange, id, amqp.Publishing{Body: []byte(`{"methodName":"getType","parameters":[{}]}`)}); err != nil {
		t.Fatal(err)
	}

	ans, err := n.Call(callCtx(t), id, "getType", vimJSON())
	if err != nil || string(ans) != `"docker"` {
		t.Fatalf("plugin stopped serving: %s, %v", ans, err)
	}
	poll(t, deadline, "queue to drain", func() bool {
		q, err := n.Management().Queue(callCtx(t), id)
		return err == nil && q.Consumers == cfg.Workers
	})
}

func TestTenSlowCallsRunInParallel(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	d := &fakeDriver{release: make(chan struct{})}
	cfg := pluginConfig(t, n)
	startPlugin(t, n, cfg, d)
	id := cfg.ID()

	ctx, cancel := context.WithTimeout(t.Context(), 3*deadline)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ans, err := n.Call(ctx, id, "slow", i)
			if err == nil && string(ans) != fmt.Sprint(i) {
				err = fmt.Errorf("call %d answered %s", i, ans)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	// All ten handlers are inside the driver at once: ten workers.
	poll(t, 3*deadline, "10 handlers in flight", func() bool { return d.inflight.Load() == 10 })
	close(d.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := d.maxInflight.Load(); m != 10 {
		t.Fatalf("max in flight %d, want 10", m)
	}
}

// stream runs seq calls 0, 1, 2… from `parallel` goroutines until
// disrupt returns (plus a tail of calls after it), and checks that every
// call got exactly one answer, its own number.
func stream(t *testing.T, n *nfvo.NFVO, id string, parallel, minCalls int, disrupt func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 12*deadline)
	defer cancel()
	disrupted := make(chan struct{})
	go func() {
		defer close(disrupted)
		disrupt()
	}()
	next := make(chan int)
	issued := 0
	go func() {
		defer close(next)
		tail := 0
		for i := 0; ; i++ {
			select {
			case <-disrupted:
				tail++
			default:
			}
			if tail > 50 {
				return
			}
			select {
			case next <- i:
				issued = i + 1
			case <-ctx.Done():
				return
			}
		}
	}()
	var mu sync.Mutex
	answered := map[int]int{}
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cctx, ccancel := context.WithTimeout(ctx, 4*deadline)
				ans, err := n.Call(cctx, id, "seq", i)
				ccancel()
				if err != nil {
					t.Errorf("call %d: %v", i, err)
					continue
				}
				var got int
				if err := json.Unmarshal(ans, &got); err != nil || got != i {
					t.Errorf("call %d answered %s", i, ans)
				}
				mu.Lock()
				answered[i]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	<-disrupted
	if issued < minCalls {
		t.Errorf("only %d calls during the disruption, want %d", issued, minCalls)
	}
	for i := 0; i < issued; i++ {
		if answered[i] != 1 {
			t.Errorf("call %d got %d answers", i, answered[i])
		}
	}
	t.Logf("%d calls, each answered once", issued)
}

func TestForceClosedConnectionsComeBack(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	d := &fakeDriver{}
	cfg := pluginConfig(t, n)
	r := startPlugin(t, n, cfg, d)
	id := cfg.ID()
	srv := r.p.Server()
	names := srv.ConnectionNames() // id-c0, id-c1, id-reply
	dials := srv.Dials()

	// rabbitmqctl takes seconds per run: list once, then close one
	// connection at a time while the calls flow.
	conns, err := nfvo.ListConnections(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]string{}
	for _, c := range conns {
		pids[c.ClientName] = c.PID
	}
	stream(t, n, id, 8, 100, func() {
		// Consuming connections, then the reply connection: only ours.
		for _, name := range []string{names[0], names[len(names)-1], names[1]} {
			time.Sleep(300 * time.Millisecond)
			pid, ok := pids[name]
			if !ok {
				t.Errorf("connection %s not listed", name)
				continue
			}
			if err := nfvo.CloseConnection(context.Background(), pid, "test: force close"); err != nil {
				t.Error(err)
			}
		}
	})
	// Every closed connection came back by itself.
	poll(t, 3*deadline, "connections to come back", func() bool {
		return srv.Dials() >= dials+3 && srv.Consuming() == cfg.Workers
	})
	ans, err := n.Call(callCtx(t), id, "seq", 7)
	if err != nil || string(ans) != "7" {
		t.Fatalf("after reconnects: %s, %v", ans, err)
	}
}

func TestShutdownDrainsAndUnregisters(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	d := &fakeDriver{release: make(chan struct{})}
	cfg := pluginConfig(t, n)
	r := startPlugin(t, n, cfg, d)
	id := cfg.ID()
	ctx := callCtx(t)
	if _, err := n.WaitRegistered(ctx, id); err != nil {
		t.Fatal(err)
	}

	const inFlight = 3
	answers := make(chan error, inFlight)
	for i := 0; i < inFlight; i++ {
		go func() {
			cctx, cancel := context.WithTimeout(context.Background(), 3*deadline)
			defer cancel()
			ans, err := n.Call(cctx, id, "slow", i)
			if err == nil && string(ans) != fmt.Sprint(i) {
				err = fmt.Errorf("call %d answered %s", i, ans)
			}
			answers <- err
		}()
	}
	poll(t, deadline, "calls in flight", func() bool { return d.inflight.Load() == inFlight })

	// SIGTERM: the daemon cancels the ctx.
	r.cancel()
	srv := r.p.Server()
	poll(t, deadline, "consumers cancelled", func() bool { return srv.Consuming() == 0 })
	if _, err := n.Call(ctx, id, "getType", vimJSON()); err == nil {
		t.Error("a new call was served after shutdown began")
	}
	close(d.release)
	for i := 0; i < inFlight; i++ {
		if err := <-answers; err != nil {
			t.Errorf("in-flight call lost: %v", err)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run returned %v, want nil", err)
	}
	if err := n.WaitUnregistered(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ok, err := n.Management().UserExists(ctx, id); err != nil || ok {
		t.Fatalf("plugin user still exists (%v, %v)", ok, err)
	}
}

func TestReregistersWhenCredentialsAreRefused(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	cfg := pluginConfig(t, n)
	cfg.Workers, cfg.Connections = 2, 1
	r := startPlugin(t, n, cfg, &fakeDriver{})
	id := cfg.ID()
	ctx := callCtx(t)
	first, err := n.WaitRegistered(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	srv := r.p.Server()

	// The NFVO is reinstalled: the user is gone, its connections cut.
	if err := n.Forget(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Deleting a user may or may not close its connections: make sure.
	cctx, ccancel := context.WithTimeout(t.Context(), 6*deadline)
	defer ccancel()
	if _, err := nfvo.ForceCloseConnections(cctx, func(c string) bool { return strings.HasPrefix(c, id) }, "test: nfvo reinstalled"); err != nil {
		t.Fatal(err)
	}
	poll(t, 3*deadline, "second registration", func() bool { return n.Registrations(id) >= 2 })
	second, err := n.WaitRegistered(ctx, id)
	if err != nil || second.RabbitPassword == first.RabbitPassword {
		t.Fatalf("new credentials %v, %v", second.RabbitPassword == first.RabbitPassword, err)
	}
	poll(t, 3*deadline, "serving again", func() bool {
		s := r.p.Server()
		return s != nil && s != srv && s.Consuming() == cfg.Workers
	})
	ans, err := n.Call(callCtx(t), id, "getType", vimJSON())
	if err != nil || string(ans) != `"docker"` {
		t.Fatalf("after re-registration: %s, %v", ans, err)
	}
}

func TestWaitsForTheNFVO(t *testing.T) {
	t.Parallel()
	testenv.RabbitMQ(t)
	name := testenv.Name(t)
	queue := nfvo.DefaultManagerQueue + "-" + name
	cfg := plugin.DefaultConfig()
	cfg.BrokerHost = "127.0.0.1"
	cfg.BrokerUser = "mgr-" + name
	cfg.ManagerQueue = queue
	cfg.PluginName = name
	cfg.Workers, cfg.Connections = 2, 1
	p, err := plugin.New(cfg, &fakeDriver{}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	defer stop()
	// No NFVO yet: the plugin keeps trying. Then the NFVO starts.
	time.Sleep(1500 * time.Millisecond)
	if p.Server() != nil {
		t.Fatal("serving without an NFVO")
	}
	n, err := nfvo.Start(t.Context(), nfvo.Options{
		AMQPURL: testenv.AMQPURL(), ManagementURL: testenv.ManagementURL(),
		ManagerUser: "mgr-" + name, OwnManagerUser: true, ManagerQueue: queue, Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	rctx, rcancel := context.WithTimeout(t.Context(), 4*deadline)
	defer rcancel()
	if _, err := n.WaitRegistered(rctx, cfg.ID()); err != nil {
		t.Fatal(err)
	}
	r := &running{p: p}
	waitServing(t, r, cfg.Workers)
	// Stop the plugin while its NFVO still runs: it unregisters.
	stop()
	if err := n.WaitUnregistered(rctx, cfg.ID()); err != nil {
		t.Fatal(err)
	}
	_ = n.Management().DeleteQueue(rctx, cfg.ID())
}
