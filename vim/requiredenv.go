package vim

import (
	"context"
	"errors"
	"maps"

	"github.com/openbaton-docker/obdocker/nfvimages"
	"github.com/openbaton-docker/obdocker/pop"
)

// startChecked starts a container after checking the environment its
// image declares required (docs/nfv-images.md): a missing variable fails
// the call naming the variables, before any Docker container is created.
func startChecked(ctx context.Context, p pop.Pop, f pop.Filter) (pop.Container, error) {
	cs, err := p.Containers(ctx, f)
	if err != nil {
		return pop.Container{}, err
	}
	c := cs[0]
	imgs, err := p.Images(ctx, pop.ByName(c.Image))
	switch {
	case errors.Is(err, pop.ErrNotFound):
		// Start reports the missing image itself, precisely.
	case err != nil:
		return pop.Container{}, err
	default:
		env := maps.Clone(c.Env)
		if env == nil {
			env = map[string]string{}
		}
		maps.Copy(env, c.Metadata)
		if err := nfvimages.RequireEnv(c.Image, imgs[0].Labels, env); err != nil {
			return pop.Container{}, err
		}
	}
	return p.Start(ctx, pop.ByID(c.ID))
}
