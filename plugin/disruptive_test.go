package plugin_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

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

// TestDisruptiveBrokerRestart stops and starts the broker application:
// every connection dies, and the plugin must come back by itself.
func TestDisruptiveBrokerRestart(t *testing.T) {
	testenv.Disruptive(t)
	n := startNFVO(t)
	cfg := pluginConfig(t, n)
	r := startPlugin(t, n, cfg, &fakeDriver{})
	id := cfg.ID()
	if ans, err := n.Call(callCtx(t), id, "getType", vimJSON()); err != nil || string(ans) != `"docker"` {
		t.Fatalf("before restart: %s, %v", ans, err)
	}
	srv := r.p.Server()
	dials := srv.Dials()

	rabbitmqctl(t, "stop_app")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			rabbitmqctl(t, "start_app")
		}
	})
	rabbitmqctl(t, "start_app")
	restarted = true

	// Generous: the broker's own start, then the plugin's backoff.
	end := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		ans, err := n.Call(ctx, id, "getType", vimJSON())
		cancel()
		if err == nil && string(ans) == `"docker"` {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("plugin did not recover after the broker restart: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if s := r.p.Server(); s != srv || s.Dials() <= dials {
		t.Errorf("expected the same server to have redialled (dials %d → %d)", dials, s.Dials())
	}
	stream(t, n, id, 4, 50, func() { time.Sleep(time.Second) })
}
