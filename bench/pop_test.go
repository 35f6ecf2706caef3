package bench_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// BenchmarkPopStore: the cost of durability alone. Two Pop cores on the
// same engine, one with its bbolt store (what the plugin runs) and one
// with the in-memory store, do the same Create+Start and the same
// Stop+Delete (until the Docker container is gone), alternating; no AMQP.
func BenchmarkPopStore(b *testing.B) {
	const rounds, runs = 5, 30
	ctx := context.Background()
	open := func(suffix, subnet, pool string, durable bool) (*pop.Core, *timedBackend) {
		name := testenv.Name(b) + "-" + suffix
		dbe, err := docker.New(ctx, docker.Options{Host: testenv.DockerHost(), PopName: name})
		if err != nil {
			b.Fatal(err)
		}
		be := &timedBackend{Backend: dbe, d: map[string]time.Duration{}}
		raw := testenv.Docker(b)
		cfg := pop.Config{PopName: name, DefaultNetwork: "priv-" + name, DefaultSubnet: subnet, NetworkPool: pool}
		if durable {
			cfg.StorePath = filepath.Join(b.TempDir(), "pop.db")
		}
		c, err := pop.Open(ctx, cfg, be)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			c.Close()
			dbe.Close()
			if err := testenv.RemovePopObjects(raw, name); err != nil {
				b.Logf("cleanup: %v", err)
			}
		})
		return c, be
	}
	stored, storedBE := open("store", "10.207.68.0/24", "10.207.70.0/24", true)
	mem, _ := open("mem", "10.207.69.0/24", "10.207.71.0/24", false)
	type sample struct{ launch, del []time.Duration }
	run := func(c *pop.Core, name string, s *sample) {
		t0 := time.Now()
		ct, err := c.Create(ctx, pop.ContainerConfig{Name: name, Image: testenv.BusyboxImage})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Start(ctx, pop.ByID(ct.ID)); err != nil {
			b.Fatal(err)
		}
		s.launch = append(s.launch, time.Since(t0))
		t0 = time.Now()
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = c.Delete(dctx, pop.ByID(ct.ID))
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		s.del = append(s.del, time.Since(t0))
	}
	run(stored, "warm-s", &sample{}) // both code paths warm
	run(mem, "warm-m", &sample{})
	storedBE.reset()
	var launchR, delR []float64
	var all [2]sample
	for round := range rounds {
		var s, m sample
		for i := range runs {
			if i%2 == 0 {
				run(stored, fmt.Sprintf("s%d%02d", round, i), &s)
				run(mem, fmt.Sprintf("m%d%02d", round, i), &m)
			} else {
				run(mem, fmt.Sprintf("m%d%02d", round, i), &m)
				run(stored, fmt.Sprintf("s%d%02d", round, i), &s)
			}
		}
		launchR = append(launchR, ratio(s.launch, m.launch, .5))
		delR = append(delR, ratio(s.del, m.del, .5))
		all[0].launch, all[0].del = append(all[0].launch, s.launch...), append(all[0].del, s.del...)
		all[1].launch, all[1].del = append(all[1].launch, m.launch...), append(all[1].del, m.del...)
	}
	p50 := func(d []time.Duration) float64 { return bench.MS(bench.Percentile(d, .5)) }
	medL, _, _ := bench.Median(launchR)
	record(b, bench.AtMost("popstore", "Pop core Create+Start, bbolt store vs in-memory store, p50 ratio", medL, "x", 1.03,
		fmt.Sprintf("%d rounds of %d alternating, no AMQP; over all p50: store %.1f ms, memory %.1f ms; ratio %s", rounds, runs, p50(all[0].launch), p50(all[1].launch), bench.Spread(launchR))))
	// Where the milliseconds of the stored core go: its Docker calls, timed
	// at the backend, and the rest (the core's own work and its store).
	n := time.Duration(len(all[0].launch))
	sumOf := func(ds []time.Duration) (t time.Duration) {
		for _, d := range ds {
			t += d
		}
		return t
	}
	launchCalls := []string{"CheckImage", "CreateContainer", "StartContainer", "InspectContainer"}
	deleteCalls := []string{"StopContainer", "RemoveContainer"}
	br := storedBE.breakdown(n, sumOf(all[0].launch), launchCalls...)
	b.Logf("figure: launch breakdown (mean per Create+Start, stored core): %s", br)
	record(b, bench.Info("popstore", "Pop core Create+Start, where the time goes (mean, stored core)", bench.MS(sumOf(all[0].launch)/n), "ms", br))
	bd := storedBE.breakdown(n, sumOf(all[0].del), deleteCalls...)
	b.Logf("figure: delete breakdown (mean per Stop+Delete, stored core): %s", bd)
	record(b, bench.Info("popstore", "Pop core Stop+Delete, where the time goes (mean, stored core)", bench.MS(sumOf(all[0].del)/n), "ms", bd))
	medD, _, _ := bench.Median(delR)
	record(b, bench.AtMost("popstore", "Pop core Stop+Delete until gone, bbolt store vs in-memory store, p50 ratio", medD, "x", 1.03,
		fmt.Sprintf("%d rounds of %d alternating, no AMQP; over all p50: store %.1f ms, memory %.1f ms; ratio %s", rounds, runs, p50(all[0].del), p50(all[1].del), bench.Spread(delR))))
}

// timedBackend sums the time of each Docker call the core makes.
type timedBackend struct {
	*docker.Backend
	mu sync.Mutex
	d  map[string]time.Duration
}

func (t *timedBackend) add(name string, t0 time.Time) {
	t.mu.Lock()
	t.d[name] += time.Since(t0)
	t.mu.Unlock()
}

func (t *timedBackend) reset() {
	t.mu.Lock()
	clear(t.d)
	t.mu.Unlock()
}

func (t *timedBackend) CheckImage(ctx context.Context, ref string) error {
	defer t.add("CheckImage", time.Now())
	return t.Backend.CheckImage(ctx, ref)
}

func (t *timedBackend) CreateContainer(ctx context.Context, spec pop.ContainerSpec) (string, error) {
	defer t.add("CreateContainer", time.Now())
	return t.Backend.CreateContainer(ctx, spec)
}

func (t *timedBackend) StartContainer(ctx context.Context, id string) error {
	defer t.add("StartContainer", time.Now())
	return t.Backend.StartContainer(ctx, id)
}

func (t *timedBackend) InspectContainer(ctx context.Context, id string) (pop.ContainerStatus, error) {
	defer t.add("InspectContainer", time.Now())
	return t.Backend.InspectContainer(ctx, id)
}

func (t *timedBackend) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	defer t.add("StopContainer", time.Now())
	return t.Backend.StopContainer(ctx, id, timeout)
}

func (t *timedBackend) RemoveContainer(ctx context.Context, id string) error {
	defer t.add("RemoveContainer", time.Now())
	return t.Backend.RemoveContainer(ctx, id)
}

// breakdown renders the mean per operation of each named call and of the
// rest of total, and takes those calls out of the sums.
func (t *timedBackend) breakdown(n, total time.Duration, calls ...string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	rest := total
	for _, c := range calls {
		parts = append(parts, fmt.Sprintf("%s %.2f ms", c, bench.MS(t.d[c]/n)))
		rest -= t.d[c]
		delete(t.d, c)
	}
	parts = append(parts, fmt.Sprintf("core and store %.2f ms", bench.MS(rest/n)))
	return strings.Join(parts, ", ")
}
