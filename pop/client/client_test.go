package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	pb "github.com/openbaton-docker/obdocker/pop/proto"
	"github.com/openbaton-docker/obdocker/pop/server"
)

const (
	testUser = "alice"
	testPass = "s3cret-Pa55word"
)

// testUsers is hashed once, at bcrypt's lowest cost: the default cost is
// slow on purpose, and slower still under -race.
var testUsers = sync.OnceValue(func() server.Users {
	h, err := bcrypt.GenerateFromPassword([]byte(testPass), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return server.Users{testUser: {Name: testUser, HashedPassword: string(h)}}
})

// harness is a server over a fake Pop on bufconn, and what it saw.
type harness struct {
	srv    *server.Server
	fake   *fakePop
	lis    *bufconn.Listener
	logs   *testenv.Buffer
	served chan error
	calls  sync.Map // method -> *atomic.Int64, counted on the client side
}

func startFake(t *testing.T, tweak func(*server.Config)) *harness {
	t.Helper()
	h := &harness{fake: newFakePop(), lis: bufconn.Listen(1 << 20), logs: &testenv.Buffer{}, served: make(chan error, 1)}
	cfg := server.Config{PopName: "fake", Users: testUsers(), LogLevel: logrus.DebugLevel}
	if tweak != nil {
		tweak(&cfg)
	}
	log := logrus.New()
	log.SetOutput(h.logs)
	h.srv = &server.Server{Config: cfg, Logger: log, Pop: h.fake}
	go func() { h.served <- h.srv.ServeListener(context.Background(), h.lis) }()
	select {
	case <-h.srv.Ready():
	case err := <-h.served:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		if err := h.srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-h.served; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	return h
}

func (h *harness) count(method string) int64 {
	v, _ := h.calls.LoadOrStore(method, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

func (h *harness) dialOpts() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return h.lis.DialContext(ctx) }),
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
			invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			v, _ := h.calls.LoadOrStore(method, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
	}
}

func (h *harness) dial(t *testing.T, user, pass string) *Client {
	t.Helper()
	c, err := Dial(t.Context(), Options{Addr: "passthrough:///bufnet", User: user, Password: pass, DialOptions: h.dialOpts()})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// raw is a generated client with no login logic.
func (h *harness) raw(t *testing.T) pb.PopClient {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///bufnet", append(h.dialOpts(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewPopClient(conn)
}

func withToken(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "token", tok)
}

func TestErrorClassesSurviveTheWire(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	for _, class := range []error{pop.ErrNotFound, pop.ErrAlreadyExists, pop.ErrInvalidState, pop.ErrInvalidArgument,
		pop.ErrExhausted, pop.ErrUnavailable, pop.ErrInternal} {
		t.Run(class.Error(), func(t *testing.T) {
			h.fake.mu.Lock()
			h.fake.err = pop.Errorf(class, "precise message about %s", class)
			h.fake.mu.Unlock()
			_, err := c.Info(t.Context())
			if !errors.Is(err, class) || pop.Class(err) != class {
				t.Fatalf("got %v (class %v), want class %v", err, pop.Class(err), class)
			}
			if !strings.Contains(err.Error(), "precise message about") {
				t.Errorf("message lost: %q", err)
			}
		})
	}
	h.fake.mu.Lock()
	h.fake.err = nil
	h.fake.mu.Unlock()

	_, err := c.Containers(t.Context(), pop.ByName("ghost"))
	if !errors.Is(err, pop.ErrNotFound) {
		t.Fatalf("unknown container: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := c.Info(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired ctx: %v, want DeadlineExceeded in the chain", err)
	}
}

func TestRoundTrip(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	ctx := t.Context()
	cr, err := c.Create(ctx, pop.ContainerConfig{Name: "web", Image: "img", Metadata: map[string]string{"A": "1"},
		Env: map[string]string{"E": "2"}})
	if err != nil || cr.Name != "web" || cr.State != pop.StateCreated || cr.Metadata["A"] != "1" || cr.Env["E"] != "2" ||
		len(cr.Endpoints) != 1 || cr.Endpoints[0].IPv4 != "10.0.0.2" {
		t.Fatalf("create: %+v, %v", cr, err)
	}
	if _, err := c.Create(ctx, pop.ContainerConfig{Name: "web", Image: "img"}); !errors.Is(err, pop.ErrAlreadyExists) {
		t.Fatalf("duplicate: %v", err)
	}
	md, err := c.Metadata(ctx, pop.ByName("web"), map[string]string{"A": "", "B": "2"})
	if err != nil || len(md.Metadata) != 1 || md.Metadata["B"] != "2" {
		t.Fatalf("metadata: %+v, %v", md.Metadata, err)
	}
	st, err := c.Start(ctx, pop.ByID(cr.ID))
	if err != nil || st.State != pop.StateRunning {
		t.Fatalf("start: %+v, %v", st, err)
	}
	logs, err := c.Logs(ctx, pop.ByID(cr.ID), 5)
	if err != nil || logs != "line\xff\n" {
		t.Fatalf("logs: %q, %v", logs, err)
	}
	info, err := c.Info(ctx)
	if err != nil || info.PopName != "fake" || info.Containers[pop.StateCreated] != 1 {
		t.Fatalf("info: %+v, %v", info, err)
	}
	fl, err := c.Flavours(ctx, pop.Filter{})
	if err != nil || len(fl) != len(pop.DefaultFlavours()) || fl[1] != pop.DefaultFlavours()[1] {
		t.Fatalf("flavours: %+v, %v", fl, err)
	}
	img, err := c.PullImage(ctx, "x:1")
	if err != nil || img.Tags[0] != "x:1" {
		t.Fatalf("pull: %+v, %v", img, err)
	}
	if err := c.Delete(ctx, pop.ByName("web")); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.Create(ctx, pop.ContainerConfig{Name: "bad\xff", Image: "img"}); !errors.Is(err, pop.ErrInvalidArgument) {
		t.Fatalf("non-UTF-8 name: %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	h := startFake(t, nil)
	for _, tc := range []struct{ doc, user, pass string }{
		{"wrong password", testUser, "nope"},
		{"unknown user", "mallory", testPass},
		{"empty password", testUser, ""},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			before := h.count(pb.Pop_Login_FullMethodName)
			c := h.dial(t, tc.user, tc.pass)
			_, err := c.Info(t.Context())
			if !errors.Is(err, pop.ErrUnauthenticated) {
				t.Fatalf("got %v, want ErrUnauthenticated", err)
			}
			if n := h.count(pb.Pop_Login_FullMethodName) - before; n != 1 {
				t.Fatalf("%d login attempts, want 1", n)
			}
			if h.count(pb.Pop_Info_FullMethodName) != 0 {
				t.Fatalf("Info was called without a token")
			}
		})
	}
}

func TestMissingOrBadToken(t *testing.T) {
	h := startFake(t, nil)
	raw := h.raw(t)
	for _, tc := range []struct{ doc, token, msg string }{
		{"missing", "", "missing token"},
		{"unknown", "made-up", "unknown token"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			ctx := t.Context()
			if tc.token != "" {
				ctx = withToken(ctx, tc.token)
			}
			_, err := raw.Info(ctx, &emptypb.Empty{})
			if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want Unauthenticated %q", err, tc.msg)
			}
			stream, err := raw.LoadImage(ctx)
			if err == nil {
				_, err = stream.CloseAndRecv()
			}
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("stream: got %v, want Unauthenticated", err)
			}
		})
	}
	if h.fake.loaded != 0 {
		t.Fatal("an unauthenticated stream reached the Pop")
	}
}

func TestExpiredToken(t *testing.T) {
	h := startFake(t, func(c *server.Config) { c.TokenLifetime = 300 * time.Millisecond })
	raw := h.raw(t)
	tok, err := raw.Login(t.Context(), &pb.Credentials{Username: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Info(withToken(t.Context(), tok.GetValue()), &emptypb.Empty{}); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	_, err = raw.Info(withToken(t.Context(), tok.GetValue()), &emptypb.Empty{})
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}

	// The client believes its token is fresh (frozen clock); the server
	// refuses it, and the client logs in again once and succeeds.
	c := h.dial(t, testUser, testPass)
	frozen := time.Now()
	c.now = func() time.Time { return frozen }
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	before := h.count(pb.Pop_Login_FullMethodName)
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := h.count(pb.Pop_Login_FullMethodName) - before; n != 1 {
		t.Fatalf("%d logins after expiry, want 1", n)
	}
}

func TestRenewsBeforeExpiry(t *testing.T) {
	h := startFake(t, func(c *server.Config) { c.TokenLifetime = time.Hour })
	c := h.dial(t, testUser, testPass)
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Now().Add(time.Hour - renewMargin/2) }
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := h.count(pb.Pop_Login_FullMethodName); n != 2 {
		t.Fatalf("%d logins, want 2 (one renewal ahead of expiry)", n)
	}
	if n := h.count(pb.Pop_Info_FullMethodName); n != 2 {
		t.Fatalf("%d Info calls, want 2 (no refused call)", n)
	}
}

// refuser logs everyone in and then refuses every token.
type refuser struct {
	pb.UnimplementedPopServer
	logins, infos atomic.Int64
}

func (r *refuser) Login(context.Context, *pb.Credentials) (*pb.Token, error) {
	r.logins.Add(1)
	return &pb.Token{Value: "t"}, nil
}

func (r *refuser) Info(context.Context, *emptypb.Empty) (*pb.Infos, error) {
	r.infos.Add(1)
	return nil, status.Error(codes.Unauthenticated, "unknown token")
}

func TestReloginAtMostOncePerCall(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	r := &refuser{}
	pb.RegisterPopServer(g, r)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	c, err := Dial(t.Context(), Options{Addr: "passthrough:///bufnet", User: "u", Password: "p",
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return lis.DialContext(ctx)
		})}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Info(t.Context())
	if !errors.Is(err, pop.ErrUnauthenticated) {
		t.Fatalf("got %v, want ErrUnauthenticated", err)
	}
	if r.logins.Load() != 2 || r.infos.Load() != 2 {
		t.Fatalf("%d logins and %d calls, want 2 and 2", r.logins.Load(), r.infos.Load())
	}
}

func TestLogout(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	old := c.tok.value
	if err := c.Logout(t.Context()); err != nil {
		t.Fatalf("logout: %v", err)
	}
	_, err := h.raw(t).Info(withToken(t.Context(), old), &emptypb.Empty{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("token after logout: %v", err)
	}
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatalf("call after logout: %v", err)
	}
	if n := h.count(pb.Pop_Login_FullMethodName); n != 2 {
		t.Fatalf("%d logins, want 2", n)
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.Info(t.Context())
				errs <- err
			} else {
				_, err := c.Networks(t.Context(), pop.Filter{})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := h.count(pb.Pop_Login_FullMethodName); n != 1 {
		t.Fatalf("%d logins for 50 concurrent first calls, want 1", n)
	}
}

func TestLoadImageStream(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	data := make([]byte, 3<<20+123)
	rand.Read(data)
	imgs, err := c.LoadImage(t.Context(), bytes.NewReader(data))
	if err != nil || len(imgs) != 1 || imgs[0].Size != int64(len(data)) {
		t.Fatalf("load: %+v, %v", imgs, err)
	}
	// A token the server no longer knows: the client logs in again before
	// reading the archive, so nothing is lost.
	c.mu.Lock()
	c.tok = &token{value: "forgotten", expires: time.Now().Add(time.Hour)}
	c.mu.Unlock()
	before := h.count(pb.Pop_Login_FullMethodName)
	imgs, err = c.LoadImage(t.Context(), bytes.NewReader(data))
	if err != nil || len(imgs) != 1 || imgs[0].Size != int64(len(data)) {
		t.Fatalf("load after relogin: %+v, %v", imgs, err)
	}
	if n := h.count(pb.Pop_Login_FullMethodName) - before; n != 1 {
		t.Fatalf("%d logins, want 1", n)
	}
	_, err = c.LoadImage(t.Context(), iotestErrReader{})
	if !errors.Is(err, pop.ErrInvalidArgument) {
		t.Fatalf("failing reader: %v", err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestNoSecretsInLogs(t *testing.T) {
	h := startFake(t, nil)
	c := h.dial(t, testUser, testPass)
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok := c.tok.value
	c.Create(t.Context(), pop.ContainerConfig{Name: "x", Image: "y"})
	h.dial(t, testUser, "wrong-"+testPass).Info(t.Context())
	if err := c.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "logged in") || !strings.Contains(logs, "login refused") {
		t.Fatalf("expected login lines in the debug log:\n%s", logs)
	}
	for _, secret := range []string{testPass, tok} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret %q:\n%s", secret, logs)
		}
	}
}

func TestCloseWithCallsInFlight(t *testing.T) {
	for _, tc := range []struct {
		doc      string
		release  bool
		wantCode error
	}{
		{"finishes within the bound", true, nil},
		{"cancelled after the bound", false, pop.ErrUnavailable},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			h := startFake(t, func(c *server.Config) { c.ShutdownTimeout = 500 * time.Millisecond })
			c := h.dial(t, testUser, testPass)
			if _, err := c.Create(t.Context(), pop.ContainerConfig{Name: "w", Image: "i"}); err != nil {
				t.Fatal(err)
			}
			h.fake.entered, h.fake.release = make(chan struct{}), make(chan struct{})
			result := make(chan error, 1)
			go func() {
				_, err := c.Start(t.Context(), pop.ByName("w"))
				result <- err
			}()
			<-h.fake.entered
			closed := make(chan error, 1)
			go func() { closed <- h.srv.Close() }()
			if tc.release {
				time.Sleep(50 * time.Millisecond) // Close is now waiting for the call
				close(h.fake.release)
			}
			select {
			case err := <-closed:
				if err != nil {
					t.Fatalf("close: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not return")
			}
			err := <-result
			if tc.wantCode == nil && err != nil {
				t.Fatalf("in-flight call: %v, want success", err)
			}
			if tc.wantCode != nil && !errors.Is(err, tc.wantCode) {
				t.Fatalf("in-flight call: %v, want %v", err, tc.wantCode)
			}
			if _, err := c.Info(t.Context()); !errors.Is(err, pop.ErrUnavailable) {
				t.Fatalf("call after Close: %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestDialErrors(t *testing.T) {
	for _, o := range []Options{{User: "u"}, {Addr: "127.0.0.1:1"}} {
		if _, err := Dial(t.Context(), o); !errors.Is(err, pop.ErrInvalidArgument) {
			t.Errorf("Dial(%+v): %v", o, err)
		}
	}
	// Nothing listens: a call fails as unavailable, quickly, without a loop.
	c, err := Dial(t.Context(), Options{Addr: "127.0.0.1:1", User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Info(ctx); !errors.Is(err, pop.ErrUnavailable) {
		t.Fatalf("no server: %v", err)
	}
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Config: server.Config{Users: testUsers(), TLSCertPath: certFile, TLSKeyPath: keyFile},
		Logger: logrus.New(), Pop: newFakePop()}
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(context.Background(), lis) }()
	<-srv.Ready()
	t.Cleanup(func() { srv.Close(); <-served })

	c, err := Dial(t.Context(), Options{Addr: srv.Addr().String(), User: testUser, Password: testPass,
		TLS: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	plain, err := Dial(t.Context(), Options{Addr: srv.Addr().String(), User: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if _, err := plain.Info(ctx); err == nil {
		t.Fatal("a clear-text client got through to a TLS server")
	}
}
