package plugin_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/metrics"
	"github.com/openbaton-docker/obdocker/plugin"
)

// TestReconnectSeriesExistFromStart: the reconnect count of every
// connection the plugin will serve on is on /metrics, at 0, as soon as the
// observer is set: before registration, before any loss (a rate() or an
// alert on the series needs it to exist).
func TestReconnectSeriesExistFromStart(t *testing.T) {
	cfg := plugin.DefaultConfig()
	cfg.PluginName = "obs"
	cfg.Connections = 2
	p, err := plugin.New(cfg, &fakeDriver{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	p.SetObserver(m)
	rec := httptest.NewRecorder()
	m.Handler(func() bool { return false }, false).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Result().Body)
	for _, c := range []string{p.ID() + "-c0", p.ID() + "-c1", p.ID() + "-reply"} {
		want := `obdocker_amqp_reconnects_total{connection="` + c + `"} 0`
		if !strings.Contains(string(b), want) {
			t.Errorf("no %q on /metrics", want)
		}
	}
}
