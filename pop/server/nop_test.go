package server

import (
	"context"
	"io"

	"github.com/openbaton-docker/obdocker/pop"
)

// nopPop answers everything with nothing.
type nopPop struct{}

func (nopPop) Info(context.Context) (pop.Info, error)                          { return pop.Info{}, nil }
func (nopPop) Containers(context.Context, pop.Filter) ([]pop.Container, error) { return nil, nil }
func (nopPop) Images(context.Context, pop.Filter) ([]pop.Image, error)         { return nil, nil }
func (nopPop) Networks(context.Context, pop.Filter) ([]pop.Network, error)     { return nil, nil }
func (nopPop) Flavours(context.Context, pop.Filter) ([]pop.Flavour, error)     { return nil, nil }
func (nopPop) Create(context.Context, pop.ContainerConfig) (pop.Container, error) {
	return pop.Container{}, nil
}
func (nopPop) Metadata(context.Context, pop.Filter, map[string]string) (pop.Container, error) {
	return pop.Container{}, nil
}
func (nopPop) Start(context.Context, pop.Filter) (pop.Container, error)  { return pop.Container{}, nil }
func (nopPop) Stop(context.Context, pop.Filter) (pop.Container, error)   { return pop.Container{}, nil }
func (nopPop) Delete(context.Context, pop.Filter) error                  { return nil }
func (nopPop) Logs(context.Context, pop.Filter, int) (string, error)     { return "", nil }
func (nopPop) DeleteNetwork(context.Context, pop.Filter) error           { return nil }
func (nopPop) PullImage(context.Context, string) (pop.Image, error)      { return pop.Image{}, nil }
func (nopPop) LoadImage(context.Context, io.Reader) ([]pop.Image, error) { return nil, nil }
func (nopPop) CreateNetwork(context.Context, pop.NetworkConfig) (pop.Network, error) {
	return pop.Network{}, nil
}
