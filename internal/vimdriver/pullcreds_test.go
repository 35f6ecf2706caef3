package vimdriver

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/vim"
)

// authProxy forwards the Docker API from a listener to the real engine
// and remembers every X-Registry-Auth header it saw.
type authProxy struct {
	mu    sync.Mutex
	auths []string
}

func (p *authProxy) serve(t *testing.T, l net.Listener) {
	t.Helper()
	sock := strings.TrimPrefix(testenv.DockerHost(), "unix://")
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("X-Registry-Auth"); a != "" {
			p.mu.Lock()
			p.auths = append(p.auths, a)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

func (p *authProxy) sent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.auths)
}

// TestRegistryCredentialsOnlyToTrustedEngines: pulls carry the operator's
// registry credentials (OBDOCKER_DOCKER_CONFIG) to unix sockets, but not to
// a tcp:// engine a VIM user names in an authUrl, nor to a listed one
// reached without TLS. (Before: every engine received them.)
func TestRegistryCredentialsOnlyToTrustedEngines(t *testing.T) {
	raw := testenv.Docker(t)
	popName := testenv.Name(t)
	t.Cleanup(func() { testenv.RemovePopObjects(raw, popName) })
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.json")
	// user "operator", password "S3cret" for a registry that does not resolve.
	os.WriteFile(cfgPath, []byte(`{"auths":{"registry.corp.invalid:5000":{"auth":"b3BlcmF0b3I6UzNjcmV0"}}}`), 0o600)

	tcpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpProxy := &authProxy{}
	tcpProxy.serve(t, tcpL)
	unixPath := filepath.Join(dir, "docker.sock")
	unixL, err := net.Listen("unix", unixPath)
	if err != nil {
		t.Fatal(err)
	}
	unixProxy := &authProxy{}
	unixProxy.serve(t, unixL)

	log := logrus.New()
	log.SetOutput(testWriter{t})
	open := func(listed []string, key vim.EndpointKey) {
		t.Helper()
		var cfg Config
		cfg.Driver.DockerConfig = cfgPath
		cfg.Driver.DockerConfigEngines = listed
		cfg.Driver.PullTimeout = 30e9
		cfg.Driver.PopName = popName
		cfg.Driver.StateDir = t.TempDir()
		cfg.Driver.DefaultNetwork = "priv-" + popName
		cfg.Driver.DefaultSubnet = "10.201.207.0/24"
		cfg.Driver.NetworkPool = "10.201.224.0/24"
		f := &factory{cfg: cfg, log: log}
		p, err := f.openDocker(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		defer p.(localPop).Close()
		if _, err := p.PullImage(t.Context(), "registry.corp.invalid:5000/obdtest/x:1"); err == nil {
			t.Fatal("pull from a registry that does not resolve succeeded")
		} else if strings.Contains(err.Error(), "S3cret") {
			t.Errorf("the pull error holds the password: %v", err)
		}
	}
	tcpURL := "tcp://" + tcpL.Addr().String()
	open(nil, vim.EndpointKey{URL: tcpURL})
	if n := tcpProxy.sent(); n != 0 {
		t.Errorf("a tcp:// engine the operator did not list received registry credentials (%d pulls)", n)
	}
	open([]string{tcpURL}, vim.EndpointKey{URL: tcpURL})
	if n := tcpProxy.sent(); n != 0 {
		t.Errorf("a listed tcp:// engine reached without TLS received registry credentials (%d pulls)", n)
	}
	open(nil, vim.EndpointKey{URL: "unix://" + unixPath})
	if n := unixProxy.sent(); n != 1 {
		t.Errorf("the unix socket received registry credentials with %d pulls, want 1", n)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestRegistryCredsDecision covers the TLS case the real test cannot reach
// without a TLS engine: a listed tcp:// engine over TLS gets them.
func TestRegistryCredsDecision(t *testing.T) {
	var cfg Config
	cfg.Driver.DockerConfig = "/x/config.json"
	cfg.Driver.DockerConfigEngines = []string{"tcp://Build-Host:2376", "tcp://other"}
	f := &factory{cfg: cfg, log: logrus.New()}
	tlsKey := vim.EndpointKey{URL: "tcp://build-host:2376", CA: "ca", Cert: "c", Key: "k"}
	for _, c := range []struct {
		key  vim.EndpointKey
		want bool
	}{
		{tlsKey, true},
		{vim.EndpointKey{URL: "tcp://build-host:2376"}, false},
		{vim.EndpointKey{URL: "tcp://elsewhere:2376", CA: "ca"}, false},
		{vim.EndpointKey{URL: "unix:///var/run/docker.sock"}, true},
		{vim.EndpointKey{URL: "pop://popd:60000"}, false},
	} {
		if got := f.registryCredsFor(c.key); got != c.want {
			t.Errorf("%s (tls %v): %v, want %v", c.key.URL, c.key.TLS(), got, c.want)
		}
	}
	cfg.Driver.DockerConfig = ""
	if (&factory{cfg: cfg, log: logrus.New()}).registryCredsFor(tlsKey) {
		t.Error("credentials without a config file")
	}
}
