// Command popctl drives a docker-popd over gRPC: the Pop operations
// (containers, metadata, start, stop, delete, images, networks, flavours)
// from a shell, as the VIM driver uses them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbaton-docker/obdocker/cmd/popctl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.OS())
	stop()
	os.Exit(code)
}
