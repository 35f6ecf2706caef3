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
