// Package client is pop.Pop over gRPC: it talks to a docker-popd (package
// pop/server). It logs in on first use and again, at most once per call,
// when the server no longer knows its token.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/openbaton-docker/obdocker/pop"
	pb "github.com/openbaton-docker/obdocker/pop/proto"
	"github.com/openbaton-docker/obdocker/pop/proto/wire"
)

const (
	// tokenKey must match server.TokenKey (not imported: the client does
	// not pull in the server and its Docker dependencies).
	tokenKey = "token"
	// acceptedKey must match server.AcceptedKey.
	acceptedKey = "pop-accepted"
	// renewMargin renews a token this long before the server would refuse it.
	renewMargin = 10 * time.Second
	chunkSize   = 256 << 10
	maxMsgSize  = 64 << 20
)

// Options configures Dial.
type Options struct {
	// Addr is the server's host:port.
	Addr     string
	User     string
	Password string
	// TLS, when set, secures the connection; nil dials in clear text.
	TLS *tls.Config
	// DialOptions are added to the client's own (tests dial over bufconn).
	DialOptions []grpc.DialOption
}

// Client implements pop.Pop over gRPC. It is safe for concurrent use.
type Client struct {
	conn *grpc.ClientConn
	rpc  pb.PopClient
	user string
	pass string
	now  func() time.Time

	// login is a one-slot semaphore: one login at a time, and a waiter can
	// give up on its ctx.
	login chan struct{}
	mu    sync.Mutex
	tok   *token
}

type token struct {
	value   string
	expires time.Time
}

var _ pop.Pop = (*Client)(nil)

// Dial makes a client of the server at opts.Addr. It does not connect or
// log in yet: the first call does.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Addr == "" {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "pop client: empty server address")
	}
	if opts.User == "" {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "pop client: empty user name")
	}
	creds := insecure.NewCredentials()
	if opts.TLS != nil {
		creds = credentials.NewTLS(opts.TLS)
	}
	dopts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize), grpc.MaxCallSendMsgSize(maxMsgSize)),
	}, opts.DialOptions...)
	conn, err := grpc.NewClient(opts.Addr, dopts...)
	if err != nil {
		return nil, pop.Wrap(pop.ErrInvalidArgument, err, "pop client: dial %s", opts.Addr)
	}
	return &Client{conn: conn, rpc: pb.NewPopClient(conn), user: opts.User, pass: opts.Password,
		now: time.Now, login: make(chan struct{}, 1)}, nil
}

// Close logs out (best effort, briefly) and closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	tok := c.tok
	c.tok = nil
	c.mu.Unlock()
	if tok != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = c.rpc.Logout(ctx, &emptypb.Empty{}, grpc.PerRPCCredentials(tokenCreds(tok.value)))
		cancel()
	}
	return c.conn.Close()
}

// Logout ends the session; the next call logs in again.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	tok := c.tok
	c.tok = nil
	c.mu.Unlock()
	if tok == nil {
		return nil
	}
	_, err := c.rpc.Logout(ctx, &emptypb.Empty{}, grpc.PerRPCCredentials(tokenCreds(tok.value)))
	if status.Code(err) == codes.Unauthenticated {
		return nil // the session had already ended (expired, or a restarted server)
	}
	return wire.FromStatus(ctx, err)
}

// tokenCreds puts the token in each call's metadata. It does not require
// transport security: docker-popd on loopback may run without TLS.
type tokenCreds string

func (t tokenCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{tokenKey: string(t)}, nil
}

func (tokenCreds) RequireTransportSecurity() bool { return false }

// current gives a token that is not about to expire, logging in if needed.
func (c *Client) current(ctx context.Context) (*token, error) {
	c.mu.Lock()
	tok := c.tok
	c.mu.Unlock()
	if tok != nil && c.now().Add(renewMargin).Before(tok.expires) {
		return tok, nil
	}
	return c.relogin(ctx, tok)
}

// relogin replaces stale with a fresh token, unless another call already did.
func (c *Client) relogin(ctx context.Context, stale *token) (*token, error) {
	select {
	case c.login <- struct{}{}:
	case <-ctx.Done():
		return nil, pop.Wrap(pop.ErrUnavailable, ctx.Err(), "pop client: log in")
	}
	defer func() { <-c.login }()
	c.mu.Lock()
	tok := c.tok
	c.mu.Unlock()
	if tok != nil && tok != stale && c.now().Add(renewMargin).Before(tok.expires) {
		return tok, nil
	}
	resp, err := c.rpc.Login(ctx, &pb.Credentials{Username: c.user, Password: c.pass})
	if err != nil {
		err = wire.FromStatus(ctx, err)
		return nil, pop.Wrap(pop.Class(err), err, "pop client: log in as %q", c.user)
	}
	tok = &token{value: resp.GetValue(), expires: resp.GetExpires().AsTime()}
	if resp.GetExpires() == nil {
		tok.expires = c.now().Add(24 * time.Hour)
	}
	c.mu.Lock()
	c.tok = tok
	c.mu.Unlock()
	return tok, nil
}

// do runs call with a token, and once more with a new one when the server
// says the token is no good: at most two attempts, never a loop.
func (c *Client) do(ctx context.Context, call func(ctx context.Context, creds grpc.CallOption) error) error {
	tok, err := c.current(ctx)
	if err != nil {
		return err
	}
	err = call(ctx, grpc.PerRPCCredentials(tokenCreds(tok.value)))
	if status.Code(err) == codes.Unauthenticated {
		if tok, err = c.relogin(ctx, tok); err != nil {
			return err
		}
		err = call(ctx, grpc.PerRPCCredentials(tokenCreds(tok.value)))
	}
	return wire.FromStatus(ctx, err)
}

func (c *Client) Info(ctx context.Context) (pop.Info, error) {
	var out *pb.Infos
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.Info(ctx, &emptypb.Empty{}, co)
		return err
	})
	if err != nil {
		return pop.Info{}, err
	}
	return wire.InfoFromPB(out), nil
}

func (c *Client) Containers(ctx context.Context, f pop.Filter) ([]pop.Container, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	var out *pb.ContainerList
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.Containers(ctx, wire.FilterToPB(f), co)
		return err
	})
	if err != nil {
		return nil, err
	}
	return wire.ContainersFromPB(out), nil
}

func (c *Client) Images(ctx context.Context, f pop.Filter) ([]pop.Image, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	var out *pb.ImageList
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.Images(ctx, wire.FilterToPB(f), co)
		return err
	})
	if err != nil {
		return nil, err
	}
	return wire.ImagesFromPB(out), nil
}

func (c *Client) Networks(ctx context.Context, f pop.Filter) ([]pop.Network, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	var out *pb.NetworkList
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.Networks(ctx, wire.FilterToPB(f), co)
		return err
	})
	if err != nil {
		return nil, err
	}
	return wire.NetworksFromPB(out), nil
}

func (c *Client) Flavours(ctx context.Context, f pop.Filter) ([]pop.Flavour, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	var out *pb.FlavourList
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.Flavours(ctx, wire.FilterToPB(f), co)
		return err
	})
	if err != nil {
		return nil, err
	}
	return wire.FlavoursFromPB(out), nil
}

func (c *Client) Create(ctx context.Context, cfg pop.ContainerConfig) (pop.Container, error) {
	if err := wire.ValidateConfig(cfg); err != nil {
		return pop.Container{}, err
	}
	out, err := c.container(ctx, func(ctx context.Context, co grpc.CallOption) (*pb.Container, error) {
		return c.rpc.Create(ctx, wire.ContainerConfigToPB(cfg), co)
	})
	if err != nil {
		return out, err
	}
	return out, c.checkPlacementKept(ctx, cfg, out)
}

// checkPlacementKept undoes a create whose answer lacks the placement it
// asked for: a docker-popd older than the placement fields drops them as
// unknown and would run the container anywhere. A current one refuses
// them (one engine), or keeps them (recorded with the container).
func (c *Client) checkPlacementKept(ctx context.Context, cfg pop.ContainerConfig, got pop.Container) error {
	if slices.Equal(got.Constraints, cfg.Constraints) && slices.Equal(got.PlacementPrefs, cfg.PlacementPrefs) {
		return nil
	}
	// The caller's ctx may be nearly spent: the undo gets its own.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	derr := c.Delete(dctx, pop.ByID(got.ID))
	err := pop.Errorf(pop.ErrInvalidArgument, "container %q: docker-popd at %s did not keep its placement (constraints %q, preferences %q): it predates placement and ignores it; upgrade docker-popd (a current one of one engine refuses placement), or drop the constraint and placement-pref directives",
		cfg.Name, c.conn.Target(), cfg.Constraints, cfg.PlacementPrefs)
	if derr != nil && !errors.Is(derr, pop.ErrNotFound) {
		return fmt.Errorf("%w; and the container it made is left (delete %s by hand): %w", err, got.ID, derr)
	}
	return err
}

func (c *Client) Metadata(ctx context.Context, f pop.Filter, md map[string]string) (pop.Container, error) {
	if err := errors.Join(checkFilter(f), wire.ValidateMap(md)); err != nil {
		return pop.Container{}, err
	}
	return c.container(ctx, func(ctx context.Context, co grpc.CallOption) (*pb.Container, error) {
		return c.rpc.Metadata(ctx, &pb.NewMetadata{Filter: wire.FilterToPB(f), Entries: md}, co)
	})
}

func (c *Client) Start(ctx context.Context, f pop.Filter) (pop.Container, error) {
	if err := checkFilter(f); err != nil {
		return pop.Container{}, err
	}
	return c.container(ctx, func(ctx context.Context, co grpc.CallOption) (*pb.Container, error) {
		return c.rpc.Start(ctx, wire.FilterToPB(f), co)
	})
}

func (c *Client) Stop(ctx context.Context, f pop.Filter) (pop.Container, error) {
	if err := checkFilter(f); err != nil {
		return pop.Container{}, err
	}
	return c.container(ctx, func(ctx context.Context, co grpc.CallOption) (*pb.Container, error) {
		return c.rpc.Stop(ctx, wire.FilterToPB(f), co)
	})
}

// container runs a call that answers one container.
func (c *Client) container(ctx context.Context, call func(context.Context, grpc.CallOption) (*pb.Container, error)) (pop.Container, error) {
	var out *pb.Container
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = call(ctx, co)
		return err
	})
	if err != nil {
		return pop.Container{}, err
	}
	return wire.ContainerFromPB(out), nil
}

func (c *Client) Delete(ctx context.Context, f pop.Filter) error {
	if err := checkFilter(f); err != nil {
		return err
	}
	return c.do(ctx, func(ctx context.Context, co grpc.CallOption) error {
		_, err := c.rpc.Delete(ctx, wire.FilterToPB(f), co)
		return err
	})
}

func (c *Client) Logs(ctx context.Context, f pop.Filter, tail int) (string, error) {
	if err := checkFilter(f); err != nil {
		return "", err
	}
	var out *pb.LogsReply
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.Logs(ctx, &pb.LogsRequest{Filter: wire.FilterToPB(f), Tail: wire.Tail(tail)}, co)
		return err
	})
	if err != nil {
		return "", err
	}
	return string(out.GetText()), nil
}

func (c *Client) CreateNetwork(ctx context.Context, cfg pop.NetworkConfig) (pop.Network, error) {
	if err := wire.ValidateStrings("network setting", cfg.Name, cfg.Driver, cfg.Subnet, cfg.Gateway); err != nil {
		return pop.Network{}, err
	}
	var out *pb.Network
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.CreateNetwork(ctx, wire.NetworkConfigToPB(cfg), co)
		return err
	})
	if err != nil {
		return pop.Network{}, err
	}
	return wire.NetworkFromPB(out), nil
}

func (c *Client) DeleteNetwork(ctx context.Context, f pop.Filter) error {
	if err := checkFilter(f); err != nil {
		return err
	}
	return c.do(ctx, func(ctx context.Context, co grpc.CallOption) error {
		_, err := c.rpc.DeleteNetwork(ctx, wire.FilterToPB(f), co)
		return err
	})
}

func (c *Client) PullImage(ctx context.Context, ref string) (pop.Image, error) {
	if err := wire.ValidateStrings("image reference", ref); err != nil {
		return pop.Image{}, err
	}
	var out *pb.Image
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) (err error) {
		out, err = c.rpc.PullImage(ctx, &pb.PullRequest{Ref: ref}, co)
		return err
	})
	if err != nil {
		return pop.Image{}, err
	}
	return wire.ImageFromPB(out), nil
}

// LoadImage streams archive in chunks. It waits for the server to accept
// the call before reading archive, so the one retry after a new login
// never needs bytes already consumed.
func (c *Client) LoadImage(ctx context.Context, archive io.Reader) ([]pop.Image, error) {
	var out *pb.ImageList
	err := c.do(ctx, func(ctx context.Context, co grpc.CallOption) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // ends the stream if we leave early
		stream, err := c.rpc.LoadImage(ctx, co)
		if err != nil {
			return err
		}
		md, err := stream.Header()
		if err != nil {
			return err
		}
		if len(md.Get(acceptedKey)) == 0 {
			// The call ended before it began: its status says why.
			var l pb.ImageList
			if err := stream.RecvMsg(&l); err != nil {
				return err
			}
			return pop.Errorf(pop.ErrInternal, "pop client: load image: server did not accept the archive")
		}
		// From here on the archive is being consumed: no error may trigger
		// a retry, so status errors become domain errors right away.
		buf := make([]byte, chunkSize)
		for {
			n, rerr := archive.Read(buf)
			if n > 0 {
				if err := stream.Send(&pb.ImageChunk{Data: buf[:n]}); err != nil {
					if err == io.EOF { // the server ended the call: get its status
						_, err = stream.CloseAndRecv()
					}
					return wire.FromStatus(ctx, err)
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return pop.Wrap(pop.ErrInvalidArgument, rerr, "pop client: read image archive")
			}
		}
		out, err = stream.CloseAndRecv()
		return wire.FromStatus(ctx, err)
	})
	if err != nil {
		return nil, err
	}
	return wire.ImagesFromPB(out), nil
}

func checkFilter(f pop.Filter) error {
	return wire.ValidateStrings("filter", f.ID, f.Name)
}
