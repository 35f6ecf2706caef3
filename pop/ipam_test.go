package pop

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestIPAMProperties drives random allocate/release sequences on random
// small subnets and checks the invariants after every step: no address is
// held twice, every held address is a usable host address (never the
// network, broadcast or gateway address), and exhaustion happens exactly
// when every usable address is held.
func TestIPAMProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		bits := 24 + rng.IntN(7) // /24 … /30
		third := rng.IntN(256)
		pfx := netip.MustParsePrefix(fmt.Sprintf("10.77.%d.0/%d", third, bits)).Masked()
		p := newIPAM()
		n := Network{Name: "n", ID: "id", Subnet: pfx.String(), Gateway: firstHost(pfx).String()}
		if err := p.add(n); err != nil {
			t.Fatal(err)
		}
		ns := p.byName["n"]
		usable := 0
		for a := pfx.Addr(); pfx.Contains(a); a = a.Next() {
			if ns.usable(a) {
				usable++
			}
		}
		if usable != ns.capacity() {
			t.Fatalf("%s: capacity %d, usable %d", pfx, ns.capacity(), usable)
		}
		held := map[string]string{} // ip → owner
		for step := range 400 {
			owner := fmt.Sprintf("c%d", step)
			switch op := rng.IntN(10); {
			case op < 6: // dynamic
				ep, err := p.allocate("n", "", owner, owner)
				if len(held) == usable {
					if err == nil {
						t.Fatalf("round %d %s: allocated %s past exhaustion", round, pfx, ep.IPv4)
					}
					continue
				}
				if err != nil {
					t.Fatalf("round %d %s: %d/%d held: %v", round, pfx, len(held), usable, err)
				}
				if _, dup := held[ep.IPv4]; dup {
					t.Fatalf("%s handed out twice", ep.IPv4)
				}
				a := netip.MustParseAddr(ep.IPv4)
				if !ns.usable(a) {
					t.Fatalf("%s is not usable in %s", a, pfx)
				}
				held[ep.IPv4] = owner
			case op < 8: // fixed, random address in or near the subnet
				a := netip.AddrFrom4([4]byte{10, 77, byte(third), byte(rng.IntN(256))})
				_, err := p.allocate("n", a.String(), owner, owner)
				_, taken := held[a.String()]
				valid := ns.usable(a) && !taken
				if valid != (err == nil) {
					t.Fatalf("fixed %s in %s (taken %v): err %v", a, pfx, taken, err)
				}
				if err == nil {
					held[a.String()] = owner
				}
			default: // release a random holder
				for ip, o := range held {
					p.release(o, []Endpoint{{NetName: "n", IPv4: ip}})
					delete(held, ip)
					break
				}
			}
			if len(ns.used) != len(held) {
				t.Fatalf("ipam holds %d, model %d", len(ns.used), len(held))
			}
		}
	}
}

func TestNextFreeSubnet(t *testing.T) {
	pool := netip.MustParsePrefix("172.16.0.0/12")
	taken := []netip.Prefix{netip.MustParsePrefix("172.16.0.0/16"), netip.MustParsePrefix("172.17.0.0/16")}
	got, err := nextFreeSubnet(pool, 16, taken)
	if err != nil || got.String() != "172.18.0.0/16" {
		t.Fatalf("%v %v", got, err)
	}
	got, err = nextFreeSubnet(netip.MustParsePrefix("10.0.0.0/24"), 25, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	if err == nil {
		t.Fatalf("want exhaustion, got %v", got)
	}
}
