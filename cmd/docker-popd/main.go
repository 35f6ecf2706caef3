// Command docker-popd serves a Docker host as an Open Baton Pop over gRPC.
// See `docker-popd -help`; the logic lives in pop/server/popd.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbaton-docker/obdocker/pop/server/popd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := popd.Run(ctx, os.Args[1:], popd.OS())
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-popd:", err)
		os.Exit(popd.ExitCode(err)) // 2: a refused command line or configuration
	}
}
