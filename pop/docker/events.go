package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/openbaton-docker/obdocker/pop"
)

// forwardedActions are the container events the core acts on; exec_*,
// health_status, attach and the like are noise to it.
var forwardedActions = map[events.Action]bool{
	events.ActionCreate:  true,
	events.ActionStart:   true,
	events.ActionStop:    true,
	events.ActionKill:    true,
	events.ActionDie:     true,
	events.ActionOOM:     true,
	events.ActionDestroy: true,
}

// Events streams this Pop's container events from since (zero: from now)
// until ctx ends, when both channels close with no error, or the stream
// breaks, when errs receives one error and both close. Reopen with since
// set to the last event's time; events at that instant may repeat.
func (b *Backend) Events(ctx context.Context, since time.Time) (<-chan pop.ContainerEvent, <-chan error) {
	out := make(chan pop.ContainerEvent, 16)
	errs := make(chan error, 1)

	args := filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)), b.popFilter())
	for a := range forwardedActions {
		args.Add("event", string(a))
	}
	opts := events.ListOptions{Filters: args}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}

	// The stream's own ctx lets this goroutine stop Docker's reader on exit.
	sctx, cancel := context.WithCancel(ctx)
	msgs, derrs := b.cli.Events(sctx, opts)
	go func() {
		defer close(errs)
		defer close(out)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-derrs:
				if ctx.Err() != nil {
					return
				}
				errs <- streamError(err)
				return
			case m := <-msgs:
				ev, ok := b.containerEvent(m)
				if !ok {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, errs
}

func streamError(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return pop.Errorf(pop.ErrUnavailable, "docker event stream ended")
	}
	return wrap(err, "docker event stream")
}

// containerEvent converts one Docker message; ok is false for events the
// core does not act on or that are not this Pop's.
func (b *Backend) containerEvent(m events.Message) (pop.ContainerEvent, bool) {
	if m.Type != events.ContainerEventType || !forwardedActions[m.Action] || !b.ours(m.Actor.Attributes) {
		return pop.ContainerEvent{}, false
	}
	ev := pop.ContainerEvent{
		DockerID: m.Actor.ID,
		PopID:    m.Actor.Attributes[LabelID],
		Action:   string(m.Action),
	}
	if code, err := strconv.Atoi(m.Actor.Attributes["exitCode"]); err == nil {
		ev.ExitCode = code
	}
	switch {
	case m.TimeNano != 0:
		ev.Time = time.Unix(0, m.TimeNano)
	case m.Time != 0:
		ev.Time = time.Unix(m.Time, 0)
	}
	return ev, true
}
