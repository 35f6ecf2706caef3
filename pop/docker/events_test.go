package docker

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"

	"github.com/openbaton-docker/obdocker/pop"
)

func eventLine(action, popName, popID string, attrs map[string]string) string {
	a := map[string]string{LabelPop: popName, LabelID: popID}
	for k, v := range attrs {
		a[k] = v
	}
	b, _ := json.Marshal(events.Message{
		Type: events.ContainerEventType, Action: events.Action(action),
		Actor:    events.Actor{ID: "c-" + popID, Attributes: a},
		Time:     1700000000,
		TimeNano: 1700000000_123456789,
	})
	return string(b) + "\n"
}

func TestEventsFilterAndStreamEnd(t *testing.T) {
	f := newFakeEngine(t)
	body := eventLine("exec_start: /bin/sh", "popA", "p1", nil) +
		eventLine("die", "popB", "p2", map[string]string{"exitCode": "1"}) +
		eventLine("die", "popA", "p1", map[string]string{"exitCode": "3"}) +
		eventLine("health_status: healthy", "popA", "p1", nil) +
		eventLine("destroy", "popA", "p1", nil)
	f.on("GET /events", func(recorded) *http.Response {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body))}
	})
	since := time.Unix(1700000000, 5)
	evs, errs := f.backend("popA").Events(t.Context(), since)

	var got []pop.ContainerEvent
	for ev := range evs {
		got = append(got, ev)
	}
	err, ok := <-errs
	if !ok || !errors.Is(err, pop.ErrUnavailable) {
		t.Errorf("stream end: %v (sent %v), want one unavailable error", err, ok)
	}
	if _, open := <-errs; open {
		t.Error("errs not closed after its one error")
	}
	if len(got) != 2 || got[0].Action != "die" || got[0].ExitCode != 3 || got[0].PopID != "p1" || got[0].DockerID != "c-p1" ||
		!got[0].Time.Equal(time.Unix(0, 1700000000_123456789)) || got[1].Action != "destroy" {
		t.Errorf("events = %+v, want die(3) then destroy of p1 only", got)
	}

	r, _ := f.find("GET /events")
	if r.Query.Get("since") != "1700000000.000000005" {
		t.Errorf("since = %q", r.Query.Get("since"))
	}
	filt := r.Query.Get("filters")
	for _, want := range []string{`"label":{"` + LabelPop + `=popA":true}`, `"type":{"container":true}`, `"die":true`} {
		if !strings.Contains(filt, want) {
			t.Errorf("filters %s lack %s", filt, want)
		}
	}
}

func TestEventsCancelClosesQuietly(t *testing.T) {
	f := newFakeEngine(t)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	f.on("GET /events", func(recorded) *http.Response {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}}, Body: pr}
	})
	ctx, cancel := contextWithCancel(t)
	evs, errs := f.backend("popA").Events(ctx, time.Time{})
	go func() { _, _ = io.WriteString(pw, eventLine("start", "popA", "p1", nil)) }()
	if ev := <-evs; ev.Action != "start" {
		t.Fatalf("first event = %+v", ev)
	}
	cancel()
	for range evs {
	}
	if err, ok := <-errs; ok {
		t.Errorf("error after cancel: %v", err)
	}
}
