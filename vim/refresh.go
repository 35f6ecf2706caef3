package vim

import (
	"context"
	"fmt"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// refresh answers the VIM instance as it came (id, hbVersion, type, name,
// authUrl, location, metadata, TLS fields and every key we do not know),
// with images and networks replaced by what the Pop has now.
func (d *Driver) refresh(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	imgs, err := t.pop.Images(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("refresh %s: list images: %w", t.vim.Name, err)
	}
	nets, err := t.pop.Networks(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("refresh %s: list networks: %w", t.vim.Name, err)
	}
	v := *t.vim
	v.Images = dockerImages(imgs)
	v.Networks = dockerNetworks(nets)
	return v, nil
}

// getType answers the VIM type this driver serves.
func (d *Driver) getType(ctx context.Context, p plugin.Params) (any, error) {
	return VimType, nil
}
