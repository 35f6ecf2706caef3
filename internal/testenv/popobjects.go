package testenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/pop/docker"
)

// PopFilter selects the Docker objects carrying a Pop's label: only what
// that Pop made, never another test's.
func PopFilter(popName string) filters.Args {
	return filters.NewArgs(filters.Arg("label", docker.LabelPop+"="+popName))
}

// PopContainers lists a Pop's Docker containers in every state.
func PopContainers(ctx context.Context, cli *client.Client, popName string) ([]container.Summary, error) {
	return cli.ContainerList(ctx, container.ListOptions{All: true, Filters: PopFilter(popName)})
}

// CountPopObjects counts a Pop's containers and networks (0 for what
// cannot be listed).
func CountPopObjects(ctx context.Context, cli *client.Client, popName string) (containers, networks int) {
	cs, _ := PopContainers(ctx, cli, popName)
	ns, _ := cli.NetworkList(ctx, network.ListOptions{Filters: PopFilter(popName)})
	return len(cs), len(ns)
}

// RemovePopObjects force-removes a Pop's containers (a few at a time), then
// its networks: what a test left behind, found by label only. It is a
// cleanup, so it goes on past failures and returns them all.
func RemovePopObjects(cli *client.Client, popName string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := PopContainers(ctx, cli, popName)
	if err != nil {
		return fmt.Errorf("list containers of %s: %w", popName, err)
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 8)
	)
	for _, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !client.IsErrNotFound(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: PopFilter(popName)})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list networks of %s: %w", popName, err))...)
	}
	for _, n := range ns {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !client.IsErrNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}
