package metrics

import "github.com/prometheus/client_golang/prometheus"

// BuildInfo registers obdocker_build_info{version,goversion}, always 1:
// the usual way to put a build's version next to its other series, so
// that dashboards can tell which build ran when.
func (m *Metrics) BuildInfo(version, goVersion string) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace:   Namespace,
		Name:        "build_info",
		Help:        "Always 1; its labels name the daemon's version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": goVersion},
	})
	g.Set(1)
	m.reg.MustRegister(g)
}
