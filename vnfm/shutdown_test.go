package vnfm_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/vnfm"
)

// TestShutdownAnswersCommandsNotStarted gives the VNFM one worker and
// holds it with an INSTANTIATE whose GRANT_OPERATION the test takes and
// never answers. Then commands arrive, are acked, and cannot start before
// the drain ends. None may be left unanswered (the NFVO waits for its
// reply without a timeout): ERROR with the reason when the command carries
// a VNFR, else the reply its action allows; the INSTANTIATE, cut off at
// the drain's end, answers too.
func TestShutdownAnswersCommandsNotStarted(t *testing.T) {
	p := startInProcess(t, func(c *vnfm.Config) {
		c.Workers = 1
		c.DrainTimeout = 2 * time.Second
		c.MonitorInterval = 0
	})
	ctx := t.Context()
	conn, err := amqp.DialConfig(p.amqpURL, amqp.Config{Properties: amqp.Table{"connection_name": "vnfm-shutdown-test-" + p.unique}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	// The NFVO's side of vnfm.nfvo.actions.reply: the grant lands here and
	// is never answered.
	if _, err := ch.QueueDeclare(p.cfg.ActionsReplyQueue, false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	grants, err := ch.Consume(p.cfg.ActionsReplyQueue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	rq, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	deliveries, err := ch.Consume(rq.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	replies := map[string]string{}
	go func() {
		for d := range deliveries {
			mu.Lock()
			replies[d.CorrelationId] = string(d.Body)
			mu.Unlock()
		}
	}()
	send := func(id, body string) {
		t.Helper()
		conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, nfvo.Exchange, p.typ, true, false,
			amqp.Publishing{ContentType: "text/plain", CorrelationId: id, ReplyTo: rq.Name, Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := conf.WaitContext(ctx); err != nil || !ok {
			t.Fatalf("publish %s: confirmed %v, %v", id, ok, err)
		}
	}

	send("instantiate", `{"action":"INSTANTIATE","vnfd":{"name":"blocker","type":"blocker","endpoint":"`+p.typ+`"},"extension":{"nsr-id":"nsr"}}`)
	select {
	case d := <-grants:
		if !strings.Contains(string(d.Body), `"GRANT_OPERATION"`) {
			t.Fatalf("expected the grant request, got %s", d.Body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the INSTANTIATE never asked for its grant")
	}

	// The worker is taken: these are acked on receipt and wait for it.
	vnfr := `{"id":"r1","hbVersion":3,"name":"x","parent_ns_id":"nsr","vdu":[]}`
	waiting := map[string]string{
		"start":    `{"action":"START","virtualNetworkFunctionRecord":` + vnfr + `}`,
		"stop":     `{"action":"STOP","virtualNetworkFunctionRecord":` + vnfr + `}`,
		"release":  `{"action":"RELEASE_RESOURCES","vnfr":` + vnfr + `}`,
		"logs":     `{"action":"LOG_REQUEST","vnfrName":"x","hostname":"x-1"}`,
		"execute":  `{"action":"EXECUTE","vnfr":` + vnfr + `,"script":{"name":"a.sh","payload":[35,33]}}`,
		"scalein":  `{"action":"SCALE_IN","virtualNetworkFunctionRecord":` + vnfr + `}`,
		"instance": `{"action":"INSTANTIATE","vnfd":{"name":"late","type":"late","endpoint":"` + p.typ + `"},"extension":{"nsr-id":"nsr"}}`,
	}
	for id, body := range waiting {
		send(id, body)
	}
	// Delivered (hence acked: prefetch is one worker, and the VNFM acks
	// each on receipt) once the queue holds no message ready.
	waitQueueEmpty(t, conn, p.typ)

	p.cancel()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("Run did not return")
	}
	// Every reply was confirmed by the broker before Run returned; give
	// the deliveries a moment to reach us.
	want := len(waiting) + 1
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(replies)
		mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range waiting {
		if _, ok := replies[id]; !ok {
			t.Errorf("%s: acked, never started, never answered", id)
		}
	}
	if _, ok := replies["instantiate"]; !ok {
		t.Errorf("instantiate: cut off at the drain's end, never answered")
	}
	for _, id := range []string{"start", "stop", "release"} {
		if got, ok := replies[id]; ok {
			checkAbandonedError(t, id, got, true)
		}
	}
	if got, ok := replies["instantiate"]; ok {
		checkAbandonedError(t, "instantiate", got, false)
	}
	if got, ok := replies["logs"]; ok {
		var m map[string]any
		if err := json.Unmarshal([]byte(got), &m); err != nil || m["action"] != "LOG_REQUEST" {
			t.Errorf("logs answered %s, want a LOG_REQUEST answer", got)
		} else if out, _ := m["outputLog"].([]any); out == nil || len(out) != 0 {
			t.Errorf("logs answered %s, want an empty outputLog", got)
		}
	}
	// Null answers: nothing to run (EXECUTE, SCALE_IN), or no VNFR for an
	// ERROR (the NFVO's ErrorTask would fail on it).
	for _, id := range []string{"execute", "scalein", "instance"} {
		if got, ok := replies[id]; ok && got != "null" {
			t.Errorf("%s answered %s, want null", id, got)
		}
	}
}

// checkAbandonedError checks an ERROR answer with the VNFR (the one sent
// when sent is set) and an exception that gives the reason.
func checkAbandonedError(t *testing.T, id, got string, sent bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(got), &m); err != nil || m["action"] != "ERROR" {
		t.Errorf("%s answered %s, want ERROR", id, got)
		return
	}
	r, _ := m["virtualNetworkFunctionRecord"].(map[string]any)
	if r == nil || sent && (r["id"] != "r1" || r["hbVersion"] != float64(3)) {
		t.Errorf("%s: ERROR without the VNFR as sent: %s", id, got)
	}
	exc, _ := m["exception"].(map[string]any)
	detail, _ := exc["detailMessage"].(string)
	if detail == "" {
		t.Errorf("%s: ERROR without a reason: %s", id, got)
	}
	if sent && !strings.Contains(detail, "shut") {
		t.Errorf("%s: the reason does not say the VNFM shut down: %q", id, detail)
	}
}

// waitQueueEmpty waits until a queue holds no message ready, asking the
// broker itself (a passive declare) rather than the lagging management API.
func waitQueueEmpty(t *testing.T, conn *amqp.Connection, queue string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		q, err := ch.QueueDeclarePassive(queue, true, true, false, false, nil)
		ch.Close()
		if err != nil {
			t.Fatal(err)
		}
		if q.Messages == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s still holds %d messages", queue, q.Messages)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
