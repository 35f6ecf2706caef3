package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// TestWaitTaskDeadlineNamesTheTask: a start's deadline that ends inside a
// call to the manager (a slow manager) answers what was last seen of the
// task, as a deadline between polls does, whichever call it cuts. The fake
// is of one layer: the Docker API the wait polls, where one call blocks
// until the deadline.
func TestWaitTaskDeadlineNamesTheTask(t *testing.T) {
	const (
		pending  = `"DesiredState":"running","Status":{"State":"pending","Err":"no suitable node (scheduling constraints not satisfied on 2 nodes)"}`
		running  = `"NodeID":"n2","DesiredState":"running","Status":{"State":"running"}`
		complete = `"NodeID":"n2","DesiredState":"shutdown","Status":{"State":"complete","ContainerStatus":{"ExitCode":0}}`
	)
	for _, tc := range []struct {
		doc   string
		block string // the path whose call the deadline ends (after the first, for an inspect)
		task  string
		want  []string
	}{
		// Seen in a loaded CI run: the cut call's error only ("Get
		// …/services/…: context deadline exceeded").
		{"an inspect", "/services/s1", pending, []string{"task t1 is pending", "no suitable node"}},
		// Found by review: the cut listing's error, though the task was
		// seen running.
		{"the answer, once the task has run for runSettle", "/services", running, []string{"task t1 is running on node n2"}},
		// Found by review: "Swarm has made no task for it yet" of a task
		// that ran and exited.
		{"the answer for a task that completed at the first poll", "/services", complete, []string{"task t1 is complete"}},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			var inspects, blocked atomic.Int32
			created := time.Now().UTC().Format(time.RFC3339Nano)
			api := fakeManager(func(w http.ResponseWriter, r *http.Request) {
				p := r.URL.Path
				if p == "/v1.41"+tc.block && (tc.block != "/services/s1" || inspects.Add(1) > 1) {
					blocked.Add(1)
					<-r.Context().Done()
					return
				}
				switch {
				case strings.HasSuffix(p, "/services/s1"):
					fmt.Fprintf(w, `{"ID":"s1","Spec":{"Name":"x","Labels":{%q:%q},"Mode":{"Replicated":{"Replicas":1}}}}`, labelState, recStarted)
				case strings.HasSuffix(p, "/tasks"):
					fmt.Fprintf(w, `[{"ID":"t1","ServiceID":"s1","CreatedAt":%q,%s}]`, created, tc.task)
				default:
					t.Errorf("unexpected %s %s", r.Method, p)
					fmt.Fprint(w, `[]`)
				}
			})
			p := openOnFake(t, api)
			wctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			_, err := p.waitTask(wctx, pop.Container{ID: "s1", Name: "x"}, "start", func(swarm.Task) bool { return false })
			if blocked.Load() == 0 {
				t.Fatalf("the deadline did not end a call to %s: %v", tc.block, err)
			}
			if !errors.Is(err, pop.ErrUnavailable) || !strings.Contains(err.Error(), "did not run in time") {
				t.Fatalf("deadline inside %s: %v, want ErrUnavailable, did not run in time", tc.doc, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("deadline inside %s: %v, want it to name %q", tc.doc, err, w)
				}
			}
		})
	}
}

// TestStartWithAManagerClockBehind: a manager whose clock is behind the
// driver's (a remote engine over TLS, without a shared time source). The
// start waits for a task it has not seen before, whatever its creation
// time says. Before, a task created by the manager's clock more than a
// second before the start began (by the driver's) was taken for an
// earlier run's, and the start waited until its deadline for a task that
// was running. The fake is of one layer: the Docker API a start calls.
func TestStartWithAManagerClockBehind(t *testing.T) {
	var mu sync.Mutex
	replicas, state := 0, recCreated
	lag := 10 * time.Second
	svcJSON := func() string {
		return fmt.Sprintf(`{"ID":"s1","Version":{"Index":1},"CreatedAt":%q,"Spec":{"Name":"x","Labels":{%q:"tp",%q:%q},"TaskTemplate":{"ContainerSpec":{"Image":"img"}},"Mode":{"Replicated":{"Replicas":%d}}}}`,
			time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano), docker.LabelPop, labelState, state, replicas)
	}
	var started time.Time // when the fake manager scaled the service to 1
	api := fakeManager(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/services"):
			fmt.Fprintf(w, "[%s]", svcJSON())
		case strings.HasSuffix(p, "/services/s1"):
			fmt.Fprint(w, svcJSON())
		case strings.HasSuffix(p, "/services/s1/update"):
			var spec swarm.ServiceSpec
			if err := json.NewDecoder(r.Body).Decode(&spec); err != nil {
				t.Errorf("update: %v", err)
			}
			state, replicas = spec.Labels[labelState], int(*spec.Mode.Replicated.Replicas)
			if replicas == 1 && started.IsZero() {
				started = time.Now()
			}
			fmt.Fprint(w, `{}`)
		case strings.HasSuffix(p, "/tasks"):
			if started.IsZero() {
				fmt.Fprint(w, `[]`)
				return
			}
			// Made at once by the manager's clock, which lags; running
			// from 100 ms on.
			st := "assigned"
			if time.Since(started) > 100*time.Millisecond {
				st = "running"
			}
			fmt.Fprintf(w, `[{"ID":"t1","ServiceID":"s1","NodeID":"n1","CreatedAt":%q,"DesiredState":"running","Status":{"State":%q}}]`,
				started.Add(-lag).UTC().Format(time.RFC3339Nano), st)
		default:
			t.Errorf("unexpected %s %s", r.Method, p)
			fmt.Fprint(w, `[]`)
		}
	})
	p := openOnFake(t, api)
	ctx := t.Context()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := p.Start(sctx, pop.ByID("s1"))
	if err != nil || c.State != pop.StateRunning {
		t.Fatalf("start with the manager's clock %v behind: %s %q, %v; want RUNNING", lag, c.State, c.ExtendedStatus, err)
	}
}

// fakeManager is a Docker API of a Swarm manager: it answers what Open
// asks (a ping, the swarm's state, the Pop "tp"'s default overlay "def")
// and passes every other request to h.
func fakeManager(h http.HandlerFunc) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/_ping"):
			fmt.Fprint(w, "OK")
		case strings.HasSuffix(p, "/info"):
			fmt.Fprint(w, `{"Swarm":{"LocalNodeState":"active","ControlAvailable":true}}`)
		case strings.HasSuffix(p, "/networks"):
			fmt.Fprintf(w, `[{"Name":"def","Id":"n1","Driver":"overlay","Scope":"swarm","Labels":{%q:"tp"},"IPAM":{"Config":[{"Subnet":"10.209.224.0/24"}]}}]`, LabelSwarmPop)
		default:
			h(w, r)
		}
	}))
}

// openOnFake opens the Swarm Pop "tp" on api (a fakeManager), closed with
// the test.
func openOnFake(t *testing.T, api *httptest.Server) *Pop {
	t.Helper()
	t.Cleanup(api.Close)
	b, err := docker.New(t.Context(), docker.Options{Host: "tcp://" + strings.TrimPrefix(api.URL, "http://"), PopName: "tp"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p, err := Open(t.Context(), Config{PopName: "tp", DefaultNetwork: "def"}, b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
