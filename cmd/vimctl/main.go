// Command vimctl calls a VIM driver plugin exactly as the Open Baton NFVO
// does, and can play the NFVO's registration side (vimctl nfvo).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbaton-docker/obdocker/cmd/vimctl/internal/cli"
	"github.com/openbaton-docker/obdocker/internal/version"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println("vimctl", version.String())
		os.Exit(0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
