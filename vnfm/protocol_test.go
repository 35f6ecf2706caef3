package vnfm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/vnfm"
)

// inProcess is a VNFM run in-process against the NFVO stand-in (the
// registration side) on the real broker, with queue names of its own.
type inProcess struct {
	nfvo    *nfvo.NFVO
	cfg     vnfm.Config
	v       *vnfm.VNFM
	typ     string
	unique  string
	amqpURL string
	cancel  context.CancelFunc
	done    chan error // Run's result
}

// startInProcess starts it, with tweak applied to its configuration, and
// waits until it consumes its command queue.
func startInProcess(t *testing.T, tweak func(*vnfm.Config)) *inProcess {
	t.Helper()
	amqpURL := testenv.RabbitMQ(t)
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	n, err := nfvo.Start(t.Context(), nfvo.Options{AMQPURL: amqpURL, ManagementURL: testenv.ManagementURL(), ManagerQueue: "nfvo.manager.handling-p" + u,
		ManagerUser: "openbaton-manager-user-p" + u, OwnManagerUser: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	typ := "docker-vnfm-p" + u
	cfg, err := vnfm.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Type, cfg.Endpoint = typ, typ
	cfg.ManagerQueue = n.ManagerQueue()
	cfg.BrokerUser = "openbaton-manager-user-p" + u
	cfg.ActionsQueue, cfg.ActionsReplyQueue = "vnfm.nfvo.actions-p"+u, "vnfm.nfvo.actions.reply-p"+u
	cfg.BrokerHost = "127.0.0.1"
	cfg.ManagementURL = testenv.ManagementURL()
	cfg.PluginTimeout = 5 * time.Second
	if tweak != nil {
		tweak(&cfg)
	}
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	v, err := vnfm.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-v.Consuming():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("VNFM never consumed its queue")
	}
	return &inProcess{nfvo: n, cfg: cfg, v: v, typ: typ, unique: u, amqpURL: amqpURL, cancel: cancel, done: done}
}

// TestProtocolEdges runs the VNFM in-process against the NFVO stand-in on
// the real broker: registration and queue flags, then commands that must
// be answered (null or ERROR) and never crash it, then unregistration.
func TestProtocolEdges(t *testing.T) {
	p := startInProcess(t, nil)
	n, typ, u, amqpURL, cancel, done := p.nfvo, p.typ, p.unique, p.amqpURL, p.cancel, p.done
	if c, ok := n.Credentials(typ); !ok || c.RabbitUsername != typ {
		t.Fatalf("registration: %v %v", c, ok)
	}
	q, err := n.Management().Queue(t.Context(), typ)
	if err != nil || !q.Durable || !q.AutoDelete || q.Exclusive {
		t.Fatalf("queue flags %+v %v (want durable, auto-delete, not exclusive)", q, err)
	}
	perms, _ := n.Management().UserPermissions(t.Context(), typ)
	if !strings.Contains(perms.Read, "("+typ+")") {
		t.Fatalf("permissions %+v", perms)
	}

	cl, err := amqpx.NewClient(t.Context(), amqpx.ClientConfig{Dial: amqpx.DialConfig{URL: amqpURL, Name: "vnfm-protocol-test-" + u}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	send := func(body string) string {
		t.Helper()
		cctx, ccancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer ccancel()
		d, err := cl.Call(cctx, nfvo.Exchange, typ, amqp.Publishing{ContentType: "text/plain", Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return string(d.Body)
	}
	vnfr := `{"id":"r1","hbVersion":3,"name":"x","parent_ns_id":"nsr","vdu":[]}`
	for _, body := range []string{
		`not json`,
		`{"action":"NO_SUCH_ACTION"}`,
		`{"action":"ERROR","vnfr":` + vnfr + `,"message":"the NFVO failed"}`,
		`{"action":"SCALE_IN","virtualNetworkFunctionRecord":` + vnfr + `}`,
		`{"action":"EXECUTE","vnfr":` + vnfr + `,"script":{"name":"a.sh","payload":[35,33]}}`,
		`{"action":"MODIFY"}`,
		`{"action":"RESUME"}`,
		`null`,
	} {
		if got := send(body); got != "null" {
			t.Errorf("%s answered %s, want null", body, got)
		}
	}
	// Failures answer ERROR with the VNFR and an exception, never nothing.
	for _, body := range []string{
		`{"action":"INSTANTIATE"}`,
		`{"action":"START","virtualNetworkFunctionRecord":` + vnfr + `}`,
		`{"action":"RESUME","vnfr":` + vnfr + `}`,
		`{"action":"START","virtualNetworkFunctionRecord":{"id":"r2","hbVersion":1,"name":"y","parent_ns_id":"nsr","vdu":[{"vimInstanceName":["nowhere"],"vnfc_instance":[{"id":"i","hostname":"y-1","vc_id":"c","vim_id":"unknown"}]}]}}`,
	} {
		var m map[string]any
		got := send(body)
		if err := json.Unmarshal([]byte(got), &m); err != nil || m["action"] != "ERROR" || m["virtualNetworkFunctionRecord"] == nil {
			t.Errorf("%s answered %s, want an ERROR with the VNFR", body, got)
			continue
		}
		if exc, _ := m["exception"].(map[string]any); exc == nil || exc["detailMessage"] == "" {
			t.Errorf("%s: ERROR without exception.detailMessage: %s", body, got)
		}
	}
	// RELEASE_RESOURCES and UPDATE echo the record under the long name.
	for _, action := range []string{"RELEASE_RESOURCES", "UPDATE"} {
		var m map[string]any
		json.Unmarshal([]byte(send(`{"action":"`+action+`","vnfr":`+vnfr+`}`)), &m)
		r, _ := m["virtualNetworkFunctionRecord"].(map[string]any)
		if m["action"] != action || r == nil || r["hbVersion"] != float64(3) {
			t.Errorf("%s answered %v", action, m)
		}
	}
	// LOG_REQUEST for something unknown answers with an errorLog.
	var lm map[string]any
	json.Unmarshal([]byte(send(`{"action":"LOG_REQUEST","vnfrName":"nope","hostname":"nope-1"}`)), &lm)
	if lm["action"] != "LOG_REQUEST" || len(lm["errorLog"].([]any)) == 0 {
		t.Errorf("LOG_REQUEST answered %v", lm)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	done <- nil
	wctx, wcancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer wcancel()
	if err := n.WaitUnregistered(wctx, typ); err != nil {
		t.Fatal(err)
	}
}
