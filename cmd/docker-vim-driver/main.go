// Command docker-vim-driver is the Open Baton VIM driver plugin for Docker.
// Configuration: OBDOCKER_* environment variables and flags (see -help).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/openbaton-docker/obdocker/internal/settings"
	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/internal/vimdriver"
	"github.com/openbaton-docker/obdocker/plugin"
)

func main() {
	cfg, err := vimdriver.LoadConfig(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		if err := usage(os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case errors.Is(err, vimdriver.ErrVersion):
		fmt.Println("docker-vim-driver", version.String())
		os.Exit(0)
	case err != nil:
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

func usage(w io.Writer) error {
	_, err := fmt.Fprint(w, `Usage: docker-vim-driver [flags]

The Open Baton VIM driver plugin for Docker. It reads the OBDOCKER_* environment
variables below; those with a flag can also be given as that flag, which wins.
Invalid settings stop it with exit status 2, naming every bad variable.
docs/configuration.md explains each setting in full.

Flags:
  -help       print this help and exit
  -version    print the version and exit

Variables (flag, default, meaning):
`)
	if err != nil {
		return err
	}
	return settings.WriteHelp(w, vimdriver.Vars())
}
