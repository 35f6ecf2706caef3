// Command vnfm-demo deploys an NSD through the Docker VNFM and prints the
// states as they change: it plays the NFVO (the stand-in of package nfvo
// and its VNFM side, nfvo/orchestrator), starts the VIM driver plugin and
// the VNFM as processes, shows the client's log, deletes the NSR and
// cleans up. `make demo-vnfm` runs it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/nfvo/orchestrator"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator/rig"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

func main() {
	var (
		driverBin = flag.String("driver", "bin/docker-vim-driver", "VIM driver plugin binary")
		vnfmBin   = flag.String("vnfm", "bin/docker-vnfm", "VNFM binary")
		nsdPath   = flag.String("nsd", "deploy/examples/nsd-echo.json", "NSD to deploy")
		amqpURL   = flag.String("amqp", "amqp://admin:openbaton@127.0.0.1:5672/", "broker, as the NFVO admin")
		mgmtURL   = flag.String("management", "http://127.0.0.1:15672", "RabbitMQ management API")
		dockerH   = flag.String("docker-host", "unix:///var/run/docker.sock", "Docker engine")
		subnet    = flag.String("subnet", "10.206.250.0/24", "subnet of the Pop's default network \"private\"")
		pool      = flag.String("pool", "10.206.224.0/20", "pool for networks created without a cidr")
		hold      = flag.Duration("hold", 3*time.Second, "how long to let the NSR run before deleting it")
		verbose   = flag.Bool("v", false, "print the daemons' logs")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, *driverBin, *vnfmBin, *nsdPath, *amqpURL, *mgmtURL, *dockerH, *subnet, *pool, *hold, *verbose)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vnfm-demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stdout io.Writer, driverBin, vnfmBin, nsdPath, amqpURL, mgmtURL, dockerHost, subnet, pool string, hold time.Duration, verbose bool) error {
	start := time.Now()
	// The orchestrator reports events from its own goroutines: one line
	// at a time.
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(stdout, "%6.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	b := make([]byte, 4)
	rand.Read(b)
	unique := hex.EncodeToString(b)
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	var childOut io.Writer = io.Discard
	if verbose {
		childOut = os.Stderr
		log.SetLevel(logrus.InfoLevel)
	}
	nsdName := ""
	onEvent := func(e orchestrator.Event) {
		what := "NSR " + nsdName
		if e.VNFR != "" {
			what = "  VNFR " + e.VNFR
		}
		line := fmt.Sprintf("%-28s %s", what, e.Status)
		if e.Detail != "" {
			line += "  (" + e.Detail + ")"
		}
		say("%s", line)
	}
	say("starting the NFVO stand-in, the VIM driver plugin and the Docker VNFM (unique suffix %s)", unique)
	r, err := rig.Start(ctx, rig.Config{
		DriverBin: driverBin, VNFMBin: vnfmBin, Unique: unique,
		AMQPURL: amqpURL, ManagementURL: mgmtURL, DockerHost: dockerHost,
		DefaultSubnet: subnet, NetworkPool: pool,
		ChildOutput: childOut, OnEvent: onEvent, Logger: log,
	})
	if err != nil {
		return err
	}
	raw, derr := client.NewClientWithOpts(client.WithHost(dockerHost), client.WithAPIVersionNegotiation())
	defer func() {
		r.Close()
		if derr == nil {
			left := cleanup(raw, r.PopName)
			say("cleaned up: removed %d Docker objects labelled for Pop %s (its default network \"private\" stays until then)", left, r.PopName)
			raw.Close()
		}
	}()
	say("VNFM %s registered; VIM %s (plugin %s) registered", r.VNFMType, r.VIM["name"], r.PluginQueue)
	nsd, err := r.LoadNSD(nsdPath)
	if err != nil {
		return err
	}
	nsdName = fmt.Sprint(nsd["name"])
	id, err := r.Orch.Deploy(ctx, nsd, r.VIM["name"].(string))
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		if verbose {
			return err
		}
		return fmt.Errorf("%w\ndaemon logs:\n%s", err, r.Logs())
	}
	vnfds, _ := nsd["vnfd"].([]any)
	for _, v := range vnfds {
		name := fmt.Sprint(v.(map[string]any)["name"])
		rec := r.Orch.VNFR(id, name)
		for _, host := range hostnames(rec) {
			if derr == nil {
				if ins, err := raw.ContainerInspect(ctx, host); err == nil {
					say("  %s runs with %s", host, quoteEnv(ins.Config.Env))
				}
			}
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(hold):
	}
	for _, v := range vnfds {
		name := fmt.Sprint(v.(map[string]any)["name"])
		for _, host := range hostnames(r.Orch.VNFR(id, name)) {
			out, _, err := r.Orch.Logs(wctx, id, name, host)
			if err != nil {
				continue
			}
			if len(out) > 4 {
				out = out[len(out)-4:]
			}
			say("  log of %s (LOG_REQUEST through the VNFM):", host)
			for _, l := range out {
				fmt.Fprintf(stdout, "            | %s\n", l)
			}
		}
	}
	say("deleting NSR %s", nsdName)
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer dcancel()
	if err := r.Orch.Delete(dctx, id); err != nil {
		return err
	}
	if err := r.Orch.WaitStatus(dctx, id, "DELETED"); err != nil {
		return err
	}
	say("NSR %s deleted", nsdName)
	return nil
}

// quoteEnv renders KEY=VALUE entries as KEY="VALUE" (Go quoting), so
// that values with spaces or nothing in them read unambiguously.
func quoteEnv(env []string) string {
	out := make([]string, len(env))
	for i, e := range env {
		k, v, _ := strings.Cut(e, "=")
		out[i] = k + "=" + strconv.Quote(v)
	}
	return strings.Join(out, " ")
}

func hostnames(rec map[string]any) []string {
	var out []string
	vdus, _ := rec["vdu"].([]any)
	for _, v := range vdus {
		insts, _ := v.(map[string]any)["vnfc_instance"].([]any)
		for _, i := range insts {
			if h, ok := i.(map[string]any)["hostname"].(string); ok {
				out = append(out, h)
			}
		}
	}
	return out
}

// cleanup removes what carries the Pop's label (the demo's own Pop only).
func cleanup(raw *client.Client, popName string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := filters.NewArgs(filters.Arg("label", docker.LabelPop+"="+popName))
	n := 0
	cs, _ := raw.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	for _, c := range cs {
		if raw.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}) == nil {
			n++
		}
	}
	ns, _ := raw.NetworkList(ctx, network.ListOptions{Filters: f})
	for _, nw := range ns {
		if raw.NetworkRemove(ctx, nw.ID) == nil {
			n++
		}
	}
	return n
}
