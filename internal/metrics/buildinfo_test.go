package metrics_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/metrics"
)

func TestBuildInfo(t *testing.T) {
	m := metrics.New()
	m.BuildInfo("v1.2.3-4-gabc", "go1.26.0")
	code, body := get(t, m.Handler(func() bool { return true }, false), "/metrics")
	want := `obdocker_build_info{goversion="go1.26.0",version="v1.2.3-4-gabc"} 1`
	if code != http.StatusOK || !strings.Contains(body, want) {
		t.Fatalf("%d: /metrics lacks %s:\n%s", code, want, body)
	}
}
