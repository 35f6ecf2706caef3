package vimdriver

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/metrics"
	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/client"
	"github.com/openbaton-docker/obdocker/pop/docker"
	"github.com/openbaton-docker/obdocker/pop/swarm"
	"github.com/openbaton-docker/obdocker/vim"
)

// Run serves the VIM driver until ctx ends, then drains, unregisters and
// closes every Pop (their containers keep running; their state is stored).
func Run(ctx context.Context, cfg Config, log logrus.FieldLogger) error {
	if err := os.MkdirAll(filepath.Join(cfg.Driver.StateDir, "pops"), 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	d := NewDriver(cfg, log)
	defer func() {
		if err := d.Close(); err != nil {
			log.WithError(err).Warn("close pops")
		}
	}()
	p, err := plugin.New(cfg.Plugin, d, log)
	if err != nil {
		return err
	}
	if cfg.Metrics.Addr != "" {
		srv, err := serveMetrics(cfg.Metrics, p, d, log)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	if cfg.Driver.PopAllowPlaintext {
		log.Warn("OBDOCKER_POP_ALLOW_PLAINTEXT: docker-popd passwords of VIM instances without ca may travel in clear text")
	}
	log.WithFields(logrus.Fields{"version": version.Version, "goversion": version.Go(),
		"state_dir": cfg.Driver.StateDir, "docker_host": cfg.Driver.DockerHost,
		"pop_name": popName(cfg)}).Info("docker VIM driver starting")
	checkDockerSocket(cfg.Driver.DockerHost, log)
	return p.Run(ctx)
}

// checkDockerSocket says at start why a local Docker socket cannot be
// opened, which otherwise shows only as failed calls later; the driver
// keeps running (VIM instances may name other engines).
func checkDockerSocket(dockerHost string, log logrus.FieldLogger) {
	path, ok := strings.CutPrefix(dockerHost, "unix://")
	if !ok {
		return
	}
	c, err := net.DialTimeout("unix", path, 3*time.Second)
	if err == nil {
		c.Close()
		return
	}
	if !errors.Is(err, os.ErrPermission) {
		log.WithError(err).Warnf("docker socket %s does not answer", path)
		return
	}
	gid := -1
	if fi, serr := os.Stat(path); serr == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			gid = int(st.Gid)
		}
	}
	groups, _ := os.Getgroups()
	log.Error(socketDenied(path, os.Getuid(), groups, gid))
}

// socketDenied names the socket, the user and the fix.
func socketDenied(path string, uid int, groups []int, sockGID int) string {
	g := "its group"
	if sockGID >= 0 {
		g = fmt.Sprintf("its group %d", sockGID)
	}
	return fmt.Sprintf("docker socket %s: permission denied for uid %d with groups %v: give the container %s "+
		"(compose: export DOCKER_GID=$(stat -c %%g %s) before up; docker run: --group-add), or run the driver as root",
		path, uid, groups, g, path)
}

// serveMetrics wires the plugin, its connections and its Pops to a fresh
// registry and serves it with the health endpoint.
func serveMetrics(cfg MetricsConfig, p *plugin.Plugin, d *vim.Driver, log logrus.FieldLogger) (*metrics.Server, error) {
	m := metrics.New()
	m.BuildInfo(version.Version, version.Go())
	p.SetObserver(m)
	serving := func() bool {
		s := p.Server()
		return s != nil && s.Consuming() > 0
	}
	m.GaugeFunc("plugin", "serving", "1 while the plugin consumes its queue (what /healthz reports).", func() float64 {
		if serving() {
			return 1
		}
		return 0
	})
	m.GaugeFunc("plugin", "calls_in_flight", "Requests being handled right now.", func() float64 {
		if s := p.Server(); s != nil {
			return float64(s.InFlight())
		}
		return 0
	})
	m.WatchPops(d.Pops().Each, 5*time.Second)
	return metrics.Listen(cfg.Addr, m.Handler(serving, cfg.Pprof), log)
}

// NewDriver builds the VIM driver with the daemon's Pop factories.
func NewDriver(cfg Config, log logrus.FieldLogger) *vim.Driver {
	f := &factory{cfg: cfg, log: log}
	var sockets []vim.SocketRule
	if cfg.Driver.AllowedSockets != nil {
		// Checked by Validate; an entry that no longer parses grants nothing.
		sockets, _ = vim.ParseSocketRules(cfg.Driver.AllowedSockets)
		if sockets == nil {
			sockets = []vim.SocketRule{}
		}
	}
	return vim.New(vim.Config{
		Open:                f.openDocker,
		OpenRemote:          f.openRemote,
		Verify:              f.verify,
		DefaultSocket:       cfg.Driver.DockerHost,
		AllowedSockets:      sockets,
		AllowedCaps:         cfg.Driver.AllowedCaps,
		AllowedSysctls:      cfg.Driver.AllowedSysctls,
		AllowedBindPrefixes: cfg.Driver.AllowedBindPrefixes,
		AllowedPublishPorts: cfg.Driver.AllowedPublishPorts,
		Quota: vim.QuotaLimits{
			Cores: cfg.Driver.QuotaCores, RAM: cfg.Driver.QuotaRAM, Instances: cfg.Driver.QuotaInstances,
			FloatingIPs: cfg.Driver.QuotaFloatingIPs, KeyPairs: cfg.Driver.QuotaKeyPairs,
		},
	}, log)
}

func popName(cfg Config) string {
	if cfg.Driver.PopName != "" {
		return cfg.Driver.PopName
	}
	return "obdocker-" + cfg.Plugin.PluginName
}

type factory struct {
	cfg Config
	log logrus.FieldLogger
}

// localPop is a core over its own Docker client; closing it closes both.
type localPop struct {
	*pop.Core
	b *docker.Backend
}

func (l localPop) Close() error {
	return errors.Join(l.Core.Close(), l.b.Close())
}

var unsafeRE = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

// storePath names one store per endpoint, readable by operators.
func (f *factory) storePath(url string) string {
	sum := sha256.Sum256([]byte(url))
	name := strings.Trim(unsafeRE.ReplaceAllString(url, "_"), "_")
	if len(name) > 60 {
		name = name[:60]
	}
	return filepath.Join(f.cfg.Driver.StateDir, "pops", name+"-"+hex.EncodeToString(sum[:4])+".db")
}

func (f *factory) openDocker(ctx context.Context, key vim.EndpointKey) (pop.Pop, error) {
	opts := docker.Options{Host: key.URL, PopName: popName(f.cfg), Logger: f.log, PullTimeout: f.cfg.Driver.PullTimeout}
	if f.registryCredsFor(key) {
		opts.DockerConfig = f.cfg.Driver.DockerConfig
	}
	if key.TLS() {
		opts.TLS = &docker.TLSConfig{CA: []byte(key.CA), Cert: []byte(key.Cert), Key: []byte(key.Key)}
	}
	b, err := docker.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	if key.Mode == vim.ModeSwarm {
		return f.openSwarm(ctx, key, b)
	}
	core, err := pop.Open(ctx, pop.Config{
		PopName:        popName(f.cfg),
		StorePath:      f.storePath(key.URL),
		DefaultNetwork: f.cfg.Driver.DefaultNetwork,
		DefaultSubnet:  f.cfg.Driver.DefaultSubnet,
		NetworkPool:    f.cfg.Driver.NetworkPool,
		KeepStopped:    f.cfg.Driver.KeepStopped,
		Logger:         f.log.WithField("endpoint", key.URL),
	}, b)
	if err != nil {
		b.Close()
		return nil, err
	}
	return localPop{Core: core, b: b}, nil
}

// swarmPop is a Swarm Pop over its own Docker client; closing it closes that.
type swarmPop struct {
	*swarm.Pop
	b *docker.Backend
}

func (s swarmPop) Close() error { return s.b.Close() }

// rebuildServer updates a Swarm service in place through pop.Rebuilder;
// were Rebuild hidden, it would delete the server and fail to re-create
// it (Swarm refuses fixed IPs).
var _ pop.Rebuilder = swarmPop{}

// openSwarm makes the Pop of a Swarm VIM: it keeps no store (its records
// are the services' labels) and no address pool (Swarm allocates).
func (f *factory) openSwarm(ctx context.Context, key vim.EndpointKey, b *docker.Backend) (pop.Pop, error) {
	cfg := swarm.Config{
		PopName:        popName(f.cfg),
		DefaultNetwork: f.cfg.Driver.DefaultNetwork,
		Logger:         f.log.WithField("endpoint", key.String()),
	}
	if key.TLS() {
		// The nodes' engines (swarm.LabelEngine) are reached as the manager is.
		cfg.TLS = &docker.TLSConfig{CA: []byte(key.CA), Cert: []byte(key.Cert), Key: []byte(key.Key)}
	}
	p, err := swarm.Open(ctx, cfg, b)
	if err != nil {
		b.Close()
		return nil, err
	}
	return swarmPop{Pop: p, b: b}, nil
}

// registryCredsFor reports whether pulls on key's engine may carry the
// operator's registry credentials (OBDOCKER_DOCKER_CONFIG). A pull hands
// them to the engine: a local socket is the operator's own; a tcp://
// engine, named by a VIM user's authUrl, only when the operator lists it,
// and only over TLS.
func (f *factory) registryCredsFor(key vim.EndpointKey) bool {
	if f.cfg.Driver.DockerConfig == "" {
		return false
	}
	switch key.Scheme() {
	case vim.SchemeUnix:
		return true
	case vim.SchemeTCP:
		for _, e := range f.cfg.Driver.DockerConfigEngines {
			norm, _, _, err := vim.NormaliseAuthURL(e, "", key.TLS())
			if err != nil || norm != key.URL {
				continue
			}
			if !key.TLS() {
				f.log.WithField("endpoint", key.URL).Warn("registry credentials not used for this engine: it is listed in OBDOCKER_DOCKER_CONFIG_ENGINES but reached without TLS (give the VIM instance ca, cert and dockerKey)")
				return false
			}
			return true
		}
	}
	return false
}

// verify asks the engine whether key's credentials open it: a ping with
// the caller's own TLS material, or a docker-popd login. Nothing is kept.
func (f *factory) verify(ctx context.Context, key vim.EndpointKey) error {
	switch key.Scheme() {
	case vim.SchemePop:
		p, err := f.openRemote(ctx, key)
		if err != nil {
			return err
		}
		if c, ok := p.(io.Closer); ok {
			c.Close()
		}
	case vim.SchemeTCP:
		opts := docker.Options{Host: key.URL, PopName: popName(f.cfg)}
		if key.TLS() {
			opts.TLS = &docker.TLSConfig{CA: []byte(key.CA), Cert: []byte(key.Cert), Key: []byte(key.Key)}
		}
		b, err := docker.New(ctx, opts)
		if err != nil {
			return err
		}
		b.Close()
	}
	return nil
}

func (f *factory) openRemote(ctx context.Context, key vim.EndpointKey) (pop.Pop, error) {
	if key.Username == "" {
		return nil, pop.Errorf(pop.ErrUnauthenticated, "authUrl %s: a docker-popd VIM needs credentials: put user:password in the VIM's key field (dockerKey)", key.URL)
	}
	tlsCfg, err := f.popTLS(key)
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(ctx, client.Options{Addr: key.Address(), User: key.Username, Password: key.Password, TLS: tlsCfg})
	if err != nil {
		return nil, err
	}
	// Log in now: an open with wrong credentials or an untrusted server
	// must fail (and not be kept), not hand out a client that fails on
	// every call.
	if _, err := c.Info(ctx); err != nil {
		c.Close()
		if tlsCfg != nil && handshakeFailed(err) {
			// The handshake's own words (unknown authority, wrong name)
			// follow; say which trust they were checked against. The
			// caller names the authUrl.
			return nil, pop.Wrap(pop.ErrUnauthenticated, err, "TLS to docker-popd, verified with the VIM instance's ca")
		}
		return nil, err
	}
	return c, nil
}

// handshakeFailed reports whether a docker-popd call failed in the TLS
// handshake. gRPC keeps only the text of the cause in its status, under
// this fixed prefix of its transport.
func handshakeFailed(err error) bool {
	return docker.TLSRefused(err) || strings.Contains(err.Error(), "authentication handshake failed")
}

// popTLS is the transport of a pop:// endpoint. With the VIM instance's ca
// it is TLS, docker-popd's certificate verified against that CA and the
// authUrl's host. Without one it is clear text, which carries the password
// readable: allowed on loopback, elsewhere only by the operator's opt-in.
// The VIM instance's cert is not used (docker-popd asks for none).
func (f *factory) popTLS(key vim.EndpointKey) (*tls.Config, error) {
	host, _, err := net.SplitHostPort(key.Address())
	if err != nil {
		return nil, pop.Wrap(pop.ErrInvalidArgument, err, "authUrl %s", key.URL)
	}
	if key.CA == "" {
		if loopback(host) || f.cfg.Driver.PopAllowPlaintext {
			return nil, nil
		}
		return nil, pop.Errorf(pop.ErrInvalidArgument, "docker-popd at %s is not on loopback and the VIM instance has no ca, "+
			"so its password would travel in clear text: set ca to the PEM certificate of the CA that signed docker-popd's TLS certificate, "+
			"or let the operator allow clear text with OBDOCKER_POP_ALLOW_PLAINTEXT=true", host)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(key.CA)) {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "the VIM instance's ca holds no PEM certificate")
	}
	return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}

// loopback reports whether host names this machine only: a loopback IP or
// "localhost" (which resolvers keep on loopback, RFC 6761). Other names
// count as remote, whatever they resolve to today.
func loopback(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.IsLoopback()
	}
	return strings.EqualFold(strings.TrimSuffix(host, "."), "localhost")
}
