package faults_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench/rig"
)

// TestForceClosedConnectionDuring200Calls force-closes one of the plugin's
// consuming connections (its own, by name) while 200 launchInstance calls
// are in flight: every call is answered exactly once, and each container
// exists once with its own IP.
func TestForceClosedConnectionDuring200Calls(t *testing.T) {
	const n = 200
	r := rig.New(t, rig.Options{Subnet: "10.207.3.0/24", Pool: "10.207.4.0/24", Race: true})
	c := newCaller(t, r)
	// Find the connection first (the management API lists new connections
	// after a few seconds); closing it over HTTP is then quick enough to
	// land in the middle of the calls.
	mgmt := r.NFVO.Management()
	var name string
	for end := time.Now().Add(30 * time.Second); name == ""; {
		conns, err := mgmt.Connections(t.Context())
		must(t, err, "list connections")
		for _, cn := range conns {
			if cn.ClientName == r.Queue+"-c0" {
				name = cn.Name
			}
		}
		if name == "" {
			if time.Now().After(end) {
				t.Fatalf("connection %s-c0 not listed by the management API", r.Queue)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	var answered atomic.Int64
	closedAt := make(chan int64, 1)
	go func() {
		for answered.Load() < 20 {
			time.Sleep(time.Millisecond)
		}
		if err := mgmt.CloseConnection(t.Context(), name, "fault injection"); err != nil {
			t.Errorf("force close %s-c0: %v", r.Queue, err)
		}
		closedAt <- answered.Load()
	}()
	errs := parallel(n, 5, func(i int) error {
		ctx, cancel := callCtx(t)
		defer cancel()
		_, err := create(ctx, r, c, fmt.Sprintf("fc%03d-%s", i, r.PopName), nil)
		answered.Add(1)
		return err
	})
	at := <-closedAt
	failed, first := firstErr(errs)
	if failed > 0 {
		t.Errorf("%d of %d calls failed; first: %v", failed, n, first)
	}
	// Late duplicates would arrive within the reply timeout: give them a
	// moment before counting.
	time.Sleep(2 * time.Second)
	got, dups := c.Replies()
	if got != n || dups != 0 {
		t.Errorf("replies: %d correlation ids answered, %d more than once; want %d, 0", got, dups, n)
	}
	ss := checkTruth(t, r, c)
	mine := 0
	for _, s := range ss {
		if strings.HasPrefix(s.Name, "fc") {
			mine++
		}
	}
	if mine != n {
		t.Errorf("listServer has %d of the %d containers", mine, n)
	}
	if !strings.Contains(r.Logs(), "reconnected to the broker") {
		t.Error("the plugin log shows no reconnect")
	}
	figure(t, "connection force-closed after %d of %d answers: %d calls answered, %d duplicated, %d failed, %d containers listed (lost %d)",
		at, n, got, dups, failed, mine, n-mine)
}
