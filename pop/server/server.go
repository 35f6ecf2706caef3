package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/openbaton-docker/obdocker/internal/metrics"
	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
	pb "github.com/openbaton-docker/obdocker/pop/proto"
)

// maxMsgSize bounds one message: logs can be long, and image chunks come
// in well under it.
const maxMsgSize = 64 << 20

// ErrServerClosed is returned by Serve* on a Server that was already closed.
var ErrServerClosed = errors.New("pop server: closed")

type state int

const (
	stateNew state = iota
	stateServing
	stateClosed
)

// Server serves one Pop over gRPC. Set Config (and optionally Logger and
// Pop), then call Serve; Close stops it. A Server serves once.
type Server struct {
	Config Config
	// Logger receives the server's logs; nil means a new logrus logger on
	// stderr. Config.LogLevel, when set, applies to a copy: the given
	// logger is never modified.
	Logger logrus.FieldLogger
	// Pop, when set, is served as is instead of a core opened over Docker
	// (for embedding and tests); the Server does not close it.
	Pop pop.Pop

	mu     sync.Mutex
	state  state
	lis    net.Listener
	cancel context.CancelFunc
	ready  chan struct{}
	done   chan struct{}
	// closeErr is what closing the Pop said, for Close to return.
	closeErr error
	// metricsAddr is where /metrics listens, once serving.
	metricsAddr string
}

// Serve listens on Config.Netaddr and serves until Close.
func (s *Server) Serve() error { return s.ServeContext(context.Background()) }

// ServeContext is Serve that also stops (as Close does) when ctx ends; it
// then returns nil.
func (s *Server) ServeContext(ctx context.Context) error {
	addr := s.Config.withDefaults().Netaddr
	if s.isClosed() {
		return ErrServerClosed
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pop server: cannot listen on %s (is another docker-popd running there?): %w", addr, err)
	}
	return s.ServeListener(ctx, lis)
}

// ServeListener serves on lis, which it closes when done. Tests use it with
// a 127.0.0.1:0 listener; Addr gives the address once Ready is closed.
func (s *Server) ServeListener(ctx context.Context, lis net.Listener) (err error) {
	cfg := s.Config.withDefaults()
	if err := cfg.Validate(); err != nil {
		lis.Close()
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	s.mu.Lock()
	switch s.state {
	case stateClosed:
		s.mu.Unlock()
		lis.Close()
		return ErrServerClosed
	case stateServing:
		s.mu.Unlock()
		lis.Close()
		return errors.New("pop server: already serving")
	}
	s.state, s.lis, s.cancel = stateServing, lis, cancel
	s.done = make(chan struct{})
	s.readyChanLocked()
	s.mu.Unlock()
	defer close(s.done)

	log := s.logger(cfg).WithField("pop-name", cfg.PopName)
	fields := logrus.Fields{"addr": lis.Addr().String(), "users": cfg.Users.names(), "version": version.Version}
	if cfg.UnixSocket != "" {
		fields["socket"] = cfg.UnixSocket
	}
	log.WithFields(fields).Info("starting server")
	lists := []net.Listener{lis}
	if cfg.UnixSocket != "" {
		ul, err := listenUnix(cfg.UnixSocket)
		if err != nil {
			lis.Close()
			return err
		}
		lists = append(lists, ul)
	}
	closeAll := func() {
		for _, l := range lists {
			l.Close()
		}
	}

	p, closePop, err := s.openPop(runCtx, cfg, log)
	if err != nil {
		closeAll()
		if runCtx.Err() != nil {
			return nil // closed while starting
		}
		return err
	}
	defer func() {
		if cerr := closePop(); cerr != nil {
			log.WithError(cerr).Warn("closing the Pop")
			s.mu.Lock()
			s.closeErr = cerr
			s.mu.Unlock()
			if err == nil {
				err = cerr
			}
		}
	}()

	sess, err := newSessions(cfg.Users, cfg.TokenLifetime, log)
	if err != nil {
		closeAll()
		return fmt.Errorf("pop server: %w", err)
	}
	serving := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-s.ready:
			return s.state == stateServing
		default:
			return false
		}
	}
	m := newMetrics(p, serving)
	if cfg.MetricsAddr != "" {
		ms, err := metrics.Listen(cfg.MetricsAddr, m.handler(serving, cfg.Pprof), log)
		if err != nil {
			closeAll()
			return fmt.Errorf("pop server: %w", err)
		}
		defer ms.Close()
		s.mu.Lock()
		s.metricsAddr = ms.Addr()
		s.mu.Unlock()
	}
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(m.unary(), sess.unary(log)),
		grpc.ChainStreamInterceptor(m.stream(), sess.stream(log)),
		grpc.MaxRecvMsgSize(maxMsgSize),
		grpc.MaxSendMsgSize(maxMsgSize),
	}
	if cfg.TLSCertPath != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertPath, cfg.TLSKeyPath)
		if err != nil {
			closeAll()
			return fmt.Errorf("pop server: load TLS key pair: %w", err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
	}
	g := grpc.NewServer(opts...)
	policy, err := cfg.HostPolicy()
	if err != nil { // Validate checked it
		closeAll()
		return fmt.Errorf("pop server: %w", err)
	}
	pb.RegisterPopServer(g, &service{pop: p, sessions: sess, log: log, policy: policy})

	served := make(chan error, len(lists))
	for _, l := range lists {
		go func() { served <- g.Serve(l) }()
	}
	log.Info("launching gRPC server")
	s.mu.Lock()
	close(s.ready)
	s.mu.Unlock()

	select {
	case err = <-served:
		// A listener failed under us; nothing else will stop the server.
		g.Stop()
		for range lists[1:] {
			<-served
		}
		return fmt.Errorf("pop server: serve: %w", err)
	case <-runCtx.Done():
	}
	log.Info("stopping server")
	stopBounded(g, cfg.ShutdownTimeout, log)
	for range lists {
		<-served
	}
	return nil
}

// stopBounded lets in-flight calls finish for up to timeout, then cancels them.
func stopBounded(g *grpc.Server, timeout time.Duration, log logrus.FieldLogger) {
	stopped := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		log.WithField("timeout", timeout).Warn("calls still in flight: cancelling them")
		g.Stop()
		<-stopped
	}
}

// openPop gives the Pop to serve and how to release it.
func (s *Server) openPop(ctx context.Context, cfg Config, log logrus.FieldLogger) (pop.Pop, func() error, error) {
	if s.Pop != nil {
		return s.Pop, func() error { return nil }, nil
	}
	opts := docker.Options{Host: cfg.DockerHost, PopName: cfg.PopName, Logger: log,
		DockerConfig: cfg.DockerConfigPath, PullTimeout: cfg.PullTimeout}
	if cfg.DockerCAPath != "" || cfg.DockerCertPath != "" {
		t, err := dockerTLS(cfg)
		if err != nil {
			return nil, nil, err
		}
		opts.TLS = t
	}
	log.WithField("docker-host", displayHost(cfg.DockerHost)).Debug("checking Docker daemon")
	b, err := docker.New(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("pop server: connect to Docker: %w", err)
	}
	core, err := pop.Open(ctx, pop.Config{
		PopName:        cfg.PopName,
		StorePath:      cfg.StorePath,
		DefaultNetwork: cfg.DefaultNetwork,
		DefaultSubnet:  cfg.DefaultSubnet,
		NetworkPool:    cfg.NetworkPool,
		KeepStopped:    !cfg.AutoRemove,
		Flavours:       cfg.Flavours,
		Logger:         log,
	}, b)
	if err != nil {
		b.Close()
		return nil, nil, fmt.Errorf("pop server: open the Pop: %w", err)
	}
	log.Debug("Pop core open")
	return core, func() error {
		return errors.Join(core.Close(), b.Close())
	}, nil
}

func dockerTLS(cfg Config) (*docker.TLSConfig, error) {
	var t docker.TLSConfig
	for _, f := range []struct {
		path string
		dst  *[]byte
	}{{cfg.DockerCAPath, &t.CA}, {cfg.DockerCertPath, &t.Cert}, {cfg.DockerKeyPath, &t.Key}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("pop server: Docker TLS: %w", err)
		}
		*f.dst = b
	}
	return &t, nil
}

func displayHost(h string) string {
	if h == "" {
		return "default socket"
	}
	return h
}

// logger applies Config.LogLevel to a copy of the given logger.
func (s *Server) logger(cfg Config) logrus.FieldLogger {
	switch l := s.Logger.(type) {
	case nil:
		nl := logrus.New()
		if cfg.LogLevel != logrus.PanicLevel {
			nl.SetLevel(cfg.LogLevel)
		} else {
			nl.SetLevel(logrus.InfoLevel)
		}
		return nl
	case *logrus.Logger:
		if cfg.LogLevel == logrus.PanicLevel {
			return l
		}
		return &logrus.Logger{Out: l.Out, Hooks: l.Hooks, Formatter: l.Formatter,
			ReportCaller: l.ReportCaller, Level: cfg.LogLevel, ExitFunc: l.ExitFunc}
	default:
		return l
	}
}

// Ready is closed once the server accepts calls.
func (s *Server) Ready() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readyChanLocked()
}

func (s *Server) readyChanLocked() chan struct{} {
	if s.ready == nil {
		s.ready = make(chan struct{})
	}
	return s.ready
}

// MetricsAddr is where /metrics and /healthz listen ("" when off or
// before Ready).
func (s *Server) MetricsAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metricsAddr
}

// listenUnix listens on the socket file path, mode 0660. A socket file
// left by a daemon that died is replaced; one that answers is not.
func listenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("pop server: UnixSocket %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("pop server: cannot listen on %s: another process serves there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("pop server: remove stale socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("pop server: cannot listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("pop server: socket mode: %w", err)
	}
	return l, nil
}

// Addr is the address the server listens on, nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		return nil
	}
	return s.lis.Addr()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateClosed
}

// Close stops accepting calls, lets in-flight ones finish within
// Config.ShutdownTimeout (then cancels them), closes the Pop and returns
// once Serve has. It is safe to call more than once, and before Serve.
func (s *Server) Close() error {
	s.mu.Lock()
	prev := s.state
	s.state = stateClosed
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if prev == stateNew || done == nil {
		return nil
	}
	cancel()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

var _ io.Closer = (*Server)(nil)
