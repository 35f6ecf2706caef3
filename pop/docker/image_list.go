package docker

import (
	"context"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/openbaton-docker/obdocker/pop"
)

// ListImages lists the tagged images of the engine (all Pops share them).
// Tags holds the repo tags, then the repo digests (name@sha256:…), so an
// image pulled by digest is found by that reference; images with neither
// are left out. The list API carries no
// Entrypoint or Cmd: those stay empty here and InspectImage gives them, so a
// listing costs one request however many images there are.
func (b *Backend) ListImages(ctx context.Context) ([]pop.Image, error) {
	list, err := b.cli.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, wrap(err, "list images")
	}
	out := make([]pop.Image, 0, len(list))
	for _, s := range list {
		tags := append(realTags(s.RepoTags), realTags(s.RepoDigests)...)
		if len(tags) == 0 {
			continue
		}
		out = append(out, pop.Image{
			ID:      s.ID,
			Tags:    tags,
			Created: time.Unix(s.Created, 0),
			Size:    s.Size,
			Labels:  s.Labels,
		})
	}
	return out, nil
}
