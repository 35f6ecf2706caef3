// Command echo-client is an example Open Baton Docker NFV image: it sends a
// UDP datagram to the echo server named by its environment every interval
// and logs each round trip.
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
		fmt.Fprintf(os.Stderr, "echo-client: %v\n", err)
		os.Exit(1)
	}
}
