package docker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/openbaton-docker/obdocker/pop"
)

// imageIDPattern matches what only an image ID can be: "sha256:<hex>" or 64
// hex digits. IDs cannot be pulled, only found locally.
var imageIDPattern = regexp.MustCompile(`^(sha256:[0-9a-f]{1,64}|[0-9a-f]{64})$`)

// PullImage answers a locally present ref at once; otherwise it pulls it
// from its registry (reading the progress stream to its end) and inspects
// the result.
func (b *Backend) PullImage(ctx context.Context, ref string) (pop.Image, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return pop.Image{}, pop.Errorf(pop.ErrInvalidArgument, "pull image: empty reference")
	}
	if imageIDPattern.MatchString(ref) {
		return b.InspectImage(ctx, ref)
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return pop.Image{}, pop.Wrap(pop.ErrInvalidArgument, err, "invalid image reference %q", ref)
	}
	img, err := b.InspectImage(ctx, ref)
	if err == nil {
		return img, nil
	}
	if !errors.Is(err, pop.ErrNotFound) {
		return pop.Image{}, err
	}

	registry := reference.Domain(named)
	rc, err := b.cli.ImagePull(ctx, named.String(), image.PullOptions{})
	if err != nil {
		return pop.Image{}, pullError(ref, registry, err)
	}
	defer rc.Close()
	if err := drainProgress(rc); err != nil {
		return pop.Image{}, pullError(ref, registry, err)
	}
	// A tagless ref pulled ":latest"; ask for exactly what arrived.
	return b.InspectImage(ctx, reference.TagNameOnly(named).String())
}

func pullError(ref, registry string, err error) error {
	switch {
	case isNotFound(err):
		return pop.Wrap(pop.ErrNotFound, err, "image %q not found in registry %s", ref, registry)
	case isInvalid(err):
		return pop.Wrap(pop.ErrInvalidArgument, err, "pull image %q from registry %s", ref, registry)
	}
	// Unreachable registry, DNS failure, auth, an engine that went away:
	// all mean "cannot get it from there now".
	return pop.Wrap(pop.ErrUnavailable, err, "cannot pull image %q from registry %s", ref, registry)
}

// drainProgress reads a JSON progress stream to its end and returns the
// first error message the engine put in it.
func drainProgress(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != nil && m.Error.Message != "" {
			return errors.New(m.Error.Message)
		}
		if m.ErrorMessage != "" {
			return errors.New(m.ErrorMessage)
		}
	}
}
