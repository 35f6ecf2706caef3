package swarm

import (
	"context"
	"io"
	"strings"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/swarm"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// LabelEngine is a node label an operator may set to the address of the
// node's engine (unix:// or tcp://, reachable from the driver with the
// VIM instance's TLS material). Images then lists only the images that
// node has too; a node without it cannot be asked and is not counted.
// A tcp:// engine is reached with the TLS material of Config.TLS.
const LabelEngine = "org.openbaton-docker.engine"

// Images lists the manager's images that every node with an engine label
// has as well (the same image ID: docker save/load and pulls keep it), so
// the NFVO's grant sees only images a task can run from anywhere.
func (p *Pop) Images(ctx context.Context, f pop.Filter) ([]pop.Image, error) {
	all, err := p.b.ListImages(ctx)
	if err != nil {
		return nil, err
	}
	nodes, err := p.cli.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, classify(err, "list swarm nodes")
	}
	for _, n := range nodes {
		host := n.Spec.Labels[LabelEngine]
		if host == "" || n.Status.State != swarm.NodeStateReady {
			continue
		}
		have, err := p.nodeImages(ctx, host)
		if err != nil {
			return nil, pop.Wrap(pop.ErrUnavailable, err, "images of node %s (engine %s, node label %s)", n.ID, host, LabelEngine)
		}
		kept := all[:0]
		for _, im := range all {
			if have[im.ID] {
				kept = append(kept, im)
			}
		}
		all = kept
	}
	if f.All() {
		return all, nil
	}
	for _, im := range all {
		if f.ID != "" && (im.ID == f.ID || strings.TrimPrefix(im.ID, "sha256:") == f.ID) {
			return []pop.Image{im}, nil
		}
		for _, t := range im.Tags {
			if f.Name != "" && t == f.Name {
				return []pop.Image{im}, nil
			}
		}
	}
	return nil, pop.Errorf(pop.ErrNotFound, "image %s is not on every node of the swarm", f)
}

func (p *Pop) nodeImages(ctx context.Context, host string) (map[string]bool, error) {
	cli := p.cli
	if host != p.b.Host() {
		// A client of its own: the manager's transport dials the manager
		// whatever host it is given (a unix socket), or speaks its scheme.
		// A tcp:// engine gets the VIM instance's TLS material, as the
		// manager does.
		opts := docker.Options{Host: host, PopName: p.cfg.PopName}
		if strings.HasPrefix(host, "tcp://") {
			opts.TLS = p.cfg.TLS
		}
		b, err := docker.New(ctx, opts)
		if err != nil {
			return nil, err
		}
		defer b.Close()
		cli = b.Client()
	}
	ims, err := cli.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(ims))
	for _, im := range ims {
		have[im.ID] = true
	}
	return have, nil
}

// PullImage pulls on the manager; tasks on other nodes pull for
// themselves from the same registry when the service names it.
func (p *Pop) PullImage(ctx context.Context, ref string) (pop.Image, error) {
	return p.b.PullImage(ctx, ref)
}

// LoadImage loads into the manager's engine only: other nodes need the
// archive loaded too, or a registry.
func (p *Pop) LoadImage(ctx context.Context, archive io.Reader) ([]pop.Image, error) {
	return p.b.LoadImage(ctx, archive)
}
