// Command docker-vim-driver is the Open Baton VIM driver plugin for Docker.
// Configuration: OBDOCKER_* environment variables and flags (see -help).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbaton-docker/obdocker/internal/vimdriver"
	"github.com/openbaton-docker/obdocker/plugin"
)

func main() {
	cfg, err := vimdriver.LoadConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vim-driver:", err)
		os.Exit(2)
	}
	log, err := plugin.NewLogger(cfg.Plugin, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vim-driver:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = vimdriver.Run(ctx, cfg, log)
	stop()
	if err != nil {
		log.WithError(err).Error("docker-vim-driver stopped")
		os.Exit(1)
	}
}
