package plugin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/openbaton-docker/obdocker/plugin"
)

// TestWrongBootstrapPasswordIsAnError: a broker that refuses the bootstrap
// login is reported as what it is, at error level and naming the user,
// not as an NFVO that has not answered yet. The password is in no line.
func TestWrongBootstrapPasswordIsAnError(t *testing.T) {
	t.Parallel()
	n := startNFVO(t)
	cfg := pluginConfig(t, n)
	cfg.BrokerPassword = "wrong-Zq7-" + cfg.PluginName
	cfg.Workers, cfg.Connections = 1, 1
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	p, err := plugin.New(cfg, &fakeDriver{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	want := "authentication refused for user " + cfg.BrokerUser
	var refused *logrus.Entry
	poll(t, 3*deadline, "the refused login logged", func() bool {
		for _, e := range hook.AllEntries() {
			if strings.Contains(e.Message, want) {
				refused = e
				return true
			}
		}
		return false
	})
	if refused.Level != logrus.ErrorLevel {
		t.Errorf("%q logged at %s, want error", refused.Message, refused.Level)
	}
	if p.Server() != nil {
		t.Error("serving with a refused login")
	}
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		if strings.Contains(line, cfg.BrokerPassword) {
			t.Errorf("the password is in a log line: %s", line)
		}
		if strings.Contains(e.Message, "waiting for the NFVO") {
			t.Errorf("a refused login reported as a missing NFVO: %s", line)
		}
	}
}
