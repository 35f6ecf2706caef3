package poptest

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Blocks hands out /22 blocks of an IPv4 range to the Pops of a test
// package, so Pops running side by side never ask Docker for overlapping
// subnets. A package that shares its range with no one wraps around.
type Blocks struct {
	mu     sync.Mutex
	prefix netip.Prefix
	next   int
}

// NewBlocks splits cidr (a /22 or larger) into /22 blocks.
func NewBlocks(cidr string) *Blocks {
	p := netip.MustParsePrefix(cidr).Masked()
	if p.Bits() > 22 {
		panic(fmt.Sprintf("poptest: %s is smaller than a /22", cidr))
	}
	return &Blocks{prefix: p}
}

// Block is the address space of one Pop under test.
type Block struct {
	Default string // the default network's /24 (the block's first)
	Pool    string // the whole /22, for networks created without a subnet
	Small   string // a /29 in the block's last /24, for the exhaustion test
}

// Next gives the next block.
func (b *Blocks) Next() Block {
	b.mu.Lock()
	n := 1 << (22 - b.prefix.Bits())
	i := b.next % n
	b.next++
	b.mu.Unlock()
	base := b.prefix.Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += uint32(i) << 10
	at := func(off uint32, bits int) string {
		x := v + off
		a := netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
		return netip.PrefixFrom(a, bits).String()
	}
	return Block{Default: at(0, 24), Pool: at(0, 22), Small: at(3<<8, 29)}
}

// CoreConfig is a pop.Config for a test Pop: a unique name and default
// network, and the addresses of the next block.
func CoreConfig(t testing.TB, blocks *Blocks) (pop.Config, Block) {
	t.Helper()
	name := testenv.Name(t)
	b := blocks.Next()
	return pop.Config{
		PopName:        name,
		DefaultNetwork: name + "-net",
		DefaultSubnet:  b.Default,
		NetworkPool:    b.Pool,
		StopTimeout:    5 * time.Second,
	}, b
}

// OpenCore opens the in-process core over the real Docker engine, with
// cleanup registered: the Pop is closed and its Docker objects removed.
func OpenCore(t testing.TB, blocks *Blocks) Target {
	t.Helper()
	testenv.Docker(t)
	cfg, b := CoreConfig(t, blocks)
	cfg.StorePath = t.TempDir() + "/pop.db"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	be, err := docker.New(ctx, docker.Options{Host: testenv.DockerHost(), PopName: cfg.PopName})
	if err != nil {
		t.Fatalf("docker backend: %v", err)
	}
	RemoveDockerObjects(t, cfg.PopName)
	core, err := pop.Open(ctx, cfg, be)
	if err != nil {
		be.Close()
		t.Fatalf("open core: %v", err)
	}
	t.Cleanup(func() {
		if err := core.Close(); err != nil {
			t.Errorf("close core: %v", err)
		}
		be.Close()
	})
	return Target{Pop: core, Network: cfg.DefaultNetwork, SmallSubnet: b.Small}
}

// RemoveDockerObjects registers a cleanup that force-removes the Docker
// containers and networks labelled with popName: objects of this test's
// Pop only, left behind when a test fails halfway.
func RemoveDockerObjects(t testing.TB, popName string) {
	t.Helper()
	cli := testenv.Docker(t)
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(cli, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}
