package vim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// quotaVim is testVim with the given metadata.
func quotaVim(t *testing.T, md map[string]string) json.RawMessage {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(testVim), &v); err != nil {
		t.Fatal(err)
	}
	if md != nil {
		v["metadata"] = md
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGetQuotaFigures: getQuota answers the engine's CPUs and memory and
// the instance setting, each overridden by its setting and then by the
// VIM instance's metadata; every figure stays positive.
func TestGetQuotaFigures(t *testing.T) {
	engine := pop.Info{NCPU: 6, MemoryMB: 15872}
	tests := []struct {
		doc    string
		cfg    QuotaLimits
		engine pop.Info
		md     map[string]string
		want   Quota
		// noInfo: both engine figures are overridden, so the engine is
		// not asked.
		noInfo bool
	}{
		{doc: "engine figures and default instances", engine: engine,
			want: Quota{Cores: 6, RAM: 15872, Instances: DefaultInstances, FloatingIPs: DefaultInstances, KeyPairs: DefaultInstances}},
		{doc: "settings override", engine: engine, cfg: QuotaLimits{Cores: 2, RAM: 512, Instances: 10, FloatingIPs: 3, KeyPairs: 4},
			want: Quota{Cores: 2, RAM: 512, Instances: 10, FloatingIPs: 3, KeyPairs: 4}, noInfo: true},
		{doc: "instances setting bounds floating IPs and key pairs", engine: engine, cfg: QuotaLimits{Instances: 25},
			want: Quota{Cores: 6, RAM: 15872, Instances: 25, FloatingIPs: 25, KeyPairs: 25}},
		{doc: "metadata overrides settings", engine: engine, cfg: QuotaLimits{Cores: 2, Instances: 10},
			md:   map[string]string{"quota.cores": "3", "quota.ram": "1024", "quota.instances": " 7 ", "quota.floatingIps": "1", "quota.keyPairs": "2", "other": "x"},
			want: Quota{Cores: 3, RAM: 1024, Instances: 7, FloatingIPs: 1, KeyPairs: 2}, noInfo: true},
		{doc: "engine that reports nothing stays positive", engine: pop.Info{},
			want: Quota{Cores: DefaultQuota, RAM: DefaultQuota, Instances: DefaultInstances, FloatingIPs: DefaultInstances, KeyPairs: DefaultInstances}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			d, fp := newTestDriver(t, Config{Quota: tc.cfg})
			fp.engine = tc.engine
			ans, err := call(t, d, "getQuota", params(t, quotaVim(t, tc.md)))
			if err != nil {
				t.Fatal(err)
			}
			var got Quota
			if err := json.Unmarshal(ans, &got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("getQuota = %s\nwant %+v", ans, tc.want)
			}
			var raw map[string]any
			_ = json.Unmarshal(ans, &raw)
			if _, ok := raw["tenant"]; ok {
				t.Errorf("getQuota answers a tenant, which a Docker VIM has none of: %s", ans)
			}
			if tc.noInfo && fp.infos != 0 {
				t.Errorf("engine asked %d times although every engine figure was set", fp.infos)
			}
		})
	}
}

// TestGetQuotaRefusals: a bad metadata figure is named; an engine that
// cannot answer fails the call instead of inventing figures.
func TestGetQuotaRefusals(t *testing.T) {
	for _, v := range []string{"0", "-5", "many", "1.5", "3000000000"} {
		d, fp := newTestDriver(t, Config{})
		fp.engine = pop.Info{NCPU: 4, MemoryMB: 2048}
		_, err := call(t, d, "getQuota", params(t, quotaVim(t, map[string]string{"quota.ram": v})))
		if err == nil || !strings.Contains(err.Error(), "quota.ram") || !errors.Is(err, pop.ErrInvalidArgument) {
			t.Errorf("quota.ram=%q: %v", v, err)
		}
	}
	d, fp := newTestDriver(t, Config{})
	fp.infoErr = pop.Errorf(pop.ErrUnavailable, "docker engine down")
	_, err := call(t, d, "getQuota", params(t, quotaVim(t, nil)))
	if err == nil || !strings.Contains(err.Error(), "docker engine down") {
		t.Errorf("engine down: %v", err)
	}
}
