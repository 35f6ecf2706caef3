package client_test

import (
	"fmt"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/poptest"
)

// BenchmarkCreateDelete compares a Create+Delete pair (store and IPAM, no
// Docker call) in process and through client → gRPC loopback → server, on
// the real engine: the difference is the cost of the protocol.
func BenchmarkCreateDelete(b *testing.B) {
	for _, mode := range []string{"core", "remote"} {
		b.Run(mode, func(b *testing.B) {
			var p pop.Pop
			if mode == "core" {
				p = poptest.OpenCore(b, blocks).Pop
			} else {
				p = startServerB(b)
			}
			base := testenv.Name(b)
			ctx := b.Context()
			for i := 0; b.Loop(); i++ {
				c, err := p.Create(ctx, pop.ContainerConfig{Name: fmt.Sprintf("%s-%d", base, i), Image: poptest.Image})
				if err != nil {
					b.Fatal(err)
				}
				if err := p.Delete(ctx, pop.ByID(c.ID)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkList compares listing the flavours (no I/O at all) in process
// and remotely: the bare round trip of one authenticated call.
func BenchmarkList(b *testing.B) {
	for _, mode := range []string{"core", "remote"} {
		b.Run(mode, func(b *testing.B) {
			var p pop.Pop
			if mode == "core" {
				p = poptest.OpenCore(b, blocks).Pop
			} else {
				p = startServerB(b)
			}
			ctx := b.Context()
			for b.Loop() {
				if _, err := p.Flavours(ctx, pop.Filter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
