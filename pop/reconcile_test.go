package pop

import (
	"reflect"
	"sort"
	"testing"
)

func TestPlan(t *testing.T) {
	run := func(id string) ContainerStatus {
		return ContainerStatus{DockerID: id, PopID: "p-" + id, Running: true, Status: "running"}
	}
	dead := func(id string) ContainerStatus {
		return ContainerStatus{DockerID: id, PopID: "p-" + id, Status: "exited", ExitCode: 1}
	}
	rec := func(id string, s State, dockerID string) Container {
		return Container{ID: "p-" + id, Name: id, State: s, DockerID: dockerID}
	}
	for _, tc := range []struct {
		doc     string
		records []Container
		docker  []ContainerStatus
		live    bool
		want    []action
	}{
		{"running alive is kept", []Container{rec("a", StateRunning, "a")}, []ContainerStatus{run("a")}, false, nil},
		{"running dead", []Container{rec("a", StateRunning, "a")}, []ContainerStatus{dead("a")}, false, []action{{actDied, "p-a", "a"}}},
		{"running vanished", []Container{rec("a", StateRunning, "a")}, nil, true, []action{{actDied, "p-a", "a"}}},
		{"stopping still runs", []Container{rec("a", StateStopping, "a")}, []ContainerStatus{run("a")}, false, []action{{actRestop, "p-a", "a"}}},
		{"stopping done", []Container{rec("a", StateStopping, "a")}, []ContainerStatus{dead("a")}, false, []action{{actFinishStop, "p-a", "a"}}},
		{"stopping left alone while live", []Container{rec("a", StateStopping, "a")}, []ContainerStatus{run("a")}, true, nil},
		{"created with running container is adopted", []Container{rec("a", StateCreated, "")}, []ContainerStatus{run("a")}, false, []action{{actAdopt, "p-a", "a"}}},
		// The start was answered before its record landed; the run ended while we were down.
		{"created with a container that ran and ended is adopted", []Container{rec("a", StateCreated, "")}, []ContainerStatus{dead("a")}, false, []action{{actAdopt, "p-a", "a"}}},
		{"created with a container that never started: removed", []Container{rec("a", StateCreated, "")},
			[]ContainerStatus{{DockerID: "a", PopID: "p-a", Status: "created"}}, false, []action{{actRemove, "p-a", "a"}}},
		{"created with a running and an ended container: the running one is adopted", []Container{rec("a", StateCreated, "")},
			[]ContainerStatus{dead("a"), {DockerID: "b", PopID: "p-a", Running: true, Status: "running"}}, false,
			[]action{{actRemove, "p-a", "a"}, {actAdopt, "p-a", "b"}}},
		{"created with container while live: start in flight", []Container{rec("a", StateCreated, "")}, []ContainerStatus{run("a")}, true, nil},
		{"exited keeps its container", []Container{rec("a", StateExited, "a")}, []ContainerStatus{dead("a")}, false, nil},
		{"exited container gone: forget", []Container{rec("a", StateExited, "a")}, nil, false, []action{{actForget, "p-a", "a"}}},
		{"orphan removed", nil, []ContainerStatus{run("z")}, true, []action{{actRemove, "p-z", "z"}}},
		{"unlabelled removed", nil, []ContainerStatus{{DockerID: "q", Running: true}}, false, []action{{actRemove, "", "q"}}},
		{"leftover of an earlier run removed at open", []Container{rec("a", StateRunning, "a")},
			[]ContainerStatus{run("a"), {DockerID: "old", PopID: "p-a", Status: "exited"}}, false, []action{{actRemove, "p-a", "old"}}},
		{"restart in flight left alone while live", []Container{rec("a", StateExited, "")},
			[]ContainerStatus{run("a")}, true, nil},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			got := plan(tc.records, tc.docker, tc.live)
			sort.Slice(got, func(i, j int) bool { return got[i].dockerID < got[j].dockerID })
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
