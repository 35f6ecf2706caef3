package metrics_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// The daemon tests use 10.207.1.0/24 and 10.207.2.0/24 only.

// TestDaemonMetrics scrapes /metrics and /healthz of a running plugin
// daemon (OBDOCKER_METRICS_ADDR) after real calls and a reconnect, and
// checks every documented series is there.
func TestDaemonMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the broker and dockerd")
	}
	r := rig.New(t, rig.Options{Subnet: "10.207.1.0/24", Pool: "10.207.2.0/24", Race: true, Metrics: true})
	code, body, err := r.Get("/healthz")
	if err != nil || code != 200 || body != "serving\n" {
		t.Fatalf("healthz: %d %q %v", code, body, err)
	}
	c, err := r.NewCaller(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// The rig's readiness check already called getType: count from here.
	_, body, err = r.Get("/metrics")
	if err != nil {
		t.Fatal(err)
	}
	pings := metricValue(body, `obdocker_plugin_calls_total{method="getType",outcome="ok"}`)
	if _, err := c.Call(ctx, "getType", r.VIM()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "launchInstance", r.VIM(), "m-"+r.PopName, testenv.BusyboxImage, "", "", []any{}, []any{}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CallRaw(ctx, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	// A reconnect: close one of the plugin's own consuming connections.
	closed, err := nfvo.ForceCloseConnections(ctx, func(n string) bool { return n == r.Queue+"-c0" }, "metrics test")
	if err != nil || len(closed) != 1 {
		t.Fatalf("force close: %v %v", closed, err)
	}
	want := []string{
		fmt.Sprintf(`obdocker_plugin_calls_total{method="getType",outcome="ok"} %d`, pings+1),
		`obdocker_plugin_calls_total{method="launchInstance",outcome="ok"} 1`,
		`obdocker_plugin_calls_total{method="none",outcome="malformed"} 1`,
		fmt.Sprintf(`obdocker_plugin_call_duration_seconds_count{method="getType"} %d`, pings+1),
		`obdocker_plugin_call_duration_seconds_bucket{method="launchInstance",le="+Inf"} 1`,
		`obdocker_amqp_reconnects_total{connection="` + r.Queue + `-c0"} 1`,
		`obdocker_pop_containers{endpoint="` + testenv.DockerHost() + `",state="CREATED"} 1`,
		`obdocker_pop_containers{endpoint="` + testenv.DockerHost() + `",state="RUNNING"} 0`,
		`obdocker_plugin_serving 1`,
		`obdocker_plugin_calls_in_flight 0`,
		`process_resident_memory_bytes `,
		`go_goroutines `,
	}
	end := time.Now().Add(20 * time.Second)
	for {
		code, body, err := r.Get("/metrics")
		var missing []string
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = append(missing, w)
			}
		}
		if err == nil && code == 200 && len(missing) == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("/metrics (%d, %v) lacks %q:\n%s", code, err, missing, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Stopped: the endpoint goes with the process.
	r.Stop()
	if _, _, err := r.Get("/healthz"); err == nil {
		t.Error("metrics endpoint still answers after the daemon stopped")
	}
}

// metricValue is the value of the sample named exactly name (with its
// labels) in a Prometheus text exposition, 0 when absent.
func metricValue(body, name string) int {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
