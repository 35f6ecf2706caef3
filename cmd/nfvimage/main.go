// Command nfvimage checks Dockerfiles (lint) and built images (check)
// against the Open Baton Docker NFV image conventions (docs/nfv-images.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/nfvimages"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Creating the client does not contact the engine, so lint needs no Docker.
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		stop()
		fmt.Fprintf(os.Stderr, "nfvimage: docker client: %v\n", err)
		os.Exit(nfvimages.ExitError)
	}
	code := nfvimages.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, cli)
	cli.Close()
	stop()
	os.Exit(code)
}
