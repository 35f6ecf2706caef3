package pop

import (
	"time"

	"github.com/sirupsen/logrus"
)

// Config configures a Core. The zero value of every field has a default.
type Config struct {
	// PopName identifies this Pop; every Docker object it creates carries it
	// in a label, and reconciliation touches nothing else.
	PopName string
	// StorePath is the bbolt file that keeps state across restarts; empty
	// means memory only (state is lost when the process ends).
	StorePath string
	// DefaultNetwork is created (or adopted) at Open; containers without
	// endpoints join it. Default "private".
	DefaultNetwork string
	// DefaultSubnet is its subnet. Default 172.16.0.0/16; if that overlaps
	// a network of the host, the first free /16 of 172.16.0.0/12.
	DefaultSubnet string
	// NetworkPool gives /24s to networks created without a subnet.
	// Default 10.90.0.0/16.
	NetworkPool string
	// KeepStopped keeps Docker containers after Stop (the seed's AutoRemove
	// off). By default the core removes them once the stop is recorded.
	KeepStopped bool
	// StopTimeout is the stop timeout when the caller's ctx has no deadline.
	// Default 5 s.
	StopTimeout time.Duration
	// ResyncInterval is the period of the full resync behind the event
	// stream. Default 10 s.
	ResyncInterval time.Duration
	// Flavours are added to (or replace, by name) the built-in table.
	Flavours []Flavour
	Logger   logrus.FieldLogger

	// commitHook, set by tests only, runs before and after each commit of
	// container records (the crash-point test kills the process there).
	commitHook func(point commitPoint, n int)
}

func (c Config) withDefaults() Config {
	if c.PopName == "" {
		c.PopName = "docker-pop"
	}
	if c.DefaultNetwork == "" {
		c.DefaultNetwork = "private"
	}
	if c.DefaultSubnet == "" {
		c.DefaultSubnet = "172.16.0.0/16"
	}
	if c.NetworkPool == "" {
		c.NetworkPool = "10.90.0.0/16"
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 5 * time.Second
	}
	if c.ResyncInterval <= 0 {
		c.ResyncInterval = 10 * time.Second
	}
	if c.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		c.Logger = l
	}
	return c
}

// DefaultFlavours is the built-in flavour table: the usual OpenStack m1.*
// names and docker.container, which sets no limits.
func DefaultFlavours() []Flavour {
	return []Flavour{
		{ID: "docker.container", Name: "docker.container"},
		{ID: "m1.tiny", Name: "m1.tiny", CPUs: 1, MemoryMB: 512, DiskGB: 1},
		{ID: "m1.small", Name: "m1.small", CPUs: 1, MemoryMB: 2048, DiskGB: 20},
		{ID: "m1.medium", Name: "m1.medium", CPUs: 2, MemoryMB: 4096, DiskGB: 40},
		{ID: "m1.large", Name: "m1.large", CPUs: 4, MemoryMB: 8192, DiskGB: 80},
		{ID: "m1.xlarge", Name: "m1.xlarge", CPUs: 8, MemoryMB: 16384, DiskGB: 160},
	}
}
