package faults_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/openbaton-docker/obdocker/bench/rig"
)

// TestParallelLaunchesOneSlash24 sends 200 launches at once onto one /24,
// then 100 more: every address is given once, inside the /24, and the
// launches beyond its capacity fail with a clear exhaustion exception
// (launchInstance: the address is allocated at create, as for
// launchInstanceAndWait, without 300 running containers).
func TestParallelLaunchesOneSlash24(t *testing.T) {
	const first, more = 200, 100
	r := rig.New(t, rig.Options{Subnet: "10.207.5.0/24", Pool: "10.207.6.0/24", Race: true, Workers: 20})
	c := newCaller(t, r)
	ctx, cancel := callCtx(t)
	defer cancel()
	const cidr = "10.207.7.0/24"
	net, err := c.Call(ctx, "createNetwork", r.VIM(), map[string]any{"name": "ex-" + r.PopName, "subnet": cidr})
	must(t, err, "createNetwork")
	var n struct {
		ExtID string `json:"extId"`
	}
	must(t, jsonUnmarshal(net, &n), "decode network")
	cps := []any{vl("ex-"+r.PopName, n.ExtID, 0)}
	prefix := netip.MustParsePrefix(cidr)

	ips := map[string]string{}
	run := func(from, count int) (ok, exhausted int) {
		type res struct {
			s   server
			err error
		}
		out := make([]res, count)
		parallel(count, count, func(i int) error {
			ctx, cancel := callCtx(t)
			defer cancel()
			s, err := create(ctx, r, c, fmt.Sprintf("ip%03d-%s", from+i, r.PopName), cps)
			out[i] = res{s, err}
			return err
		})
		for _, o := range out {
			switch {
			case o.err == nil:
				ok++
				got := o.s.allIPs()
				if len(got) != 1 {
					t.Errorf("%s has IPs %v", o.s.Name, got)
					continue
				}
				a, err := netip.ParseAddr(got[0])
				if err != nil || !prefix.Contains(a) {
					t.Errorf("%s got %s, outside %s", o.s.Name, got[0], cidr)
				}
				if prev, dup := ips[got[0]]; dup {
					t.Errorf("%s given to %s and %s", got[0], prev, o.s.Name)
				}
				ips[got[0]] = o.s.Name
			case isExhausted(o.err):
				exhausted++
			default:
				t.Errorf("launch failed other than by exhaustion: %v", o.err)
			}
		}
		return ok, exhausted
	}
	ok1, ex1 := run(0, first)
	if ok1 != first || ex1 != 0 {
		t.Fatalf("first %d launches: %d ok, %d exhausted", first, ok1, ex1)
	}
	ok2, ex2 := run(first, more)
	if ex2 == 0 || ok2+ex2 != more {
		t.Errorf("next %d launches: %d ok, %d exhausted; want the /24 to run out", more, ok2, ex2)
	}
	// The exhaustion message names the network and its size.
	ctx2, cancel2 := callCtx(t)
	defer cancel2()
	_, err = create(ctx2, r, c, "ipx-"+r.PopName, cps)
	if !isExhausted(err) {
		t.Errorf("one more launch: %v, want exhaustion", err)
	} else {
		t.Logf("exhaustion reported as: %v", err)
	}
	checkTruth(t, r, c)
	figure(t, "%d parallel launches then %d more on one /24: %d distinct IPs, %d exhausted clearly, 0 duplicated", first, more, len(ips), ex2)
}
