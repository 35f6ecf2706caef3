package vim

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// listImages answers the tagged images as DockerImages (the NFVO reads
// List<DockerImage> for a DockerVimInstance).
func (d *Driver) listImages(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("listImages: %w", err)
	}
	imgs, err := t.pop.Images(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("listImages %s: %w", t.vim.Name, err)
	}
	return dockerImages(imgs), nil
}

// resolveImage finds an image by ID, then by reference (a bare name also
// as name:latest).
func resolveImage(ctx context.Context, pp pop.Pop, ref string) (pop.Image, error) {
	if ref == "" {
		return pop.Image{}, pop.Errorf(pop.ErrInvalidArgument, "no image given")
	}
	tries := []pop.Filter{pop.ByID(ref), pop.ByName(ref)}
	if !strings.Contains(ref, ":") && !strings.Contains(ref, "@") {
		tries = append(tries, pop.ByName(ref+":latest"))
	}
	for _, f := range tries {
		imgs, err := pp.Images(ctx, f)
		if err == nil && len(imgs) > 0 {
			return imgs[0], nil
		}
		if err != nil && !errors.Is(err, pop.ErrNotFound) {
			return pop.Image{}, fmt.Errorf("look up image %q: %w", ref, err)
		}
	}
	return pop.Image{}, pop.Errorf(pop.ErrNotFound, "image %q not found on the Docker host (neither an image ID nor a tag)", ref)
}

// launchImage is resolveImage for a launch: an image the engine lacks is
// pulled first through the Pop (which runs one pull per reference however
// many launches wait, with the operator's pull timeout and registry
// credentials), when ref is a name a registry can have. An image ID is
// not: no registry serves it, and Docker would take a short one for a
// Docker Hub name. A failed pull names the image and the registry's
// answer, with the Pop's error class.
func launchImage(ctx context.Context, pp pop.Pop, ref string, log logrus.FieldLogger) (img pop.Image, pulled bool, err error) {
	img, err = resolveImage(ctx, pp, ref)
	if err == nil || !errors.Is(err, pop.ErrNotFound) || !pullableRef(ref) {
		return img, false, err
	}
	log.WithField("image", ref).Info("launch: image not on the engine; pulling it")
	img, err = pp.PullImage(ctx, ref)
	if err != nil {
		return pop.Image{}, false, fmt.Errorf("image %q not found on the Docker host, and pulling it failed: %w", ref, err)
	}
	return img, true, nil
}

// pullableRef tells an image name (pullable) from an image ID: sha256:…,
// or 12 to 64 hex digits, as Docker prints IDs.
func pullableRef(ref string) bool {
	if strings.HasPrefix(ref, "sha256:") {
		return false
	}
	if len(ref) >= 12 && len(ref) <= 64 && strings.Trim(ref, "0123456789abcdef") == "" {
		return false
	}
	_, err := reference.ParseNormalizedNamed(ref)
	return err == nil
}

// addImage (3 args: vim, image, link or base64 archive; 4 args post-6.0:
// plus an image-repository token, ignored) makes an image present: a link
// is pulled (a local image just answers), a docker-save archive is loaded.
// The answer is the request's NFVImage with the image's ID as extId.
func (d *Driver) addImage(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("addImage: %w", err)
	}
	defer d.images.forget(t) // server answers see the new image at once
	var req NFVImage
	if _, err := p.DecodeOptional(1, "image", &req); err != nil {
		return nil, fmt.Errorf("addImage: %w", err)
	}
	src, err := stringParam(p, 2, "imageLink")
	if err != nil {
		return nil, fmt.Errorf("addImage: %w", err)
	}
	var img pop.Image
	if archive, ok := imageArchive(src); ok {
		img, err = loadImage(ctx, t.pop, archive)
		if err != nil {
			return nil, fmt.Errorf("addImage %s: %w", t.vim.Name, err)
		}
	} else {
		ref := strings.TrimPrefix(strings.TrimSpace(src), "docker://")
		if ref == "" {
			return nil, pop.Errorf(pop.ErrInvalidArgument, "addImage: empty image link")
		}
		img, err = t.pop.PullImage(ctx, ref)
		if err != nil {
			// The Pop names the image and the registry it pulled from.
			return nil, fmt.Errorf("addImage %s: %w", t.vim.Name, err)
		}
		if req.Name == "" {
			req.Name = ref
		}
	}
	return answerImage(req, img), nil
}

// copyImage (vim, image, base64 archive) loads a docker-save archive.
func (d *Driver) copyImage(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("copyImage: %w", err)
	}
	defer d.images.forget(t) // server answers see the new image at once
	var req NFVImage
	if _, err := p.DecodeOptional(1, "image", &req); err != nil {
		return nil, fmt.Errorf("copyImage: %w", err)
	}
	var archive []byte // base64 in JSON, as Gson writes byte[]
	if err := p.Decode(2, "imageFile", &archive); err != nil {
		return nil, fmt.Errorf("copyImage: %w", err)
	}
	img, err := loadImage(ctx, t.pop, archive)
	if err != nil {
		return nil, fmt.Errorf("copyImage %s: %w", t.vim.Name, err)
	}
	return answerImage(req, img), nil
}

func loadImage(ctx context.Context, pp pop.Pop, archive []byte) (pop.Image, error) {
	imgs, err := pp.LoadImage(ctx, bytes.NewReader(archive))
	if err != nil {
		return pop.Image{}, fmt.Errorf("load image archive (%d bytes): %w", len(archive), err)
	}
	if len(imgs) == 0 {
		return pop.Image{}, pop.Errorf(pop.ErrInvalidArgument, "image archive (%d bytes) holds no image", len(archive))
	}
	return imgs[0], nil
}

// imageArchive tells the byte[] form of addImage from a link: both are JSON
// strings, so only a string that decodes from base64 to a tar (ustar magic)
// or gzip stream counts as an archive. (A tag like "alpine12" is valid
// base64 too; go-openbaton's plain base64 test got that wrong.)
func imageArchive(s string) ([]byte, bool) {
	if len(s) < 16 {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	if len(b) >= 262 && string(b[257:262]) == "ustar" || len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		return b, true
	}
	return nil, false
}

// answerImage is req (echoed, so the NFVO keeps what it sent) with the host
// image's ID, creation date and status.
func answerImage(req NFVImage, img pop.Image) NFVImage {
	a := nfvImageOf(img, req.Name)
	req.ExtID, req.Created, req.Status, req.Name = a.ExtID, a.Created, a.Status, a.Name
	return req
}

// imageRequest decodes any BaseNfvImage the NFVO sends (NFVImage or
// DockerImage).
type imageRequest struct {
	NFVImage
	Tags []string `json:"tags,omitempty"`
}

func (d *Driver) findRequestedImage(ctx context.Context, pp pop.Pop, req imageRequest) (pop.Image, error) {
	refs := []string{req.ExtID, req.Name}
	refs = append(refs, req.Tags...)
	var firstErr error
	for _, r := range refs {
		if r == "" {
			continue
		}
		img, err := resolveImage(ctx, pp, r)
		if err == nil {
			return img, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = pop.Errorf(pop.ErrInvalidArgument, "image has neither extId, name nor tags")
	}
	return pop.Image{}, firstErr
}

// updateImage answers the image as it is on the host: Docker images are
// immutable, so there is nothing to update; an unknown image is an error.
func (d *Driver) updateImage(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("updateImage: %w", err)
	}
	var req imageRequest
	if err := p.Decode(1, "image", &req); err != nil {
		return nil, fmt.Errorf("updateImage: %w", err)
	}
	img, err := d.findRequestedImage(ctx, t.pop, req)
	if err != nil {
		return nil, fmt.Errorf("updateImage %s: %w", t.vim.Name, err)
	}
	return answerImage(req.NFVImage, img), nil
}

// deleteImage is refused: the Pop interface removes no images (they may
// back other containers of the host); remove them with the Docker CLI.
func (d *Driver) deleteImage(ctx context.Context, p plugin.Params) (any, error) {
	var req imageRequest
	if _, err := p.DecodeOptional(1, "image", &req); err != nil {
		return nil, fmt.Errorf("deleteImage: %w", err)
	}
	name := req.ExtID
	if name == "" {
		name = req.Name
	}
	return nil, pop.Errorf(pop.ErrInvalidState, "deleteImage %q: not supported by the Docker VIM: images are managed on the Docker host (docker image rm)", name)
}
