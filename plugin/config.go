package plugin

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/settings"
)

// EnvPrefix prefixes every environment variable of the plugin.
const EnvPrefix = "OBDOCKER"

// Config is the plugin daemon's configuration: environment variables
// OBDOCKER_<NAME>, each overridable by the matching flag. The desc tags are
// what -help shows; docs/configuration.md starts each meaning with the same
// words (checked by deploy/configdoc_test.go).
type Config struct {
	BrokerHost     string `envconfig:"BROKER_HOST" default:"localhost" flag:"broker-host" desc:"RabbitMQ host, the NFVO's broker (in the compose file: rabbitmq)"`
	BrokerPort     int    `envconfig:"BROKER_PORT" default:"5672" flag:"broker-port" desc:"RabbitMQ AMQP port"`
	BrokerVhost    string `envconfig:"BROKER_VHOST" default:"/" flag:"broker-vhost" desc:"RabbitMQ virtual host"`
	BrokerUser     string `envconfig:"BROKER_USER" default:"openbaton-manager-user" flag:"broker-user" desc:"bootstrap registration user, the NFVO's nfvo.rabbit.manager-registration-user.name"`
	BrokerPassword string `envconfig:"BROKER_PASSWORD" default:"openbaton" flag:"broker-password" secret:"true" desc:"its password, the NFVO's nfvo.rabbit.manager-registration-user.password"`
	PluginName     string `envconfig:"PLUGIN_NAME" default:"docker" flag:"plugin-name" desc:"plugin name"`
	Workers        int    `envconfig:"WORKERS" default:"10" flag:"workers" desc:"requests served at the same time"`
	Connections    int    `envconfig:"CONNECTIONS" default:"2" flag:"connections" desc:"AMQP connections that share the workers, at most OBDOCKER_WORKERS"`
	LogLevel       string `envconfig:"LOG_LEVEL" default:"info" flag:"log-level" desc:"panic, fatal, error, warn, info, debug or trace"`
	LogFormat      string `envconfig:"LOG_FORMAT" default:"text" flag:"log-format" desc:"text or json (one object per line, for log collectors)"`

	// ManagerQueue is the NFVO's registration queue. Only tests change it,
	// so that concurrent NFVO stand-ins do not steal registrations.
	ManagerQueue string `envconfig:"MANAGER_QUEUE" default:"nfvo.manager.handling" flag:"manager-queue" desc:"the NFVO's registration queue"`
	// RegisterTimeout bounds one wait for the NFVO's credentials.
	RegisterTimeout time.Duration `envconfig:"REGISTER_TIMEOUT" default:"5s" flag:"register-timeout" desc:"how long one registration attempt waits for the NFVO's reply"`
	// DrainTimeout bounds the in-flight calls at shutdown.
	DrainTimeout time.Duration `envconfig:"DRAIN_TIMEOUT" default:"20s" flag:"drain-timeout" desc:"at SIGTERM, how long the calls in flight may finish before the plugin unregisters and exits"`
}

// ReadEnv reads the plugin's variables through lookup (os.LookupEnv). Every
// value that does not parse is a problem and leaves its default.
func ReadEnv(lookup func(string) (string, bool)) (Config, *settings.Problems) {
	var cfg Config
	probs := settings.Load(EnvPrefix, &cfg, lookup)
	return cfg, probs
}

// BindFlags registers the plugin's flags on fs, defaulting to cfg's values
// (read the environment first) so that a flag given wins.
func BindFlags(fs *flag.FlagSet, cfg *Config) { settings.BindFlags(fs, EnvPrefix, cfg) }

// LoadConfig reads the environment, then args (flags win), and validates,
// naming every bad variable in one error.
func LoadConfig(args []string) (Config, error) {
	cfg, probs := ReadEnv(os.LookupEnv)
	fs := flag.NewFlagSet("docker-vim-driver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	BindFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments %q", fs.Args())
	}
	for _, name := range settings.SetFlags(fs, EnvPrefix, &cfg) {
		probs.Drop(name)
	}
	cfg.Check(probs)
	if err := probs.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// String renders the configuration for logs, without the password.
func (c Config) String() string {
	pw := ""
	if c.BrokerPassword != "" {
		pw = "xxxxx"
	}
	return fmt.Sprintf("broker=%s:%d vhost=%s user=%s password=%s plugin=%s workers=%d connections=%d log=%s/%s manager_queue=%s register_timeout=%s drain_timeout=%s",
		c.BrokerHost, c.BrokerPort, c.BrokerVhost, c.BrokerUser, pw, c.ID(), c.Workers, c.Connections,
		c.LogLevel, c.LogFormat, c.ManagerQueue, c.RegisterTimeout, c.DrainTimeout)
}

// DefaultConfig is the configuration with every default and no
// environment.
func DefaultConfig() Config {
	return Config{
		BrokerHost:      "localhost",
		BrokerPort:      5672,
		BrokerVhost:     "/",
		BrokerUser:      "openbaton-manager-user",
		BrokerPassword:  "openbaton",
		PluginName:      "docker",
		Workers:         10,
		Connections:     2,
		LogLevel:        "info",
		LogFormat:       "text",
		ManagerQueue:    "nfvo.manager.handling",
		RegisterTimeout: 5 * time.Second,
		DrainTimeout:    20 * time.Second,
	}
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	probs := &settings.Problems{}
	c.Check(probs)
	return probs.Err()
}

// Check adds the configuration's problems to probs. A variable that already
// has one (it did not parse) is not judged again on its default.
func (c Config) Check(probs *settings.Problems) {
	add := func(name, format string, args ...any) {
		if !probs.Has(name) {
			probs.Add(name, format, args...)
		}
	}
	const p = EnvPrefix + "_"
	switch {
	case c.BrokerHost == "":
		add(p+"BROKER_HOST", p+"BROKER_HOST is empty")
	case strings.Contains(c.BrokerHost, "/") || strings.ContainsAny(c.BrokerHost, " \t@"):
		add(p+"BROKER_HOST", "%sBROKER_HOST=%q: want a host name or IP address, not a URL (the port is %sBROKER_PORT)", p, c.BrokerHost, p)
	}
	if c.BrokerPort < 1 || c.BrokerPort > 65535 {
		add(p+"BROKER_PORT", "%sBROKER_PORT %d is not a TCP port", p, c.BrokerPort)
	}
	if c.BrokerVhost == "" {
		add(p+"BROKER_VHOST", p+"BROKER_VHOST is empty (the NFVO's default is /)")
	}
	if c.BrokerUser == "" {
		add(p+"BROKER_USER", p+"BROKER_USER is empty")
	}
	if err := ValidateName(c.PluginName); err != nil && !probs.Has(p+"PLUGIN_NAME") {
		probs.AddErr(p+"PLUGIN_NAME", err)
	}
	if c.Workers < 1 {
		add(p+"WORKERS", "%sWORKERS %d must be at least 1", p, c.Workers)
	}
	if c.Connections < 1 {
		add(p+"CONNECTIONS", "%sCONNECTIONS %d must be at least 1", p, c.Connections)
	} else if c.Connections > c.Workers && !probs.Has(p+"WORKERS") {
		add(p+"CONNECTIONS", "%sCONNECTIONS %d exceeds %sWORKERS %d: a connection would have no worker", p, c.Connections, p, c.Workers)
	}
	if _, err := logrus.ParseLevel(c.LogLevel); err != nil {
		add(p+"LOG_LEVEL", "%sLOG_LEVEL %q must be panic, fatal, error, warn, info, debug or trace", p, c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add(p+"LOG_FORMAT", "%sLOG_FORMAT %q must be text or json", p, c.LogFormat)
	}
	if c.ManagerQueue == "" {
		add(p+"MANAGER_QUEUE", p+"MANAGER_QUEUE is empty")
	}
	if c.RegisterTimeout <= 0 {
		add(p+"REGISTER_TIMEOUT", "%sREGISTER_TIMEOUT %s must be positive", p, c.RegisterTimeout)
	}
	if c.DrainTimeout <= 0 {
		add(p+"DRAIN_TIMEOUT", "%sDRAIN_TIMEOUT %s must be positive", p, c.DrainTimeout)
	}
}

// ValidateName checks a plugin name: the NFVO splits plugin ids and VIM
// types on dots, so a name with a dot can never be found (spec §1.2).
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("plugin name is empty")
	case strings.Contains(name, "."):
		return fmt.Errorf("plugin name %q contains a dot: the NFVO splits plugin ids on dots and would never find queue vim-drivers.docker.%s", name, name)
	case strings.ContainsAny(name, " \t\r\n#*"):
		return fmt.Errorf("plugin name %q contains whitespace or a routing wildcard", name)
	}
	return nil
}

// PluginType is the VIM type this plugin serves.
const PluginType = "docker"

// ID is the plugin id, its queue name and its RabbitMQ user:
// vim-drivers.docker.<name>.
func (c Config) ID() string { return "vim-drivers." + PluginType + "." + c.PluginName }

// URL builds an AMQP URL for the broker with the given credentials.
func (c Config) URL(user, password string) string {
	u := url.URL{
		Scheme: "amqp",
		User:   url.UserPassword(user, password),
		Host:   c.BrokerHost + ":" + strconv.Itoa(c.BrokerPort),
		// amqp091 takes the path after the first "/" as the vhost; the
		// default vhost "/" must be escaped as %2F.
		Path:    "/" + c.BrokerVhost,
		RawPath: "/" + url.PathEscape(c.BrokerVhost),
	}
	return u.String()
}

// NewLogger builds the daemon's logger from LogLevel and LogFormat.
func NewLogger(c Config, out io.Writer) (*logrus.Logger, error) {
	lvl, err := logrus.ParseLevel(c.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	l := logrus.New()
	l.SetOutput(out)
	l.SetLevel(lvl)
	switch c.LogFormat {
	case "json":
		l.SetFormatter(&logrus.JSONFormatter{})
	case "text", "":
		l.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	default:
		return nil, fmt.Errorf("log format %q must be text or json", c.LogFormat)
	}
	return l, nil
}
