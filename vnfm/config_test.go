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

func TestConfigRefusesPlainDocker(t *testing.T) {
	t.Setenv("OBDOCKER_VNFM_TYPE", "docker")
	_, err := LoadConfig()
	if err == nil || !strings.Contains(err.Error(), "plain") {
		t.Fatalf("got %v", err)
	}
	t.Setenv("OBDOCKER_VNFM_TYPE", "")
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
