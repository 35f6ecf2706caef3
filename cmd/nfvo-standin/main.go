// Command nfvo-standin runs the NFVO stand-in (package nfvo/standin) as a
// daemon for the compose test, in place of the Java NFVO and its MySQL,
// and is also its CLI:
//
//	nfvo-standin [serve]               the daemon (NFVO variables, see below)
//	nfvo-standin placeholder           holds the place of nfvo-db: does nothing until stopped
//	nfvo-standin health                exit 0 if the daemon's API answers
//	nfvo-standin register-vim < vim.json
//	nfvo-standin call VIM METHOD         e.g. listServer
//	nfvo-standin deploy VIM < nsd.json  prints {"id": NSR-ID}
//	nfvo-standin list | show ID | delete ID | wait ID STATUS [TIMEOUT]
//	nfvo-standin vnfr ID VNFD | logs ID VNFD HOSTNAME
//
// The daemon reads the real NFVO's variables: SPRING_RABBITMQ_HOST,
// _PORT, _USERNAME, _PASSWORD, _VIRTUAL_HOST; NFVO_RABBIT_BROKERIP,
// NFVO_RABBIT_MANAGEMENT_PORT, NFVO_RABBIT_MANAGER_REGISTRATION_USER_NAME,
// _PASSWORD; NFVO_PLUGIN_TIMEOUT (ms). Its own: OBDOCKER_NFVO_STATE_DIR
// (records, default /var/lib/nfvo-standin) and OBDOCKER_NFVO_API (the
// loopback API, default 127.0.0.1:8080).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/nfvo/standin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-version", "--version":
		fmt.Println("nfvo-standin", version.String())
		return 0
	case "placeholder":
		<-ctx.Done()
		return 0
	case "serve":
		cfg, err := standin.LoadConfig(standin.Env)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nfvo-standin:", err)
			return 2
		}
		log := logrus.New()
		log.SetOutput(os.Stderr)
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
		if err := standin.Run(ctx, cfg, log); err != nil && ctx.Err() == nil {
			log.WithError(err).Error("nfvo stand-in stopped")
			return 1
		}
		return 0
	}
	addr := os.Getenv("OBDOCKER_NFVO_API")
	if addr == "" {
		addr = standin.DefaultAPIAddr
	}
	if err := standin.NewClient(addr).Command(ctx, args, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nfvo-standin:", err)
		return 1
	}
	return 0
}
