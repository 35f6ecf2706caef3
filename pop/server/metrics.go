package server

import (
	"context"
	"net/http"
	"path"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/openbaton-docker/obdocker/internal/metrics"
	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/pop"
)

// namespace prefixes every series, as the plugin's do.
const namespace = "obdocker"

// serverMetrics is the registry of one Server: no global state, so two
// servers in one process (tests) never share series.
type serverMetrics struct {
	reg     *prometheus.Registry
	calls   *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// newMetrics registers the build, call and container series. serving and
// p are read at scrape time.
func newMetrics(p pop.Pop, serving func() bool) *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "popd", Name: "calls_total",
			Help: "gRPC calls by method and status code (Unauthenticated included).",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "popd", Name: "call_duration_seconds",
			Help: "Time to answer a gRPC call, by method.",
			// From a list served from memory to a Start or Stop that waits
			// for a slow engine, up to the NFVO's plugin timeout.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"method"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; the labels say which build runs.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version.Version, version.Go()).Set(1)
	up := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "popd", Name: "serving",
		Help: "1 while docker-popd accepts calls (what /healthz reports).",
	}, func() float64 {
		if serving() {
			return 1
		}
		return 0
	})
	m.reg.MustRegister(m.calls, m.latency, build, up,
		&containerCollector{pop: p, desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "pop", "containers"),
			"Pop containers by state.", []string{"state"}, nil)},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *serverMetrics) observe(fullMethod string, start time.Time, err error) {
	method := path.Base(fullMethod)
	m.calls.WithLabelValues(method, status.Code(err).String()).Inc()
	m.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
}

// unary and stream count every call, refused logins and tokens included,
// so they run before the session interceptors.
func (m *serverMetrics) unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		m.observe(info.FullMethod, start, err)
		return resp, err
	}
}

func (m *serverMetrics) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		m.observe(info.FullMethod, start, err)
		return err
	}
}

// handler serves /metrics and /healthz (200 "serving", else 503), and with
// pprof Go's profiles (off by default: they reveal internals), as the
// plugin does.
func (m *serverMetrics) handler(serving func() bool, pprof bool) http.Handler {
	return metrics.NewHandler(m.reg, serving, pprof)
}

// containerCollector counts the Pop's containers by state at scrape time
// (the core answers from memory).
type containerCollector struct {
	pop  pop.Pop
	desc *prometheus.Desc
}

func (c *containerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *containerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs, err := c.pop.Containers(ctx, pop.Filter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	counts := map[pop.State]int{}
	for _, ct := range cs {
		counts[ct.State]++
	}
	// Every state, zero included, so a series never vanishes.
	for _, s := range []pop.State{pop.StateCreated, pop.StateRunning, pop.StateStopping,
		pop.StateExited, pop.StateFailed, pop.StateUnavailable} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s.String())
	}
}
