// Package vimdriver wires the plugin daemon: the Open Baton plugin runtime
// (plugin) serving the VIM driver (vim) over Pops on Docker (pop,
// pop/docker) or on docker-popd (pop/client).
package vimdriver

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/openbaton-docker/obdocker/internal/settings"
	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
	"github.com/openbaton-docker/obdocker/vim"
)

// Config is the daemon's configuration: the plugin runtime's OBDOCKER_*
// settings (environment and flags) plus the driver's own (environment).
// The desc tags are what -help shows; docs/configuration.md starts each
// meaning with the same words (checked by deploy/configdoc_test.go).
type Config struct {
	Plugin  plugin.Config `ignored:"true"`
	Driver  DriverConfig  `ignored:"true"`
	Metrics MetricsConfig `ignored:"true"`
}

// MetricsConfig holds the observability settings, OBDOCKER_<NAME>.
type MetricsConfig struct {
	// Addr is host:port of the Prometheus /metrics and /healthz endpoint;
	// empty: no endpoint (see docs/observability.md).
	Addr string `envconfig:"METRICS_ADDR" desc:"host:port of /metrics and /healthz, e.g. :9464"`
	// Pprof also serves Go's profiles under /debug/pprof/ on Addr.
	Pprof bool `envconfig:"METRICS_PPROF" default:"false" desc:"also serve Go's profiles under /debug/pprof/ on the same address"`
}

// DriverConfig holds the VIM driver's settings, OBDOCKER_<NAME>.
type DriverConfig struct {
	// StateDir keeps one Pop store per Docker endpoint.
	StateDir string `envconfig:"STATE_DIR" default:"/var/lib/obdocker" desc:"where the Pop stores live, one bbolt file per endpoint"`
	// DockerHost is the endpoint of VIM instances whose authUrl is empty.
	DockerHost string `envconfig:"DOCKER_HOST" default:"unix:///var/run/docker.sock" desc:"the endpoint of VIM instances whose authUrl is empty"`
	// AllowedSockets are the unix sockets VIM instances may name, each
	// SOCKET or SOCKET@PROJECT|PROJECT… (NFVO project ids); unset: the
	// DockerHost socket, for every project. A socket carries no credential.
	AllowedSockets []string `envconfig:"ALLOWED_SOCKETS" desc:"the unix sockets that VIM instances may name, comma-separated"`
	// PopName labels every Docker object the plugin creates; default: the
	// plugin name. Keep it stable: a restarted plugin finds its objects by it.
	PopName string `envconfig:"POP_NAME" desc:"the Pop name, put in a label on every Docker object the plugin creates"`
	// DefaultNetwork is each Pop's default network, created if missing.
	DefaultNetwork string `envconfig:"DEFAULT_NETWORK" default:"private" desc:"name of each Pop's default network, created (or adopted) when the Pop opens; containers without a connection point join it"`
	// DefaultSubnet is the subnet of each Pop's default network.
	DefaultSubnet string `envconfig:"DEFAULT_SUBNET" default:"172.16.0.0/16" desc:"subnet of the default network"`
	// NetworkPool gives /24s to createNetwork calls without a cidr.
	NetworkPool string `envconfig:"NETWORK_POOL" default:"10.90.0.0/16" desc:"createNetwork calls without a cidr (a VLD without cidr) get the next free /24 of this pool"`
	// PopAllowPlaintext lets the plugin log in to a docker-popd that is not
	// on loopback in clear text when the VIM instance has no ca (the
	// password then travels readable). Default: such a VIM is refused.
	PopAllowPlaintext bool `envconfig:"POP_ALLOW_PLAINTEXT" default:"false" desc:"let the plugin log in to a docker-popd in clear text when the VIM instance has no ca and the authUrl host is not loopback (127.0.0.0/8, ::1, localhost)"`
	// KeepStopped keeps Docker containers after stop (for post-mortems).
	KeepStopped bool `envconfig:"KEEP_STOPPED" default:"false" desc:"keep Docker containers after they stop, for post-mortems (docker logs)"`
	// DockerConfig is a Docker config.json whose auths entries give
	// addImage's pulls their registry credentials; never VIM metadata,
	// which the NFVO shows unmasked.
	DockerConfig string `envconfig:"DOCKER_CONFIG" desc:"path of a Docker config.json whose auths entries give image pulls their registry credentials"`
	// DockerConfigEngines are the tcp:// engines trusted with those
	// credentials: an authUrl is a VIM user's to choose, and the engine
	// receives the credentials with every pull. Unix sockets (chosen by
	// the operator through ALLOWED_SOCKETS) always get them.
	DockerConfigEngines []string `envconfig:"DOCKER_CONFIG_ENGINES" desc:"the tcp:// engines (authUrls, comma-separated) that may receive those credentials with a pull, over TLS only; unix:// sockets always do"`
	// PullTimeout bounds one image pull.
	PullTimeout time.Duration `envconfig:"PULL_TIMEOUT" default:"5m" desc:"how long one image pull may take"`
	// AllowedCaps and AllowedSysctls are what userdata directives may ask.
	AllowedCaps    []string `envconfig:"ALLOWED_CAPS" desc:"capabilities that userdata may add with #obdocker:cap-add= (with or without the CAP_ prefix)"`
	AllowedSysctls []string `envconfig:"ALLOWED_SYSCTLS" desc:"sysctl keys that userdata may set with #obdocker:sysctl="`
	// AllowedBindPrefixes and AllowedPublishPorts gate what reaches the
	// engine's host: bind mounts and published ports (none by default).
	AllowedBindPrefixes []string `envconfig:"ALLOWED_BIND_PREFIXES" desc:"host paths that userdata may bind-mount with #obdocker:volume=: PATH (read-only, any path at or below it) or PATH:rw (writable, that directory only)"`
	AllowedPublishPorts []string `envconfig:"ALLOWED_PUBLISH_PORTS" desc:"host ports that userdata may publish with #obdocker:publish=, entries N or N-M"`
	// Quota* override getQuota's figures for every VIM instance; 0 leaves
	// the engine's figure (vim.QuotaLimits); negative is refused at start.
	QuotaCores       int `envconfig:"QUOTA_CORES" default:"0" desc:"cores that getQuota answers for every VIM instance"`
	QuotaRAM         int `envconfig:"QUOTA_RAM" default:"0" desc:"RAM in MB that getQuota answers"`
	QuotaInstances   int `envconfig:"QUOTA_INSTANCES" default:"0" desc:"instances that getQuota answers"`
	QuotaFloatingIPs int `envconfig:"QUOTA_FLOATING_IPS" default:"0" desc:"floating IPs that getQuota answers"`
	QuotaKeyPairs    int `envconfig:"QUOTA_KEY_PAIRS" default:"0" desc:"key pairs that getQuota answers"`
}

// Vars lists every variable the daemon reads, in the order of -help and
// docs/configuration.md: the plugin's, the driver's, the metrics'.
func Vars() []settings.Var {
	var out []settings.Var
	out = append(out, settings.Vars(plugin.EnvPrefix, plugin.Config{})...)
	out = append(out, settings.Vars(plugin.EnvPrefix, DriverConfig{})...)
	return append(out, settings.Vars(plugin.EnvPrefix, MetricsConfig{})...)
}

// ErrVersion is LoadConfig's answer to -version. -help answers
// flag.ErrHelp. Neither looks at the settings: both must work while the
// settings are being fixed.
var ErrVersion = errors.New("version requested")

// LoadConfig reads the environment and the plugin's flags and checks every
// setting, naming every bad variable in one error.
func LoadConfig(args []string) (Config, error) {
	return loadConfig(args, os.LookupEnv)
}

func loadConfig(args []string, lookup func(string) (string, bool)) (Config, error) {
	pc, probs := plugin.ReadEnv(lookup)
	var cfg Config
	probs.Merge(settings.Load(plugin.EnvPrefix, &cfg.Driver, lookup))
	probs.Merge(settings.Load(plugin.EnvPrefix, &cfg.Metrics, lookup))
	fs := flag.NewFlagSet("docker-vim-driver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	help := fs.Bool("help", false, "print the settings and exit")
	fs.BoolVar(help, "h", false, "print the settings and exit")
	version := fs.Bool("version", false, "print the version and exit")
	plugin.BindFlags(fs, &pc)
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("%w (docker-vim-driver -help lists the settings)", err)
	}
	switch {
	case *help:
		return Config{}, flag.ErrHelp
	case *version:
		return Config{}, ErrVersion
	case fs.NArg() > 0:
		return Config{}, fmt.Errorf("unexpected arguments %q: settings are OBDOCKER_* variables and flags (docker-vim-driver -help)", fs.Args())
	}
	for _, name := range settings.SetFlags(fs, plugin.EnvPrefix, &pc) {
		probs.Drop(name)
	}
	cfg.Plugin = pc
	cfg.check(probs)
	if err := probs.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks every setting, naming every bad one.
func (c Config) Validate() error {
	probs := &settings.Problems{}
	c.check(probs)
	return probs.Err()
}

var (
	// netNameRE is Docker's rule for network names.
	netNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
)

// check adds every problem of the settings to probs, skipping variables
// that already have one (they did not parse and hold their default).
func (c Config) check(probs *settings.Problems) {
	c.Plugin.Check(probs)
	const p = plugin.EnvPrefix + "_"
	add := func(name, format string, args ...any) {
		if !probs.Has(p + name) {
			probs.Add(p+name, p+name+format, args...)
		}
	}
	d := c.Driver
	if d.StateDir == "" {
		add("STATE_DIR", " is empty")
	}
	// The same forms as a VIM instance's authUrl (default ports added), but
	// an engine, not a docker-popd.
	if d.DockerHost == "" {
		add("DOCKER_HOST", " is set but empty (unset it for unix:///var/run/docker.sock)")
	} else if norm, _, _, err := vim.NormaliseAuthURL(d.DockerHost, "", false); err != nil {
		add("DOCKER_HOST", ": %v", err)
	} else if strings.HasPrefix(norm, vim.SchemePop+"://") {
		add("DOCKER_HOST", "=%q: a docker-popd is not an engine; want unix:///path or tcp://host[:port]", d.DockerHost)
	}
	if d.DockerConfig != "" {
		if err := docker.CheckDockerConfig(d.DockerConfig); err != nil {
			add("DOCKER_CONFIG", ": %v", err)
		}
	}
	for _, e := range d.DockerConfigEngines {
		norm, _, _, err := vim.NormaliseAuthURL(e, "", true)
		if err != nil {
			add("DOCKER_CONFIG_ENGINES", ": %v", err)
		} else if !strings.HasPrefix(norm, vim.SchemeTCP+"://") {
			add("DOCKER_CONFIG_ENGINES", "=%q: want tcp://host[:port] (unix:// sockets get the credentials anyway; docker-popd has its own)", e)
		}
	}
	if d.PullTimeout <= 0 {
		add("PULL_TIMEOUT", "=%s: want a positive duration, e.g. 5m", d.PullTimeout)
	}
	if _, err := vim.ParseSocketRules(d.AllowedSockets); err != nil {
		add("ALLOWED_SOCKETS", ": %v", err)
	}
	if d.PopName != "" && !netNameRE.MatchString(d.PopName) {
		add("POP_NAME", "=%q: want letters, digits, '_', '.' or '-', starting with a letter or digit", d.PopName)
	}
	if !netNameRE.MatchString(d.DefaultNetwork) {
		add("DEFAULT_NETWORK", "=%q: not a Docker network name (letters, digits, '_', '.' or '-', starting with a letter or digit)", d.DefaultNetwork)
	}
	if sub, err := netip.ParsePrefix(d.DefaultSubnet); err != nil || !sub.Addr().Is4() || sub.Bits() > 30 {
		add("DEFAULT_SUBNET", "=%q: want an IPv4 subnet in CIDR notation of at most /30, e.g. 172.16.0.0/16", d.DefaultSubnet)
	}
	if pool, err := netip.ParsePrefix(d.NetworkPool); err != nil || !pool.Addr().Is4() || pool.Bits() > 24 {
		add("NETWORK_POOL", "=%q: want an IPv4 subnet in CIDR notation of /24 or larger (it hands out /24s), e.g. 10.90.0.0/16", d.NetworkPool)
	}
	// The forms docker-popd's allowlists share (pop.HostPolicy).
	if _, err := pop.ParseCapList(d.AllowedCaps); err != nil {
		add("ALLOWED_CAPS", ": %v", err)
	}
	if err := pop.CheckSysctlList(d.AllowedSysctls); err != nil {
		add("ALLOWED_SYSCTLS", ": %v", err)
	}
	if err := vim.CheckBindPrefixes(d.AllowedBindPrefixes); err != nil {
		add("ALLOWED_BIND_PREFIXES", ": %v", err)
	}
	if _, err := vim.ParsePortRanges(d.AllowedPublishPorts); err != nil {
		add("ALLOWED_PUBLISH_PORTS", ": %v", err)
	}
	for _, q := range []struct {
		name string
		v    int
	}{{"QUOTA_CORES", d.QuotaCores}, {"QUOTA_RAM", d.QuotaRAM}, {"QUOTA_INSTANCES", d.QuotaInstances},
		{"QUOTA_FLOATING_IPS", d.QuotaFloatingIPs}, {"QUOTA_KEY_PAIRS", d.QuotaKeyPairs}} {
		if q.v < 0 || q.v > math.MaxInt32 {
			add(q.name, "=%d: want a positive number up to %d (a Java int in the NFVO), or 0 for the engine's figure", q.v, math.MaxInt32)
		}
	}
	if a := c.Metrics.Addr; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil || !validPort(port) {
			add("METRICS_ADDR", "=%q: want host:port or :port, e.g. :9464", a)
		}
	}
}

// validPort accepts 0 (a free port, for tests) to 65535.
func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}
