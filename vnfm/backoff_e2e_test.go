package vnfm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/nfvo/orchestrator/rig"
)

// restartBackoff is the monitor's documented back-off before the n-th
// restart of a VNFC: one second more per restart, at most 30 s.
func restartBackoff(n int) time.Duration {
	return min(time.Duration(n)*time.Second, 30*time.Second)
}

// vnfmSetting is the value the VNFM daemon of the rig gets for
// OBDOCKER_VNFM_<name> (the last one wins, as in exec.Cmd).
func vnfmSetting(t *testing.T, r *rig.Rig, name string) string {
	t.Helper()
	val, found := "", false
	for _, kv := range r.VNFMEnvironment() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "OBDOCKER_VNFM_"+name {
			val, found = v, true
		}
	}
	if !found {
		t.Fatalf("the rig sets no OBDOCKER_VNFM_%s", name)
	}
	return val
}

// count is the number of events of a VNFR with a status, and when the
// last of them was seen.
func (e *events) count(vnfr, status string) (n int, last time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, ev := range e.l {
		if ev.VNFR == vnfr && ev.Status == status {
			n++
			last = e.at[i]
		}
	}
	return n, last
}

// since lists the statuses a VNFR went through after t.
func (e *events) since(vnfr string, t time.Time) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for i, ev := range e.l {
		if ev.VNFR == vnfr && e.at[i].After(t) {
			out = append(out, ev.Status+"/"+ev.Task)
		}
	}
	return out
}

func running(ctx context.Context, raw *client.Client, name string) (bool, string) {
	ins, err := raw.ContainerInspect(ctx, name)
	if err != nil {
		return false, err.Error()
	}
	return ins.State.Running, ins.State.Status
}

// TestEndToEndStopDuringRestartBackoff crash-loops the server VNFC
// (restart_policy=on-failure): each time the VNFM has restarted it, the
// test kills it again, so each back-off is a second longer. A STOP answered
// during a back-off must stick: after the back-off in force plus one
// monitor interval, the container is still not running and the VNFR is not
// ACTIVE again.
func TestEndToEndStopDuringRestartBackoff(t *testing.T) {
	// The default interval: long enough that a restart the VNFM wrongly
	// makes after the back-off has finished within one interval.
	r, raw, ev := startRig(t, "OBDOCKER_VNFM_MONITOR_INTERVAL=2s")
	interval, err := time.ParseDuration(vnfmSetting(t, r, "MONITOR_INTERVAL"))
	if err != nil || interval <= 0 {
		t.Fatalf("monitor interval %q: %v", vnfmSetting(t, r, "MONITOR_INTERVAL"), err)
	}
	ctx := t.Context()
	id := deployEcho(t, r)
	host := vnfcsOf(r.Orch.VNFR(id, "echo-server"))[0].hostname
	status := func() string { s, _ := r.Orch.VNFR(id, "echo-server")["status"].(string); return s }

	// Four deaths: the fourth back-off (4 s) leaves the STOP ample time to
	// arrive inside it.
	const deaths = 4
	for i := 1; i <= deaths; i++ {
		if i > 1 {
			waitFor(t, restartBackoff(i-1)+interval+30*time.Second, fmt.Sprintf("restart %d", i-1), func() (bool, string) {
				up, st := running(ctx, raw, host)
				return up && status() == "ACTIVE", fmt.Sprintf("container %s, VNFR %s", st, status())
			})
		}
		if err := raw.ContainerKill(ctx, host, "KILL"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, interval+20*time.Second, fmt.Sprintf("death %d reported", i), func() (bool, string) {
			n, _ := ev.count("echo-server", "ERROR")
			return n == i, ev.String()
		})
	}
	// The ERROR report comes right before the back-off: it starts now.
	_, backoffFrom := ev.count("echo-server", "ERROR")
	backoff := restartBackoff(deaths)
	if err := r.Orch.StopVNFR(id, "echo-server"); err != nil {
		t.Fatal(err)
	}
	// The events, not the record: the stand-in emits them after it has
	// saved the status.
	waitFor(t, 30*time.Second, "STOP answered", func() (bool, string) {
		return len(ev.since("echo-server", backoffFrom)) > 0, ev.String()
	})
	if seen := ev.since("echo-server", backoffFrom); len(seen) != 1 || !strings.HasPrefix(seen[0], "INACTIVE/") {
		t.Fatalf("the STOP was not answered inside the back-off; the test shows nothing: statuses since the ERROR %v", seen)
	}
	t.Logf("STOP answered %s into a %s back-off; watching until %s after it began",
		time.Since(backoffFrom).Round(time.Millisecond), backoff, backoff+interval)

	// Until the back-off in force plus one monitor interval has passed, and
	// then once more: never running, never ACTIVE.
	until := backoffFrom.Add(backoff + interval)
	for {
		last := !time.Now().Before(until)
		if up, st := running(ctx, raw, host); up {
			t.Fatalf("the container runs again after the STOP (%s); statuses since the ERROR %v", st, ev.since("echo-server", backoffFrom))
		}
		if s := status(); s == "ACTIVE" {
			t.Fatalf("the VNFR is ACTIVE again after the STOP; statuses since the ERROR %v", ev.since("echo-server", backoffFrom))
		}
		if last {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if seen := ev.since("echo-server", backoffFrom); len(seen) != 1 {
		t.Errorf("statuses since the ERROR %v, want only INACTIVE", seen)
	}
}
