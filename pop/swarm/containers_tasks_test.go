package swarm

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// TestContainersListsOnlyThePopsTasks: listing every container asks the
// manager for the tasks of the Pop's own services (by their label, which
// the manager matches for tasks too), not for every task of the cluster
// (which may run many other services, each with its task history:
// megabytes per listServer). The fake is of one layer: the Docker
// API Containers calls.
func TestContainersListsOnlyThePopsTasks(t *testing.T) {
	var mu sync.Mutex
	var asked []map[string]map[string]bool // the filters of each task list
	svc := func(id, popName string) string {
		return fmt.Sprintf(`{"ID":%q,"Spec":{"Name":%q,"Labels":{%q:%q,%q:%q},"Mode":{"Replicated":{"Replicas":1}}}}`,
			id, "name-"+id, docker.LabelPop, popName, labelState, recStarted)
	}
	task := func(id, service string) string {
		return fmt.Sprintf(`{"ID":%q,"ServiceID":%q,"NodeID":"n1","DesiredState":"running","Status":{"State":"running"}}`, id, service)
	}
	api := fakeManager(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/services"):
			// The fake ignores the label filter: s3 is another Pop's,
			// and the Pop keeps only its own.
			fmt.Fprintf(w, "[%s,%s,%s]", svc("s1", "tp"), svc("s2", "tp"), svc("s3", "other"))
		case strings.HasSuffix(p, "/tasks"):
			f := map[string]map[string]bool{}
			if q := r.URL.Query().Get("filters"); q != "" {
				if err := json.Unmarshal([]byte(q), &f); err != nil {
					t.Errorf("task filters %q: %v", q, err)
				}
			}
			mu.Lock()
			asked = append(asked, f)
			mu.Unlock()
			// The manager matches a task label filter against the
			// labels of the task's service; without a filter it answers
			// the cluster's tasks.
			all := map[string]string{"s1": task("t1", "s1"), "s2": task("t2", "s2"), "s3": task("t3", "s3"), "x": task("tx", "x")}
			pops := map[string]string{"s1": "tp", "s2": "tp", "s3": "other"}
			var out []string
			for s, tk := range all {
				if len(f["label"]) == 0 || f["label"][docker.LabelPop+"="+pops[s]] {
					out = append(out, tk)
				}
			}
			fmt.Fprintf(w, "[%s]", strings.Join(out, ","))
		default:
			t.Errorf("unexpected %s %s", r.Method, p)
			fmt.Fprint(w, `[]`)
		}
	})
	p := openOnFake(t, api)
	cs, err := p.Containers(t.Context(), pop.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		if c.State != pop.StateRunning {
			t.Errorf("%s: %s %q, want RUNNING", c.Name, c.State, c.ExtendedStatus)
		}
		got = append(got, c.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"s1", "s2"}) {
		t.Errorf("containers %v, want s1 and s2", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 {
		t.Fatalf("%d task lists, want 1", len(asked))
	}
	want := docker.LabelPop + "=tp"
	if labels := slices.Sorted(maps.Keys(asked[0]["label"])); !slices.Equal(labels, []string{want}) || len(asked[0]) != 1 {
		t.Errorf("tasks asked with filters %v, want the tasks of the Pop's services only (label %s)", asked[0], want)
	}
}
