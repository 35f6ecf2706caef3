package docker

import (
	"context"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// CheckImage answers whether this engine holds ref: a single engine runs
// only the images it has (Start does not pull), so a missing one is
// refused at Create, with a hint instead of Docker's own text.
func (b *Backend) CheckImage(ctx context.Context, ref string) error {
	if strings.TrimSpace(ref) == "" {
		return pop.Errorf(pop.ErrInvalidArgument, "check image: empty reference")
	}
	_, err := b.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return pop.Errorf(pop.ErrNotFound, "image %q is not on the Docker engine (pull or load it first)", ref)
	default:
		return wrap(err, "check image %q", ref)
	}
}
