package swarm

import (
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/pop"
)

// TestCrashLoopIsNotANodeLoss: a service whose process failed three times
// within the window shows FAILED while Swarm waits to restart it; one whose
// process failed three times and then ran, until its node died, shows BUILD
// while Swarm replaces the task lost with the node (a review found it
// stuck: Swarm's own MaxAttempts counted that replacement too and made
// none). The restart policy has no limit of Swarm's.
func TestCrashLoopIsNotANodeLoss(t *testing.T) {
	now := time.Now()
	task := func(id string, age time.Duration, desired, state swarm.TaskState, err string) swarm.Task {
		tk := swarm.Task{ID: id, DesiredState: desired, NodeID: "n2",
			Status: swarm.TaskStatus{State: state, Timestamp: now.Add(-age + time.Second), Err: err}}
		tk.CreatedAt = now.Add(-age)
		tk.UpdatedAt = tk.Status.Timestamp // the manager records the state it is sent
		return tk
	}
	failed := func(id string, age time.Duration) swarm.Task {
		return task(id, age, swarm.TaskStateShutdown, swarm.TaskStateFailed, "task: non-zero exit (1)")
	}
	svc := swarm.Service{ID: "s1", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "srv",
		Labels: map[string]string{labelState: recStarted}}}}
	cases := []struct {
		doc   string
		tasks []swarm.Task
		want  pop.State
	}{
		{"three failures, Swarm about to restart it", []swarm.Task{
			task("t4", 0, swarm.TaskStateRunning, swarm.TaskStateReady, ""),
			failed("t3", 10*time.Second), failed("t2", 20*time.Second), failed("t1", 30*time.Second)}, pop.StateFailed},
		{"one failure: a restart, BUILD", []swarm.Task{
			task("t2", 0, swarm.TaskStateRunning, swarm.TaskStateReady, ""),
			failed("t1", 10*time.Second)}, pop.StateCreated},
		{"three failures, then it ran until its node died: rescheduling, BUILD", []swarm.Task{
			task("t5", 0, swarm.TaskStateRunning, swarm.TaskStatePending, ""),
			task("t4", 20*time.Second, swarm.TaskStateShutdown, swarm.TaskStateRunning, ""),
			failed("t3", 30*time.Second), failed("t2", 40*time.Second), failed("t1", 50*time.Second)}, pop.StateCreated},
		{"three failures long ago, one more now: a restart, BUILD", []swarm.Task{
			task("t5", 0, swarm.TaskStateRunning, swarm.TaskStateReady, ""),
			failed("t4", 10*time.Second), failed("t3", 3*time.Minute), failed("t2", 4*time.Minute), failed("t1", 5*time.Minute)}, pop.StateCreated},
	}
	// The same, with the manager's clock 10 minutes behind the driver's:
	// only the manager's times are compared. (Before, against the driver's
	// clock, no failure counted and a crash loop stayed BUILD for ever.)
	for _, tc := range cases[:len(cases):len(cases)] {
		skewed := make([]swarm.Task, len(tc.tasks))
		for i, tk := range tc.tasks {
			tk.CreatedAt = tk.CreatedAt.Add(-10 * time.Minute)
			tk.UpdatedAt = tk.UpdatedAt.Add(-10 * time.Minute)
			tk.Status.Timestamp = tk.Status.Timestamp.Add(-10 * time.Minute)
			skewed[i] = tk
		}
		cases = append(cases, struct {
			doc   string
			tasks []swarm.Task
			want  pop.State
		}{tc.doc + ", manager's clock behind", skewed, tc.want})
	}
	for _, tc := range cases {
		t.Run(tc.doc, func(t *testing.T) {
			c := containerOf(svc, tc.tasks, nil, nil)
			if c.State != tc.want {
				t.Fatalf("%s (%q), want %s", c.State, c.ExtendedStatus, tc.want)
			}
			if tc.want == pop.StateFailed && !strings.Contains(c.ExtendedStatus, "non-zero exit (1)") {
				t.Errorf("FAILED without the task's error: %q", c.ExtendedStatus)
			}
		})
	}
	if rp := restartPolicy(); rp.MaxAttempts != nil || rp.Condition != swarm.RestartPolicyConditionOnFailure {
		t.Errorf("restart policy %+v: Swarm's MaxAttempts also counts the replacements of tasks lost with their node", rp)
	}
}

// TestCrashLoopWorkerClock: a task's CreatedAt and UpdatedAt are stamped
// by the manager, but a failed task's Status.Timestamp by the agent on the
// worker that ran it (swarmkit agent/exec.Do). Found by review: timed by
// Status.Timestamp, a worker whose clock is 3 minutes behind the
// manager's made every failure look older than restartWindow (a process
// that crashes every 6 s stayed BUILD for ever), and a worker 1 hour ahead
// made failures from an hour ago look recent.
func TestCrashLoopWorkerClock(t *testing.T) {
	mgrNow := time.Now()
	svc := swarm.Service{ID: "s1", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "srv",
		Labels: map[string]string{labelState: recStarted}}}}
	// Tasks as Swarm reports them: CreatedAt and UpdatedAt by the manager;
	// Status.Timestamp by the worker, whose clock is off by skew.
	mk := func(skew time.Duration, ages ...time.Duration) []swarm.Task {
		cur := swarm.Task{ID: "t-cur", DesiredState: swarm.TaskStateReady, NodeID: "n2",
			Status: swarm.TaskStatus{State: swarm.TaskStateReady, Timestamp: mgrNow.Add(skew)}}
		cur.CreatedAt = mgrNow
		ts := []swarm.Task{cur}
		for i, age := range ages {
			f := swarm.Task{ID: "t" + string(rune('a'+i)), DesiredState: swarm.TaskStateShutdown, NodeID: "n2",
				Status: swarm.TaskStatus{State: swarm.TaskStateFailed, Err: "task: non-zero exit (3)",
					Timestamp: mgrNow.Add(-age).Add(skew)}}
			f.CreatedAt = mgrNow.Add(-age - 2*time.Second)
			f.UpdatedAt = mgrNow.Add(-age)
			ts = append(ts, f)
		}
		return ts
	}
	cases := []struct {
		doc   string
		tasks []swarm.Task
		want  pop.State
	}{
		{"three failures within 12 s, worker clock 3 min behind", mk(-3*time.Minute, 0, 6*time.Second, 12*time.Second), pop.StateFailed},
		{"one failure now after two an hour ago, worker clock 1 h ahead", mk(time.Hour, 0, time.Hour, time.Hour+6*time.Second), pop.StateCreated},
	}
	for _, tc := range cases {
		t.Run(tc.doc, func(t *testing.T) {
			c := containerOf(svc, tc.tasks, nil, nil)
			if c.State != tc.want {
				t.Fatalf("%s (%q), want %s", c.State, c.ExtendedStatus, tc.want)
			}
		})
	}
}

// TestCrashLoopAfterAReconnect: the task history as the two-node rig
// showed it once a worker's session with the manager was made again (its
// link down for 8 s): three failures from 3 minutes ago whose UpdatedAt
// is the reconnect time (the agent re-reports every task it holds, and
// the dispatcher writes each again), and one failure now. One failure
// within restartWindow is not a crash loop. Found by review: timed by
// UpdatedAt, a healthy server went ERROR for 2 minutes after a reconnect.
func TestCrashLoopAfterAReconnect(t *testing.T) {
	now := time.Now()
	reconnect := now.Add(-20 * time.Second)
	svc := swarm.Service{ID: "s1", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "srv",
		Labels: map[string]string{labelState: recStarted}}}}
	mk := func(id string, created, failed time.Time, updated time.Time) swarm.Task {
		tk := swarm.Task{ID: id, DesiredState: swarm.TaskStateShutdown, NodeID: "n2",
			Status: swarm.TaskStatus{State: swarm.TaskStateFailed, Err: "task: non-zero exit (137)", Timestamp: failed}}
		tk.CreatedAt, tk.UpdatedAt = created, updated
		return tk
	}
	cur := swarm.Task{ID: "t6", DesiredState: swarm.TaskStateReady, NodeID: "n2", Status: swarm.TaskStatus{State: swarm.TaskStateReady, Timestamp: now}}
	cur.CreatedAt, cur.UpdatedAt = now, now
	lost := swarm.Task{ID: "t4", DesiredState: swarm.TaskStateShutdown, NodeID: "n2", Status: swarm.TaskStatus{State: swarm.TaskStateShutdown, Timestamp: reconnect}}
	lost.CreatedAt, lost.UpdatedAt = now.Add(-170*time.Second), reconnect
	t5 := mk("t5", reconnect.Add(-time.Second), now.Add(-100*time.Millisecond), now.Add(-100*time.Millisecond))
	t5.CreatedAt = now.Add(-10 * time.Second)
	tasks := []swarm.Task{cur, t5, lost,
		mk("t3", now.Add(-176*time.Second), now.Add(-170*time.Second), reconnect),
		mk("t2", now.Add(-182*time.Second), now.Add(-176*time.Second), reconnect),
		mk("t1", now.Add(-188*time.Second), now.Add(-182*time.Second), reconnect),
	}
	c := containerOf(svc, tasks, nil, nil)
	if c.State != pop.StateCreated {
		t.Fatalf("one failure now, three 3 minutes ago re-reported at a reconnect: %s %q; want BUILD (CREATED)", c.State, c.ExtendedStatus)
	}
}
