package vim

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestGetQuotaRealDocker: over a real engine, getQuota answers the
// engine's CPUs and memory (MB) as Docker's info gives them.
func TestGetQuotaRealDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	raw, _, open := realDockerPop(t, "10.204.244.0/24", "10.204.245.0/24")
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
