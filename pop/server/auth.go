package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/openbaton-docker/obdocker/pop/proto"
)

// TokenKey is the gRPC metadata key that carries the session token.
const TokenKey = "token"

// loginMethod is the only call that needs no token.
var loginMethod = pb.Pop_Login_FullMethodName

// sessions keeps the live tokens. Tokens are kept by their SHA-256, so the
// map holds nothing a memory dump could replay, and a lookup's timing says
// nothing about a stored token.
type sessions struct {
	users    Users
	lifetime time.Duration
	now      func() time.Time
	// dummy is compared against when the user is unknown, so a login takes
	// as long whether or not the name exists: it has the highest bcrypt
	// cost among the users (a cheaper one would answer faster).
	dummy []byte
	limit *loginLimiter

	mu   sync.Mutex
	live map[[sha256.Size]byte]session
}

type session struct {
	user    string
	hash    [sha256.Size]byte
	expires time.Time
}

// minSaneCost: a configured hash of a lower bcrypt cost is accepted (tests
// and old files use them) but warned about at start, naming the user.
const minSaneCost = bcrypt.DefaultCost

// newSessions checks the users' hashes (log gets the warnings) and makes
// the dummy hash.
func newSessions(users Users, lifetime time.Duration, log logrus.FieldLogger) (*sessions, error) {
	maxCost, minCost := bcrypt.MinCost, bcrypt.MaxCost
	for name, u := range users {
		c, err := bcrypt.Cost([]byte(u.HashedPassword))
		if err != nil {
			return nil, fmt.Errorf("user %q: HashedPassword is not a bcrypt hash", name)
		}
		maxCost, minCost = max(maxCost, c), min(minCost, c)
		if c < minSaneCost {
			log.WithFields(logrus.Fields{"user": name, "bcrypt_cost": c, "minimum": minSaneCost}).
				Warn("user's password hash is cheap to brute-force; re-hash it (docker-popd init -force)")
		}
	}
	if len(users) > 1 && minCost < maxCost {
		log.WithFields(logrus.Fields{"min_cost": minCost, "max_cost": maxCost}).
			Warn("users' bcrypt costs differ: a login's time tells the cheaper users from unknown names; re-hash them at one cost")
	}
	// Made now at its cost, so that no login pays for making it.
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), maxCost)
	if err != nil {
		return nil, fmt.Errorf("dummy hash: %w", err)
	}
	return &sessions{
		users:    users,
		lifetime: lifetime,
		now:      time.Now,
		dummy:    dummy,
		limit:    newLoginLimiter(log),
		live:     map[[sha256.Size]byte]session{},
	}, nil
}

// Longer credentials are refused before anything keeps or logs them: Login
// needs no token, and the limiter keeps a name for minutes.
const (
	maxUserLen     = 256
	maxPasswordLen = 1024
)

// oversized is the InvalidArgument refusal of credentials over the limits,
// or nil.
func oversized(name, password string) error {
	if len(name) > maxUserLen || len(password) > maxPasswordLen {
		return status.Errorf(codes.InvalidArgument, "user name over %d bytes or password over %d bytes", maxUserLen, maxPasswordLen)
	}
	return nil
}

// login checks credentials from the client at addr and opens a session.
// The error never says which half of the credentials was wrong. Failed
// logins are limited per (addr, name): beyond the limit the answer is
// ResourceExhausted, without checking the password. Oversized credentials
// are InvalidArgument, before the limit.
func (s *sessions) login(addr, name, password string) (token string, expires time.Time, err error) {
	if err := oversized(name, password); err != nil {
		return "", time.Time{}, err
	}
	k := loginKey{addr: addr, user: name}
	if err := s.limit.begin(k, s.now()); err != nil {
		return "", time.Time{}, err
	}
	u, known := s.users.user(name)
	hash := []byte(u.HashedPassword)
	if !known {
		hash = s.dummy
	}
	ok := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && known
	s.limit.end(k, ok, s.now())
	if !ok {
		return "", time.Time{}, status.Error(codes.Unauthenticated, "invalid credentials")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, status.Errorf(codes.Internal, "make token: %v", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.now()
	sess := session{user: u.Name, hash: sha256.Sum256([]byte(token)), expires: now.Add(s.lifetime)}

	s.mu.Lock()
	defer s.mu.Unlock()
	for k, old := range s.live { // sweep here: logins are rare, lookups are not
		if !now.Before(old.expires) {
			delete(s.live, k)
		}
	}
	s.live[sess.hash] = sess
	return token, sess.expires, nil
}

// check finds the live session of token.
func (s *sessions) check(token string) (session, error) {
	if token == "" {
		return session{}, status.Error(codes.Unauthenticated, "missing token: log in first")
	}
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.live[h]
	if !ok || subtle.ConstantTimeCompare(sess.hash[:], h[:]) != 1 {
		return session{}, status.Error(codes.Unauthenticated, "unknown token: log in again")
	}
	if !s.now().Before(sess.expires) {
		delete(s.live, h)
		return session{}, status.Error(codes.Unauthenticated, "token expired: log in again")
	}
	return sess, nil
}

// logout ends a session; ending an ended one is not an error.
func (s *sessions) logout(sess session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, sess.hash)
}

type sessionKey struct{}

// sessionFrom gives the session the interceptor put in ctx.
func sessionFrom(ctx context.Context) (session, bool) {
	sess, ok := ctx.Value(sessionKey{}).(session)
	return sess, ok
}

// authenticate checks the token in ctx's metadata.
func (s *sessions) authenticate(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(TokenKey)
	if len(vals) > 1 {
		return nil, status.Error(codes.Unauthenticated, "more than one token")
	}
	var tok string
	if len(vals) == 1 {
		tok = vals[0]
	}
	sess, err := s.check(tok)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, sessionKey{}, sess), nil
}

// unary and stream are the interceptors: every call but Login needs a live
// token, so handlers never deal with authentication. They also log each
// call (method, user, code, duration: never a credential).
func (s *sessions) unary(log logrus.FieldLogger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		user := ""
		if info.FullMethod != loginMethod {
			actx, err := s.authenticate(ctx)
			if err != nil {
				logCall(log, info.FullMethod, "", start, err)
				return nil, err
			}
			ctx = actx
			sess, _ := sessionFrom(ctx)
			user = sess.user
		}
		resp, err := handler(ctx, req)
		logCall(log, info.FullMethod, user, start, err)
		return resp, err
	}
}

func (s *sessions) stream(log logrus.FieldLogger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		ctx, err := s.authenticate(ss.Context())
		if err != nil {
			logCall(log, info.FullMethod, "", start, err)
			return err
		}
		sess, _ := sessionFrom(ctx)
		err = handler(srv, &authedStream{ServerStream: ss, ctx: ctx})
		logCall(log, info.FullMethod, sess.user, start, err)
		return err
	}
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (a *authedStream) Context() context.Context { return a.ctx }

func logCall(log logrus.FieldLogger, method, user string, start time.Time, err error) {
	l := log.WithFields(logrus.Fields{"method": method, "code": status.Code(err).String(),
		"duration": time.Since(start).Round(time.Microsecond)})
	if user != "" {
		l = l.WithField("user", user)
	}
	switch status.Code(err) {
	case codes.OK:
		l.Debug("call")
	case codes.Internal, codes.Unknown:
		l.WithError(err).Warn("call failed")
	default:
		l.WithError(err).Debug("call failed")
	}
}
