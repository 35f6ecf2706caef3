package standin

import (
	"strings"
	"testing"
	"time"
)

// The stand-in reads the NFVO's own variables, as the compose file sets
// them for the nfvo service; bad values are all named.
func TestLoadConfigFromNFVOVariables(t *testing.T) {
	env := map[string]string{
		"SPRING_RABBITMQ_HOST": "rabbitmq", "SPRING_RABBITMQ_PORT": "5672",
		"SPRING_RABBITMQ_USERNAME": "admin", "SPRING_RABBITMQ_PASSWORD": "p@ss/word",
		"NFVO_RABBIT_BROKERIP": "rabbitmq", "NFVO_RABBIT_MANAGEMENT_PORT": "15672",
		"NFVO_RABBIT_MANAGER_REGISTRATION_USER_NAME":     "openbaton-manager-user",
		"NFVO_RABBIT_MANAGER_REGISTRATION_USER_PASSWORD": "boot", "NFVO_PLUGIN_TIMEOUT": "300000",
	}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.AMQPURL != "amqp://admin:p%40ss%2Fword@rabbitmq:5672" || c.ManagementURL != "http://rabbitmq:15672" {
		t.Errorf("urls %s %s", c.AMQPURL, c.ManagementURL)
	}
	if c.ManagerUser != "openbaton-manager-user" || c.ManagerPassword != "boot" || c.PluginTimeout != 300*time.Second || c.APIAddr != DefaultAPIAddr {
		t.Errorf("config %+v", c)
	}
	env = map[string]string{"SPRING_RABBITMQ_PORT": "x", "NFVO_PLUGIN_TIMEOUT": "5", "OBDOCKER_NFVO_API": "0.0.0.0:8080"}
	_, err = LoadConfig(func(k string) string { return env[k] })
	for _, want := range []string{"SPRING_RABBITMQ_PORT", "NFVO_PLUGIN_TIMEOUT", "OBDOCKER_NFVO_API"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
