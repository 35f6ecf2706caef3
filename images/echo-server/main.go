// Command echo-server is an example Open Baton Docker NFV image: a UDP echo
// server configured only through its environment (see Dockerfile labels).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logger := log.New(os.Stdout, "", log.LstdFlags|log.LUTC)
	cfg, err := loadConfig()
	if err == nil {
		err = run(ctx, cfg, logger)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo-server: %v\n", err)
		os.Exit(1)
	}
}
