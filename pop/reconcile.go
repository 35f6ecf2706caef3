package pop

// reconcile is the pure diff between what the store says we own and what
// Docker says exists. It decides; recover.go and tracker.go act.

type actionKind int

const (
	// actDied: a RUNNING container whose Docker container stopped or vanished.
	actDied actionKind = iota + 1
	// actFinishStop: a STOPPING container whose Docker container no longer runs.
	actFinishStop
	// actRestop: a STOPPING container whose Docker container still runs.
	actRestop
	// actAdopt: a CREATED container whose Docker container runs or ran (a
	// crash between Docker's start and our record).
	actAdopt
	// actRemove: a Docker container of ours that must go (no record, or a
	// leftover of an unfinished start).
	actRemove
	// actForget: a record points at a Docker container that is gone.
	actForget
)

type action struct {
	kind     actionKind
	popID    string
	dockerID string
}

func alive(st ContainerStatus) bool {
	return st.Running || st.Status == "running" || st.Status == "restarting" || st.Status == "paused"
}

// ran reports whether Docker started the container at some point: running,
// or ended since (Docker's "created" never ran).
func ran(st ContainerStatus) bool {
	return alive(st) || st.Status == "exited" || st.Status == "dead"
}

// plan computes the actions that make records true to Docker. When live is
// set (the periodic resync while operations run), transient states that an
// operation in flight owns are left alone: CREATED with a Docker container
// (a start in flight) and STOPPING (a stop in flight).
func plan(records []Container, docker []ContainerStatus, live bool) []action {
	byDocker := make(map[string]ContainerStatus, len(docker))
	byPop := make(map[string][]ContainerStatus, len(docker))
	for _, d := range docker {
		byDocker[d.DockerID] = d
		if d.PopID != "" {
			byPop[d.PopID] = append(byPop[d.PopID], d)
		}
	}
	known := make(map[string]bool, len(records))
	claimed := map[string]bool{}
	var acts []action
	for _, r := range records {
		known[r.ID] = true
		var cur *ContainerStatus
		if r.DockerID != "" {
			if d, ok := byDocker[r.DockerID]; ok {
				cur = &d
				claimed[d.DockerID] = true
			}
		}
		switch r.State {
		case StateRunning:
			if cur == nil || !alive(*cur) {
				acts = append(acts, action{actDied, r.ID, r.DockerID})
			}
		case StateStopping:
			if live {
				break
			}
			if cur != nil && alive(*cur) {
				acts = append(acts, action{actRestop, r.ID, r.DockerID})
			} else {
				acts = append(acts, action{actFinishStop, r.ID, r.DockerID})
			}
		case StateCreated:
			if live {
				// A start may be in flight: its Docker container is not ours to judge.
				for _, d := range byPop[r.ID] {
					claimed[d.DockerID] = true
				}
				break
			}
			// The start may have been answered before its record was
			// written: a container of this record that ran (running now, or
			// ended since) is adopted, a running one first; one that never
			// started goes.
			adopt := ""
			for _, d := range byPop[r.ID] {
				if alive(d) || (adopt == "" && ran(d)) {
					adopt = d.DockerID
				}
			}
			for _, d := range byPop[r.ID] {
				claimed[d.DockerID] = true
				if d.DockerID == adopt {
					acts = append(acts, action{actAdopt, r.ID, d.DockerID})
				} else {
					acts = append(acts, action{actRemove, r.ID, d.DockerID})
				}
			}
		default: // EXITED, FAILED: keep their Docker container (logs) until Delete
			if r.DockerID != "" && cur == nil {
				acts = append(acts, action{actForget, r.ID, r.DockerID})
			}
		}
		if !live {
			// Other Docker containers labelled with this record (leftovers of
			// an earlier run) are not the current one. While live, a start or
			// restart in flight may own one, so they wait for the next open.
			for _, d := range byPop[r.ID] {
				if !claimed[d.DockerID] {
					claimed[d.DockerID] = true
					acts = append(acts, action{actRemove, r.ID, d.DockerID})
				}
			}
		}
	}
	for _, d := range docker {
		if claimed[d.DockerID] {
			continue
		}
		if d.PopID == "" || !known[d.PopID] {
			acts = append(acts, action{actRemove, d.PopID, d.DockerID})
		}
	}
	return acts
}
