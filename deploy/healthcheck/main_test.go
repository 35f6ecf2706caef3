package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/version"
)

func TestVnfmConfig(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, queue, err := vnfmConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	// The VNFM's defaults (vnfm/config.go).
	if queue != "docker-vnfm" || cfg.BrokerHost != "localhost" || cfg.BrokerPort != 5672 ||
		cfg.BrokerUser != "openbaton-manager-user" || cfg.BrokerPassword != "openbaton" || cfg.BrokerVhost != "/" {
		t.Errorf("defaults: %+v queue %s", cfg, queue)
	}
	env["OBDOCKER_VNFM_TYPE"] = "docker"
	if _, queue, _ = vnfmConfig(getenv); queue != "docker-vnfm" {
		t.Errorf("queue %s: type docker listens on docker-vnfm", queue)
	}
	env["OBDOCKER_VNFM_TYPE"] = "vnfm-a"
	if _, queue, _ = vnfmConfig(getenv); queue != "vnfm-a" {
		t.Errorf("queue %s: want the type when no endpoint is set", queue)
	}
	env["OBDOCKER_VNFM_ENDPOINT"] = "vnfm-a-endpoint"
	env["OBDOCKER_VNFM_BROKER_HOST"] = "rabbitmq"
	env["OBDOCKER_VNFM_BROKER_PORT"] = "5673"
	cfg, queue, _ = vnfmConfig(getenv)
	if queue != "vnfm-a-endpoint" || cfg.BrokerHost != "rabbitmq" || cfg.BrokerPort != 5673 {
		t.Errorf("set: %+v queue %s", cfg, queue)
	}
	env["OBDOCKER_VNFM_BROKER_PORT"] = "x"
	if _, _, err := vnfmConfig(getenv); err == nil {
		t.Error("bad port accepted")
	}
}

func TestRunExitCodes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"nope"}, 2},
		{[]string{"tcp"}, 2},
		{[]string{"plugin", "extra"}, 2},
		{[]string{"tcp", addr}, 0},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errOut); code != tc.code {
			t.Errorf("run %v: exit %d, want %d (%s)", tc.args, code, tc.code, errOut.String())
		}
	}
	l.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"tcp", addr}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "unhealthy") {
		t.Errorf("closed port: exit %d, %q", code, errOut.String())
	}
}

// TestVersion: obdocker-health -version answers like every binary.
func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-version"}, &out, &errOut)
	if want := "obdocker-health " + version.String() + "\n"; code != 0 || out.String() != want {
		t.Errorf("-version: exit %d, %q, want %q (%s)", code, out.String(), want, errOut.String())
	}
}
