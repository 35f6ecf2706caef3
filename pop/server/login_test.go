package server

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/openbaton-docker/obdocker/pop/proto"
)

// serveForLogin serves users over gRPC on 127.0.0.1 (a real socket, the
// real server, a Pop that answers nothing) and gives its address and log.
func serveForLogin(t *testing.T, users Users) (string, *test.Hook) {
	t.Helper()
	logger, hook := test.NewNullLogger()
	srv := &Server{Config: Config{Users: users, Netaddr: "127.0.0.1:0", LogLevel: logrus.DebugLevel}, Logger: logger, Pop: nopPop{}}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-srv.Ready():
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}
	return srv.Addr().String(), hook
}

// popClient dials addr from the local address from (an IP of the loopback
// network), so that one test can be several clients.
func popClient(t *testing.T, addr, from string) pb.PopClient {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return d.DialContext(ctx, "tcp", a) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewPopClient(conn)
}

func login(c pb.PopClient, user, pass string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.Login(ctx, &pb.Credentials{Username: user, Password: pass})
	return err
}

// TestLoginLimitedPerAddressAndUser: wrong passwords for one user from one
// address get that pair limited (ResourceExhausted with a retry hint, not
// Unauthenticated), while another user from the same address, and the same
// user from another address, still log in. Each refusal is logged with the
// address and the user, never a password.
func TestLoginLimitedPerAddressAndUser(t *testing.T) {
	const passA, passB, wrong = "pass-A-4f1c", "pass-B-9d2e", "wrong-secret-7b3a"
	addr, hook := serveForLogin(t, Users{"alice": cheapUser(t, "alice", passA), "bob": cheapUser(t, "bob", passB)})
	plugin := popClient(t, addr, "127.0.0.1")
	other := popClient(t, addr, "127.0.0.2")

	for i := range 5 {
		if err := login(plugin, "alice", wrong); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("wrong password %d: %v; want Unauthenticated", i+1, err)
		}
	}
	err := login(plugin, "alice", passA)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("after 5 wrong passwords, the right one: %v; want ResourceExhausted", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 || !strings.Contains(err.Error(), "retry in") {
		t.Errorf("limited login: %v, RetryInfo %v; want a retry hint", err, retry)
	}
	if err := login(plugin, "bob", passB); err != nil {
		t.Errorf("bob from the same address: %v; want logged in", err)
	}
	if err := login(other, "alice", passA); err != nil {
		t.Errorf("alice from another address: %v; want logged in", err)
	}
	// An unknown name is limited alike: the limit says nothing of who exists.
	for range 5 {
		_ = login(plugin, "mallory", wrong)
	}
	if err := login(plugin, "mallory", wrong); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("unknown user after 5 failures: %v; want ResourceExhausted", err)
	}

	refused, limited := 0, 0
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		for _, secret := range []string{passA, passB, wrong} {
			if strings.Contains(line, secret) {
				t.Errorf("log line shows a password: %s", line)
			}
		}
		if !strings.HasPrefix(e.Message, "login refused") {
			continue
		}
		refused++
		if strings.Contains(e.Message, "too many") {
			limited++
		}
		if e.Data["client"] != "127.0.0.1" || (e.Data["user"] != "alice" && e.Data["user"] != "mallory") {
			t.Errorf("refusal logged without its address and user: %s", line)
		}
	}
	if refused != 12 || limited != 2 {
		t.Errorf("%d refusals logged, %d of them limited; want 12 and 2", refused, limited)
	}
}

// TestDummyHashHasTheHighestCost: an unknown user's login is compared with
// a hash of the highest cost among the users, so it takes as long as the
// dearest known one; cheap hashes are warned about at start, by user.
func TestDummyHashHasTheHighestCost(t *testing.T) {
	hashAt := func(name string, cost int) User {
		h, err := bcrypt.GenerateFromPassword([]byte("pw-"+name), cost)
		if err != nil {
			t.Fatal(err)
		}
		return User{Name: name, HashedPassword: string(h)}
	}
	logger, hook := test.NewNullLogger()
	users := Users{"cheap": hashAt("cheap", bcrypt.MinCost), "dear": hashAt("dear", bcrypt.MinCost+3)}
	s, err := newSessions(users, time.Hour, logger)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost(s.dummy); err != nil || c != bcrypt.MinCost+3 {
		t.Errorf("dummy hash cost %d (%v); want %d, the highest configured", c, err, bcrypt.MinCost+3)
	}
	warned := map[string]bool{}
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		for _, u := range users {
			if strings.Contains(line, u.HashedPassword) || strings.Contains(line, "pw-") {
				t.Errorf("log line shows a hash or password: %s", line)
			}
		}
		if u, ok := e.Data["user"].(string); ok && e.Level == logrus.WarnLevel {
			warned[u] = true
		}
	}
	if !warned["cheap"] || !warned["dear"] {
		t.Errorf("warned about %v; want both users (costs %d and %d are below %d)", warned, bcrypt.MinCost, bcrypt.MinCost+3, minSaneCost)
	}
}

// TestLoginLimiterBounded: the pairs it keeps expire, and there are never
// more than maxEntries.
func TestLoginLimiterBounded(t *testing.T) {
	logger, _ := test.NewNullLogger()
	l := newLoginLimiter(logger)
	l.maxEntries = 50
	now := time.Unix(1e9, 0)
	fail := func(i int) {
		k := loginKey{addr: "10.0.0.1", user: fmt.Sprint("u", i)}
		if err := l.begin(k, now); err == nil {
			l.end(k, false, now)
		}
	}
	for i := range 200 {
		fail(i)
	}
	if n := l.size(); n > l.maxEntries {
		t.Errorf("%d pairs kept; want at most %d", n, l.maxEntries)
	}
	now = now.Add(l.forget)
	fail(1000)
	if n := l.size(); n != 1 {
		t.Errorf("%d pairs kept after forget passed; want only the new one", n)
	}
	// A blocked pair is kept while blocked, then forgiven.
	k := loginKey{addr: "10.0.0.1", user: "x"}
	for range l.maxFailures {
		if err := l.begin(k, now); err != nil {
			t.Fatal(err)
		}
		l.end(k, false, now)
	}
	if err := l.begin(k, now); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("after %d failures: %v; want ResourceExhausted", l.maxFailures, err)
	}
	now = now.Add(l.block)
	if err := l.begin(k, now); err != nil {
		t.Errorf("after the block: %v", err)
	}
	l.end(k, true, now)
	if n := l.size(); n != 1 {
		t.Errorf("%d pairs after a success; want the success's pair gone", n)
	}
}

// TestLoginLimiterFullKeepsBlockedPairs: an attacker blocked on a user
// cannot get that block forgotten by filling the table with throwaway
// names. A pair with failures is never evicted; once nothing can go, a new
// pair is refused with ResourceExhausted instead.
func TestLoginLimiterFullKeepsBlockedPairs(t *testing.T) {
	if n := newLoginLimiter(logrus.New()).maxEntries; n != 100_000 {
		t.Errorf("maxEntries %d; want 100000", n)
	}
	logger, hook := test.NewNullLogger()
	l := newLoginLimiter(logger)
	l.maxEntries = 50
	now := time.Unix(1e9, 0)
	alice := loginKey{addr: "10.0.0.9", user: "alice"}
	for range l.maxFailures {
		if err := l.begin(alice, now); err != nil {
			t.Fatal(err)
		}
		l.end(alice, false, now)
	}
	// Throwaway names, each a little later, so alice is the idlest pair.
	refused := 0
	for i := range 2 * l.maxEntries {
		at := now.Add(time.Duration(i+1) * time.Millisecond)
		k := loginKey{addr: "10.0.0.9", user: fmt.Sprint("junk", i)}
		err := l.begin(k, at)
		if err == nil {
			l.end(k, false, at)
			continue
		}
		refused++
		if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "refusing new login sources") {
			t.Fatalf("throwaway name %d on a full table: %v; want ResourceExhausted, refusing new login sources", i, err)
		}
	}
	if n := l.size(); n > l.maxEntries {
		t.Errorf("%d pairs kept; want at most %d", n, l.maxEntries)
	}
	if refused == 0 {
		t.Errorf("no throwaway name refused; want the ones beyond %d", l.maxEntries)
	}
	at := now.Add(500 * time.Millisecond) // alice's 1 s block still runs
	if err := l.begin(alice, at); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "failed logins") {
		t.Fatalf("alice, blocked, after the table filled: %v; want still refused for failed logins", err)
	}
	// Its failures are kept too: once the block ends, one more wrong
	// guess blocks it again.
	at = now.Add(l.block)
	if err := l.begin(alice, at); err != nil {
		t.Fatalf("alice after the block: %v", err)
	}
	l.end(alice, false, at)
	if err := l.begin(alice, at); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("alice after a 6th failure: %v; want blocked again", err)
	}
	// The full table is warned about once a minute at most.
	warnings := func() int {
		n := 0
		for _, e := range hook.AllEntries() {
			if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "login limiter full") {
				n++
			}
		}
		return n
	}
	if n := warnings(); n != 1 {
		t.Errorf("%d warnings for %d refusals within a second; want 1", n, refused)
	}
	at = now.Add(time.Minute + time.Second)
	if err := l.begin(loginKey{addr: "10.0.0.9", user: "later"}, at); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("new pair a minute later, table still full: %v; want ResourceExhausted", err)
	}
	if n := warnings(); n != 2 {
		t.Errorf("%d warnings after a minute more; want 2", n)
	}
}

// TestLoginRefusesOversizedCredentials: a name over 256 bytes or a
// password over 1024 is refused with InvalidArgument before the limiter,
// bcrypt and the log see it: the limiter keeps no pair, and the log has the
// name's length, not the name.
func TestLoginRefusesOversizedCredentials(t *testing.T) {
	const pass = "pass-A-4f1c"
	users := Users{"alice": cheapUser(t, "alice", pass)}
	logger, _ := test.NewNullLogger()
	s, err := newSessions(users, time.Hour, logger)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("L", 1<<20)
	for _, c := range []struct{ name, pass string }{
		{long, pass},
		{strings.Repeat("n", 257), pass},
		{"alice", strings.Repeat("p", 1025)},
	} {
		if _, _, err := s.login("10.0.0.1", c.name, c.pass); status.Code(err) != codes.InvalidArgument {
			t.Errorf("name of %d bytes, password of %d: %v; want InvalidArgument", len(c.name), len(c.pass), err)
		}
	}
	if n := s.limit.size(); n != 0 {
		t.Errorf("limiter keeps %d pairs after oversized logins; want none", n)
	}
	// At the limits, the login is checked as usual.
	if _, _, err := s.login("10.0.0.1", strings.Repeat("n", 256), strings.Repeat("p", 1024)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("name of 256 bytes, password of 1024: %v; want Unauthenticated", err)
	}

	addr, hook := serveForLogin(t, users)
	c := popClient(t, addr, "127.0.0.1")
	if err := login(c, long, pass); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("login with a 1 MiB name over gRPC: %v; want InvalidArgument", err)
	}
	logged := false
	for _, e := range hook.AllEntries() {
		line, _ := e.String()
		if strings.Contains(line, strings.Repeat("L", 257)) {
			t.Errorf("log line holds the long name (%d bytes)", len(line))
		}
		if strings.HasPrefix(e.Message, "login refused") && e.Data["client"] == "127.0.0.1" && e.Data["user_bytes"] == len(long) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no refusal logged with the client and the name's length")
	}
}

// TestConcurrentRightLoginsNotCalledFailures: logins with the right
// password, many at once from one address, either succeed or are refused
// for concurrency, never as failed logins.
func TestConcurrentRightLoginsNotCalledFailures(t *testing.T) {
	const pass = "pass-A-4f1c"
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost) // slow enough to overlap
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serveForLogin(t, Users{"alice": {Name: "alice", HashedPassword: string(h)}})
	c := popClient(t, addr, "127.0.0.1")
	const n = 12
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		go func() {
			<-start
			errs <- login(c, "alice", pass)
		}()
	}
	close(start)
	ok := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			ok++
		case status.Code(err) == codes.ResourceExhausted && strings.Contains(err.Error(), "too many concurrent logins for this user from this address; retry in 1s"):
		default:
			t.Errorf("right password, %d at once: %v; want logged in or refused for concurrency", n, err)
		}
	}
	if ok == 0 {
		t.Errorf("none of %d right-password logins succeeded", n)
	}
	// The cap itself, without timing: the next attempt beyond maxFailures
	// in flight is refused for concurrency.
	logger, _ := test.NewNullLogger()
	l := newLoginLimiter(logger)
	now := time.Unix(1e9, 0)
	k := loginKey{addr: "10.0.0.1", user: "alice"}
	for range l.maxFailures {
		if err := l.begin(k, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.begin(k, now); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "too many concurrent logins") {
		t.Errorf("attempt beyond %d in flight: %v; want refused for concurrency", l.maxFailures, err)
	}
}
