package bench_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/bench/rig"
)

// BenchmarkLaunchVsRaw: launchInstanceAndWait through RabbitMQ and the
// plugin daemon (create, connect, start, wait for RUNNING, record) against
// the raw Docker API's create+start+inspect of the same image on the same
// network with a fixed IP; and deleteServerByIdAndWait of the running
// container (stop, remove, record, until it is gone) against the raw API's
// stop+remove. Samples alternate so both see the same machine; each ratio
// is the median over rounds of 30 samples each, with the spread.
func BenchmarkLaunchVsRaw(b *testing.B) {
	const rounds, runs = 5, 30
	r := rig.New(b, rig.Options{Subnet: "10.207.64.0/24", Pool: "10.207.127.0/24"})
	c := newCaller(b, r)
	ctx := context.Background()
	// Warm up: opens the Pop (default network) and both code paths.
	w, err := launch(ctx, r, c, "warm-"+r.PopName)
	if err != nil {
		b.Fatal(err)
	}
	_ = remove(ctx, r, c, w.ExtID)
	netID, subnet := defaultNet(b, r)
	var p50s, p95s, delP50s []float64
	var allCore, allRaw, allDel, allRawDel []time.Duration
	for round := range rounds {
		var core, raw, del, rawDel []time.Duration
		for i := range runs {
			name := fmt.Sprintf("lc%d%02d-%s", round, i, r.PopName)
			t0 := time.Now()
			s, err := launch(ctx, r, c, name)
			if err != nil {
				b.Fatal(err)
			}
			core = append(core, time.Since(t0))
			if s.Status != "ACTIVE" {
				b.Fatalf("launch answered %+v", s)
			}
			rname := fmt.Sprintf("lr%d%02d-%s", round, i, r.PopName)
			t0 = time.Now()
			id, err := rawLaunch(ctx, r, netID, rname, nthIP(subnet, 200+i%50))
			if err != nil {
				b.Fatal(err)
			}
			raw = append(raw, time.Since(t0))
			// Deletes alternate which side goes first.
			pluginDel := func() {
				t0 := time.Now()
				if err := remove(ctx, r, c, s.ExtID); err != nil {
					b.Fatal(err)
				}
				del = append(del, time.Since(t0))
			}
			rawDelete := func() {
				t0 := time.Now()
				if err := rawStopRemove(ctx, r, id); err != nil {
					b.Fatal(err)
				}
				rawDel = append(rawDel, time.Since(t0))
			}
			if i%2 == 0 {
				pluginDel()
				rawDelete()
			} else {
				rawDelete()
				pluginDel()
			}
		}
		p50s = append(p50s, ratio(core, raw, .5))
		p95s = append(p95s, ratio(core, raw, .95))
		delP50s = append(delP50s, ratio(del, rawDel, .5))
		allCore, allRaw = append(allCore, core...), append(allRaw, raw...)
		allDel, allRawDel = append(allDel, del...), append(allRawDel, rawDel...)
	}
	note := fmt.Sprintf("%d rounds of %d alternating launches; over all: plugin p50 %.1f ms p95 %.1f ms, raw p50 %.1f ms p95 %.1f ms", rounds, runs,
		bench.MS(bench.Percentile(allCore, .5)), bench.MS(bench.Percentile(allCore, .95)),
		bench.MS(bench.Percentile(allRaw, .5)), bench.MS(bench.Percentile(allRaw, .95)))
	med50, _, _ := bench.Median(p50s)
	med95, _, _ := bench.Median(p95s)
	record(b, bench.AtMost("launch", "launch p50 ratio", med50, "x", 1.03, note+"; p50 ratio "+bench.Spread(p50s)))
	record(b, bench.AtMost("launch", "launch p95 ratio", med95, "x", 1.06, note+"; p95 ratio "+bench.Spread(p95s)))
	medDel, _, _ := bench.Median(delP50s)
	record(b, bench.AtMost("delete", "delete (stop+remove until gone) p50 ratio", medDel, "x", 1.05,
		fmt.Sprintf("deleteServerByIdAndWait of a running container against raw stop+remove, %d rounds of %d, alternating; over all: plugin p50 %.1f ms, raw p50 %.1f ms; p50 ratio %s",
			rounds, runs, bench.MS(bench.Percentile(allDel, .5)), bench.MS(bench.Percentile(allRawDel, .5)), bench.Spread(delP50s))))
}

func ratio(a, b []time.Duration, p float64) float64 {
	return float64(bench.Percentile(a, p)) / float64(bench.Percentile(b, p))
}

// BenchmarkParallelLaunch: 50 launchInstanceAndWait at once through the
// plugin against 50 raw creates+starts at once; wall time of the batch.
// Three rounds, alternating which side goes first; the median ratio counts.
// The plugin runs with OBDOCKER_WORKERS=50 (one worker per concurrent call;
// with the default 10 the plugin queues 40 of them; OBDOCKER_BENCH_ALL=1
// also measures that).
func BenchmarkParallelLaunch(b *testing.B) {
	ws := []int{50}
	if os.Getenv("OBDOCKER_BENCH_ALL") == "1" {
		ws = append(ws, 10) // context: the default worker count (10 more minutes)
	}
	for _, workers := range ws {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			parallelLaunch(b, workers)
		})
	}
}

func parallelLaunch(b *testing.B, workers int) {
	const n, rounds = 50, 5
	subnet := map[int]string{50: "10.207.65.0/24", 10: "10.207.66.0/24"}[workers]
	r := rig.New(b, rig.Options{Subnet: subnet, Pool: "10.207.126.0/24", Workers: workers})
	c := newCaller(b, r)
	ctx := context.Background()
	w, err := launch(ctx, r, c, "warm-"+r.PopName)
	if err != nil {
		b.Fatal(err)
	}
	_ = remove(ctx, r, c, w.ExtID)
	netID, prefix := defaultNet(b, r)
	var ratios []float64
	var plugT, rawT []time.Duration
	for round := range rounds {
		plugin := func() time.Duration {
			ids := make([]string, n)
			var wg sync.WaitGroup
			t0 := time.Now()
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := launch(ctx, r, c, fmt.Sprintf("pp%d-%02d-%s", round, i, r.PopName))
					if err != nil {
						b.Error(err)
						return
					}
					ids[i] = s.ExtID
				}()
			}
			wg.Wait()
			d := time.Since(t0)
			var dw sync.WaitGroup
			for _, id := range ids {
				dw.Add(1)
				go func() {
					defer dw.Done()
					if id != "" {
						_ = remove(ctx, r, c, id)
					}
				}()
			}
			dw.Wait()
			return d
		}
		rawRun := func() time.Duration {
			ids := make([]string, n)
			var wg sync.WaitGroup
			t0 := time.Now()
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id, err := rawLaunch(ctx, r, netID, fmt.Sprintf("pr%d-%02d-%s", round, i, r.PopName), nthIP(prefix, 150+i))
					ids[i] = id
					if err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			d := time.Since(t0)
			for _, id := range ids {
				if id != "" {
					rawRemove(r, id)
				}
			}
			return d
		}
		var p, q time.Duration
		if round%2 == 0 {
			p, q = plugin(), rawRun()
		} else {
			q, p = rawRun(), plugin()
		}
		if b.Failed() {
			return
		}
		plugT, rawT = append(plugT, p), append(rawT, q)
		ratios = append(ratios, float64(p)/float64(q))
	}
	med, _, _ := bench.Median(ratios)
	note := fmt.Sprintf("%d launches at once, OBDOCKER_WORKERS=%d, %d rounds alternating which side goes first; plugin %v, raw %v; ratio %s", n, workers, rounds, roundMS(plugT), roundMS(rawT), bench.Spread(ratios))
	res := bench.AtMost("parallel", fmt.Sprintf("50 parallel launches wall-time ratio (workers %d)", workers), med, "x", 1.05, note)
	if workers != 50 {
		res = bench.Info(res.Bench, res.Figure, res.Value, res.Unit, note+" (context: the default worker count)")
	}
	record(b, res)
}

func roundMS(ds []time.Duration) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%.0fms", bench.MS(d)))
	}
	return out
}
