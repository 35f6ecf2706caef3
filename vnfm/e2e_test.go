package vnfm_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator/rig"
)

// The tests use 10.206.0.0/16 only: each rig a random /24 for the Pop's
// default network and a /20 pool.

var (
	buildOnce          sync.Once
	driverBin, vnfmBin string
	buildErr           error
)

func binaries(t *testing.T) (string, string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "obdocker-vnfm-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		driverBin, vnfmBin = filepath.Join(dir, "docker-vim-driver"), filepath.Join(dir, "docker-vnfm")
		for bin, pkg := range map[string]string{driverBin: "./cmd/docker-vim-driver", vnfmBin: "./cmd/docker-vnfm"} {
			cmd := exec.Command("go", "build", "-race", "-o", bin, pkg)
			cmd.Dir = repoRoot()
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return driverBin, vnfmBin
}

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(f))
}

func checkImages(t *testing.T, raw *client.Client) {
	t.Helper()
	for _, img := range []string{"obdocker/echo-server:latest", "obdocker/echo-client:latest"} {
		if _, err := raw.ImageInspect(t.Context(), img); err != nil {
			if testenv.CI() {
				t.Fatalf("image %s missing (make images): %v", img, err)
			}
			t.Skipf("image %s missing (make images): %v", img, err)
		}
	}
}

type events struct {
	mu sync.Mutex
	l  []orchestrator.Event
	at []time.Time // when each event was seen
}

func (e *events) add(ev orchestrator.Event) {
	e.mu.Lock()
	e.l = append(e.l, ev)
	e.at = append(e.at, time.Now())
	e.mu.Unlock()
}

func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.l {
		fmt.Fprintf(&b, "%s %s %s %s\n", ev.VNFR, ev.Status, ev.Task, ev.Detail)
	}
	return b.String()
}

func startRig(t *testing.T, extraEnv ...string) (*rig.Rig, *client.Client, *events) {
	t.Helper()
	return startRigWith(t, func(*rig.Config) {}, extraEnv...)
}

// startRigWith starts a rig whose config edit changes first.
func startRigWith(t *testing.T, edit func(*rig.Config), extraEnv ...string) (*rig.Rig, *client.Client, *events) {
	t.Helper()
	raw := testenv.Docker(t)
	amqpURL := testenv.RabbitMQ(t)
	checkImages(t, raw)
	dbin, vbin := binaries(t)
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	k := 1 + rand.IntN(120)
	ev := &events{}
	var childOut io.Writer
	if p := os.Getenv("OBDOCKER_TEST_CHILD_LOG"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		childOut = f
	}
	cfg := rig.Config{
		ChildOutput: childOut,
		DriverBin:   dbin, VNFMBin: vbin, Unique: u,
		AMQPURL: amqpURL, ManagementURL: testenv.ManagementURL(), DockerHost: testenv.DockerHost(),
		DefaultSubnet: fmt.Sprintf("10.206.%d.0/24", k),
		NetworkPool:   fmt.Sprintf("10.206.%d.0/20", 128+16*rand.IntN(5)),
		StateDir:      t.TempDir(),
		VNFMEnv:       extraEnv,
		OnEvent:       ev.add,
	}
	edit(&cfg)
	r, err := rig.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw, r.PopName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	t.Cleanup(func() {
		r.Close()
		if t.Failed() {
			t.Logf("events:\n%s", ev)
			t.Logf("daemon logs:\n%s", r.Logs())
		}
	})
	return r, raw, ev
}

func ours(t *testing.T, raw *client.Client, popName string) (containers, networks int) {
	return testenv.CountPopObjects(t.Context(), raw, popName)
}

type vnfc struct {
	hostname, vcID, ip string
}

func vnfcsOf(rec map[string]any) []vnfc {
	var out []vnfc
	vdus, _ := rec["vdu"].([]any)
	for _, v := range vdus {
		insts, _ := v.(map[string]any)["vnfc_instance"].([]any)
		for _, i := range insts {
			m := i.(map[string]any)
			c := vnfc{hostname: m["hostname"].(string), vcID: m["vc_id"].(string)}
			ips, _ := m["ips"].([]any)
			for _, ip := range ips {
				if ipm := ip.(map[string]any); ipm["netName"] == "private" {
					c.ip, _ = ipm["ip"].(string)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last: %s", what, d, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func containerLog(t *testing.T, raw *client.Client, name string) string {
	rc, err := raw.ContainerLogs(t.Context(), name, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestEndToEndEchoNSD deploys the two-VNF echo NSD through the VNFM: the
// NFVO stand-in plays spec §4 on RabbitMQ, the VIM driver and the VNFM run
// as their own processes, Docker is real. The client must run with the
// server's IP and its own configuration and log round trips; then STOP,
// START (same IPs), LOG_REQUEST, and delete leaving nothing behind.
func TestEndToEndEchoNSD(t *testing.T) {
	r, raw, ev := startRig(t)
	ctx := t.Context()
	nsd, err := r.LoadNSD(filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo.json"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.Orch.Deploy(ctx, nsd, r.VIM["name"].(string))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		t.Fatal(err)
	}
	srv, cli := r.Orch.VNFR(id, "echo-server"), r.Orch.VNFR(id, "echo-client")
	sv, cv := vnfcsOf(srv), vnfcsOf(cli)
	if len(sv) != 1 || len(cv) != 1 || sv[0].ip == "" || cv[0].ip == "" {
		t.Fatalf("VNFCs: server %+v client %+v", sv, cv)
	}
	t.Logf("server %s at %s, client %s at %s", sv[0].hostname, sv[0].ip, cv[0].hostname, cv[0].ip)

	// The client's environment: dependency values under
	// UPPER(type)_UPPER(key), its own configuration, its own hostname/IP.
	ins, err := raw.ContainerInspect(ctx, cv[0].hostname)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"SERVER_IP=" + sv[0].ip, "SERVER_PRIVATE=" + sv[0].ip, "SERVER_HOSTNAME=" + sv[0].hostname,
		"SERVER_PORT=7007", "ECHO_INTERVAL=200ms", `GREETING=it's a "quoted" $HOME value`,
		"HOSTNAME=" + cv[0].hostname, "PRIVATE=" + cv[0].ip,
	} {
		if !slices.Contains(ins.Config.Env, want) {
			t.Errorf("client env lacks %q: %v", want, ins.Config.Env)
		}
	}
	if ins.HostConfig.Memory != 512<<20 {
		t.Errorf("flavour m1.tiny not applied: memory %d", ins.HostConfig.Memory)
	}
	sins, err := raw.ContainerInspect(ctx, sv[0].hostname)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ECHO_PORT=7007", "HOSTNAME=" + sv[0].hostname, "PRIVATE=" + sv[0].ip} {
		if !slices.Contains(sins.Config.Env, want) {
			t.Errorf("server env lacks %q: %v", want, sins.Config.Env)
		}
	}
	for _, e := range sins.Config.Env {
		if strings.HasPrefix(strings.ToLower(e), "restart_policy") {
			t.Errorf("reserved key reached the environment: %s", e)
		}
	}
	// Round trips over the Docker network.
	waitFor(t, 20*time.Second, "client round trips", func() (bool, string) {
		l := containerLog(t, raw, cv[0].hostname)
		return strings.Count(l, "to "+sv[0].ip+":7007") >= 3 && strings.Contains(l, " ok"), l
	})

	// LOG_REQUEST through the VNFM and the plugin's serverLogs.
	out, errs, err := r.Orch.Logs(wctx, id, "echo-client", cv[0].hostname)
	if err != nil || len(errs) > 0 || !strings.Contains(strings.Join(out, "\n"), "round trip") {
		t.Fatalf("LOG_REQUEST: %v %v %q", err, errs, out)
	}

	// STOP then START: same IPs, running again.
	if err := r.Orch.StopVNFR(id, "echo-client"); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitVNFRStatus(wctx, id, "echo-client", "INACTIVE"); err != nil {
		t.Fatal(err)
	}
	if ins, _ := raw.ContainerInspect(ctx, cv[0].hostname); ins.ContainerJSONBase != nil && ins.State.Running {
		t.Fatal("client still running after STOP")
	}
	if err := r.Orch.StartVNFR(id, "echo-client"); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		t.Fatal(err)
	}
	ins, err = raw.ContainerInspect(ctx, cv[0].hostname)
	if err != nil || !ins.State.Running {
		t.Fatalf("client not running after START: %v", err)
	}
	if ep := ins.NetworkSettings.Networks["private"]; ep == nil || ep.IPAddress != cv[0].ip {
		t.Errorf("client IP after restart: %+v, want %s", ep, cv[0].ip)
	}
	if d, stale, errs := r.Orch.Counters(id); d != 0 || stale != 0 || len(errs) != 0 {
		t.Errorf("protocol anomalies: %d duplicate VNFRs, %d stale saves, errors %v", d, stale, errs)
	}

	// Delete: nothing with our labels remains but the Pop's default network.
	if err := r.Orch.Delete(wctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(wctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "containers removed", func() (bool, string) {
		c, n := ours(t, raw, r.PopName)
		return c == 0 && n <= 1, fmt.Sprintf("%d containers, %d networks", c, n)
	})
	t.Logf("events:\n%s", ev)
}

// deployEcho deploys the example NSD and waits for ACTIVE.
func deployEcho(t *testing.T, r *rig.Rig) string {
	t.Helper()
	return deployEchoWith(t, r, nil)
}

// deployEchoWith deploys the echo NSD after edit (if any) changed it.
func deployEchoWith(t *testing.T, r *rig.Rig, edit func(nsd map[string]any)) string {
	t.Helper()
	nsd, err := r.LoadNSD(filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(nsd)
	}
	id, err := r.Orch.Deploy(t.Context(), nsd, r.VIM["name"].(string))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *events) has(vnfr, status string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.l {
		if ev.VNFR == vnfr && ev.Status == status {
			return true
		}
	}
	return false
}

// TestEndToEndFailureReportAndRestart kills the server's container: the
// VNFM reports ERROR to the NFVO (VNFR and NSR go to ERROR), and the
// server's restart_policy=on-failure starts it again with the same IP,
// which a HEAL brings back to ACTIVE. The client, without a restart
// policy, stays down until the operator resumes the NSR.
func TestEndToEndFailureReportAndRestart(t *testing.T) {
	r, raw, ev := startRig(t)
	ctx := t.Context()
	id := deployEcho(t, r)
	sv := vnfcsOf(r.Orch.VNFR(id, "echo-server"))
	if err := raw.ContainerKill(ctx, sv[0].hostname, "KILL"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "ERROR reported", func() (bool, string) {
		return ev.has("echo-server", "ERROR"), ev.String()
	})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := r.Orch.WaitVNFRStatus(wctx, id, "echo-server", "ACTIVE"); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		t.Fatal(err)
	}
	ins, err := raw.ContainerInspect(ctx, sv[0].hostname)
	if err != nil || !ins.State.Running {
		t.Fatalf("server not running again: %v", err)
	}
	if ep := ins.NetworkSettings.Networks["private"]; ep == nil || ep.IPAddress != sv[0].ip {
		t.Errorf("server IP after restart: %+v, want %s", ep, sv[0].ip)
	}
	if _, stale, _ := r.Orch.Counters(id); stale != 0 {
		t.Errorf("%d reports carried a stale hbVersion", stale)
	}
	// The client has no restart policy: killed, it is reported and stays
	// down.
	cv := vnfcsOf(r.Orch.VNFR(id, "echo-client"))
	if err := raw.ContainerKill(ctx, cv[0].hostname, "KILL"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "client ERROR reported", func() (bool, string) {
		return ev.has("echo-client", "ERROR"), ev.String()
	})
	time.Sleep(2 * time.Second)
	if ins, err := raw.ContainerInspect(ctx, cv[0].hostname); err == nil && ins.State.Running {
		t.Error("client restarted without a restart policy")
	}
	if s := r.Orch.Status(id); s != "ERROR" {
		t.Errorf("NSR status %s, want ERROR", s)
	}
	// The operator resumes the NSR (POST /ns-records/{id}/resume): RESUME
	// to the VNFR in ERROR, answered START, and the client runs again with
	// its IP and the server's address in its environment.
	if n, err := r.Orch.Resume(id); err != nil || n != 1 {
		t.Fatalf("resume: %d VNFRs in ERROR, %v; want 1", n, err)
	}
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	if err := r.Orch.WaitVNFRStatus(rctx, id, "echo-client", "ACTIVE"); err != nil {
		t.Fatalf("after RESUME: %v\nevents:\n%s", err, ev)
	}
	if err := r.Orch.WaitStatus(rctx, id, "ACTIVE"); err != nil {
		t.Fatalf("after RESUME: %v\nevents:\n%s", err, ev)
	}
	ins, err = raw.ContainerInspect(ctx, cv[0].hostname)
	if err != nil || !ins.State.Running {
		t.Fatalf("client not running after RESUME: %v", err)
	}
	if ep := ins.NetworkSettings.Networks["private"]; ep == nil || ep.IPAddress != cv[0].ip {
		t.Errorf("client IP after RESUME: %+v, want %s", ep, cv[0].ip)
	}
	if !slices.Contains(ins.Config.Env, "SERVER_IP="+sv[0].ip) {
		t.Errorf("client env after RESUME lacks the server's address: %v", ins.Config.Env)
	}
	t.Logf("events:\n%s", ev)
}

// TestEndToEndVNFMRestartMidDeployment stops the VNFM process while the
// NSR is being deployed (after both GRANTs), starts it again, and records
// what happens. Commands are acked on receipt, so a replayed INSTANTIATE
// can never make a second GRANT and a duplicate VNFR; the price is that a
// command the dead VNFM had taken, or one the NFVO sent while the
// auto-delete queue was gone, is lost and the NFVO waits for its reply
// (spec §1.4, §1.5). Deleting the NSR still cleans everything up.
func TestEndToEndVNFMRestartMidDeployment(t *testing.T) {
	for _, mode := range []string{"SIGKILL", "SIGTERM"} {
		t.Run(mode, func(t *testing.T) {
			r, raw, ev := startRig(t)
			ctx := t.Context()
			nsd, err := r.LoadNSD(filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo.json"))
			if err != nil {
				t.Fatal(err)
			}
			id, err := r.Orch.Deploy(ctx, nsd, r.VIM["name"].(string))
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 30*time.Second, "both VNFRs granted", func() (bool, string) {
				return ev.has("echo-server", "NULL") && ev.has("echo-client", "NULL"), ev.String()
			})
			if err := r.StopVNFM(mode == "SIGKILL"); err != nil {
				t.Logf("VNFM exit: %v", err)
			}
			if err := r.StartVNFM(ctx); err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err = r.Orch.WaitStatus(wctx, id, "ACTIVE")
			cancel()
			dups, stale, errs := r.Orch.Counters(id)
			t.Logf("%s mid-deployment: NSR %s after 15 s (wait: %v); duplicate VNFRs %d, stale saves %d, errors %v",
				mode, r.Orch.Status(id), err, dups, stale, errs)
			t.Logf("events:\n%s", ev)
			if mode == "SIGTERM" {
				t.Logf("daemon logs:\n%s", r.Logs())
			}
			if dups != 0 {
				t.Errorf("%d duplicate VNFRs", dups)
			}
			if mode == "SIGTERM" && err != nil {
				// A graceful stop serves until the deployment's commands
				// are done, so nothing is lost.
				t.Errorf("graceful VNFM restart lost the deployment: %v", err)
			}
			// Delete works with the new VNFM process.
			dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
			defer dcancel()
			if err := r.Orch.Delete(dctx, id); err != nil {
				t.Fatal(err)
			}
			if err := r.Orch.WaitStatus(dctx, id, "DELETED"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, "containers removed", func() (bool, string) {
				c, n := ours(t, raw, r.PopName)
				return c == 0 && n <= 1, fmt.Sprintf("%d containers, %d networks", c, n)
			})
		})
	}
}

// TestEndToEndScaleOut scales the client out by one VNFC: the NFVO
// allocates it (SCALING), the VNFM gives it its own hostname/IP and the
// server's values, starts it, and answers SCALED.
func TestEndToEndScaleOut(t *testing.T) {
	r, raw, ev := startRig(t)
	ctx := t.Context()
	id := deployEcho(t, r)
	sv := vnfcsOf(r.Orch.VNFR(id, "echo-server"))
	before := vnfcsOf(r.Orch.VNFR(id, "echo-client"))
	if err := r.Orch.ScaleOut(ctx, id, "echo-client"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "second client VNFC ACTIVE", func() (bool, string) {
		return len(vnfcsOf(r.Orch.VNFR(id, "echo-client"))) == 2 && r.Orch.Status(id) == "ACTIVE" && ev.has("echo-client", "SCALING"), ev.String()
	})
	after := vnfcsOf(r.Orch.VNFR(id, "echo-client"))
	var added vnfc
	for _, c := range after {
		if c.hostname != before[0].hostname {
			added = c
		}
	}
	if added.ip == "" || added.ip == before[0].ip {
		t.Fatalf("new VNFC %+v", added)
	}
	ins, err := raw.ContainerInspect(ctx, added.hostname)
	if err != nil || !ins.State.Running {
		t.Fatalf("new VNFC not running: %v", err)
	}
	for _, want := range []string{"SERVER_IP=" + sv[0].ip, "SERVER_PORT=7007", "HOSTNAME=" + added.hostname, "PRIVATE=" + added.ip} {
		if !slices.Contains(ins.Config.Env, want) {
			t.Errorf("new VNFC env lacks %q: %v", want, ins.Config.Env)
		}
	}
	waitFor(t, 20*time.Second, "new client round trips", func() (bool, string) {
		l := containerLog(t, raw, added.hostname)
		return strings.Contains(l, "to "+sv[0].ip+":7007") && strings.Contains(l, " ok"), l
	})
	if d, stale, errs := r.Orch.Counters(id); d != 0 || stale != 0 || len(errs) != 0 {
		t.Errorf("protocol anomalies: %d duplicate VNFRs, %d stale saves, errors %v", d, stale, errs)
	}
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := r.Orch.Delete(dctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(dctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "containers removed", func() (bool, string) {
		c, n := ours(t, raw, r.PopName)
		return c == 0 && n <= 1, fmt.Sprintf("%d containers, %d networks", c, n)
	})
}

// TestDisruptiveVNFMConnectionLoss cuts the VNFM's own broker connections
// and deletes its RabbitMQ user (as an NFVO reinstall would): the VNFM must
// redial, be refused, register again with new credentials, redeclare its
// queue, and deploy the echo NSD.
func TestDisruptiveVNFMConnectionLoss(t *testing.T) {
	testenv.Disruptive(t)
	r, _, _ := startRig(t)
	ctx := t.Context()
	queueBack := func(what string) {
		waitFor(t, 30*time.Second, what, func() (bool, string) {
			_, ok := r.NFVO.Credentials(r.VNFMType)
			q, _ := r.NFVO.Management().Queue(ctx, r.VNFMEndpoint)
			return ok && q.Consumers > 0, fmt.Sprintf("credentials %v, queue %+v", ok, q)
		})
	}
	// 1. The connections drop (broker restart, network): redial with the
	// same credentials, redeclare and consume again.
	closed, err := nfvo.ForceCloseConnections(ctx, func(name string) bool {
		return strings.HasPrefix(name, "obdocker-vnfm-") && strings.HasSuffix(name, r.VNFMEndpoint)
	}, "test: connection loss")
	if err != nil {
		t.Fatal(err)
	}
	if len(closed) == 0 {
		t.Fatal("no VNFM connection to close")
	}
	t.Logf("force-closed %v", closed)
	time.Sleep(time.Second)
	queueBack("VNFM consuming again after a connection loss")
	// 2. The NFVO forgets the VNFM and deletes its user (the broker closes
	// its connections): the redial is refused, so register again.
	if err := r.NFVO.Forget(ctx, r.VNFMType); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	queueBack("VNFM registered again")
	id := deployEcho(t, r)
	if err := r.Orch.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := r.Orch.WaitStatus(dctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}
}
