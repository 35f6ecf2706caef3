package vim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestNormaliseAuthURL(t *testing.T) {
	const sock = "unix:///var/run/docker.sock"
	tests := []struct {
		doc, in   string
		tls       bool
		want      string
		user, pwd string
		err       string
	}{
		{doc: "empty is the default socket", in: "", want: sock},
		{doc: "unix", in: "unix:///var/run/docker.sock", want: sock},
		{doc: "unix path cleaned", in: "unix:///var/run//x/../docker.sock", want: sock},
		{doc: "bare path", in: "/var/run/docker.sock", want: sock},
		{doc: "tcp", in: "tcp://Docker-Host.example:2375", want: "tcp://docker-host.example:2375"},
		{doc: "tcp default port", in: "tcp://10.204.0.9", want: "tcp://10.204.0.9:2375"},
		{doc: "tcp default TLS port", in: "tcp://10.204.0.9", tls: true, want: "tcp://10.204.0.9:2376"},
		{doc: "http is tcp", in: "http://h:2375/", want: "tcp://h:2375"},
		{doc: "https is tcp+TLS", in: "HTTPS://h", want: "tcp://h:2376"},
		{doc: "ipv6", in: "tcp://[::1]:2375", want: "tcp://[::1]:2375"},
		{doc: "pop", in: "pop://popd.example", want: "pop://popd.example:60000"},
		{doc: "pop with credentials", in: "pop://admin:s3cret@popd:6000", want: "pop://popd:6000", user: "admin", pwd: "s3cret"},
		{doc: "no scheme", in: "localhost:60000", err: "scheme"},
		{doc: "relative unix", in: "unix://docker.sock", err: "absolute path"},
		{doc: "unknown scheme", in: "ssh://h", err: "not supported"},
		{doc: "no host", in: "tcp://:2375", err: "no host"},
		{doc: "path", in: "tcp://h:1/v1.41", err: "path"},
		{doc: "password not echoed", in: "ftp://u:hunter2@h", err: "not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			got, user, pwd, err := NormaliseAuthURL(tc.in, sock, tc.tls)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "hunter2") || !errors.Is(err, pop.ErrInvalidArgument) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want || user != tc.user || pwd != tc.pwd {
				t.Fatalf("got %q %q %q %v, want %q", got, user, pwd, err, tc.want)
			}
		})
	}
}

func TestEndpointOf(t *testing.T) {
	v := VimInstance{AuthURL: "pop://popd", CA: "ca", Cert: "cert", DockerKey: "key"}
	v.Metadata = map[string]string{"username": "u", "password": "p"}
	k, err := EndpointOf(&v, "unix:///x")
	if err != nil {
		t.Fatal(err)
	}
	if k.URL != "pop://popd:60000" || k.Username != "u" || k.Password != "p" || !k.TLS() || k.Scheme() != SchemePop || k.Address() != "popd:60000" || k.String() != k.URL {
		t.Errorf("%+v", k)
	}
}

// TestPopsOpenOnce: concurrent first calls on one endpoint share one open;
// equal endpoints written differently share the Pop; a failed open is
// retried; Close closes each Pop once.
func TestPopsOpenOnce(t *testing.T) {
	var opens atomic.Int32
	release := make(chan struct{})
	fail := atomic.Bool{}
	var mu sync.Mutex
	made := map[string]*fakePop{}
	open := func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		opens.Add(1)
		<-release
		if fail.Load() {
			return nil, pop.Errorf(pop.ErrUnavailable, "engine down")
		}
		mu.Lock()
		defer mu.Unlock()
		fp := newFakePop()
		made[key.URL] = fp
		return fp, nil
	}
	d := New(Config{Open: open}, testLogger(t))

	vims := []string{
		`{"type":"docker","authUrl":""}`,
		`{"type":"docker","authUrl":"unix:///var/run/docker.sock"}`,
		`{"type":"docker.x","authUrl":"/var/run//docker.sock"}`,
	}
	var wg sync.WaitGroup
	for i := 0; i < 9; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := call(t, d, "listImages", params(t, json.RawMessage(vims[i%3]))); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all queue on the open
	close(release)
	wg.Wait()
	if n := opens.Load(); n != 1 {
		t.Errorf("%d opens, want 1", n)
	}

	// A failing endpoint is retried on the next call.
	fail.Store(true)
	other := params(t, json.RawMessage(`{"type":"docker","authUrl":"tcp://h:1"}`))
	_, err := call(t, d, "listImages", other)
	if err == nil || !strings.Contains(err.Error(), "engine down") || !strings.Contains(err.Error(), "tcp://h:1") {
		t.Fatalf("%v", err)
	}
	fail.Store(false)
	if _, err := call(t, d, "listImages", other); err != nil {
		t.Fatal(err)
	}
	if n := opens.Load(); n != 3 {
		t.Errorf("%d opens, want 3", n)
	}

	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for url, fp := range made {
		if fp.closes != 1 {
			t.Errorf("%s closed %d times", url, fp.closes)
		}
	}
	if _, err := call(t, d, "listImages", other); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("after close: %v", err)
	}
}

func TestPopsRemoteAndUnconfigured(t *testing.T) {
	d := New(Config{}, testLogger(t))
	defer d.Close()
	_, err := call(t, d, "listServer", params(t, json.RawMessage(`{"type":"docker","authUrl":"pop://popd:60000"}`)))
	if err == nil || !strings.Contains(err.Error(), "not supported yet") {
		t.Errorf("%v", err)
	}
	_, err = call(t, d, "listServer", params(t, json.RawMessage(`{"type":"docker"}`)))
	if err == nil || !strings.Contains(err.Error(), "no Pop factory") {
		t.Errorf("%v", err)
	}

	var got EndpointKey
	d2 := New(Config{OpenRemote: func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		got = key
		return newFakePop(), nil
	}}, testLogger(t))
	defer d2.Close()
	if _, err := call(t, d2, "listServer", params(t, json.RawMessage(`{"type":"docker","authUrl":"pop://u:p@popd"}`))); err != nil {
		t.Fatal(err)
	}
	if got.URL != "pop://popd:60000" || got.Username != "u" || got.Password != "p" {
		t.Errorf("%+v", got)
	}
}

// TestPopsCallerGivesUp: a caller whose ctx ends stops waiting; the open
// goes on for the others.
func TestPopsCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	r := NewPops(func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		<-release
		return newFakePop(), nil
	}, nil, nil, testLogger(t))
	defer r.Close()
	key := EndpointKey{URL: "unix:///x"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Get(ctx, key); !errors.Is(err, context.Canceled) {
		t.Errorf("%v", err)
	}
	close(release)
	if _, err := r.Get(context.Background(), key); err != nil {
		t.Fatal(err)
	}
}
