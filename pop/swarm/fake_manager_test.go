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

// TestWaitTaskDeadlineInACallNamesTheTask: a start's deadline that ends
// inside a call to the manager (a slow manager) answers what was last seen
// of the task, as a deadline between polls does. Before, it answered the
// cut call's error only ("Get …/services/…: context deadline exceeded"),
// seen in a loaded CI run. The fake is of one layer: the Docker API the
// wait polls; the first inspect answers at once, later ones not before the
// deadline.
func TestWaitTaskDeadlineInACallNamesTheTask(t *testing.T) {
	var inspects atomic.Int32
	created := time.Now().UTC().Format(time.RFC3339Nano)
	api := fakeManager(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/services/s1"):
			if inspects.Add(1) > 1 {
				<-r.Context().Done() // the deadline ends this call
				return
			}
			fmt.Fprintf(w, `{"ID":"s1","Spec":{"Name":"x","Labels":{%q:%q},"Mode":{"Replicated":{"Replicas":1}}}}`, labelState, recStarted)
		case strings.HasSuffix(p, "/tasks"):
			fmt.Fprintf(w, `[{"ID":"t1","ServiceID":"s1","CreatedAt":%q,"DesiredState":"running","Status":{"State":"pending","Err":"no suitable node (scheduling constraints not satisfied on 2 nodes)"}}]`, created)
		default:
			t.Errorf("unexpected %s %s", r.Method, p)
			fmt.Fprint(w, `[]`)
		}
	})
	p := openOnFake(t, api)
	ctx := t.Context()
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := p.waitTask(wctx, pop.Container{ID: "s1", Name: "x"}, "start", func(swarm.Task) bool { return false })
	if inspects.Load() < 2 {
		t.Fatalf("the deadline did not end an inspect (%d inspects): %v", inspects.Load(), err)
	}
	if !errors.Is(err, pop.ErrUnavailable) || !strings.Contains(err.Error(), "did not run in time") ||
		!strings.Contains(err.Error(), "task t1 is pending") || !strings.Contains(err.Error(), "no suitable node") {
		t.Fatalf("deadline inside an inspect: %v, want ErrUnavailable naming task t1, pending, and Swarm's reason", err)
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

// TestWaitTaskDeadlineInTheLastCallNamesTheTask: the same, when the
// deadline ends the wait's last call (the answer, once the task has run
// for runSettle). Found by review: that answered the cut list's error
// only, though the task was seen running.
func TestWaitTaskDeadlineInTheLastCallNamesTheTask(t *testing.T) {
	var lists atomic.Int32
	created := time.Now().UTC().Format(time.RFC3339Nano)
	api := fakeManager(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/services"):
			lists.Add(1)
			<-r.Context().Done() // the deadline ends this call
		case strings.HasSuffix(p, "/services/s1"):
			fmt.Fprintf(w, `{"ID":"s1","Spec":{"Name":"x","Labels":{%q:%q},"Mode":{"Replicated":{"Replicas":1}}}}`, labelState, recStarted)
		case strings.HasSuffix(p, "/tasks"):
			fmt.Fprintf(w, `[{"ID":"t1","ServiceID":"s1","NodeID":"n2","CreatedAt":%q,"DesiredState":"running","Status":{"State":"running"}}]`, created)
		default:
			t.Errorf("unexpected %s %s", r.Method, p)
			fmt.Fprint(w, `[]`)
		}
	})
	p := openOnFake(t, api)
	ctx := t.Context()
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := p.waitTask(wctx, pop.Container{ID: "s1", Name: "x"}, "start", func(swarm.Task) bool { return false })
	if lists.Load() < 1 {
		t.Fatalf("the wait did not reach its last call: %v", err)
	}
	if !strings.Contains(fmt.Sprint(err), "task t1 is running") {
		t.Fatalf("deadline inside the wait's last call: %v, want the task's last state (task t1 is running on node n2)", err)
	}
}

// TestWaitTaskDeadlineInTheAnswerOfACompletedTask: a task that completed
// (exit 0) at the first poll, and a deadline that ends the answer's
// listing: the error names the completed task. Found by review: it said
// "Swarm has made no task for it yet" of a task that ran and exited.
func TestWaitTaskDeadlineInTheAnswerOfACompletedTask(t *testing.T) {
	var lists atomic.Int32
	created := time.Now().UTC().Format(time.RFC3339Nano)
	api := fakeManager(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/services"):
			lists.Add(1)
			<-r.Context().Done() // the deadline ends this call
		case strings.HasSuffix(p, "/services/s1"):
			fmt.Fprintf(w, `{"ID":"s1","Spec":{"Name":"x","Labels":{%q:%q},"Mode":{"Replicated":{"Replicas":1}}}}`, labelState, recStarted)
		case strings.HasSuffix(p, "/tasks"):
			fmt.Fprintf(w, `[{"ID":"t1","ServiceID":"s1","NodeID":"n2","CreatedAt":%q,"DesiredState":"shutdown","Status":{"State":"complete","ContainerStatus":{"ExitCode":0}}}]`, created)
		default:
			t.Errorf("unexpected %s %s", r.Method, p)
			fmt.Fprint(w, `[]`)
		}
	})
	p := openOnFake(t, api)
	wctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := p.waitTask(wctx, pop.Container{ID: "s1", Name: "x"}, "start", func(swarm.Task) bool { return false })
	if lists.Load() < 1 {
		t.Fatalf("the wait did not reach its last call: %v", err)
	}
	if !strings.Contains(fmt.Sprint(err), "task t1") {
		t.Fatalf("deadline inside the answer of a completed task: %v; want it to name task t1 (complete)", err)
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
