package nfvo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNotFound is returned by the management client for a 404.
var ErrNotFound = errors.New("not found")

// Management is a minimal client of the RabbitMQ management HTTP API: what
// the NFVO uses (users, permissions, queue lookup) plus connection listing
// for tests and operators.
type Management struct {
	base     string
	user     string
	password string
	vhost    string
	http     *http.Client
}

// NewManagement makes a client of the management API at base
// (http://host:15672) for vhost.
func NewManagement(base, user, password, vhost string) *Management {
	if vhost == "" {
		vhost = "/"
	}
	return &Management{
		base:     strings.TrimRight(base, "/"),
		user:     user,
		password: password,
		vhost:    vhost,
		http:     &http.Client{Timeout: 15 * time.Second},
	}
}

func (m *Management) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.SetBasicAuth(m.user, m.password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("management api %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("management api %s %s: %w", method, path, ErrNotFound)
	}
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("management api %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

func (m *Management) vhostPath() string { return url.PathEscape(m.vhost) }

// PutUser creates or updates a user (password replaced).
func (m *Management) PutUser(ctx context.Context, name, password, tags string) error {
	return m.do(ctx, http.MethodPut, "/api/users/"+url.PathEscape(name),
		map[string]string{"password": password, "tags": tags}, nil)
}

// DeleteUser deletes a user; a missing user is not an error.
func (m *Management) DeleteUser(ctx context.Context, name string) error {
	err := m.do(ctx, http.MethodDelete, "/api/users/"+url.PathEscape(name), nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Permissions are RabbitMQ's three regexes.
type Permissions struct {
	Configure string `json:"configure"`
	Write     string `json:"write"`
	Read      string `json:"read"`
}

// SetPermissions sets a user's permissions on the vhost.
func (m *Management) SetPermissions(ctx context.Context, user string, p Permissions) error {
	return m.do(ctx, http.MethodPut, "/api/permissions/"+m.vhostPath()+"/"+url.PathEscape(user), p, nil)
}

// Queues lists the queue names of the vhost, in the API's order.
func (m *Management) Queues(ctx context.Context) ([]string, error) {
	var qs []struct {
		Name string `json:"name"`
	}
	if err := m.do(ctx, http.MethodGet, "/api/queues/"+m.vhostPath()+"?columns=name", nil, &qs); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(qs))
	for _, q := range qs {
		names = append(names, q.Name)
	}
	return names, nil
}

// QueueExists reports whether a queue exists in the vhost.
func (m *Management) QueueExists(ctx context.Context, name string) (bool, error) {
	err := m.do(ctx, http.MethodGet, "/api/queues/"+m.vhostPath()+"/"+url.PathEscape(name)+"?columns=name", nil, nil)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Connection is one broker connection as the management API lists it.
type Connection struct {
	// Name is the broker's name for it ("127.0.0.1:50000 -> 127.0.0.1:5672").
	Name string
	// ClientName is the client-provided connection name.
	ClientName string
	User       string
}

// Connections lists the broker's connections. The management API refreshes
// its view every few seconds, so a new connection may take a while to show.
func (m *Management) Connections(ctx context.Context) ([]Connection, error) {
	var cs []struct {
		Name             string `json:"name"`
		User             string `json:"user"`
		ClientProperties struct {
			ConnectionName string `json:"connection_name"`
		} `json:"client_properties"`
	}
	if err := m.do(ctx, http.MethodGet, "/api/connections?columns=name,user,client_properties", nil, &cs); err != nil {
		return nil, err
	}
	out := make([]Connection, 0, len(cs))
	for _, c := range cs {
		out = append(out, Connection{Name: c.Name, ClientName: c.ClientProperties.ConnectionName, User: c.User})
	}
	return out, nil
}

// CloseConnection force-closes the broker connection called name (the
// broker's name, see Connection.Name).
func (m *Management) CloseConnection(ctx context.Context, name, reason string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, m.base+"/api/connections/"+url.PathEscape(name), nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(m.user, m.password)
	req.Header.Set("X-Reason", reason)
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("close connection %s: %w", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("close connection %s: %s", name, resp.Status)
	}
	return nil
}

// QueueInfo is the part of a queue's description the tests check.
type QueueInfo struct {
	Name       string `json:"name"`
	Durable    bool   `json:"durable"`
	AutoDelete bool   `json:"auto_delete"`
	Exclusive  bool   `json:"exclusive"`
	Consumers  int    `json:"consumers"`
}

// Queue describes one queue of the vhost.
func (m *Management) Queue(ctx context.Context, name string) (QueueInfo, error) {
	var q QueueInfo
	err := m.do(ctx, http.MethodGet, "/api/queues/"+m.vhostPath()+"/"+url.PathEscape(name), nil, &q)
	return q, err
}

// UserExists reports whether a user exists.
func (m *Management) UserExists(ctx context.Context, name string) (bool, error) {
	err := m.do(ctx, http.MethodGet, "/api/users/"+url.PathEscape(name), nil, nil)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// UserPermissions returns a user's permissions on the vhost.
func (m *Management) UserPermissions(ctx context.Context, name string) (Permissions, error) {
	var p Permissions
	err := m.do(ctx, http.MethodGet, "/api/permissions/"+m.vhostPath()+"/"+url.PathEscape(name), nil, &p)
	return p, err
}

// DeleteQueue deletes a queue of the vhost; a missing queue is not an
// error.
func (m *Management) DeleteQueue(ctx context.Context, name string) error {
	err := m.do(ctx, http.MethodDelete, "/api/queues/"+m.vhostPath()+"/"+url.PathEscape(name), nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
