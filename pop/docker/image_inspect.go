package docker

import (
	"context"
	"strings"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/openbaton-docker/obdocker/pop"
)

// InspectImage reports a local image by reference or ID.
func (b *Backend) InspectImage(ctx context.Context, ref string) (pop.Image, error) {
	if strings.TrimSpace(ref) == "" {
		return pop.Image{}, pop.Errorf(pop.ErrInvalidArgument, "inspect image: empty reference")
	}
	ii, err := b.cli.ImageInspect(ctx, ref)
	if err != nil {
		if isNotFound(err) {
			return pop.Image{}, pop.Wrap(pop.ErrNotFound, err, "image %q not found on the Docker host", ref)
		}
		return pop.Image{}, wrap(err, "inspect image %q", ref)
	}
	return imageFromInspect(ii), nil
}

func imageFromInspect(ii image.InspectResponse) pop.Image {
	img := pop.Image{
		ID: ii.ID,
		// Digests after tags, as ListImages.
		Tags: append(realTags(ii.RepoTags), realTags(ii.RepoDigests)...),
		Size: ii.Size,
	}
	if t, err := time.Parse(time.RFC3339Nano, ii.Created); err == nil {
		img.Created = t
	}
	if ii.Config != nil {
		img.Labels = ii.Config.Labels
		img.Entrypoint = ii.Config.Entrypoint
		img.Cmd = ii.Config.Cmd
	}
	return img
}

// realTags drops the "<none>:<none>" and "<none>@<none>" placeholders
// older engines report for untagged images.
func realTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if strings.HasPrefix(t, "<none>") {
			continue
		}
		out = append(out, t)
	}
	return out
}
