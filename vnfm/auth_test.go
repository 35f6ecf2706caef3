package vnfm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/vnfm"
)

// TestWrongBootstrapPasswordIsAnError: a broker that refuses the bootstrap
// login makes the VNFM say so at error level, naming the user (and never
// the password), and Run ends with that error.
func TestWrongBootstrapPasswordIsAnError(t *testing.T) {
	amqpURL := testenv.RabbitMQ(t)
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	n, err := nfvo.Start(t.Context(), nfvo.Options{AMQPURL: amqpURL, ManagementURL: testenv.ManagementURL(),
		ManagerQueue: "nfvo.manager.handling-a" + u, ManagerUser: "openbaton-manager-user-a" + u, OwnManagerUser: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	cfg, err := vnfm.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Type, cfg.Endpoint = "docker-vnfm-a"+u, "docker-vnfm-a"+u
	cfg.ManagerQueue = n.ManagerQueue()
	cfg.BrokerUser = "openbaton-manager-user-a" + u
	cfg.BrokerPassword = "wrong-Kp4-" + u
	cfg.BrokerHost = "127.0.0.1"
	cfg.ManagementURL = testenv.ManagementURL()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	v, err := vnfm.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := v.Run(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("Run: %v (ctx %v)", err, ctx.Err())
	}
	want := "authentication refused for user " + cfg.BrokerUser
	var found bool
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		if strings.Contains(line, cfg.BrokerPassword) {
			t.Errorf("the password is in a log line: %s", line)
		}
		if strings.Contains(e.Message, want) {
			found = true
			if e.Level != logrus.ErrorLevel {
				t.Errorf("%q logged at %s, want error", e.Message, e.Level)
			}
		}
	}
	if !found {
		var lines []string
		for _, e := range hook.AllEntries() {
			lines = append(lines, e.Level.String()+": "+e.Message)
		}
		t.Errorf("no %q line; logged:\n%s", want, strings.Join(lines, "\n"))
	}
}
