package vim

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/openbaton-docker/obdocker/nfvimages"
	"github.com/openbaton-docker/obdocker/pop"
)

// startChecked starts a container after checkStart.
func startChecked(ctx context.Context, p pop.Pop, f pop.Filter) (pop.Container, error) {
	cs, err := p.Containers(ctx, f)
	if err != nil {
		return pop.Container{}, err
	}
	if err := checkStart(ctx, p, cs[0], ""); err != nil {
		return pop.Container{}, err
	}
	return p.Start(ctx, pop.ByID(cs[0].ID))
}

// checkStart checks the environment the container's image declares
// required (docs/nfv-images.md): a missing variable fails naming the
// variables, before any Docker container is created. ref is the image as
// the caller wrote it ("" if unknown): the message names it so.
func checkStart(ctx context.Context, p pop.Pop, c pop.Container, ref string) error {
	imgs, err := p.Images(ctx, pop.ByName(c.Image))
	switch {
	case errors.Is(err, pop.ErrNotFound):
		// Start reports the missing image itself, precisely.
		return nil
	case err != nil:
		return err
	}
	return requireEnv(c, ref, imgs[0])
}

// checkStartImage is checkStart with the image the launch already
// resolved: no second lookup when it is the container's image.
func checkStartImage(ctx context.Context, p pop.Pop, c pop.Container, ref string, img pop.Image) error {
	if img.ID == "" || c.Image != img.ID && c.ImageID != img.ID {
		return checkStart(ctx, p, c, ref)
	}
	return requireEnv(c, ref, img)
}

func requireEnv(c pop.Container, ref string, img pop.Image) error {
	env := maps.Clone(c.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, c.Metadata)
	if ref == "" {
		ref = c.Image
	}
	return nfvimages.RequireEnv(taggedName(ref, img), img.Labels, env)
}

// taggedName names an image as a VNFD's author writes it: ref when it is
// one of img's tags, else img's first tag. The NFVO launches by the ID
// that refresh gave it, which says nothing to the reader.
func taggedName(ref string, img pop.Image) string {
	if slices.Contains(img.Tags, ref) || len(img.Tags) == 0 {
		return ref
	}
	return img.Tags[0]
}
