package vim

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// TestGetQuotaRealDocker: over a real engine, getQuota answers the
// engine's CPUs and memory (MB) as Docker's info gives them.
func TestGetQuotaRealDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	raw := testenv.Docker(t)
	popName := testenv.Name(t)
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	open := func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		b, err := docker.New(ctx, docker.Options{Host: key.URL, PopName: popName})
		if err != nil {
			return nil, err
		}
		core, err := pop.Open(ctx, pop.Config{PopName: popName, DefaultNetwork: "priv-" + popName,
			DefaultSubnet: "10.204.244.0/24", NetworkPool: "10.204.245.0/24"}, b)
		if err != nil {
			b.Close()
			return nil, err
		}
		return closingPop{core, b}, nil
	}
	d := New(Config{Open: open, Quota: QuotaLimits{Instances: 40}}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	info, err := raw.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"real","authUrl":%q,"id":"q1","hbVersion":0}`, testenv.DockerHost()))
	ans, err := call(t, d, "getQuota", params(t, vimJSON))
	if err != nil {
		t.Fatal(err)
	}
	var q Quota
	if err := json.Unmarshal(ans, &q); err != nil {
		t.Fatal(err)
	}
	want := Quota{Cores: info.NCPU, RAM: int(info.MemTotal >> 20), Instances: 40, FloatingIPs: 40, KeyPairs: 40}
	if q != want || q.Cores <= 0 || q.RAM <= 0 {
		t.Errorf("getQuota = %s, want %+v (docker info: %d CPUs, %d bytes)", ans, want, info.NCPU, info.MemTotal)
	}
}
