package faults_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench/rig"
)

// TestPluginSIGKILLWith500Containers kills the daemon with SIGKILL while
// 500 containers exist and launches (create-only and create+start) are in
// flight, then starts it again: listServer agrees with Docker, no
// container is duplicated or leaked, and no IP is leaked (after deleting
// everything, the whole subnet can be allocated again).
func TestPluginSIGKILLWith500Containers(t *testing.T) {
	const existing, inflightCreate, inflightLaunch = 500, 30, 10
	r := rig.New(t, rig.Options{Subnet: "10.207.8.0/22", Pool: "10.207.12.0/24", Race: true, Workers: 20})
	c := newCaller(t, r)
	errs := parallel(existing, 20, func(i int) error {
		ctx, cancel := callCtx(t)
		defer cancel()
		_, err := create(ctx, r, c, fmt.Sprintf("k%03d-%s", i, r.PopName), nil)
		return err
	})
	if n, err := firstErr(errs); n > 0 {
		t.Fatalf("%d creates failed: %v", n, err)
	}

	// Launches in flight: kill once a few have been answered.
	flightCtx, stopFlight := context.WithCancel(t.Context())
	defer stopFlight()
	answered := make(chan struct{}, inflightCreate+inflightLaunch)
	done := make(chan []error, 1)
	go func() {
		done <- parallel(inflightCreate+inflightLaunch, inflightCreate+inflightLaunch, func(i int) error {
			ctx, cancel := context.WithTimeout(flightCtx, 60*time.Second)
			defer cancel()
			var err error
			if i < inflightCreate {
				_, err = create(ctx, r, c, fmt.Sprintf("fc%03d-%s", i, r.PopName), nil)
			} else {
				_, err = launch(ctx, r, c, fmt.Sprintf("fl%03d-%s", i, r.PopName))
			}
			if err == nil {
				answered <- struct{}{}
			}
			return err
		})
	}()
	for range 5 {
		select {
		case <-answered:
		case <-time.After(60 * time.Second):
			t.Fatal("no in-flight launch answered within 60 s")
		}
	}
	r.Kill()
	killedAt := time.Now()
	stopFlight() // their replies will never come: the queue died with its consumers
	<-done
	beforeRestart := len(answered) + 5
	r.Start()
	recovered := time.Since(killedAt)

	c2 := newCaller(t, r)
	ss := checkTruth(t, r, c2)
	existingSeen := 0
	for _, s := range ss {
		if strings.HasPrefix(s.Name, "k") {
			existingSeen++
		}
	}
	if existingSeen != existing {
		t.Errorf("%d of the %d existing containers listed after the restart", existingSeen, existing)
	}
	inflightSeen := len(ss) - existingSeen

	// No IP leaked: delete everything, then the subnet's whole capacity
	// is free again.
	derrs := parallel(len(ss), 20, func(i int) error {
		ctx, cancel := callCtx(t)
		defer cancel()
		_, err := c2.Call(ctx, "deleteServerByIdAndWait", r.VIM(), ss[i].ExtID)
		return err
	})
	if n, err := firstErr(derrs); n > 0 {
		t.Fatalf("%d deletes failed: %v", n, err)
	}
	if left := listServers(t, r, c2); len(left) != 0 {
		t.Fatalf("%d servers left after deleting all", len(left))
	}
	if cs, _ := r.Containers(t.Context()); len(cs) != 0 {
		t.Errorf("%d Docker containers left after deleting all", len(cs))
	}
	ok := 0
	var capacity int
	for i := 0; ; i++ {
		ctx, cancel := callCtx(t)
		_, err := create(ctx, r, c2, fmt.Sprintf("z%04d-%s", i, r.PopName), nil)
		cancel()
		if err == nil {
			ok++
			continue
		}
		if !isExhausted(err) {
			t.Fatalf("refill: %v", err)
		}
		m := regexp.MustCompile(`all (\d+) in use`).FindStringSubmatch(err.Error())
		if m == nil {
			t.Fatalf("exhaustion without a count: %v", err)
		}
		capacity, _ = strconv.Atoi(m[1])
		break
	}
	if ok != capacity {
		t.Errorf("after deleting all, %d of %d addresses could be allocated: %d leaked", ok, capacity, capacity-ok)
	}
	figure(t, "SIGKILL with %d containers and %d launches in flight (%d answered before the kill): restarted and serving in %.1f s; %d in-flight launches kept, %d existing lost, 0 duplicated, %d IPs leaked of %d",
		existing, inflightCreate+inflightLaunch, beforeRestart, recovered.Seconds(), inflightSeen, existing-existingSeen, capacity-ok, capacity)
}
