package vim

import (
	"context"
	"errors"
	"fmt"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// listFlavors answers the Pop's flavours (configured by its operator).
func (d *Driver) listFlavors(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("listFlavors: %w", err)
	}
	fs, err := t.pop.Flavours(ctx, pop.Filter{})
	if err != nil {
		return nil, fmt.Errorf("listFlavors %s: %w", t.vim.Name, err)
	}
	out := make([]DeploymentFlavour, 0, len(fs))
	for _, f := range fs {
		out = append(out, flavourOf(f))
	}
	return out, nil
}

// resolveFlavour finds a flavour by name, then by ID.
func resolveFlavour(ctx context.Context, pp pop.Pop, ref string) (pop.Flavour, error) {
	for _, f := range []pop.Filter{pop.ByName(ref), pop.ByID(ref)} {
		fs, err := pp.Flavours(ctx, f)
		if err == nil && len(fs) > 0 {
			return fs[0], nil
		}
		if err != nil && !errors.Is(err, pop.ErrNotFound) {
			return pop.Flavour{}, fmt.Errorf("look up flavour %q: %w", ref, err)
		}
	}
	return pop.Flavour{}, pop.Errorf(pop.ErrNotFound, "flavour %q is not defined on the Pop", ref)
}

// addFlavor and updateFlavor answer the Pop's flavour of that name (or
// extId) as it is configured: flavours belong to the Pop's operator. An
// unknown flavour is an error.
func (d *Driver) addFlavor(ctx context.Context, p plugin.Params) (any, error) {
	return d.echoFlavour(ctx, p, "addFlavor")
}

func (d *Driver) updateFlavor(ctx context.Context, p plugin.Params) (any, error) {
	return d.echoFlavour(ctx, p, "updateFlavor")
}

func (d *Driver) echoFlavour(ctx context.Context, p plugin.Params, method string) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	var req DeploymentFlavour
	if err := p.Decode(1, "flavour", &req); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	ref := req.FlavourKey
	if ref == "" {
		ref = req.ExtID
	}
	f, err := resolveFlavour(ctx, t.pop, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (flavours are configured by the Pop's operator)", method, err)
	}
	ans := flavourOf(f)
	ans.BaseEntity = req.BaseEntity
	return ans, nil
}

// deleteFlavor: an unknown flavour answers true (idempotent); a configured
// one cannot be deleted through the NFVO.
func (d *Driver) deleteFlavor(ctx context.Context, p plugin.Params) (any, error) {
	t, err := d.target(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("deleteFlavor: %w", err)
	}
	id, err := stringParam(p, 1, "extId")
	if err != nil {
		return nil, fmt.Errorf("deleteFlavor: %w", err)
	}
	if _, err := resolveFlavour(ctx, t.pop, id); errors.Is(err, pop.ErrNotFound) {
		return true, nil
	} else if err != nil {
		return nil, fmt.Errorf("deleteFlavor: %w", err)
	}
	return nil, pop.Errorf(pop.ErrInvalidState, "deleteFlavor %q: flavours are configured by the Pop's operator and cannot be deleted by the NFVO", id)
}
