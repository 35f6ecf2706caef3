package nfvo

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// BrokerConnection is a connection as `rabbitmqctl list_connections` shows
// it, without the management API's statistics delay.
type BrokerConnection struct {
	// PID is the connection process, as close_connection takes it.
	PID string
	// ClientName is the client-provided connection name.
	ClientName string
	User       string
}

// ListConnections runs `rabbitmqctl list_connections` on this host (the
// broker must be local and the caller allowed to run rabbitmqctl). The
// text output is used because close_connection takes the pid in its text
// form (<rabbit@host.N.M.0>), not the JSON formatter's #PID<…>.
func ListConnections(ctx context.Context) ([]BrokerConnection, error) {
	out, err := exec.CommandContext(ctx, "rabbitmqctl", "-q", "list_connections",
		"pid", "user", "client_properties").Output()
	if err != nil {
		return nil, fmt.Errorf("rabbitmqctl list_connections: %w", err)
	}
	var conns []BrokerConnection
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || !strings.HasPrefix(fields[0], "<") {
			continue
		}
		c := BrokerConnection{PID: fields[0], User: fields[1]}
		if m := connNameRe.FindStringSubmatch(fields[2]); m != nil {
			c.ClientName = m[1]
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// connNameRe finds the connection name in client_properties as rabbitmqctl
// prints them: [{"connection_name","x"},…].
var connNameRe = regexp.MustCompile(`\{"connection_name","([^"]*)"\}`)

// ForceCloseConnections closes, with `rabbitmqctl close_connection`, every
// connection whose client-provided name satisfies match, and returns the
// names it closed. Tests pass a match on their own unique names only.
func ForceCloseConnections(ctx context.Context, match func(clientName string) bool, reason string) ([]string, error) {
	conns, err := ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	var closed []string
	for _, c := range conns {
		if c.ClientName == "" || !match(c.ClientName) {
			continue
		}
		if out, err := exec.CommandContext(ctx, "rabbitmqctl", "-q", "close_connection", c.PID, reason).CombinedOutput(); err != nil {
			return closed, fmt.Errorf("rabbitmqctl close_connection %s (%s): %w: %s", c.PID, c.ClientName, err, bytes.TrimSpace(out))
		}
		closed = append(closed, c.ClientName)
	}
	return closed, nil
}

// CloseConnection force-closes one connection by its pid (as listed by
// ListConnections).
func CloseConnection(ctx context.Context, pid, reason string) error {
	if out, err := exec.CommandContext(ctx, "rabbitmqctl", "-q", "close_connection", pid, reason).CombinedOutput(); err != nil {
		return fmt.Errorf("rabbitmqctl close_connection %s: %w: %s", pid, err, bytes.TrimSpace(out))
	}
	return nil
}
