// Package metrics exposes the plugin daemon's Prometheus metrics and its
// health endpoint. Everything hangs off one Registry owned by a Metrics
// value that the daemon passes around: there is no global state, so tests
// and several daemons in one process never share series.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/openbaton-docker/obdocker/pop"
)

// Namespace prefixes every series of the daemon.
const Namespace = "obdocker"

// Metrics holds the daemon's collectors and their registry. It implements
// plugin.Observer.
type Metrics struct {
	reg        *prometheus.Registry
	calls      *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	reconnects *prometheus.CounterVec
}

// New builds a registry with the call, latency and reconnect series plus
// the Go runtime and process collectors (RSS, file descriptors).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "plugin", Name: "calls_total",
			Help: "Plugin requests by method and outcome (ok, error, malformed, unknown_method, bad_arity).",
		}, []string{"method", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "plugin", Name: "call_duration_seconds",
			Help: "Time from a request's delivery to its reply body, by method.",
			// From a getType (sub-millisecond) to a launch that waits for a
			// slow pull, up to 300 s: the NFVO's default plugin timeout
			// (nfvo.plugin.timeout), past which nobody waits for the answer.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 180, 240, 300},
		}, []string{"method"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "amqp", Name: "reconnects_total",
			Help: "RabbitMQ connections of the plugin dialled again after a loss, by connection name.",
		}, []string{"connection"}),
	}
	m.reg.MustRegister(m.calls, m.latency, m.reconnects,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where every collector of the daemon is registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// CallDone counts one request and observes its latency.
func (m *Metrics) CallDone(method, outcome string, d time.Duration) {
	m.calls.WithLabelValues(method, outcome).Inc()
	m.latency.WithLabelValues(method).Observe(d.Seconds())
}

// Connections makes the reconnect count of each named connection exist,
// at 0, before its first loss: an absent series reads as "no data", not as
// "no reconnects", in a rate() or an alert.
func (m *Metrics) Connections(names []string) {
	for _, n := range names {
		m.reconnects.WithLabelValues(n)
	}
}

// Reconnected counts one reconnect of a connection.
func (m *Metrics) Reconnected(connection string) {
	m.reconnects.WithLabelValues(connection).Inc()
}

// GaugeFunc registers a gauge read at scrape time (serving, in flight).
func (m *Metrics) GaugeFunc(subsystem, name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: subsystem, Name: name, Help: help,
	}, f))
}

// PopSource lists the Pops open right now, by endpoint.
type PopSource func(fn func(endpoint string, p pop.Pop))

// WatchPops registers obdocker_pop_containers{endpoint,state}: the
// containers of every open Pop by state, counted at scrape time (a Pop's
// listing is served from memory), and obdocker_pop_scrape_errors_total.
func (m *Metrics) WatchPops(src PopSource, timeout time.Duration) {
	m.reg.MustRegister(&popCollector{src: src, timeout: timeout,
		desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "pop", "containers"),
			"Pop containers by endpoint and state.", []string{"endpoint", "state"}, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "pop", Name: "scrape_errors_total",
			Help: "Pops whose containers could not be listed during a scrape.",
		}),
	})
}

type popCollector struct {
	src     PopSource
	timeout time.Duration
	desc    *prometheus.Desc
	errs    prometheus.Counter
}

func (c *popCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	c.errs.Describe(ch)
}

func (c *popCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	c.src(func(endpoint string, p pop.Pop) {
		cs, err := p.Containers(ctx, pop.Filter{})
		if err != nil {
			c.errs.Inc()
			return
		}
		// Every state appears, zero included, so a series never vanishes
		// when its last container leaves.
		counts := map[pop.State]int{}
		for _, ct := range cs {
			counts[ct.State]++
		}
		for _, s := range []pop.State{pop.StateCreated, pop.StateRunning, pop.StateStopping,
			pop.StateExited, pop.StateFailed, pop.StateUnavailable} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), endpoint, s.String())
		}
	})
	c.errs.Collect(ch)
}
