// Command docker-vnfm is the Docker VNFM for Open Baton: it registers with
// the NFVO as a VNFM (type/endpoint docker-vnfm by default) and drives the
// containers of its VNFs through the Docker VIM driver plugin.
// Configuration: OBDOCKER_VNFM_* environment variables (see -help).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/settings"
	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/vnfm"
)

func main() {
	fs := flag.NewFlagSet("docker-vnfm", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	help := fs.Bool("help", false, "print the settings and exit")
	fs.BoolVar(help, "h", false, "print the settings and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	err := fs.Parse(os.Args[1:])
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "docker-vnfm: %v (docker-vnfm -help lists the settings)\n", err)
		os.Exit(2)
	case *help:
		if err := usage(os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case *showVersion:
		fmt.Println("docker-vnfm", version.String())
		os.Exit(0)
	case fs.NArg() > 0:
		fmt.Fprintf(os.Stderr, "docker-vnfm: unexpected arguments %q: settings are OBDOCKER_VNFM_* variables (docker-vnfm -help)\n", fs.Args())
		os.Exit(2)
	}
	cfg, err := vnfm.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vnfm:", err)
		os.Exit(2)
	}
	log := logrus.New()
	log.Out = os.Stderr
	// LoadConfig checked both.
	lvl, _ := logrus.ParseLevel(cfg.LogLevel)
	log.SetLevel(lvl)
	if cfg.LogFormat == "json" {
		log.SetFormatter(&logrus.JSONFormatter{})
	} else {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	}
	v, err := vnfm.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vnfm:", err)
		os.Exit(2)
	}
	log.WithFields(logrus.Fields{"version": version.Version, "goversion": version.Go(),
		"type": cfg.Type, "endpoint": cfg.Endpoint}).Info("docker-vnfm starting")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = v.Run(ctx)
	stop()
	if err != nil {
		log.WithError(err).Error("docker-vnfm stopped")
		os.Exit(1)
	}
}

func usage(w io.Writer) error {
	_, err := fmt.Fprint(w, `Usage: docker-vnfm [flags]

The Docker VNFM for Open Baton. It reads the OBDOCKER_VNFM_* environment
variables below. Invalid settings stop it with exit status 2, naming every
bad variable. docs/configuration.md and docs/vnfm.md explain them in full.

Flags:
  -help       print this help and exit
  -version    print the version and exit

Variables (default, meaning):
`)
	if err != nil {
		return err
	}
	return settings.WriteHelp(w, vnfm.Vars())
}
