// Command vimctl calls a VIM driver plugin exactly as the Open Baton NFVO
// does, and can play the NFVO's registration side (vimctl nfvo).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbaton-docker/obdocker/cmd/vimctl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
