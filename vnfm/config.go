package vnfm

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// EnvPrefix prefixes every environment variable of the VNFM daemon.
const EnvPrefix = "OBDOCKER_VNFM"

// Config is the VNFM's configuration, read from OBDOCKER_VNFM_<NAME>.
type Config struct {
	BrokerHost  string `envconfig:"BROKER_HOST" default:"localhost"`
	BrokerPort  int    `envconfig:"BROKER_PORT" default:"5672"`
	BrokerVhost string `envconfig:"BROKER_VHOST" default:"/"`
	// BrokerUser and BrokerPassword are the NFVO's bootstrap registration
	// user; the VNFM serves with the private credentials it gets back.
	BrokerUser     string `envconfig:"BROKER_USER" default:"openbaton-manager-user"`
	BrokerPassword string `envconfig:"BROKER_PASSWORD" default:"openbaton"`

	// Type is the VNFD "endpoint" that selects this VNFM, and the RabbitMQ
	// user name; Endpoint is the command queue (default: Type). Not plain
	// "docker": the NFVO's unanchored permission regexes would then match
	// the VIM driver's queues (spec §1.2).
	Type        string `envconfig:"TYPE" default:"docker-vnfm"`
	Endpoint    string `envconfig:"ENDPOINT"`
	Description string `envconfig:"DESCRIPTION" default:"Docker VNFM (obdocker)"`

	// ManagerQueue, ActionsQueue and ActionsReplyQueue are the NFVO's
	// fixed names; only tests running several stand-ins on one broker
	// change them.
	ManagerQueue      string `envconfig:"MANAGER_QUEUE" default:"nfvo.manager.handling"`
	ActionsQueue      string `envconfig:"ACTIONS_QUEUE" default:"vnfm.nfvo.actions"`
	ActionsReplyQueue string `envconfig:"ACTIONS_REPLY_QUEUE" default:"vnfm.nfvo.actions.reply"`

	// NFVOUser and NFVOPassword are what the VNFM calls the VIM driver
	// plugin with: the NFVO's own admin credentials, since it calls the
	// plugin exactly as the NFVO does. ManagementURL finds the plugin
	// queue (prefix vim-drivers.<vim type>) unless PluginQueue names it.
	NFVOUser      string `envconfig:"NFVO_USER" default:"admin"`
	NFVOPassword  string `envconfig:"NFVO_PASSWORD" default:"openbaton"`
	ManagementURL string `envconfig:"MANAGEMENT_URL" default:"http://localhost:15672"`
	PluginQueue   string `envconfig:"PLUGIN_QUEUE"`

	// Workers bounds the commands handled at once.
	Workers int `envconfig:"WORKERS" default:"25"`
	// RPCTimeout bounds GRANT_OPERATION, ALLOCATE_RESOURCES and SCALING
	// answers: above the sum of the plugin launches (spec §2.2).
	RPCTimeout time.Duration `envconfig:"RPC_TIMEOUT" default:"20m"`
	// PluginTimeout bounds one plugin call.
	PluginTimeout time.Duration `envconfig:"PLUGIN_TIMEOUT" default:"2m"`
	// RegisterTimeout bounds one wait for the NFVO's credentials.
	RegisterTimeout time.Duration `envconfig:"REGISTER_TIMEOUT" default:"5s"`
	// MonitorInterval spaces the checks of started VNFCs (0 disables
	// failure reports and restarts).
	MonitorInterval time.Duration `envconfig:"MONITOR_INTERVAL" default:"2s"`
	// DrainTimeout bounds each phase of a shutdown: serving while commands
	// are in progress, then waiting for the ones still running. A command
	// not started by then is answered as abandoned.
	DrainTimeout time.Duration `envconfig:"DRAIN_TIMEOUT" default:"30s"`
	// StateDir keeps the VIM instances the NFVO gave, so that a restarted
	// VNFM can still reach the containers of earlier deployments; empty:
	// memory only.
	StateDir string `envconfig:"STATE_DIR"`
	// Unregister at shutdown (the NFVO then forgets the endpoint).
	Unregister bool `envconfig:"UNREGISTER" default:"true"`

	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"text"`
}

// LoadConfig reads the environment and validates.
func LoadConfig() (Config, error) {
	var c Config
	if err := envconfig.Process(EnvPrefix, &c); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.defaults()
	return c, c.Validate()
}

func (c *Config) defaults() {
	if c.Endpoint == "" {
		c.Endpoint = c.Type
	}
	if c.Workers <= 0 {
		c.Workers = 25
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = 20 * time.Minute
	}
	if c.PluginTimeout <= 0 {
		c.PluginTimeout = 2 * time.Minute
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.RegisterTimeout <= 0 {
		c.RegisterTimeout = 5 * time.Second
	}
	if c.BrokerVhost == "" {
		c.BrokerVhost = "/"
	}
	if c.ManagerQueue == "" {
		c.ManagerQueue = "nfvo.manager.handling"
	}
	if c.ActionsQueue == "" {
		c.ActionsQueue = "vnfm.nfvo.actions"
	}
	if c.ActionsReplyQueue == "" {
		c.ActionsReplyQueue = "vnfm.nfvo.actions.reply"
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.BrokerHost == "" {
		errs = append(errs, errors.New(EnvPrefix+"_BROKER_HOST is empty"))
	}
	if c.BrokerPort < 1 || c.BrokerPort > 65535 {
		errs = append(errs, fmt.Errorf("%s_BROKER_PORT %d is not a TCP port", EnvPrefix, c.BrokerPort))
	}
	if c.Type == "" {
		errs = append(errs, errors.New(EnvPrefix+"_TYPE is empty"))
	}
	if c.Type == "docker" || c.Endpoint == "docker" {
		errs = append(errs, errors.New(EnvPrefix+"_TYPE/_ENDPOINT must not be plain \"docker\": the NFVO's unanchored permission regex would match the VIM driver's queues"))
	}
	if strings.ContainsAny(c.Type+c.Endpoint, " \t\n") {
		errs = append(errs, errors.New(EnvPrefix+"_TYPE and _ENDPOINT must not contain spaces"))
	}
	if _, err := url.Parse(c.ManagementURL); err != nil || c.ManagementURL == "" {
		// Not echoed: a URL that does not parse may hold a password.
		errs = append(errs, fmt.Errorf("%s_MANAGEMENT_URL is not a URL (want http://host:15672)", EnvPrefix))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// amqpURL builds a broker URL for a user.
func (c Config) amqpURL(user, password string) string {
	vhost := ""
	if c.BrokerVhost != "/" {
		vhost = url.PathEscape(c.BrokerVhost)
	}
	return fmt.Sprintf("amqp://%s@%s:%d/%s", url.UserPassword(user, password).String(), c.BrokerHost, c.BrokerPort, vhost)
}
