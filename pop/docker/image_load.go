package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/openbaton-docker/obdocker/pop"
)

// What the engine writes for each image it loaded: a tagged image by
// reference, an untagged one by ID.
const (
	loadedRefPrefix = "Loaded image: "
	loadedIDPrefix  = "Loaded image ID: "
)

// LoadImage loads a `docker save` archive and returns the images it held.
func (b *Backend) LoadImage(ctx context.Context, archive io.Reader) ([]pop.Image, error) {
	if archive == nil {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "load image: no archive")
	}
	resp, err := b.cli.ImageLoad(ctx, archive, client.ImageLoadWithQuiet(true))
	if err != nil {
		return nil, loadError(err)
	}
	defer resp.Body.Close()

	var refs []string
	if resp.JSON {
		refs, err = loadedFromJSON(resp.Body)
	} else {
		refs, err = loadedFromText(resp.Body)
	}
	if err != nil {
		return nil, loadError(err)
	}
	if len(refs) == 0 {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "load image: the archive holds no image")
	}

	seen := make(map[string]bool, len(refs))
	out := make([]pop.Image, 0, len(refs))
	for _, ref := range refs {
		img, err := b.InspectImage(ctx, ref)
		if err != nil {
			return nil, err
		}
		if seen[img.ID] { // several tags of one image
			continue
		}
		seen[img.ID] = true
		out = append(out, img)
	}
	return out, nil
}

// loadError says what a failed load means: a broken archive, unless the
// engine itself could not be reached.
func loadError(err error) error {
	if c := classOf(err); c == pop.ErrUnavailable {
		return pop.Wrap(c, err, "load image")
	}
	return pop.Wrap(pop.ErrInvalidArgument, err, "load image: not a valid image archive")
}

func loadedFromJSON(r io.Reader) ([]string, error) {
	var refs []string
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return refs, nil
			}
			return nil, err
		}
		if m.Error != nil && m.Error.Message != "" {
			return nil, errors.New(m.Error.Message)
		}
		if m.ErrorMessage != "" {
			return nil, errors.New(m.ErrorMessage)
		}
		for _, line := range strings.Split(m.Stream, "\n") {
			if ref := loadedRef(line); ref != "" {
				refs = append(refs, ref)
			}
		}
	}
}

func loadedFromText(r io.Reader) ([]string, error) {
	var refs []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if ref := loadedRef(sc.Text()); ref != "" {
			refs = append(refs, ref)
		}
	}
	return refs, sc.Err()
}

func loadedRef(line string) string {
	line = strings.TrimSpace(line)
	if s, ok := strings.CutPrefix(line, loadedIDPrefix); ok {
		return strings.TrimSpace(s)
	}
	if s, ok := strings.CutPrefix(line, loadedRefPrefix); ok {
		return strings.TrimSpace(s)
	}
	return ""
}
