package faults_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
)

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "rabbitmqctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v: %s", args, err, out)
	}
}

// traffic calls getType and launchInstance from a few goroutines,
// reconnecting its caller when the broker drops it, until stop; it counts
// successes and failures.
type traffic struct {
	ok, failed atomic.Int64
	stop       chan struct{}
	once       sync.Once
	wg         sync.WaitGroup
}

func startTraffic(t *testing.T, r *rig.Rig, workers int) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	for w := range workers {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			var c *rig.Caller
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					if c != nil {
						c.Close()
					}
					return
				default:
				}
				if c == nil {
					var err error
					if c, err = r.NewCaller(context.Background()); err != nil {
						tr.failed.Add(1)
						time.Sleep(200 * time.Millisecond)
						continue
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				var err error
				if i%4 == 0 {
					_, err = create(ctx, r, c, fmt.Sprintf("tr%d-%04d-%s", w, i, r.PopName), nil)
				} else {
					_, err = c.Call(ctx, "getType", r.VIM())
				}
				cancel()
				if err != nil {
					tr.failed.Add(1)
					c.Close()
					c = nil
					time.Sleep(100 * time.Millisecond)
					continue
				}
				tr.ok.Add(1)
			}
		}()
	}
	return tr
}

func (tr *traffic) end() {
	tr.once.Do(func() { close(tr.stop) })
	tr.wg.Wait()
}

// TestDisruptiveBrokerRestartDuringTraffic restarts the broker application
// while calls flow: the plugin reconnects and re-registers its queue by
// itself, and calls after the recovery succeed.
func TestDisruptiveBrokerRestartDuringTraffic(t *testing.T) {
	testenv.Disruptive(t)
	r := rig.New(t, rig.Options{Subnet: "10.207.15.0/24", Pool: "10.207.16.0/24", Race: true})
	tr := startTraffic(t, r, 4)
	defer tr.end()
	time.Sleep(2 * time.Second)
	before := tr.ok.Load()
	if before == 0 {
		t.Fatal("no call succeeded before the restart")
	}
	rabbitmqctl(t, "stop_app")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			rabbitmqctl(t, "start_app")
		}
	})
	time.Sleep(time.Second)
	rabbitmqctl(t, "start_app")
	restarted = true
	up := time.Now()
	// Serving again: a call succeeds on a fresh connection.
	var recovered time.Duration
	for {
		okBefore := tr.ok.Load()
		time.Sleep(200 * time.Millisecond)
		if tr.ok.Load() > okBefore {
			recovered = time.Since(up)
			break
		}
		if time.Since(up) > 90*time.Second {
			t.Fatalf("no call succeeded within 90 s of the broker's start; log:\n%s", r.Logs())
		}
	}
	afterStart := tr.ok.Load()
	time.Sleep(3 * time.Second)
	tr.end()
	failedAfter := tr.failed.Load()
	c := newCaller(t, r)
	ctx, cancel := callCtx(t)
	defer cancel()
	for i := range 50 {
		if _, err := c.Call(ctx, "getType", r.VIM()); err != nil {
			t.Fatalf("call %d after recovery: %v", i, err)
		}
	}
	checkTruth(t, r, c)
	if r.Exited() {
		t.Fatal("the daemon exited")
	}
	figure(t, "broker restarted under 4 callers: %d calls ok before, serving again %.1f s after the broker started, %d ok after, 50/50 sequential calls ok after; %d calls failed during the outage (callers reconnect)",
		before, recovered.Seconds(), tr.ok.Load()-afterStart, failedAfter)
}

// dockerdPID finds the dockerd that serves /var/run/docker.sock (the one
// scripts/deps.sh started; a second engine for other tests runs with -H).
func dockerdPID(t *testing.T) int {
	t.Helper()
	out, err := exec.Command("pgrep", "-x", "dockerd").Output()
	if err != nil {
		t.Fatalf("pgrep dockerd: %v", err)
	}
	for _, f := range strings.Fields(string(out)) {
		var pid int
		fmt.Sscan(f, &pid)
		cmdline, _ := exec.Command("cat", fmt.Sprintf("/proc/%d/cmdline", pid)).Output()
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) == 1 { // plain `dockerd`, as deps.sh starts it
			return pid
		}
	}
	t.Fatalf("no plain dockerd process among %q", out)
	return 0
}

func dockerOK() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "info").Run() == nil
}

// restartDockerd stops the engine and starts it the way scripts/deps.sh
// does; dockerd is left running whatever happens.
func restartDockerd(t *testing.T) time.Duration {
	t.Helper()
	start := func() {
		cmd := exec.Command("bash", "-c", "nohup dockerd >>/var/log/dockerd.log 2>&1 &")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("start dockerd: %v %s", err, out)
		}
	}
	t.Cleanup(func() {
		if !dockerOK() {
			start()
			for range 60 {
				if dockerOK() {
					return
				}
				time.Sleep(time.Second)
			}
		}
	})
	pid := dockerdPID(t)
	must(t, syscall.Kill(pid, syscall.SIGTERM), "kill dockerd")
	for i := 0; syscall.Kill(pid, 0) == nil; i++ {
		if i > 1200 {
			t.Fatal("dockerd did not exit within 120 s of SIGTERM")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t0 := time.Now()
	start()
	for !dockerOK() {
		if time.Since(t0) > 60*time.Second {
			t.Fatal("dockerd does not answer 60 s after its start")
		}
		time.Sleep(250 * time.Millisecond)
	}
	return time.Since(t0)
}

// TestDisruptiveDockerdRestart restarts dockerd while the Pop's containers
// run: afterwards listServer matches Docker (the stopped ones are no
// longer ACTIVE), nothing is duplicated, IPs are unchanged, and a stopped
// container starts again with its IP.
func TestDisruptiveDockerdRestart(t *testing.T) {
	testenv.Disruptive(t)
	const running, created = 5, 3
	r := rig.New(t, rig.Options{Subnet: "10.207.17.0/24", Pool: "10.207.18.0/24", Race: true})
	c := newCaller(t, r)
	errs := parallel(running+created, running+created, func(i int) error {
		ctx, cancel := callCtx(t)
		defer cancel()
		var err error
		if i < running {
			_, err = launch(ctx, r, c, fmt.Sprintf("dr%d-%s", i, r.PopName))
		} else {
			_, err = create(ctx, r, c, fmt.Sprintf("dc%d-%s", i, r.PopName), nil)
		}
		return err
	})
	if n, err := firstErr(errs); n > 0 {
		t.Fatalf("%d launches failed: %v", n, err)
	}
	before := map[string][]string{}
	for _, s := range checkTruth(t, r, c) {
		before[s.Name] = s.allIPs()
	}
	took := restartDockerd(t)
	// The Pop sees the deaths through its event stream or its resync.
	var ss []server
	end := time.Now().Add(60 * time.Second)
	for {
		ss = listServers(t, r, c)
		active := 0
		for _, s := range ss {
			if s.Status == "ACTIVE" {
				active++
			}
		}
		cs, _ := r.Containers(t.Context())
		runningNow := 0
		for _, ct := range cs {
			if ct.State == "running" {
				runningNow++
			}
		}
		if active == runningNow {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after the dockerd restart: %d ACTIVE in listServer, %d running in Docker", active, runningNow)
		}
		time.Sleep(500 * time.Millisecond)
	}
	ss = checkTruth(t, r, c)
	changed := 0
	for _, s := range ss {
		if fmt.Sprint(before[s.Name]) != fmt.Sprint(s.allIPs()) {
			changed++
			t.Errorf("%s: IPs %v before the restart, %v after", s.Name, before[s.Name], s.allIPs())
		}
	}
	if len(ss) != running+created {
		t.Errorf("%d servers after the restart, want %d", len(ss), running+created)
	}
	// Start a stopped one again: same IP, running.
	restarted := 0
	for _, s := range ss {
		if s.Status == "ACTIVE" || !strings.HasPrefix(s.Name, "dr") {
			continue
		}
		ctx, cancel := callCtx(t)
		got, err := decodeServer(c.Call(ctx, "startServer", r.VIM(), s.ExtID))
		cancel()
		if err != nil {
			t.Errorf("startServer %s: %v", s.Name, err)
			break
		}
		if got.Status != "ACTIVE" || fmt.Sprint(got.allIPs()) != fmt.Sprint(before[s.Name]) {
			t.Errorf("restarted %s: %s with %v, want ACTIVE with %v", s.Name, got.Status, got.allIPs(), before[s.Name])
		}
		restarted++
		break
	}
	checkTruth(t, r, c)
	figure(t, "dockerd restarted (%.1f s to answer) with %d running + %d created containers: %d servers listed, states true, 0 duplicated, %d IPs changed, %d stopped one restarted with its IP",
		took.Seconds(), running, created, len(ss), changed, restarted)
}
