package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/pop"
)

// imageIDPattern matches what only an image ID can be: "sha256:<hex>" or 64
// hex digits. IDs cannot be pulled, only found locally.
var imageIDPattern = regexp.MustCompile(`^(sha256:[0-9a-f]{1,64}|[0-9a-f]{64})$`)

// progressEvery spaces the info lines of a pull in progress.
const progressEvery = 5 * time.Second

// PullImage answers a locally present ref at once; otherwise it pulls it
// from its registry, with the credentials of Options.DockerConfig and
// within Options.PullTimeout, and inspects the result. Concurrent calls
// for one ref share one pull.
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
	return b.pulls.do(ctx, named.String(), b.pullTimeout, func(ctx context.Context) (pop.Image, error) {
		return b.pull(ctx, ref, named)
	})
}

// pull fetches named from its registry and inspects what arrived.
func (b *Backend) pull(ctx context.Context, ref string, named reference.Named) (pop.Image, error) {
	registry := reference.Domain(named)
	opts := image.PullOptions{}
	var creds registryCreds
	authed := false
	if b.dockerConfig != "" {
		c, ok, err := credsFor(b.dockerConfig, registry)
		if err != nil {
			return pop.Image{}, pop.Wrap(pop.ErrInvalidState, err, "pull image %q: registry credentials", ref)
		}
		if ok {
			enc, err := c.encoded()
			if err != nil {
				return pop.Image{}, pop.Wrap(pop.ErrInternal, err, "pull image %q: encode the registry credentials", ref)
			}
			opts.RegistryAuth, creds, authed = enc, c, true
		}
	}
	log := b.log.WithFields(logrus.Fields{"image": ref, "registry": registry, "credentials": authed})
	log.Info("pulling image")
	start := time.Now()
	rc, err := b.cli.ImagePull(ctx, named.String(), opts)
	if err != nil {
		return pop.Image{}, b.pullError(ctx, ref, registry, authed, creds, err)
	}
	defer rc.Close()
	if err := drainProgress(rc, newPullProgress(log)); err != nil {
		return pop.Image{}, b.pullError(ctx, ref, registry, authed, creds, err)
	}
	// A tagless ref pulled ":latest"; ask for exactly what arrived.
	img, err := b.InspectImage(ctx, reference.TagNameOnly(named).String())
	if err != nil {
		return pop.Image{}, err
	}
	log.WithFields(logrus.Fields{"id": img.ID, "seconds": time.Since(start).Round(time.Millisecond).Seconds()}).Info("pulled image")
	return img, nil
}

// pullError names the image, the registry and the registry's answer, with
// a way out; a credential the answer might echo is redacted.
func (b *Backend) pullError(ctx context.Context, ref, registry string, authed bool, creds registryCreds, err error) error {
	answer := redact(strings.TrimPrefix(err.Error(), "Error response from daemon: "), creds.secrets())
	cause := errors.New(answer)
	lower := strings.ToLower(answer)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return pop.Wrap(pop.ErrUnavailable, cause, "pull image %q from registry %s: not done within the pull timeout (%s)", ref, registry, b.pullTimeout)
	case strings.Contains(lower, "unauthorized") || strings.Contains(lower, "no basic auth credentials") ||
		strings.Contains(lower, "authentication required") || strings.Contains(lower, "denied"):
		hint := "add an auths entry for " + registry + " to the plugin's Docker config.json"
		if b.dockerConfig == "" {
			hint = "configure a Docker config.json with credentials for " + registry
		} else if authed {
			hint = "check the credentials for " + registry + " in " + b.dockerConfig
		}
		return pop.Wrap(pop.ErrInvalidState, cause, "pull image %q: registry %s refused (%s)", ref, registry, hint)
	case isNotFound(err) || strings.Contains(lower, "manifest unknown") || strings.Contains(lower, "not found"):
		return pop.Wrap(pop.ErrNotFound, cause, "image %q not found in registry %s", ref, registry)
	case isInvalid(err):
		return pop.Wrap(pop.ErrInvalidArgument, cause, "pull image %q from registry %s", ref, registry)
	}
	// Unreachable registry, DNS failure, an engine that went away: all
	// mean "cannot get it from there now".
	return pop.Wrap(pop.ErrUnavailable, cause, "cannot pull image %q from registry %s", ref, registry)
}

// drainProgress reads a JSON progress stream to its end, feeding p, and
// returns the first error message the engine put in it.
func drainProgress(r io.Reader, p *pullProgress) error {
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
		p.add(m)
	}
}

// pullProgress logs a pull: each layer done at debug, a summary at info
// every progressEvery (never a line per chunk).
type pullProgress struct {
	log      logrus.FieldLogger
	layers   map[string]bool // layer ID → done
	current  map[string]int64
	total    map[string]int64
	lastInfo time.Time
}

func newPullProgress(log logrus.FieldLogger) *pullProgress {
	if log == nil {
		return nil
	}
	return &pullProgress{log: log, layers: map[string]bool{}, current: map[string]int64{}, total: map[string]int64{}, lastInfo: time.Now()}
}

func (p *pullProgress) add(m jsonmessage.JSONMessage) {
	if p == nil || m.ID == "" {
		return
	}
	switch m.Status {
	case "Pulling fs layer", "Waiting":
		if _, ok := p.layers[m.ID]; !ok {
			p.layers[m.ID] = false
		}
	case "Downloading":
		if m.Progress != nil {
			p.current[m.ID], p.total[m.ID] = m.Progress.Current, m.Progress.Total
		}
	case "Pull complete", "Already exists":
		p.layers[m.ID] = true
		p.log.WithFields(logrus.Fields{"layer": m.ID, "status": m.Status}).Debug("image layer ready")
	default:
		return
	}
	if time.Since(p.lastInfo) < progressEvery {
		return
	}
	p.lastInfo = time.Now()
	done := 0
	for _, d := range p.layers {
		if d {
			done++
		}
	}
	var cur, tot int64
	for id, c := range p.current {
		cur, tot = cur+c, tot+p.total[id]
	}
	p.log.WithFields(logrus.Fields{"layers_done": done, "layers": len(p.layers),
		"downloaded": fmt.Sprintf("%.1f/%.1f MB", float64(cur)/1e6, float64(tot)/1e6)}).Info("pulling image")
}
