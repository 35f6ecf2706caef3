package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// BenchmarkListServer1000: listServer through RabbitMQ with 1,000 Pop
// containers (CREATED: recorded, IPs allocated, nothing on Docker), and
// the daemon's RSS with them.
func BenchmarkListServer1000(b *testing.B) {
	const n, runs = 1000, 30
	prof := os.Getenv(ProfileEnv)
	o := rig.Options{Subnet: "10.207.72.0/21", Pool: "10.207.124.0/24", Metrics: true}
	if prof != "" {
		o.Env = []string{"OBDOCKER_METRICS_PPROF=true"}
	}
	r := rig.New(b, o)
	c := newCaller(b, r)
	createMany(b, r, c, "ls", n, 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if prof != "" {
		profileDuring(b, r, prof+"/listserver.cpu.pprof", func() {
			for range 50 {
				if _, err := c.Call(ctx, "listServer", r.VIM()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	var lat []time.Duration
	size := 0
	body, err := nfvo.EncodeRequest("listServer", r.VIM())
	if err != nil {
		b.Fatal(err)
	}
	sum0, n0 := daemonTime(b, r, "listServer")
	for range runs {
		// The round trip until the whole reply is here; the caller's own
		// JSON decoding (the NFVO's business) is not timed.
		t0 := time.Now()
		reply, err := c.CallRaw(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		ans, err := nfvo.DecodeAnswer(reply)
		if err != nil {
			b.Fatal(err)
		}
		var ss []json.RawMessage
		if err := json.Unmarshal(ans, &ss); err != nil || len(ss) != n {
			b.Fatalf("listServer: %d servers, %v", len(ss), err)
		}
		size = len(reply)
	}
	sum1, n1 := daemonTime(b, r, "listServer")
	record(b, bench.AtMost("listServer", "listServer p50 with 1,000 containers", bench.MS(bench.Percentile(lat, .5)), "ms", 5,
		fmt.Sprintf("%d calls; max %.1f ms; reply %d KB; mean %.1f ms of it inside the daemon (obdocker_plugin_call_duration_seconds)",
			runs, bench.MS(bench.Percentile(lat, 1)), size/1024, (sum1-sum0)/(n1-n0)*1000)))
	rss, err := r.RSS()
	if err != nil {
		b.Fatal(err)
	}
	record(b, bench.AtMost("rss", "plugin RSS with 1,000 containers", float64(rss)/(1<<20), "MB", 60,
		fmt.Sprintf("VmRSS of the daemon after creating %d containers and %d listServer calls", n, runs)))
}

// BenchmarkRestartRecovery500: the daemon is stopped with 500 containers
// (450 CREATED, 50 RUNNING) and started again; the figure is the time from
// the process start until it serves listServer with all 500 in their
// states (the Pop opens, reconciles its store with Docker, on that call).
func BenchmarkRestartRecovery500(b *testing.B) {
	const created, running, restarts = 450, 50, 3
	r := rig.New(b, rig.Options{Subnet: "10.207.80.0/22", Pool: "10.207.123.0/24"})
	c := newCaller(b, r)
	createMany(b, r, c, "rc", created, 20)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	for i := range running {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := callCtx(b)
			defer cancel()
			if _, err := launch(ctx, r, c, fmt.Sprintf("rr%03d-%s", i, r.PopName)); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	c.Close()
	var lat []time.Duration
	for range restarts {
		if err := r.Stop(); err != nil {
			b.Fatal(err)
		}
		// One caller, made before the start: each attempt is a listServer
		// with a short deadline, so the figure is the first answer, not a
		// poll of the management API (whose consumer counts lag by seconds).
		pc := newCaller(b, r)
		r.StartNoWait()
		t0 := r.Started
		for {
			if d, ok := serves(pc, r, created+running, running); ok {
				lat = append(lat, d.Sub(t0))
				break
			}
			if time.Since(t0) > 2*time.Minute {
				b.Fatalf("not serving all state 2 min after start; log:\n%s", r.Logs())
			}
		}
		pc.Close()
	}
	record(b, bench.AtMost("restart", "restart recovery with 500 containers (start → serving all)", bench.MS(bench.Percentile(lat, .5))/1000, "s", 2,
		fmt.Sprintf("%d CREATED + %d RUNNING; %d restarts (SIGTERM, start): %v; until the first listServer answered with all 500 in their states (registration with the NFVO, connections, the Pop's open and reconcile)",
			created, running, restarts, roundS(lat))))
}

func roundS(ds []time.Duration) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%.2fs", d.Seconds()))
	}
	return out
}

// serves makes one listServer call with a short deadline and reports when
// it answered with all n servers and the running ones ACTIVE.
func serves(c *rig.Caller, r *rig.Rig, n, active int) (time.Time, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	ans, err := c.Call(ctx, "listServer", r.VIM())
	if err != nil {
		// Unroutable while the queue does not exist: dropped, times out.
		<-ctx.Done()
		return time.Time{}, false
	}
	done := time.Now()
	var ss []server
	if json.Unmarshal(ans, &ss) != nil || len(ss) != n {
		return time.Time{}, false
	}
	a := 0
	for _, s := range ss {
		if s.Status == "ACTIVE" {
			a++
		}
	}
	return done, a == active
}

// BenchmarkExitDetection: a container is killed from outside (docker
// kill); the figure is the time until the Pop (the core, in process)
// records EXITED or FAILED: Docker's event stream, not the resync.
func BenchmarkExitDetection(b *testing.B) {
	const runs = 20
	raw := testenv.Docker(b)
	name := testenv.Name(b)
	be, err := docker.New(context.Background(), docker.Options{Host: testenv.DockerHost(), PopName: name})
	if err != nil {
		b.Fatal(err)
	}
	core, err := pop.Open(context.Background(), pop.Config{
		PopName: name, StorePath: filepath.Join(b.TempDir(), "pop.db"),
		DefaultNetwork: "priv-" + name, DefaultSubnet: "10.207.96.0/24", NetworkPool: "10.207.97.0/24",
	}, be)
	if err != nil {
		be.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx := context.Background()
		cs, _ := core.Containers(ctx, pop.Filter{})
		for _, c := range cs {
			_ = core.Delete(ctx, pop.ByID(c.ID))
		}
		ns, _ := core.Networks(ctx, pop.Filter{})
		for _, n := range ns {
			_ = core.DeleteNetwork(ctx, pop.ByID(n.ID))
		}
		core.Close()
		be.Close()
		// The core keeps its default network (DeleteNetwork refuses it):
		// remove what still carries this Pop's label.
		if err := testenv.RemovePopObjects(raw, name); err != nil {
			b.Logf("cleanup: %v", err)
		}
	})
	ctx := context.Background()
	var lat []time.Duration
	for i := range runs {
		ct, err := core.Create(ctx, pop.ContainerConfig{Name: fmt.Sprintf("ex%02d-%s", i, name), Image: testenv.BusyboxImage})
		if err != nil {
			b.Fatal(err)
		}
		ct, err = core.Start(ctx, pop.ByID(ct.ID))
		if err != nil {
			b.Fatal(err)
		}
		if err := raw.ContainerKill(ctx, ct.DockerID, "KILL"); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for {
			cs, err := core.Containers(ctx, pop.ByID(ct.ID))
			if err == nil && len(cs) == 1 && (cs[0].State == pop.StateExited || cs[0].State == pop.StateFailed) {
				break
			}
			if time.Since(t0) > 30*time.Second {
				b.Fatal("death not seen in 30 s")
			}
			runtime.Gosched()
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
		_ = core.Delete(ctx, pop.ByID(ct.ID))
	}
	note := fmt.Sprintf("%d kills; polled every 1 ms", runs)
	record(b, bench.AtMost("exit", "exit detection p50", bench.MS(bench.Percentile(lat, .5)), "ms", 1000, note))
	record(b, bench.AtMost("exit", "exit detection max", bench.MS(bench.Percentile(lat, 1)), "ms", 1000, note))
}

// ProfileEnv names a directory: when set, benchmarks that can also write a
// CPU profile of the daemon there (pprof over OBDOCKER_METRICS_PPROF).
const ProfileEnv = "OBDOCKER_BENCH_PROFILE"

// profileDuring takes a CPU profile of the daemon while load runs.
func profileDuring(b *testing.B, r *rig.Rig, path string, load func()) {
	b.Helper()
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + r.MetricsAddr() + "/debug/pprof/profile?seconds=5")
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		f.Close()
		done <- err
	}()
	end := time.Now().Add(5 * time.Second)
	for time.Now().Before(end) {
		load()
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.Logf("CPU profile of the daemon: %s", path)
}

// daemonTime reads the daemon's latency histogram of method: sum (s) and
// count.
func daemonTime(b *testing.B, r *rig.Rig, method string) (sum, count float64) {
	b.Helper()
	_, body, err := r.Get("/metrics")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(body, "\n") {
		var v float64
		if strings.HasPrefix(line, `obdocker_plugin_call_duration_seconds_sum{method="`+method+`"} `) {
			fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v)
			sum = v
		}
		if strings.HasPrefix(line, `obdocker_plugin_call_duration_seconds_count{method="`+method+`"} `) {
			fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v)
			count = v
		}
	}
	return sum, count
}
