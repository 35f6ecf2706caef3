// Package docker is the Docker Engine backend of the Pop core: it implements
// pop.Backend over github.com/docker/docker/client, scoped to one Pop by
// labels.
package docker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/docker/docker/client"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/pop"
)

// pingTimeout bounds the startup Ping: an engine that does not answer in
// this time is reported unavailable instead of hanging the caller.
const pingTimeout = 5 * time.Second

// TLSConfig holds PEM-encoded material in memory. Keys never touch the disk.
type TLSConfig struct {
	CA   []byte // trusted CA bundle; empty means the system roots
	Cert []byte // client certificate (with Key)
	Key  []byte // client private key (with Cert)
	// ServerName overrides the name checked in the server certificate.
	ServerName string
}

// Options configures a Backend.
type Options struct {
	// Host is the engine address (unix:///path or tcp://host:port). Empty
	// means the platform default socket; DOCKER_HOST is deliberately not
	// read, so one process can drive several engines predictably.
	Host string
	// PopName scopes the backend: it labels what it creates and filters
	// what it lists.
	PopName string
	// TLS, when set, speaks HTTPS to a tcp:// host.
	TLS *TLSConfig
	// Logger receives the few things worth logging (failed cleanups);
	// nil discards them.
	Logger logrus.FieldLogger
	// DockerConfig is the path of a Docker config.json whose "auths"
	// entries give pulls their registry credentials; it is read at each
	// pull, so a rotated password needs no restart. Empty: anonymous pulls.
	DockerConfig string
	// PullTimeout bounds one image pull; 0 means DefaultPullTimeout.
	PullTimeout time.Duration
}

// DefaultPullTimeout bounds a pull when Options.PullTimeout is 0.
const DefaultPullTimeout = 5 * time.Minute

// Backend drives one Docker engine for one Pop. It is safe for concurrent use.
type Backend struct {
	cli     *client.Client
	host    string
	popName string
	log     logrus.FieldLogger

	dockerConfig string
	pullTimeout  time.Duration
	pulls        pullFlights
}

var _ pop.Backend = (*Backend)(nil)

// New connects to the engine, negotiates the API version and checks that the
// engine answers.
func New(ctx context.Context, opts Options) (*Backend, error) {
	if opts.PopName == "" {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "docker backend: empty Pop name")
	}
	host := opts.Host
	if host == "" {
		host = client.DefaultDockerHost
	}
	u, err := client.ParseHostURL(host)
	if err != nil {
		return nil, pop.Wrap(pop.ErrInvalidArgument, err, "docker host %q", host)
	}
	switch u.Scheme {
	case "unix", "tcp", "npipe":
	default:
		return nil, pop.Errorf(pop.ErrInvalidArgument, "docker host %q: want unix:// or tcp://", host)
	}

	var clientOpts []client.Opt
	if opts.TLS != nil {
		tlsCfg, err := tlsConfig(opts.TLS)
		if err != nil {
			return nil, err
		}
		// The transport must be an *http.Transport so WithHost (applied
		// after it) can install the dialer for the host's scheme.
		tr := &http.Transport{
			TLSClientConfig:     tlsCfg,
			MaxIdleConns:        6,
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
		clientOpts = append(clientOpts, client.WithHTTPClient(&http.Client{
			Transport:     tr,
			CheckRedirect: client.CheckRedirect,
		}))
	}
	clientOpts = append(clientOpts, client.WithHost(host), client.WithAPIVersionNegotiation())
	cli, err := client.NewClientWithOpts(clientOpts...)
	if err != nil {
		return nil, pop.Wrap(pop.ErrInvalidArgument, err, "docker client for %s", host)
	}

	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	ping, err := cli.Ping(pctx)
	if err != nil {
		cli.Close()
		if TLSRefused(err) {
			return nil, pop.Wrap(pop.ErrUnauthenticated, err, "docker engine at %s: the TLS handshake failed (check ca, cert and key)", host)
		}
		return nil, pop.Wrap(pop.ErrUnavailable, err, "docker engine at %s does not answer", host)
	}
	// Negotiate from this answer so the first real request needs no ping.
	cli.NegotiateAPIVersionPing(ping)
	b := newBackend(cli, opts.PopName, opts.Logger)
	b.host = host
	b.dockerConfig = opts.DockerConfig
	if opts.PullTimeout > 0 {
		b.pullTimeout = opts.PullTimeout
	}
	return b, nil
}

// newBackend wraps an existing client; unit tests use it with a fake transport.
func newBackend(cli *client.Client, popName string, log logrus.FieldLogger) *Backend {
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = l
	}
	return &Backend{
		cli:         cli,
		host:        cli.DaemonHost(),
		popName:     popName,
		log:         log.WithField("pop", popName),
		pullTimeout: DefaultPullTimeout,
	}
}

// Close releases the client's idle connections.
func (b *Backend) Close() error {
	return b.cli.Close()
}

// PopName is the Pop this backend is scoped to.
func (b *Backend) PopName() string { return b.popName }

// Host is the engine address this backend talks to.
func (b *Backend) Host() string { return b.host }

func tlsConfig(t *TLSConfig) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if len(t.CA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(t.CA) {
			return nil, pop.Errorf(pop.ErrInvalidArgument, "docker TLS: the CA is not a PEM certificate")
		}
		cfg.RootCAs = pool
	}
	switch {
	case len(t.Cert) > 0 && len(t.Key) > 0:
		pair, err := tls.X509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, pop.Wrap(pop.ErrInvalidArgument, err, "docker TLS: client certificate and key")
		}
		cfg.Certificates = []tls.Certificate{pair}
	case len(t.Cert) > 0 || len(t.Key) > 0:
		return nil, pop.Errorf(pop.ErrInvalidArgument, "docker TLS: a client certificate needs its key and vice versa")
	}
	return cfg, nil
}

// classOf maps a Docker client error to a pop error class by behaviour
// (containerd errdefs), never by message text.
func classOf(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return pop.ErrUnavailable
	case client.IsErrConnectionFailed(err):
		return pop.ErrUnavailable
	case isNotFound(err):
		return pop.ErrNotFound
	case isConflict(err):
		return pop.ErrAlreadyExists
	case isInvalid(err):
		return pop.ErrInvalidArgument
	case isUnavailable(err):
		return pop.ErrUnavailable
	}
	return pop.ErrInternal
}

// wrap classifies err and prefixes it with what was being done.
func wrap(err error, format string, args ...any) error {
	return pop.Wrap(classOf(err), err, format, args...)
}

// cleanupCtx gives undo work its own short deadline: it must run even when
// the caller's ctx is what failed.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (b *Backend) String() string { return fmt.Sprintf("docker(%s, pop %s)", b.host, b.popName) }
