package vnfm

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfigFromEnv(t *testing.T) {
	t.Setenv("OBDOCKER_VNFM_TYPE", "my-vnfm")
	t.Setenv("OBDOCKER_VNFM_BROKER_VHOST", "openbaton")
	t.Setenv("OBDOCKER_VNFM_RPC_TIMEOUT", "90s")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != "my-vnfm" || c.Endpoint != "my-vnfm" || c.RPCTimeout != 90*time.Second || c.Workers != 25 {
		t.Fatalf("%+v", c)
	}
	if u := c.amqpURL("u", "p@ss"); u != "amqp://u:p%40ss@localhost:5672/openbaton" {
		t.Fatalf("url %s", u)
	}
	c.BrokerVhost = "/"
	if u := c.amqpURL("u", "p"); u != "amqp://u:p@localhost:5672/" {
		t.Fatalf("url %s", u)
	}
}

// TestConfigTypeDockerEndpointDockerVNFM: by default the VNFM registers as
// the official Docker VNFM's type (NSDs with "endpoint": "docker" deploy
// unchanged) on its own queue docker-vnfm; the queue docker is refused,
// naming why (the unanchored permission regex would match the VIM
// driver's vim-drivers.docker.* queues).
func TestConfigTypeDockerEndpointDockerVNFM(t *testing.T) {
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != "docker" || c.Endpoint != "docker-vnfm" {
		t.Fatalf("defaults: type %q endpoint %q, want docker / docker-vnfm", c.Type, c.Endpoint)
	}
	t.Setenv("OBDOCKER_VNFM_TYPE", "docker")
	if c, err = LoadConfig(); err != nil || c.Endpoint != "docker-vnfm" {
		t.Fatalf("TYPE=docker: endpoint %q, %v", c.Endpoint, err)
	}
	t.Setenv("OBDOCKER_VNFM_ENDPOINT", "docker")
	_, err = LoadConfig()
	if err == nil || !strings.Contains(err.Error(), "OBDOCKER_VNFM_ENDPOINT") || !strings.Contains(err.Error(), "vim-drivers.docker.") {
		t.Fatalf("ENDPOINT=docker: got %v", err)
	}
	t.Setenv("OBDOCKER_VNFM_ENDPOINT", "")
	t.Setenv("OBDOCKER_VNFM_BROKER_PORT", "0")
	if _, err := LoadConfig(); err == nil {
		t.Fatal("port 0 accepted")
	}
}

// TestConfigBadManagementURLHidesIt: a management URL that does not parse
// may hold the NFVO password; the error names the setting, not the value.
func TestConfigBadManagementURLHidesIt(t *testing.T) {
	t.Setenv("OBDOCKER_VNFM_MANAGEMENT_URL", "http://admin:Mg9/x%zz@rabbit:15672")
	_, err := LoadConfig()
	if err == nil || !strings.Contains(err.Error(), "MANAGEMENT_URL") || strings.Contains(err.Error(), "Mg9") {
		t.Fatalf("got %v", err)
	}
}

// TestConfigEndpointNeverMatchesDriverQueues: an endpoint is a permission
// regex in the NFVO; one that is a piece of the driver queues' prefix or
// holds regex wildcards would open the VIM driver's queues to the VNFM.
func TestConfigEndpointNeverMatchesDriverQueues(t *testing.T) {
	for _, ep := range []string{"drivers", "vim", "ocker", "docker.", ".", "a.b", "vnfm+"} {
		t.Setenv("OBDOCKER_VNFM_ENDPOINT", ep)
		if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "ENDPOINT") {
			t.Errorf("endpoint %q: %v", ep, err)
		}
	}
	t.Setenv("OBDOCKER_VNFM_ENDPOINT", "")
	t.Setenv("OBDOCKER_VNFM_TYPE", "vim")
	if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "ENDPOINT") {
		t.Errorf("type vim (the endpoint defaults to it): %v", err)
	}
	for _, ok := range []string{"docker-vnfm", "my_vnfm-2"} {
		t.Setenv("OBDOCKER_VNFM_TYPE", "docker")
		t.Setenv("OBDOCKER_VNFM_ENDPOINT", ok)
		if _, err := LoadConfig(); err != nil {
			t.Errorf("endpoint %q: %v", ok, err)
		}
	}
}
