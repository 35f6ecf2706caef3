// Package vimdriver wires the plugin daemon: the Open Baton plugin runtime
// (plugin) serving the VIM driver (vim) over Pops on Docker (pop,
// pop/docker) or on docker-popd (pop/client).
package vimdriver

import (
	"fmt"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/vim"
)

// Config is the daemon's configuration: the plugin runtime's OBDOCKER_*
// settings (environment and flags) plus the driver's own (environment).
type Config struct {
	Plugin  plugin.Config `ignored:"true"`
	Driver  DriverConfig  `ignored:"true"`
	Metrics MetricsConfig `ignored:"true"`
}

// MetricsConfig holds the observability settings, OBDOCKER_<NAME>.
type MetricsConfig struct {
	// Addr is host:port of the Prometheus /metrics and /healthz endpoint;
	// empty: no endpoint (see docs/observability.md).
	Addr string `envconfig:"METRICS_ADDR"`
	// Pprof also serves Go's profiles under /debug/pprof/ on Addr.
	Pprof bool `envconfig:"METRICS_PPROF" default:"false"`
}

// DriverConfig holds the VIM driver's settings, OBDOCKER_<NAME>.
type DriverConfig struct {
	// StateDir keeps one Pop store per Docker endpoint.
	StateDir string `envconfig:"STATE_DIR" default:"/var/lib/obdocker"`
	// DockerHost is the endpoint of VIM instances whose authUrl is empty.
	DockerHost string `envconfig:"DOCKER_HOST" default:"unix:///var/run/docker.sock"`
	// AllowedSockets are the unix sockets VIM instances may name, each
	// SOCKET or SOCKET@PROJECT|PROJECT… (NFVO project ids); unset: the
	// DockerHost socket, for every project. A socket carries no credential.
	AllowedSockets []string `envconfig:"ALLOWED_SOCKETS"`
	// PopName labels every Docker object the plugin creates; default: the
	// plugin name. Keep it stable: a restarted plugin finds its objects by it.
	PopName string `envconfig:"POP_NAME"`
	// NetworkPool gives /24s to createNetwork calls without a cidr.
	NetworkPool string `envconfig:"NETWORK_POOL" default:"10.90.0.0/16"`
	// DefaultNetwork is each Pop's default network, created if missing.
	DefaultNetwork string `envconfig:"DEFAULT_NETWORK" default:"private"`
	// DefaultSubnet is the subnet of each Pop's default network.
	DefaultSubnet string `envconfig:"DEFAULT_SUBNET" default:"172.16.0.0/16"`
	// PopAllowPlaintext lets the plugin log in to a docker-popd that is not
	// on loopback in clear text when the VIM instance has no ca (the
	// password then travels readable). Default: such a VIM is refused.
	PopAllowPlaintext bool `envconfig:"POP_ALLOW_PLAINTEXT" default:"false"`
	// KeepStopped keeps Docker containers after stop (for post-mortems).
	KeepStopped bool `envconfig:"KEEP_STOPPED" default:"false"`
	// AllowedCaps and AllowedSysctls are what userdata directives may ask.
	AllowedCaps    []string `envconfig:"ALLOWED_CAPS"`
	AllowedSysctls []string `envconfig:"ALLOWED_SYSCTLS"`
}

// LoadConfig reads the environment and the plugin's flags.
func LoadConfig(args []string) (Config, error) {
	pc, err := plugin.LoadConfig(args)
	if err != nil {
		return Config{}, err
	}
	var dc DriverConfig
	if err := envconfig.Process(plugin.EnvPrefix, &dc); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	var mc MetricsConfig
	if err := envconfig.Process(plugin.EnvPrefix, &mc); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg := Config{Plugin: pc, Driver: dc, Metrics: mc}
	return cfg, cfg.Validate()
}

// Validate checks the driver settings (the plugin's were checked on load).
func (c Config) Validate() error {
	var probs []string
	if c.Driver.StateDir == "" {
		probs = append(probs, "OBDOCKER_STATE_DIR is empty")
	}
	if c.Driver.DockerHost == "" {
		probs = append(probs, "OBDOCKER_DOCKER_HOST is set but empty (unset it for unix:///var/run/docker.sock)")
	} else if !strings.HasPrefix(c.Driver.DockerHost, "unix://") && !strings.HasPrefix(c.Driver.DockerHost, "tcp://") {
		probs = append(probs, fmt.Sprintf("OBDOCKER_DOCKER_HOST %q must be unix:///path or tcp://host:port", c.Driver.DockerHost))
	}
	if _, err := vim.ParseSocketRules(c.Driver.AllowedSockets); err != nil {
		probs = append(probs, "OBDOCKER_ALLOWED_SOCKETS: "+err.Error())
	}
	if len(probs) > 0 {
		return fmt.Errorf("config: %s", strings.Join(probs, "; "))
	}
	return nil
}
