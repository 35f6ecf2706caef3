// Package nfvo is a stand-in for the Open Baton NFVO on a real RabbitMQ,
// built from the facts of the protocol spec (§1, §2): it declares the
// NFVO's exchange and manager queue, creates the bootstrap user with the
// NFVO's permissions, answers plugin registrations by creating per-plugin
// users, finds plugin queues through the management API, and calls plugin
// methods exactly as the NFVO's PluginCaller does.
//
// Tests, the demo, vimctl and the VNFM use it. Concurrent stand-ins on one
// broker would steal each other's registrations from the one manager
// queue, so Options.ManagerQueue can rename it: tests give every stand-in
// (and the plugin's registration config) a unique manager queue such as
// "nfvo.manager.handling-<unique>", which the NFVO's unanchored permission
// regexes still allow. Production keeps the default.
package nfvo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/amqpx"
)

// The NFVO's fixed names (spec §1.1).
const (
	Exchange            = "openbaton-exchange"
	DefaultManagerQueue = "nfvo.manager.handling"
	// PluginPrefix starts every VIM driver's queue name (spec §1.2).
	PluginPrefix = "vim-drivers."
)

// Options configure a stand-in. Zero values take the NFVO's defaults.
type Options struct {
	// AMQPURL is the broker as the NFVO admin (default
	// amqp://admin:openbaton@127.0.0.1:5672/); its vhost is the NFVO's.
	AMQPURL string
	// ManagementURL is the management API (default http://127.0.0.1:15672).
	ManagementURL string
	// AdminUser and AdminPassword log in to the management API (default
	// admin/openbaton).
	AdminUser     string
	AdminPassword string
	// ManagerUser and ManagerPassword are the bootstrap registration user
	// (default openbaton-manager-user/openbaton).
	ManagerUser     string
	ManagerPassword string
	// ManagerQueue is the registration queue (default
	// nfvo.manager.handling); see the package doc.
	ManagerQueue string
	// KeepUsers keeps the users this stand-in created when it closes (the
	// real NFVO keeps them); by default Close deletes them.
	KeepUsers bool
	// OwnManagerUser says ManagerUser is this stand-in's alone (a test's
	// unique name), so Close deletes it with the others. The default
	// bootstrap user is shared by every stand-in on the broker and stays.
	OwnManagerUser bool
	// CallTimeout bounds a Call whose ctx has no deadline (default 120 s,
	// the NFVO's code default for nfvo.plugin.timeout).
	CallTimeout time.Duration
	// Logger; nil discards.
	Logger logrus.FieldLogger
}

func (o *Options) defaults() error {
	if o.AMQPURL == "" {
		o.AMQPURL = "amqp://admin:openbaton@127.0.0.1:5672/"
	}
	if o.ManagementURL == "" {
		o.ManagementURL = "http://127.0.0.1:15672"
	}
	if o.AdminUser == "" {
		o.AdminUser = "admin"
	}
	if o.AdminPassword == "" {
		o.AdminPassword = "openbaton"
	}
	if o.ManagerUser == "" {
		o.ManagerUser = "openbaton-manager-user"
	}
	if o.ManagerPassword == "" {
		o.ManagerPassword = "openbaton"
	}
	if o.ManagerQueue == "" {
		o.ManagerQueue = DefaultManagerQueue
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 120 * time.Second
	}
	if o.Logger == nil {
		l := logrus.New()
		l.Out = discard{}
		o.Logger = l
	}
	if _, err := amqp.ParseURI(o.AMQPURL); err != nil {
		return fmt.Errorf("nfvo: amqp url %s: %w", amqpx.Redact(o.AMQPURL), err)
	}
	if _, err := url.Parse(o.ManagementURL); err != nil {
		return fmt.Errorf("nfvo: management url: %w", err)
	}
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Credentials are a plugin's private RabbitMQ credentials
// (ManagerCredentials).
type Credentials struct {
	RabbitUsername string `json:"rabbitUsername"`
	RabbitPassword string `json:"rabbitPassword"`
}

// NFVO is a running stand-in.
type NFVO struct {
	opts  Options
	log   logrus.FieldLogger
	mgmt  *Management
	vhost string

	cancel context.CancelFunc
	done   chan struct{}
	server *amqpx.Server

	mu            sync.Mutex
	creds         map[string]Credentials // by plugin id (= username)
	endpoints     []VNFMEndpoint         // registered VNFMs, in order
	registers     map[string]int
	unregisters   map[string]int
	createdUsers  map[string]bool
	changed       chan struct{}
	registrarDone bool
}

// New makes a stand-in that can find and call plugins but does not answer
// registrations (vimctl call uses it next to a real NFVO).
func New(opts Options) (*NFVO, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	uri, _ := amqp.ParseURI(opts.AMQPURL)
	vhost := uri.Vhost
	if vhost == "" {
		vhost = "/"
	}
	return &NFVO{
		opts:         opts,
		log:          opts.Logger.WithField("component", "nfvo-standin"),
		mgmt:         NewManagement(opts.ManagementURL, opts.AdminUser, opts.AdminPassword, vhost),
		vhost:        vhost,
		creds:        map[string]Credentials{},
		registers:    map[string]int{},
		unregisters:  map[string]int{},
		createdUsers: map[string]bool{},
		changed:      make(chan struct{}),
		done:         make(chan struct{}),
	}, nil
}

// Start plays the NFVO's registration side: it declares the exchange and
// the manager queue, creates the bootstrap user and answers registrations
// until Close or ctx is done.
func Start(ctx context.Context, opts Options) (*NFVO, error) {
	n, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := n.startRegistrar(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// Management is the stand-in's management API client (admin user).
func (n *NFVO) Management() *Management { return n.mgmt }

// ManagerQueue is the registration queue this stand-in serves.
func (n *NFVO) ManagerQueue() string { return n.opts.ManagerQueue }

func (n *NFVO) startRegistrar(ctx context.Context) error {
	// SystemStartup's bootstrap user and permissions (spec §1.3).
	if err := n.mgmt.PutUser(ctx, n.opts.ManagerUser, n.opts.ManagerPassword, ""); err != nil {
		return fmt.Errorf("nfvo: create bootstrap user: %w", err)
	}
	// Noted for deletion at Close only when it is ours alone: the default
	// bootstrap user is the NFVO's own and shared by every stand-in on
	// the broker (tests run several at once); deleting it would refuse
	// the others' registrations.
	if n.opts.OwnManagerUser {
		n.noteUser(n.opts.ManagerUser)
	}
	if err := n.mgmt.SetPermissions(ctx, n.opts.ManagerUser, BootstrapPermissions(n.opts.ManagerQueue)); err != nil {
		return fmt.Errorf("nfvo: bootstrap user permissions: %w", err)
	}
	queue := n.opts.ManagerQueue
	srv, err := amqpx.NewServer(amqpx.ServerConfig{
		Dial: amqpx.DialConfig{
			URL:  n.opts.AMQPURL,
			Name: "obdocker-nfvo-standin-" + queue,
			Log:  n.opts.Logger,
		},
		Queue: queue,
		Declare: func(ch *amqp.Channel) error {
			if err := ch.ExchangeDeclare(Exchange, "topic", true, false, false, false, nil); err != nil {
				return fmt.Errorf("declare %s: %w", Exchange, err)
			}
			if _, err := ch.QueueDeclare(queue, true, true, false, false, nil); err != nil {
				return fmt.Errorf("declare %s: %w", queue, err)
			}
			if err := ch.QueueBind(queue, queue, Exchange, false, nil); err != nil {
				return fmt.Errorf("bind %s: %w", queue, err)
			}
			return nil
		},
		Workers:     4,
		Connections: 1,
		Handler:     n.handleManager,
	})
	if err != nil {
		return fmt.Errorf("nfvo: %w", err)
	}
	n.server = srv
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	go func() {
		defer close(n.done)
		if err := srv.Run(rctx); err != nil {
			n.log.WithError(err).Error("registrar stopped")
		}
	}()
	// Ready once the manager queue is consumed, so plugins started right
	// after Start find it.
	for srv.Consuming() == 0 {
		select {
		case <-ctx.Done():
			n.Close()
			return ctx.Err()
		case <-n.done:
			return errors.New("nfvo: registrar stopped at start-up")
		case <-time.After(20 * time.Millisecond):
		}
	}
	n.log.WithField("manager_queue", queue).Info("NFVO stand-in answering registrations")
	return nil
}

func (n *NFVO) noteUser(name string) {
	n.mu.Lock()
	n.createdUsers[name] = true
	n.mu.Unlock()
}

// BootstrapPermissions are the bootstrap user's permissions as
// SystemStartup sets them (spec §1.3), for a given manager queue name.
func BootstrapPermissions(managerQueue string) Permissions {
	return Permissions{
		Configure: `^amq\.gen.*|amq\.default$`,
		Write:     `^amq\.gen.*|amq\.default$|` + managerQueue + `|` + Exchange,
		Read:      `^amq\.gen.*|amq\.default$|` + managerQueue + `|` + Exchange,
	}
}

// PluginPermissions are a registered component's permissions as
// ComponentManager sets them (spec §1.3); the id is inserted unescaped,
// as the NFVO does.
func PluginPermissions(id string) Permissions {
	return Permissions{
		Configure: `^amq\.gen.*|amq\.default$|(` + id + `)|(nfvo.` + id + `.actions)`,
		Write:     `^amq\.gen.*|amq\.default$|(` + id + `)|(vnfm.nfvo.actions)|(vnfm.nfvo.actions.reply)|(nfvo.` + id + `.actions)|(` + Exchange + `)`,
		Read:      `^amq\.gen.*|amq\.default$|(nfvo.` + id + `.actions)|(` + id + `)|(` + Exchange + `)`,
	}
}

// Close stops answering registrations and, unless KeepUsers, deletes the
// users this stand-in created.
func (n *NFVO) Close() error {
	if n.cancel != nil {
		n.cancel()
		<-n.done
		n.cancel = nil
	}
	if n.opts.KeepUsers {
		return nil
	}
	n.mu.Lock()
	users := make([]string, 0, len(n.createdUsers))
	for u := range n.createdUsers {
		users = append(users, u)
	}
	n.createdUsers = map[string]bool{}
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var errs []error
	for _, u := range users {
		if err := n.mgmt.DeleteUser(ctx, u); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Plugins lists the queues whose name starts with prefix, in the order the
// management API gives them; the NFVO picks the first (spec §1.2).
func (n *NFVO) Plugins(ctx context.Context, prefix string) ([]string, error) {
	qs, err := n.mgmt.Queues(ctx)
	if err != nil {
		return nil, fmt.Errorf("nfvo: list queues: %w", err)
	}
	var out []string
	for _, q := range qs {
		if strings.HasPrefix(q, prefix) {
			out = append(out, q)
		}
	}
	return out, nil
}

// PluginPrefixForVIMType is the queue prefix the NFVO looks up for a VIM
// instance type: "docker" → "vim-drivers.docker.", "docker.foo" →
// "vim-drivers.docker.foo" (spec §1.2).
func PluginPrefixForVIMType(vimType string) string {
	typ, name, _ := strings.Cut(vimType, ".")
	return PluginPrefix + typ + "." + name
}

// FindPlugin returns the queue the NFVO would call for a VIM type.
func (n *NFVO) FindPlugin(ctx context.Context, vimType string) (string, error) {
	prefix := PluginPrefixForVIMType(vimType)
	qs, err := n.Plugins(ctx, prefix)
	if err != nil {
		return "", err
	}
	if len(qs) == 0 {
		return "", fmt.Errorf("nfvo: no plugin found with name: %s", prefix)
	}
	return qs[0], nil
}

// Credentials returns the private credentials handed to a plugin.
func (n *NFVO) Credentials(pluginID string) (Credentials, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c, ok := n.creds[pluginID]
	return c, ok
}

// Registrations and Unregistrations count the events seen per plugin id.
func (n *NFVO) Registrations(pluginID string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.registers[pluginID]
}

// Unregistrations counts accepted unregister messages for a plugin id.
func (n *NFVO) Unregistrations(pluginID string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.unregisters[pluginID]
}

// WaitRegistered waits until pluginID holds credentials.
func (n *NFVO) WaitRegistered(ctx context.Context, pluginID string) (Credentials, error) {
	for {
		n.mu.Lock()
		c, ok := n.creds[pluginID]
		ch := n.changed
		n.mu.Unlock()
		if ok {
			return c, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Credentials{}, fmt.Errorf("wait for %s to register: %w", pluginID, ctx.Err())
		}
	}
}

// WaitUnregistered waits until pluginID has unregistered (and so holds no
// credentials).
func (n *NFVO) WaitUnregistered(ctx context.Context, pluginID string) error {
	for {
		n.mu.Lock()
		_, has := n.creds[pluginID]
		done := !has && n.unregisters[pluginID] > 0
		ch := n.changed
		n.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to unregister: %w", pluginID, ctx.Err())
		}
	}
}

// Forget drops a plugin's credentials and deletes its RabbitMQ user, as
// an NFVO reinstall does: the plugin's next dial is refused.
func (n *NFVO) Forget(ctx context.Context, pluginID string) error {
	n.mu.Lock()
	delete(n.creds, pluginID)
	n.forgetEndpointLocked(pluginID)
	n.notifyLocked()
	n.mu.Unlock()
	return n.mgmt.DeleteUser(ctx, pluginID)
}

func (n *NFVO) notifyLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}
