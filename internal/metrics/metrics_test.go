package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/metrics"
	"github.com/openbaton-docker/obdocker/pop"
)

// listOnly is a Pop that can only list containers (nil interface methods
// panic: the collector must not call them).
type listOnly struct {
	pop.Pop
	cs  []pop.Container
	err error
}

func (l listOnly) Containers(context.Context, pop.Filter) ([]pop.Container, error) {
	return l.cs, l.err
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestHealthz(t *testing.T) {
	for _, tc := range []struct {
		doc     string
		serving bool
		code    int
		body    string
	}{
		{doc: "serving", serving: true, code: 200, body: "serving\n"},
		{doc: "not serving", serving: false, code: 503, body: "not serving\n"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			h := metrics.New().Handler(func() bool { return tc.serving }, false)
			code, body := get(t, h, "/healthz")
			if code != tc.code || body != tc.body {
				t.Fatalf("got %d %q, want %d %q", code, body, tc.code, tc.body)
			}
		})
	}
}

func TestSeries(t *testing.T) {
	m := metrics.New()
	m.CallDone("getType", "ok", 2*time.Millisecond)
	m.CallDone("none", "malformed", time.Millisecond)
	m.Reconnected("vim-drivers.docker.x-c0")
	m.GaugeFunc("plugin", "serving", "test", func() float64 { return 1 })
	pops := map[string]pop.Pop{
		"unix:///a": listOnly{cs: []pop.Container{{State: pop.StateCreated}, {State: pop.StateCreated}, {State: pop.StateRunning}}},
		"unix:///b": listOnly{err: errors.New("gone")},
	}
	m.WatchPops(func(fn func(string, pop.Pop)) {
		for k, p := range pops {
			fn(k, p)
		}
	}, time.Second)
	code, body := get(t, m.Handler(func() bool { return true }, false), "/metrics")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`obdocker_plugin_calls_total{method="getType",outcome="ok"} 1`,
		`obdocker_plugin_calls_total{method="none",outcome="malformed"} 1`,
		`obdocker_plugin_call_duration_seconds_bucket{method="getType",le="0.0025"} 1`,
		`obdocker_amqp_reconnects_total{connection="vim-drivers.docker.x-c0"} 1`,
		`obdocker_plugin_serving 1`,
		`obdocker_pop_containers{endpoint="unix:///a",state="CREATED"} 2`,
		`obdocker_pop_containers{endpoint="unix:///a",state="RUNNING"} 1`,
		`obdocker_pop_containers{endpoint="unix:///a",state="FAILED"} 0`,
		`obdocker_pop_scrape_errors_total 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in /metrics", want)
		}
	}
	if strings.Contains(body, `endpoint="unix:///b"`) {
		t.Error("a Pop that cannot list must not report counts")
	}
}

// Two Metrics never share series: there is no global registry.
func TestNoGlobalState(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.CallDone("getType", "ok", time.Millisecond)
	_, body := get(t, b.Handler(func() bool { return true }, false), "/metrics")
	if strings.Contains(body, `method="getType"`) {
		t.Fatal("series of one Metrics appear in another")
	}
}

func TestListenAndClose(t *testing.T) {
	m := metrics.New()
	s, err := metrics.Listen("127.0.0.1:0", m.Handler(func() bool { return false }, false), discard())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLatencyBucketsReachPluginTimeout: a launch that takes minutes (a slow
// pull) lands in a finite bucket up to 300 s, the NFVO's default plugin
// timeout, not only in +Inf.
func TestLatencyBucketsReachPluginTimeout(t *testing.T) {
	m := metrics.New()
	m.CallDone("launchInstanceAndWait", "ok", 200*time.Second)
	m.CallDone("launchInstanceAndWait", "ok", 290*time.Second)
	_, body := get(t, m.Handler(func() bool { return true }, false), "/metrics")
	for _, want := range []string{
		`obdocker_plugin_call_duration_seconds_bucket{method="launchInstanceAndWait",le="60"} 0`,
		`obdocker_plugin_call_duration_seconds_bucket{method="launchInstanceAndWait",le="300"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in /metrics", want)
		}
	}
	// Nothing between 60 s and 300 s would make every slow launch "over 60 s".
	if !strings.Contains(body, `obdocker_plugin_call_duration_seconds_bucket{method="launchInstanceAndWait",le="240"} 1`) &&
		!strings.Contains(body, `obdocker_plugin_call_duration_seconds_bucket{method="launchInstanceAndWait",le="250"} 1`) {
		t.Errorf("no bucket between 200 s and 290 s:\n%s", grepLines(body, "launchInstanceAndWait"))
	}
}

// TestOutcomesDocumented: the calls_total help names every outcome the
// plugin reports, bad_arity included.
func TestOutcomesDocumented(t *testing.T) {
	m := metrics.New()
	m.CallDone("getType", "bad_arity", time.Millisecond)
	_, body := get(t, m.Handler(func() bool { return true }, false), "/metrics")
	for _, want := range []string{"ok", "error", "malformed", "unknown_method", "bad_arity"} {
		if !strings.Contains(grepLines(body, "# HELP obdocker_plugin_calls_total"), want) {
			t.Errorf("calls_total help does not name %q", want)
		}
	}
}

// TestReconnectsFromStart: connections the observer is told of have a
// reconnect count of 0 before any loss.
func TestReconnectsFromStart(t *testing.T) {
	m := metrics.New()
	m.Connections([]string{"vim-drivers.docker.x-c0", "vim-drivers.docker.x-reply"})
	m.Reconnected("vim-drivers.docker.x-reply")
	_, body := get(t, m.Handler(func() bool { return true }, false), "/metrics")
	for _, want := range []string{
		`obdocker_amqp_reconnects_total{connection="vim-drivers.docker.x-c0"} 0`,
		`obdocker_amqp_reconnects_total{connection="vim-drivers.docker.x-reply"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in /metrics", want)
		}
	}
}

func grepLines(body, substr string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
