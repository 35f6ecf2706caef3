package vim

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// DefaultInstances is the instance figure getQuota answers when neither
// the operator's setting nor the VIM instance's metadata gives one.
const DefaultInstances = 1000

// Metadata keys of a VIM instance that override getQuota's figures, each
// a positive integer (RAM in MB). They are named as the Quota fields.
const (
	QuotaKeyCores       = "quota.cores"
	QuotaKeyRAM         = "quota.ram"
	QuotaKeyInstances   = "quota.instances"
	QuotaKeyFloatingIPs = "quota.floatingIps"
	QuotaKeyKeyPairs    = "quota.keyPairs"
)

// getQuota answers what the VIM instance may use: the engine host's CPUs
// and memory (MB), and the instance setting, each overridden by the
// operator's setting and then by the VIM instance's metadata. The NFVO
// checks quotas of OpenStack VIMs only; for a Docker VIM these figures
// feed the dashboard's quota view (quota minus listServer's flavours).
// Every figure is positive: the NFVO refuses negative ones.
func (d *Driver) getQuota(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("getQuota: %w", err)
	}
	md, err := quotaMetadata(t.vim.Metadata)
	if err != nil {
		return nil, fmt.Errorf("getQuota %s: %w", t.vim.Name, err)
	}
	q := overlay(md, d.cfg.Quota)
	if q.Cores <= 0 || q.RAM <= 0 {
		// The engine is asked only for the figures nobody set.
		inf, err := t.pop.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("getQuota %s: %w", t.vim.Name, err)
		}
		q = overlay(q, QuotaLimits{Cores: inf.NCPU, RAM: int(inf.MemoryMB)})
	}
	q = overlay(q, QuotaLimits{Cores: DefaultQuota, RAM: DefaultQuota, Instances: DefaultInstances})
	q = overlay(q, QuotaLimits{FloatingIPs: q.Instances, KeyPairs: q.Instances})
	// The NFVO decodes each figure into a Java int.
	clamp := func(n int) int { return min(n, math.MaxInt32) }
	return Quota{Cores: clamp(q.Cores), RAM: clamp(q.RAM), Instances: clamp(q.Instances),
		FloatingIPs: clamp(q.FloatingIPs), KeyPairs: clamp(q.KeyPairs)}, nil
}

// overlay fills the fields of q that are not set (<= 0) from under.
func overlay(q, under QuotaLimits) QuotaLimits {
	pick := func(a, b int) int {
		if a > 0 {
			return a
		}
		return b
	}
	return QuotaLimits{
		Cores:       pick(q.Cores, under.Cores),
		RAM:         pick(q.RAM, under.RAM),
		Instances:   pick(q.Instances, under.Instances),
		FloatingIPs: pick(q.FloatingIPs, under.FloatingIPs),
		KeyPairs:    pick(q.KeyPairs, under.KeyPairs),
	}
}

// quotaMetadata reads the quota.* keys of a VIM instance's metadata; a
// value that is not a positive integer is refused with its key named.
func quotaMetadata(md map[string]string) (QuotaLimits, error) {
	var q QuotaLimits
	for _, f := range []struct {
		key string
		dst *int
	}{
		{QuotaKeyCores, &q.Cores}, {QuotaKeyRAM, &q.RAM}, {QuotaKeyInstances, &q.Instances},
		{QuotaKeyFloatingIPs, &q.FloatingIPs}, {QuotaKeyKeyPairs, &q.KeyPairs},
	} {
		s, ok := md[f.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 || n > math.MaxInt32 {
			return QuotaLimits{}, pop.Errorf(pop.ErrInvalidArgument, "vim instance metadata %s=%q: want a positive integer up to %d (the NFVO's Quota fields are Java ints)", f.key, s, math.MaxInt32)
		}
		*f.dst = n
	}
	return q, nil
}
