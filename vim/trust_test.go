package vim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestParseSocketRules(t *testing.T) {
	rules, err := ParseSocketRules([]string{" /var/run/docker.sock ", "unix:///run//lab.sock@p1|p2", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].URL != "unix:///var/run/docker.sock" || len(rules[0].Projects) != 0 ||
		rules[1].URL != "unix:///run/lab.sock" || strings.Join(rules[1].Projects, ",") != "p1,p2" {
		t.Fatalf("%+v", rules)
	}
	for in, want := range map[string]string{
		"tcp://h:2375":     "not a unix socket",
		"relative.sock":    "no scheme",
		"/run/x.sock@":     "no project",
		"unix://rel.sock":  "absolute path",
		"/run/x.sock@ | |": "no project",
	} {
		if _, err := ParseSocketRules([]string{in}); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), in) {
			t.Errorf("%q: %v, want %q naming the entry", in, err, want)
		}
	}
}

// TestSocketAllowlist: a unix:// endpoint opens only if the operator listed
// it, for the VIM instance's project; other schemes are not its business.
func TestSocketAllowlist(t *testing.T) {
	vimOn := func(url, project string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"type": "docker", "name": "v", "authUrl": url, "projectId": project})
		return b
	}
	t.Run("default: the default socket only", func(t *testing.T) {
		d, _ := newTestDriver(t, Config{DefaultSocket: "unix:///var/run/docker.sock"})
		for _, ok := range []string{"", "unix:///var/run/docker.sock", "/var/run//docker.sock"} {
			if _, err := call(t, d, "listImages", params(t, vimOn(ok, "p"))); err != nil {
				t.Errorf("%q: %v", ok, err)
			}
		}
		_, err := call(t, d, "listImages", params(t, vimOn("unix:///run/containerd/containerd.sock", "p")))
		if !errors.Is(err, pop.ErrUnauthenticated) || !strings.Contains(err.Error(), "unix:///run/containerd/containerd.sock") ||
			!strings.Contains(err.Error(), "OBDOCKER_ALLOWED_SOCKETS") {
			t.Errorf("other socket: %v", err)
		}
	})
	t.Run("restricted to projects", func(t *testing.T) {
		rules, err := ParseSocketRules([]string{"/var/run/docker.sock", "/run/lab.sock@lab|ops"})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := newTestDriver(t, Config{AllowedSockets: rules})
		for _, p := range []string{"lab", "ops"} {
			if _, err := call(t, d, "listImages", params(t, vimOn("/run/lab.sock", p))); err != nil {
				t.Errorf("project %s: %v", p, err)
			}
		}
		for p, want := range map[string]string{"dev": "not granted to project dev", "": "carries no projectId"} {
			_, err := call(t, d, "listImages", params(t, vimOn("/run/lab.sock", p)))
			if !errors.Is(err, pop.ErrUnauthenticated) || !strings.Contains(err.Error(), want) {
				t.Errorf("project %q: %v, want %q", p, err, want)
			}
		}
		if _, err := call(t, d, "listImages", params(t, vimOn("", "dev"))); err != nil {
			t.Errorf("default socket listed for all: %v", err)
		}
	})
	t.Run("empty list grants no socket", func(t *testing.T) {
		d, _ := newTestDriver(t, Config{AllowedSockets: []SocketRule{}})
		if _, err := call(t, d, "listImages", params(t, vimOn("", "p"))); !errors.Is(err, pop.ErrUnauthenticated) {
			t.Errorf("%v", err)
		}
		if _, err := call(t, d, "listImages", params(t, vimOn("tcp://h:2375", "p"))); err != nil {
			t.Errorf("tcp is guarded by credentials, not the list: %v", err)
		}
	})
}

// TestPopsVerifiesOtherCredentials: a second VIM instance on an open
// engine gets its Pop only after the engine accepted its own credentials;
// the verdict is cached per credential set, a refusal is not.
func TestPopsVerifiesOtherCredentials(t *testing.T) {
	var opens, verifies atomic.Int32
	fp := newFakePop()
	open := func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		opens.Add(1)
		return fp, nil
	}
	verify := func(ctx context.Context, key EndpointKey) error {
		verifies.Add(1)
		if key.Cert != "good" && key.Cert != "good2" {
			return pop.Wrap(pop.ErrUnauthenticated, errors.New("remote error: tls: bad certificate"), "TLS handshake failed")
		}
		return nil
	}
	r := NewPops(open, nil, verify, testLogger(t))
	defer r.Close()
	key := func(cert string) EndpointKey {
		return EndpointKey{URL: "tcp://engine:2376", CA: "ca", Cert: cert, Key: "k-" + cert}
	}
	get := func(cert string) error {
		_, err := r.Get(context.Background(), key(cert))
		return err
	}
	if err := get("good"); err != nil || verifies.Load() != 0 {
		t.Fatalf("the opener: %v (%d verifies)", err, verifies.Load())
	}
	for range 2 {
		err := get("forged")
		if !errors.Is(err, pop.ErrUnauthenticated) || !strings.Contains(err.Error(), "tcp://engine:2376") || !strings.Contains(err.Error(), "bad certificate") ||
			!strings.Contains(err.Error(), "do not open this engine") {
			t.Fatalf("forged: %v", err)
		}
		if strings.Contains(err.Error(), "k-forged") {
			t.Fatalf("the key is in the message: %v", err)
		}
	}
	if verifies.Load() != 2 {
		t.Errorf("%d verifies, want 2 (refusals are not cached)", verifies.Load())
	}
	for range 3 {
		if err := get("good2"); err != nil {
			t.Fatal(err)
		}
	}
	if verifies.Load() != 3 || opens.Load() != 1 {
		t.Errorf("%d verifies, %d opens; want 3 and 1 (a verdict is cached, the Pop shared)", verifies.Load(), opens.Load())
	}

	// Without a verifier, other credentials are refused, not trusted.
	r2 := NewPops(open, nil, nil, testLogger(t))
	defer r2.Close()
	if _, err := r2.Get(context.Background(), key("good")); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Get(context.Background(), key("good2")); !errors.Is(err, pop.ErrUnauthenticated) {
		t.Errorf("no verifier: %v", err)
	}
}

// TestAuthURLSecretsNotEchoed: whatever an authUrl's password holds, an
// error about the authUrl does not repeat it, nor any piece of it.
func TestAuthURLSecretsNotEchoed(t *testing.T) {
	const pw = "Zq7/x%yy@w#9?k"
	for _, raw := range []string{
		"tcp://admin:" + pw + "@engine:2376",
		"pop://admin:" + pw + "@popd:60000",
		"tcp://admin:Zq7/x@engine",
		"tcp://admin:Zq7%zz@engine",
		"tcp://admin:Zq7@engine:1/x?y#z",
		"admin:" + pw + "@engine:2376",
		"ftp://admin:" + pw + "@engine",
		"unix://admin:" + pw + "@sock",
		"tcp://:" + pw + "@",
	} {
		_, _, _, err := NormaliseAuthURL(raw, "unix:///var/run/docker.sock", true)
		if err == nil {
			t.Errorf("%q accepted", raw)
			continue
		}
		for _, piece := range []string{"Zq7", "x%yy", "yy@w", "9?k"} {
			if strings.Contains(err.Error(), piece) {
				t.Errorf("%q: %q in %q", raw, piece, err)
			}
		}
	}
	// A query may hold a token: not echoed either.
	if _, _, _, err := NormaliseAuthURL("tcp://engine:2376/?token=Zq7secret", "", true); err == nil || strings.Contains(err.Error(), "Zq7") || !strings.Contains(err.Error(), "engine:2376") {
		t.Errorf("query: %v", err)
	}
	// Good URLs still name what is wrong.
	_, _, _, err := NormaliseAuthURL("tcp://engine:99999", "", false)
	if err == nil || !strings.Contains(err.Error(), "99999") {
		t.Errorf("bad port without credentials: %v", err)
	}
}

// TestPopsCheckOutcomes: an engine that cannot be reached is not a verdict
// on the credentials; callers with one credential set share one check; a
// caller that waited on another's failed open tries its own credentials.
func TestPopsCheckOutcomes(t *testing.T) {
	key := func(cert string) EndpointKey {
		return EndpointKey{URL: "tcp://engine:2376", CA: "ca", Cert: cert, Key: "k-" + cert}
	}
	t.Run("engine down", func(t *testing.T) {
		r := NewPops(func(context.Context, EndpointKey) (pop.Pop, error) { return newFakePop(), nil }, nil,
			func(context.Context, EndpointKey) error {
				return pop.Errorf(pop.ErrUnavailable, "docker engine at tcp://engine:2376 does not answer: connection refused")
			}, testLogger(t))
		defer r.Close()
		if _, err := r.Get(context.Background(), key("a")); err != nil {
			t.Fatal(err)
		}
		_, err := r.Get(context.Background(), key("b"))
		if !errors.Is(err, pop.ErrUnavailable) || errors.Is(err, pop.ErrUnauthenticated) ||
			!strings.Contains(err.Error(), "could not check your credentials") || strings.Contains(err.Error(), "do not open") {
			t.Errorf("%v: want unavailable, not a verdict on the credentials", err)
		}
	})
	t.Run("one check per credential set", func(t *testing.T) {
		var checks atomic.Int32
		release := make(chan struct{})
		r := NewPops(func(context.Context, EndpointKey) (pop.Pop, error) { return newFakePop(), nil }, nil,
			func(context.Context, EndpointKey) error {
				checks.Add(1)
				<-release
				return nil
			}, testLogger(t))
		defer r.Close()
		if _, err := r.Get(context.Background(), key("a")); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 12)
		for range 12 {
			go func() {
				_, err := r.Get(context.Background(), key("b"))
				errs <- err
			}()
		}
		time.Sleep(50 * time.Millisecond) // let them queue on the check
		close(release)
		for range 12 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if n := checks.Load(); n != 1 {
			t.Errorf("%d checks for 12 concurrent callers with one credential set, want 1", n)
		}
	})
	t.Run("another's failed open is not inherited", func(t *testing.T) {
		release := make(chan struct{})
		var opens atomic.Int32
		r := NewPops(func(ctx context.Context, k EndpointKey) (pop.Pop, error) {
			opens.Add(1)
			<-release
			if k.Cert == "forged" {
				return nil, pop.Errorf(pop.ErrUnauthenticated, "remote error: tls: bad certificate")
			}
			return newFakePop(), nil
		}, nil, nil, testLogger(t))
		defer r.Close()
		forged := make(chan error, 1)
		go func() {
			_, err := r.Get(context.Background(), key("forged"))
			forged <- err
		}()
		time.Sleep(30 * time.Millisecond) // the forged open is in flight
		valid := make(chan error, 1)
		go func() {
			_, err := r.Get(context.Background(), key("valid"))
			valid <- err
		}()
		time.Sleep(30 * time.Millisecond)
		close(release)
		if err := <-forged; !errors.Is(err, pop.ErrUnauthenticated) {
			t.Errorf("forged: %v", err)
		}
		if err := <-valid; err != nil {
			t.Errorf("valid caller got the forged open's failure: %v", err)
		}
		if n := opens.Load(); n != 2 {
			t.Errorf("%d opens, want 2 (the valid caller opens with its own material)", n)
		}
	})
}
