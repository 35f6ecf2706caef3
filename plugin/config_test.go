package plugin_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/plugin"
)

func TestLoadConfigDefaults(t *testing.T) {
	for _, k := range []string{"BROKER_HOST", "BROKER_PORT", "BROKER_VHOST", "BROKER_USER", "BROKER_PASSWORD",
		"PLUGIN_NAME", "WORKERS", "CONNECTIONS", "LOG_LEVEL", "LOG_FORMAT", "MANAGER_QUEUE", "REGISTER_TIMEOUT", "DRAIN_TIMEOUT"} {
		// Setenv restores the original at cleanup; then unset.
		t.Setenv("OBDOCKER_"+k, "")
		os.Unsetenv("OBDOCKER_" + k)
	}
	cfg, err := plugin.LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg != plugin.DefaultConfig() {
		t.Fatalf("defaults %+v\nwant %+v", cfg, plugin.DefaultConfig())
	}
	if cfg.ID() != "vim-drivers.docker.docker" {
		t.Fatalf("ID %q", cfg.ID())
	}
}

func TestLoadConfigEnvThenFlags(t *testing.T) {
	t.Setenv("OBDOCKER_BROKER_HOST", "rabbit.example")
	t.Setenv("OBDOCKER_BROKER_PORT", "5673")
	t.Setenv("OBDOCKER_PLUGIN_NAME", "fromenv")
	t.Setenv("OBDOCKER_WORKERS", "4")
	t.Setenv("OBDOCKER_LOG_FORMAT", "json")
	t.Setenv("OBDOCKER_DRAIN_TIMEOUT", "3s")
	cfg, err := plugin.LoadConfig([]string{"--plugin-name", "fromflag", "-connections=1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BrokerHost != "rabbit.example" || cfg.BrokerPort != 5673 || cfg.Workers != 4 || cfg.LogFormat != "json" || cfg.DrainTimeout != 3*time.Second {
		t.Fatalf("env not applied: %+v", cfg)
	}
	if cfg.PluginName != "fromflag" || cfg.Connections != 1 {
		t.Fatalf("flags must win: %+v", cfg)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		doc    string
		mutate func(*plugin.Config)
		want   string
	}{
		{doc: "dotted name", mutate: func(c *plugin.Config) { c.PluginName = "my.docker" }, want: "contains a dot"},
		{doc: "empty name", mutate: func(c *plugin.Config) { c.PluginName = "" }, want: "plugin name is empty"},
		{doc: "bad port", mutate: func(c *plugin.Config) { c.BrokerPort = 0 }, want: "OBDOCKER_BROKER_PORT"},
		{doc: "no workers", mutate: func(c *plugin.Config) { c.Workers = 0 }, want: "OBDOCKER_WORKERS"},
		{doc: "more connections than workers", mutate: func(c *plugin.Config) { c.Connections = 11 }, want: "exceeds"},
		{doc: "bad level", mutate: func(c *plugin.Config) { c.LogLevel = "loud" }, want: "OBDOCKER_LOG_LEVEL"},
		{doc: "bad format", mutate: func(c *plugin.Config) { c.LogFormat = "xml" }, want: "OBDOCKER_LOG_FORMAT"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			cfg := plugin.DefaultConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
			if _, err := plugin.New(cfg, &fakeDriver{}, nil); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
	t.Run("flag error", func(t *testing.T) {
		if _, err := plugin.LoadConfig([]string{"--workers", "many"}); err == nil {
			t.Fatal("accepted --workers many")
		}
	})
}

func TestConfigURL(t *testing.T) {
	tests := []struct{ vhost, want string }{{"/", "/"}, {"openbaton", "openbaton"}, {"a/b", "a/b"}}
	for _, tc := range tests {
		cfg := plugin.DefaultConfig()
		cfg.BrokerVhost = tc.vhost
		u, err := amqp.ParseURI(cfg.URL("vim-drivers.docker.x", "p@ss:w/rd"))
		if err != nil {
			t.Fatal(err)
		}
		if u.Vhost != tc.want || u.Username != "vim-drivers.docker.x" || u.Password != "p@ss:w/rd" || u.Host != "localhost" || u.Port != 5672 {
			t.Fatalf("vhost %q: parsed %+v", tc.vhost, u)
		}
	}
}

func TestConfigStringHidesPassword(t *testing.T) {
	cfg := plugin.DefaultConfig()
	cfg.BrokerPassword = "hunter2"
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("password in %q", s)
		}
	}
}
