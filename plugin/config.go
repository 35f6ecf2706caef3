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

	"github.com/kelseyhightower/envconfig"
	"github.com/sirupsen/logrus"
)

// EnvPrefix prefixes every environment variable of the plugin.
const EnvPrefix = "OBDOCKER"

// Config is the plugin daemon's configuration: environment variables
// OBDOCKER_<NAME>, each overridable by the matching flag.
type Config struct {
	BrokerHost     string `envconfig:"BROKER_HOST" default:"localhost" desc:"RabbitMQ host"`
	BrokerPort     int    `envconfig:"BROKER_PORT" default:"5672" desc:"RabbitMQ AMQP port"`
	BrokerVhost    string `envconfig:"BROKER_VHOST" default:"/" desc:"RabbitMQ virtual host (the NFVO's)"`
	BrokerUser     string `envconfig:"BROKER_USER" default:"openbaton-manager-user" desc:"bootstrap registration user"`
	BrokerPassword string `envconfig:"BROKER_PASSWORD" default:"openbaton" desc:"bootstrap registration password"`
	PluginName     string `envconfig:"PLUGIN_NAME" default:"docker" desc:"plugin name: queue vim-drivers.docker.<name> (no dots)"`
	Workers        int    `envconfig:"WORKERS" default:"10" desc:"concurrent requests"`
	Connections    int    `envconfig:"CONNECTIONS" default:"2" desc:"consuming connections"`
	LogLevel       string `envconfig:"LOG_LEVEL" default:"info" desc:"panic|fatal|error|warn|info|debug|trace"`
	LogFormat      string `envconfig:"LOG_FORMAT" default:"text" desc:"text|json"`

	// ManagerQueue is the NFVO's registration queue. Only tests change it,
	// so that concurrent NFVO stand-ins do not steal registrations.
	ManagerQueue string `envconfig:"MANAGER_QUEUE" default:"nfvo.manager.handling" desc:"NFVO registration queue (tests only)"`
	// RegisterTimeout bounds one wait for the NFVO's credentials.
	RegisterTimeout time.Duration `envconfig:"REGISTER_TIMEOUT" default:"5s" desc:"wait for the NFVO's registration reply"`
	// DrainTimeout bounds the in-flight calls at shutdown.
	DrainTimeout time.Duration `envconfig:"DRAIN_TIMEOUT" default:"20s" desc:"let in-flight calls finish at shutdown"`
}

// LoadConfig reads the environment, then args (flags win), and validates.
func LoadConfig(args []string) (Config, error) {
	var cfg Config
	if err := envconfig.Process(EnvPrefix, &cfg); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	fs := flag.NewFlagSet("docker-vim-driver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bindFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
		}
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments %q", fs.Args())
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// bindFlags registers one flag per field, defaulting to the value already
// loaded from the environment so that flags override it.
func bindFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.BrokerHost, "broker-host", cfg.BrokerHost, "RabbitMQ host (OBDOCKER_BROKER_HOST)")
	fs.IntVar(&cfg.BrokerPort, "broker-port", cfg.BrokerPort, "RabbitMQ AMQP port (OBDOCKER_BROKER_PORT)")
	fs.StringVar(&cfg.BrokerVhost, "broker-vhost", cfg.BrokerVhost, "RabbitMQ virtual host, the NFVO's (OBDOCKER_BROKER_VHOST)")
	fs.StringVar(&cfg.BrokerUser, "broker-user", cfg.BrokerUser, "bootstrap registration user (OBDOCKER_BROKER_USER)")
	fs.StringVar(&cfg.BrokerPassword, "broker-password", cfg.BrokerPassword, "bootstrap registration password (OBDOCKER_BROKER_PASSWORD)")
	fs.StringVar(&cfg.PluginName, "plugin-name", cfg.PluginName, "plugin name; queue vim-drivers.docker.<name>, no dots (OBDOCKER_PLUGIN_NAME)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent requests (OBDOCKER_WORKERS)")
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, "consuming connections (OBDOCKER_CONNECTIONS)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level (OBDOCKER_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json (OBDOCKER_LOG_FORMAT)")
	fs.StringVar(&cfg.ManagerQueue, "manager-queue", cfg.ManagerQueue, "NFVO registration queue, tests only (OBDOCKER_MANAGER_QUEUE)")
	fs.DurationVar(&cfg.RegisterTimeout, "register-timeout", cfg.RegisterTimeout, "wait for the NFVO's registration reply (OBDOCKER_REGISTER_TIMEOUT)")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "let in-flight calls finish at shutdown (OBDOCKER_DRAIN_TIMEOUT)")
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
	var errs []error
	if c.BrokerHost == "" {
		errs = append(errs, errors.New("OBDOCKER_BROKER_HOST is empty"))
	}
	if c.BrokerPort < 1 || c.BrokerPort > 65535 {
		errs = append(errs, fmt.Errorf("OBDOCKER_BROKER_PORT %d is not a TCP port", c.BrokerPort))
	}
	if c.BrokerVhost == "" {
		errs = append(errs, errors.New("OBDOCKER_BROKER_VHOST is empty (the NFVO's default is /)"))
	}
	if c.BrokerUser == "" {
		errs = append(errs, errors.New("OBDOCKER_BROKER_USER is empty"))
	}
	if err := ValidateName(c.PluginName); err != nil {
		errs = append(errs, err)
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("OBDOCKER_WORKERS %d must be at least 1", c.Workers))
	}
	if c.Connections < 1 {
		errs = append(errs, fmt.Errorf("OBDOCKER_CONNECTIONS %d must be at least 1", c.Connections))
	} else if c.Connections > c.Workers {
		errs = append(errs, fmt.Errorf("OBDOCKER_CONNECTIONS %d exceeds OBDOCKER_WORKERS %d: a connection would have no worker", c.Connections, c.Workers))
	}
	if _, err := logrus.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("OBDOCKER_LOG_LEVEL: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("OBDOCKER_LOG_FORMAT %q must be text or json", c.LogFormat))
	}
	if c.ManagerQueue == "" {
		errs = append(errs, errors.New("OBDOCKER_MANAGER_QUEUE is empty"))
	}
	if c.RegisterTimeout <= 0 {
		errs = append(errs, errors.New("OBDOCKER_REGISTER_TIMEOUT must be positive"))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, errors.New("OBDOCKER_DRAIN_TIMEOUT must be positive"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return nil
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
