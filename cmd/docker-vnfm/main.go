// Command docker-vnfm is the Docker VNFM for Open Baton: it registers with
// the NFVO as a VNFM (type/endpoint docker-vnfm by default) and drives the
// containers of its VNFs through the Docker VIM driver plugin.
// Configuration: OBDOCKER_VNFM_* environment variables (see docs/vnfm.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/vnfm"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "docker-vnfm takes no arguments; configure it with OBDOCKER_VNFM_* variables (docs/vnfm.md)")
		os.Exit(2)
	}
	cfg, err := vnfm.LoadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vnfm:", err)
		os.Exit(2)
	}
	log := logrus.New()
	log.Out = os.Stderr
	lvl, err := logrus.ParseLevel(cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vnfm: OBDOCKER_VNFM_LOG_LEVEL:", err)
		os.Exit(2)
	}
	log.SetLevel(lvl)
	switch cfg.LogFormat {
	case "json":
		log.SetFormatter(&logrus.JSONFormatter{})
	case "text", "":
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	default:
		fmt.Fprintln(os.Stderr, "docker-vnfm: OBDOCKER_VNFM_LOG_FORMAT must be text or json")
		os.Exit(2)
	}
	v, err := vnfm.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-vnfm:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = v.Run(ctx)
	stop()
	if err != nil {
		log.WithError(err).Error("docker-vnfm stopped")
		os.Exit(1)
	}
}
