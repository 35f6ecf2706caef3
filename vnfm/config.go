package vnfm

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/settings"
)

// EnvPrefix prefixes every environment variable of the VNFM daemon.
const EnvPrefix = "OBDOCKER_VNFM"

// Config is the VNFM's configuration, read from OBDOCKER_VNFM_<NAME>. The
// desc tags are what -help shows; docs/configuration.md starts each meaning
// with the same words (checked by deploy/configdoc_test.go).
type Config struct {
	BrokerHost  string `envconfig:"BROKER_HOST" default:"localhost" desc:"the NFVO's RabbitMQ host"`
	BrokerPort  int    `envconfig:"BROKER_PORT" default:"5672" desc:"its AMQP port"`
	BrokerVhost string `envconfig:"BROKER_VHOST" default:"/" desc:"its virtual host, the NFVO's"`
	// BrokerUser and BrokerPassword are the NFVO's bootstrap registration
	// user; the VNFM serves with the private credentials it gets back.
	BrokerUser     string `envconfig:"BROKER_USER" default:"openbaton-manager-user" desc:"the NFVO's bootstrap registration user"`
	BrokerPassword string `envconfig:"BROKER_PASSWORD" default:"openbaton" secret:"true" desc:"its password"`

	// Type is what VNFDs name in their "endpoint" to select this VNFM (the
	// NFVO looks VNFMs up by type), and the RabbitMQ user name. Endpoint
	// is the command queue, which the NFVO keys the user's permissions by
	// (spec §1.2, §1.3). The default, type docker on queue docker-vnfm,
	// takes the NSDs written for the official Docker VNFM unchanged.
	Type        string `envconfig:"TYPE" default:"docker" desc:"the VNFD endpoint that selects this VNFM, and its RabbitMQ user"`
	Endpoint    string `envconfig:"ENDPOINT" desc:"the command queue, which the NFVO keys the VNFM's broker permissions by; empty means docker-vnfm when OBDOCKER_VNFM_TYPE is docker, else OBDOCKER_VNFM_TYPE"`
	Description string `envconfig:"DESCRIPTION" default:"Docker VNFM (obdocker)" desc:"shown by the NFVO"`

	// ManagerQueue, ActionsQueue and ActionsReplyQueue are the NFVO's
	// fixed names; only tests running several stand-ins on one broker
	// change them.
	ManagerQueue      string `envconfig:"MANAGER_QUEUE" default:"nfvo.manager.handling" desc:"the NFVO's registration queue"`
	ActionsQueue      string `envconfig:"ACTIONS_QUEUE" default:"vnfm.nfvo.actions" desc:"the NFVO's queue for the VNFM's requests"`
	ActionsReplyQueue string `envconfig:"ACTIONS_REPLY_QUEUE" default:"vnfm.nfvo.actions.reply" desc:"the NFVO's queue for the VNFM's answers"`

	// NFVOUser and NFVOPassword are what the VNFM calls the VIM driver
	// plugin with: the NFVO's own admin credentials, since it calls the
	// plugin exactly as the NFVO does. ManagementURL finds the plugin
	// queue (prefix vim-drivers.<vim type>) unless PluginQueue names it.
	NFVOUser      string `envconfig:"NFVO_USER" default:"admin" desc:"the user the VNFM calls the VIM driver with, as the NFVO does (the NFVO admin)"`
	NFVOPassword  string `envconfig:"NFVO_PASSWORD" default:"openbaton" secret:"true" desc:"its password"`
	ManagementURL string `envconfig:"MANAGEMENT_URL" default:"http://localhost:15672" secret:"true" desc:"the RabbitMQ management API, which finds the driver's queue (vim-drivers.<VIM type>…, the first match)"`
	PluginQueue   string `envconfig:"PLUGIN_QUEUE" desc:"names the driver's queue instead"`

	// Workers bounds the commands handled at once.
	Workers int `envconfig:"WORKERS" default:"25" desc:"commands handled at once"`
	// RPCTimeout bounds GRANT_OPERATION, ALLOCATE_RESOURCES and SCALING
	// answers: above the sum of the plugin launches (spec §2.2).
	RPCTimeout time.Duration `envconfig:"RPC_TIMEOUT" default:"20m" desc:"wait for the NFVO's answer to GRANT/ALLOCATE/SCALING (the NFVO has no timeout of its own)"`
	// PluginTimeout bounds one plugin call.
	PluginTimeout time.Duration `envconfig:"PLUGIN_TIMEOUT" default:"2m" desc:"one driver call"`
	// RegisterTimeout bounds one wait for the NFVO's credentials.
	RegisterTimeout time.Duration `envconfig:"REGISTER_TIMEOUT" default:"5s" desc:"one wait for the NFVO's registration answer (retried with backoff)"`
	// MonitorInterval spaces the checks of started VNFCs (0 disables
	// failure reports and restarts).
	MonitorInterval time.Duration `envconfig:"MONITOR_INTERVAL" default:"2s" desc:"how often started VNFCs are checked (0 turns failure reports and restarts off)"`
	// DrainTimeout bounds each phase of a shutdown: serving while commands
	// are in progress, then waiting for the ones still running. A command
	// not started by then is answered as abandoned.
	DrainTimeout time.Duration `envconfig:"DRAIN_TIMEOUT" default:"30s" desc:"at SIGTERM, how long the VNFM keeps serving while commands run, then how long it waits for the ones running"`
	// StateDir keeps the VIM instances the NFVO gave, so that a restarted
	// VNFM can still reach the containers of earlier deployments; empty:
	// memory only.
	StateDir string `envconfig:"STATE_DIR" desc:"keeps the VIM instances the NFVO granted, so a restarted VNFM can still reach the containers of earlier deployments"`
	// Unregister at shutdown (the NFVO then forgets the endpoint).
	Unregister bool `envconfig:"UNREGISTER" default:"true" desc:"unregister at shutdown"`

	LogLevel  string `envconfig:"LOG_LEVEL" default:"info" desc:"panic, fatal, error, warn, info, debug or trace"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"text" desc:"text or json"`
}

// Vars lists the VNFM's variables, in the order of -help.
func Vars() []settings.Var { return settings.Vars(EnvPrefix, Config{}) }

// LoadConfig reads the environment and checks every setting, naming every
// bad variable in one error.
func LoadConfig() (Config, error) {
	return loadConfig(os.LookupEnv)
}

func loadConfig(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	probs := settings.Load(EnvPrefix, &c, lookup)
	if c.Endpoint == "" {
		c.Endpoint = defaultEndpoint(c.Type)
	}
	// Checked before defaults(): a variable set to 0 or "" is a mistake to
	// report, not a value to replace silently.
	c.check(probs)
	if err := probs.Err(); err != nil {
		return Config{}, err
	}
	c.defaults()
	return c, nil
}

// defaults fills what a Config built in code leaves zero.
func (c *Config) defaults() {
	if c.Endpoint == "" {
		c.Endpoint = defaultEndpoint(c.Type)
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
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
}

// endpointRE is what an endpoint may hold: it becomes a permission regex.
var endpointRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// driverQueuePrefix starts every VIM driver's queue.
const driverQueuePrefix = "vim-drivers.docker."

// DefaultEndpoint is the command queue of a VNFM of type docker.
const DefaultEndpoint = "docker-vnfm"

// defaultEndpoint is the queue of a VNFM of type typ: its type (spec
// §1.2: one name for both), except for type docker, whose queue would
// give it the VIM driver's queues (see check).
func defaultEndpoint(typ string) string {
	if typ == "docker" {
		return DefaultEndpoint
	}
	return typ
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	probs := &settings.Problems{}
	c.check(probs)
	return probs.Err()
}

// check adds every problem of c to probs, skipping variables that already
// have one (they did not parse and hold their default).
func (c Config) check(probs *settings.Problems) {
	const p = EnvPrefix + "_"
	add := func(name, format string, args ...any) {
		if !probs.Has(p + name) {
			probs.Add(p+name, p+name+format, args...)
		}
	}
	switch {
	case c.BrokerHost == "":
		add("BROKER_HOST", " is empty")
	case strings.Contains(c.BrokerHost, "/") || strings.ContainsAny(c.BrokerHost, " \t@"):
		add("BROKER_HOST", "=%q: want a host name or IP address, not a URL (the port is %sBROKER_PORT)", c.BrokerHost, p)
	}
	if c.BrokerPort < 1 || c.BrokerPort > 65535 {
		add("BROKER_PORT", " %d is not a TCP port", c.BrokerPort)
	}
	if c.BrokerVhost == "" {
		add("BROKER_VHOST", " is empty (the NFVO's default is /)")
	}
	if c.BrokerUser == "" {
		add("BROKER_USER", " is empty")
	}
	if c.Type == "" {
		add("TYPE", " is empty")
	}
	// The NFVO grants the VNFM's user the unanchored regex (E) on its
	// endpoint E; (docker) also matches the driver's queues. The type is
	// only a lookup key and user name, so type docker is fine.
	ep := c.Endpoint
	if ep == "" {
		ep = defaultEndpoint(c.Type)
	}
	switch {
	case ep == "docker":
		add("ENDPOINT", "=docker is refused: the NFVO grants the VNFM's broker user the unanchored permission regex (docker), which also matches the VIM driver's queues vim-drivers.docker.*; use the default docker-vnfm (VNFDs with \"endpoint\": \"docker\" select the VNFM by OBDOCKER_VNFM_TYPE, not by its queue)")
	case !endpointRE.MatchString(ep):
		// '.' and the like are regex wildcards in the NFVO's permission.
		add("ENDPOINT", "=%q (from OBDOCKER_VNFM_ENDPOINT, else the type): want letters, digits, '-' and '_' only: the NFVO uses it as a permission regex", ep)
	case strings.Contains(driverQueuePrefix, ep):
		add("ENDPOINT", "=%q (from OBDOCKER_VNFM_ENDPOINT, else the type) is refused: the NFVO's unanchored permission regex (%s) would match the VIM driver's queues %s*", ep, ep, driverQueuePrefix)
	}
	if strings.ContainsAny(c.Type+c.Endpoint, " \t\n#*") {
		add("TYPE", " and "+p+"ENDPOINT must not contain spaces or routing wildcards (# *)")
	}
	if c.NFVOUser == "" {
		add("NFVO_USER", " is empty")
	}
	// The URL is never echoed: it may hold a password.
	if u, err := url.Parse(c.ManagementURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("MANAGEMENT_URL", " is not an http(s) URL (want http://host:15672)")
	}
	if strings.ContainsAny(c.PluginQueue, " \t\n#*") {
		add("PLUGIN_QUEUE", "=%q: a queue name has no spaces or routing wildcards (# *)", c.PluginQueue)
	}
	for _, q := range []struct{ name, val string }{
		{"MANAGER_QUEUE", c.ManagerQueue}, {"ACTIONS_QUEUE", c.ActionsQueue}, {"ACTIONS_REPLY_QUEUE", c.ActionsReplyQueue},
	} {
		if q.val == "" {
			add(q.name, " is empty")
		}
	}
	if c.Workers < 1 {
		add("WORKERS", " %d must be at least 1", c.Workers)
	}
	for _, d := range []struct {
		name string
		val  time.Duration
	}{
		{"RPC_TIMEOUT", c.RPCTimeout}, {"PLUGIN_TIMEOUT", c.PluginTimeout},
		{"REGISTER_TIMEOUT", c.RegisterTimeout}, {"DRAIN_TIMEOUT", c.DrainTimeout},
	} {
		if d.val <= 0 {
			add(d.name, " %s must be positive", d.val)
		}
	}
	if c.MonitorInterval < 0 {
		add("MONITOR_INTERVAL", " %s must not be negative (0 turns monitoring off)", c.MonitorInterval)
	}
	if _, err := logrus.ParseLevel(c.LogLevel); err != nil {
		add("LOG_LEVEL", " %q must be panic, fatal, error, warn, info, debug or trace", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add("LOG_FORMAT", " %q must be text or json", c.LogFormat)
	}
}

// amqpURL builds a broker URL for a user.
func (c Config) amqpURL(user, password string) string {
	vhost := ""
	if c.BrokerVhost != "/" {
		vhost = url.PathEscape(c.BrokerVhost)
	}
	return fmt.Sprintf("amqp://%s@%s:%d/%s", url.UserPassword(user, password).String(), c.BrokerHost, c.BrokerPort, vhost)
}
