package swarm

import (
	"context"

	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/pop"
)

var _ pop.Rebuilder = (*Pop)(nil)

// Rebuild gives the container's service another image: one service
// update, so the service keeps its ID and its virtual IPs (a delete and
// create would lose them, and a service cannot ask for them back). A
// started service's task is replaced (BUILD, then RUNNING, answered
// once the new task runs); a CREATED, EXITED or FAILED container keeps its
// state and runs the new image at its next Start.
func (p *Pop) Rebuild(ctx context.Context, f pop.Filter, image string) (pop.Container, error) {
	if image == "" {
		return pop.Container{}, pop.Errorf(pop.ErrInvalidArgument, "rebuild: no image given")
	}
	ref, err := p.serviceImage(ctx, image)
	if err != nil {
		return pop.Container{}, err
	}
	var started bool
	before := map[string]bool{}
	c, err := p.update(ctx, f, func(svc *swarm.Service, c pop.Container) error {
		if c.State == pop.StateStopping {
			return pop.Errorf(pop.ErrInvalidState, "container %q is STOPPING: rebuild it once it is EXITED", c.Name)
		}
		started = svc.Spec.Labels[labelState] == recStarted
		if started {
			// The tasks the update replaces: the wait is for a new one.
			ts, err := p.tasks(ctx, svc.ID)
			if err != nil {
				return err
			}
			for _, t := range ts {
				before[t.ID] = true
			}
		}
		cs := svc.Spec.TaskTemplate.ContainerSpec
		if cs.Image == ref {
			// The same image: Swarm replaces the task only for a change.
			svc.Spec.TaskTemplate.ForceUpdate++
		}
		cs.Image = ref
		svc.Spec.Labels[labelImage] = image
		return nil
	})
	if err != nil || !started {
		return c, err
	}
	return p.waitTask(ctx, c, "rebuild", func(t swarm.Task) bool { return before[t.ID] })
}
