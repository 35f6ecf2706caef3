package vnfm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator/rig"
)

// TestEndToEndTypeDockerEndpointDockerVNFM: the VNFM registers as the
// official Docker VNFM's type, docker, on its own queue docker-vnfm. The
// NFVO stand-in finds it by type for the example NSD, whose VNFDs say
// "endpoint": "docker", and sends to the queue docker-vnfm; the broker
// user docker gets permissions keyed by docker-vnfm, which do not match
// the VIM driver's queue. The user name docker is broker-wide: the test
// lock keeps rigs of this type apart.
func TestEndToEndTypeDockerEndpointDockerVNFM(t *testing.T) {
	r, _, _ := startRigWith(t, func(c *rig.Config) { c.VNFMType, c.VNFMEndpoint = "docker", "docker-vnfm" })
	ctx := t.Context()
	path := filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		VNFD []struct{ Name, Endpoint string } `json:"vnfd"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, v := range raw.VNFD {
		if v.Endpoint != "docker" {
			t.Fatalf("example VNFD %s has endpoint %q, want docker (the official VNFM's NSDs)", v.Name, v.Endpoint)
		}
	}
	ep, ok := r.NFVO.VNFMByType("docker")
	if !ok || ep.Endpoint != "docker-vnfm" || ep.EndpointType != "RABBIT" {
		t.Fatalf("registered endpoint %+v (%v), want type docker on queue docker-vnfm", ep, ok)
	}
	perm, err := r.NFVO.Management().UserPermissions(ctx, "docker")
	if err != nil {
		t.Fatal(err)
	}
	if perm != nfvo.PluginPermissions("docker-vnfm") {
		t.Fatalf("user docker has %+v, want the permissions keyed by docker-vnfm", perm)
	}
	for _, re := range []string{perm.Configure, perm.Write, perm.Read} {
		if regexp.MustCompile(re).MatchString(r.PluginQueue) {
			t.Fatalf("the VNFM's permission %q matches the driver's queue %s", re, r.PluginQueue)
		}
	}
	if ok, err := r.NFVO.Management().QueueExists(ctx, "docker"); err != nil || ok {
		t.Fatalf("a queue named docker exists (%v, %v)", ok, err)
	}
	id := deployEcho(t, r)
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := r.Orch.Delete(dctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(dctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEndScaleLimitAndScaleIn: a scale-out beyond the VDU's
// scale_in_out is refused by the stand-in before any SCALE_OUT, as the
// NFVO's REST layer does. A scale-in deletes the last server VNFC through
// the driver and sends SCALE_IN to the client (the dependency target)
// only; the VNFM's monitor must take the vanished record as a removal:
// no ERROR, no restart (the server's restart_policy is on-failure), the
// other VNFCs stay ACTIVE.
func TestEndToEndScaleLimitAndScaleIn(t *testing.T) {
	r, raw, ev := startRig(t)
	ctx := t.Context()
	id := deployEcho(t, r)
	if err := r.Orch.ScaleOut(ctx, id, "echo-server"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "second server VNFC ACTIVE", func() (bool, string) {
		return len(vnfcsOf(r.Orch.VNFR(id, "echo-server"))) == 2 && r.Orch.Status(id) == "ACTIVE" && ev.has("echo-server", "SCALING"), ev.String()
	})
	err := r.Orch.ScaleOut(ctx, id, "echo-server")
	if !errors.Is(err, orchestrator.ErrMaxVNFCInstances) || !strings.Contains(err.Error(), "reached the maximum number of VNFCInstance") {
		t.Fatalf("scale-out past scale_in_out 2: got %v", err)
	}
	if n := len(vnfcsOf(r.Orch.VNFR(id, "echo-server"))); n != 2 || r.Orch.Status(id) != "ACTIVE" {
		t.Fatalf("after the refused scale-out: %d VNFCs, NSR %s", n, r.Orch.Status(id))
	}

	sv := vnfcsOf(r.Orch.VNFR(id, "echo-server"))
	cl := vnfcsOf(r.Orch.VNFR(id, "echo-client"))
	gone, kept := sv[1], sv[0]
	nEvents := ev.len()
	if err := r.Orch.ScaleIn(ctx, id, "echo-server"); err != nil {
		t.Fatal(err)
	}
	if n := len(vnfcsOf(r.Orch.VNFR(id, "echo-server"))); n != 1 || r.Orch.Status(id) != "ACTIVE" {
		t.Fatalf("after scale-in: %d server VNFCs, NSR %s", n, r.Orch.Status(id))
	}
	// The monitor polls every 500 ms: wait until it has seen the deletion
	// (or reported it), then a few more rounds.
	waitFor(t, 30*time.Second, "the monitor sees the deleted VNFC", func() (bool, string) {
		return strings.Contains(r.Logs(), "VNFC deleted through the VIM driver") || ev.hasSince(nEvents, "echo-server", "ERROR"), ev.String()
	})
	time.Sleep(2 * time.Second)
	if ev.hasSince(nEvents, "echo-server", "ERROR") || ev.hasSince(nEvents, "", "ERROR") {
		t.Fatalf("ERROR after the scale-in:\n%s", ev)
	}
	if strings.Contains(r.Logs(), "VNFC died") {
		t.Fatalf("the VNFM took the scaled-in VNFC for dead:\n%s", r.Logs())
	}
	if r.Orch.Status(id) != "ACTIVE" {
		t.Fatalf("NSR %s after scale-in", r.Orch.Status(id))
	}
	if _, err := raw.ContainerInspect(ctx, gone.hostname); !cerrdefs.IsNotFound(err) {
		t.Fatalf("scaled-in container %s: %v (want not found: not restarted)", gone.hostname, err)
	}
	for _, h := range []string{kept.hostname, cl[0].hostname} {
		ins, err := raw.ContainerInspect(ctx, h)
		if err != nil || !ins.State.Running || ins.State.StartedAt == "" {
			t.Fatalf("VNFC %s not running after scale-in: %v", h, err)
		}
	}
	for _, name := range []string{"echo-server", "echo-client"} {
		for _, c := range vnfcStates(r.Orch.VNFR(id, name)) {
			if c != "ACTIVE" {
				t.Fatalf("%s VNFC state %s after scale-in", name, c)
			}
		}
	}
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

func vnfcStates(rec map[string]any) []string {
	var out []string
	vdus, _ := rec["vdu"].([]any)
	for _, v := range vdus {
		insts, _ := v.(map[string]any)["vnfc_instance"].([]any)
		for _, i := range insts {
			s, _ := i.(map[string]any)["state"].(string)
			out = append(out, s)
		}
	}
	return out
}

func (e *events) len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.l)
}

// hasSince tells whether an event of vnfr ("" for the NSR) with status
// came after the first n.
func (e *events) hasSince(n int, vnfr, status string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.l[n:] {
		if ev.VNFR == vnfr && ev.Status == status {
			return true
		}
	}
	return false
}
