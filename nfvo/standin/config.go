// Package standin runs the NFVO stand-in (package nfvo, registrations, and
// nfvo/orchestrator, the VNFM side) as a daemon, configured with the
// real NFVO's environment variables, keeping its records in a directory,
// and driven through a small JSON API on loopback that the CLI of
// cmd/nfvo-standin calls (docker exec in the compose test).
package standin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Config is the daemon's configuration.
type Config struct {
	// AMQPURL is the NFVO's own broker connection (spring.rabbitmq.*).
	AMQPURL string
	// ManagementURL is the management API on nfvo.rabbit.brokerIp.
	ManagementURL string
	// AdminUser and AdminPassword log in to the management API.
	AdminUser, AdminPassword string
	// ManagerUser and ManagerPassword are the bootstrap registration user.
	ManagerUser, ManagerPassword string
	// PluginTimeout bounds every plugin call (nfvo.plugin.timeout).
	PluginTimeout time.Duration
	// StateDir holds records.json.
	StateDir string
	// APIAddr is the loopback address of the control API.
	APIAddr string
}

// DefaultAPIAddr is where the daemon listens and the CLI calls.
const DefaultAPIAddr = "127.0.0.1:8080"

// LoadConfig reads the real NFVO's variables (Spring Boot's upper-case
// spelling of openbaton.properties) and the stand-in's own two,
// OBDOCKER_NFVO_STATE_DIR and OBDOCKER_NFVO_API. Every bad value is named.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var errs []error
	port := func(k, def string) string {
		v := get(k, def)
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q: want a port number 1-65535", k, v))
		}
		return v
	}
	host := get("SPRING_RABBITMQ_HOST", "localhost")
	amqpPort := port("SPRING_RABBITMQ_PORT", "5672")
	c := Config{
		AdminUser:       get("SPRING_RABBITMQ_USERNAME", "admin"),
		AdminPassword:   get("SPRING_RABBITMQ_PASSWORD", "openbaton"),
		ManagerUser:     get("NFVO_RABBIT_MANAGER_REGISTRATION_USER_NAME", "openbaton-manager-user"),
		ManagerPassword: get("NFVO_RABBIT_MANAGER_REGISTRATION_USER_PASSWORD", "openbaton"),
		StateDir:        get("OBDOCKER_NFVO_STATE_DIR", "/var/lib/nfvo-standin"),
		APIAddr:         get("OBDOCKER_NFVO_API", DefaultAPIAddr),
	}
	// The vhost is the URL's path, escaped: the default "/" is "%2F".
	vhost := get("SPRING_RABBITMQ_VIRTUAL_HOST", "/")
	u := url.URL{Scheme: "amqp", User: url.UserPassword(c.AdminUser, c.AdminPassword), Host: net.JoinHostPort(host, amqpPort)}
	if vhost != "/" {
		u.Path = "/" + vhost
	}
	c.AMQPURL = u.String()
	mgmtPort := port("NFVO_RABBIT_MANAGEMENT_PORT", "15672")
	c.ManagementURL = "http://" + net.JoinHostPort(get("NFVO_RABBIT_BROKERIP", host), mgmtPort)
	ms := get("NFVO_PLUGIN_TIMEOUT", "120000")
	if n, err := strconv.Atoi(ms); err != nil || n < 1000 {
		errs = append(errs, fmt.Errorf("NFVO_PLUGIN_TIMEOUT=%q: want milliseconds, at least 1000", ms))
	} else {
		c.PluginTimeout = time.Duration(n) * time.Millisecond
	}
	if h, _, err := net.SplitHostPort(c.APIAddr); err != nil {
		errs = append(errs, fmt.Errorf("OBDOCKER_NFVO_API=%q: want host:port (%v)", c.APIAddr, err))
	} else if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
		// The API has no authentication: it must not be reachable from
		// other containers.
		errs = append(errs, fmt.Errorf("OBDOCKER_NFVO_API=%q: want a loopback address such as %s (the API has no authentication)", c.APIAddr, DefaultAPIAddr))
	}
	return c, errors.Join(errs...)
}

// Env is os.Getenv, for LoadConfig.
func Env(k string) string { return os.Getenv(k) }
