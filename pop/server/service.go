package server

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/openbaton-docker/obdocker/pop"
	pb "github.com/openbaton-docker/obdocker/pop/proto"
	"github.com/openbaton-docker/obdocker/pop/proto/wire"
)

// AcceptedKey is the response header LoadImage sends once the call is
// authenticated and before it reads a chunk (see pop.proto).
const AcceptedKey = "pop-accepted"

// service adapts pop.Pop to the generated server interface: convert, call,
// convert back, map the error once. The logic stays in the Pop.
type service struct {
	pb.UnimplementedPopServer
	pop      pop.Pop
	sessions *sessions
	log      logrus.FieldLogger
	// policy is checked before the Pop sees a Create: the Pop applies
	// none, and a user's password is all a caller needs.
	policy pop.HostPolicy
}

func (s *service) Login(ctx context.Context, c *pb.Credentials) (*pb.Token, error) {
	addr := clientHost(ctx)
	if err := oversized(c.GetUsername(), c.GetPassword()); err != nil {
		// Not the name: it may be megabytes.
		s.log.WithFields(logrus.Fields{"client": addr, "user_bytes": len(c.GetUsername())}).Warn("login refused: credentials too long")
		return nil, err
	}
	// The address and the name, never the password.
	log := s.log.WithFields(logrus.Fields{"client": addr, "user": c.GetUsername()})
	tok, exp, err := s.sessions.login(addr, c.GetUsername(), c.GetPassword())
	if err != nil {
		if st := status.Convert(err); st.Code() == codes.ResourceExhausted {
			log.Warn("login refused: " + st.Message())
		} else {
			log.Warn("login refused")
		}
		return nil, err
	}
	log.Info("logged in")
	return &pb.Token{Value: tok, Expires: timestamppb.New(exp)}, nil
}

// clientHost is the host part of the caller's address: the limit on
// failed logins must not reset with each new connection's port.
func clientHost(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	a := p.Addr.String()
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	if a == "" {
		return p.Addr.Network()
	}
	return a
}

func (s *service) Logout(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	if sess, ok := sessionFrom(ctx); ok {
		s.sessions.logout(sess)
		s.log.WithField("user", sess.user).Info("logged out")
	}
	return &emptypb.Empty{}, nil
}

func (s *service) Info(ctx context.Context, _ *emptypb.Empty) (*pb.Infos, error) {
	info, err := s.pop.Info(ctx)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.InfoToPB(info, time.Now()), nil
}

func (s *service) Containers(ctx context.Context, f *pb.Filter) (*pb.ContainerList, error) {
	cs, err := s.pop.Containers(ctx, wire.FilterFromPB(f))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ContainersToPB(cs), nil
}

func (s *service) Images(ctx context.Context, f *pb.Filter) (*pb.ImageList, error) {
	is, err := s.pop.Images(ctx, wire.FilterFromPB(f))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ImagesToPB(is), nil
}

func (s *service) Networks(ctx context.Context, f *pb.Filter) (*pb.NetworkList, error) {
	ns, err := s.pop.Networks(ctx, wire.FilterFromPB(f))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.NetworksToPB(ns), nil
}

func (s *service) Flavours(ctx context.Context, f *pb.Filter) (*pb.FlavourList, error) {
	fs, err := s.pop.Flavours(ctx, wire.FilterFromPB(f))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.FlavoursToPB(fs), nil
}

func (s *service) Create(ctx context.Context, cfg *pb.ContainerConfig) (*pb.Container, error) {
	cc := wire.ContainerConfigFromPB(cfg)
	if err := s.policy.Check(cc); err != nil {
		s.log.WithFields(logrus.Fields{"container": cc.Name, "reason": err.Error()}).Warn("create refused by the host policy")
		return nil, wire.ToStatus(err) // the client names the container
	}
	c, err := s.pop.Create(ctx, cc)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ContainerToPB(c), nil
}

func (s *service) Metadata(ctx context.Context, md *pb.NewMetadata) (*pb.Container, error) {
	c, err := s.pop.Metadata(ctx, wire.FilterFromPB(md.GetFilter()), md.GetEntries())
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ContainerToPB(c), nil
}

func (s *service) Start(ctx context.Context, f *pb.Filter) (*pb.Container, error) {
	c, err := s.pop.Start(ctx, wire.FilterFromPB(f))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ContainerToPB(c), nil
}

func (s *service) Stop(ctx context.Context, f *pb.Filter) (*pb.Container, error) {
	c, err := s.pop.Stop(ctx, wire.FilterFromPB(f))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ContainerToPB(c), nil
}

func (s *service) Delete(ctx context.Context, f *pb.Filter) (*emptypb.Empty, error) {
	if err := s.pop.Delete(ctx, wire.FilterFromPB(f)); err != nil {
		return nil, wire.ToStatus(err)
	}
	return &emptypb.Empty{}, nil
}

func (s *service) Logs(ctx context.Context, r *pb.LogsRequest) (*pb.LogsReply, error) {
	text, err := s.pop.Logs(ctx, wire.FilterFromPB(r.GetFilter()), int(r.GetTail()))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pb.LogsReply{Text: []byte(text)}, nil
}

func (s *service) CreateNetwork(ctx context.Context, cfg *pb.NetworkConfig) (*pb.Network, error) {
	n, err := s.pop.CreateNetwork(ctx, wire.NetworkConfigFromPB(cfg))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.NetworkToPB(n), nil
}

func (s *service) DeleteNetwork(ctx context.Context, f *pb.Filter) (*emptypb.Empty, error) {
	if err := s.pop.DeleteNetwork(ctx, wire.FilterFromPB(f)); err != nil {
		return nil, wire.ToStatus(err)
	}
	return &emptypb.Empty{}, nil
}

func (s *service) PullImage(ctx context.Context, r *pb.PullRequest) (*pb.Image, error) {
	img, err := s.pop.PullImage(ctx, r.GetRef())
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return wire.ImageToPB(img), nil
}

func (s *service) LoadImage(stream pb.Pop_LoadImageServer) error {
	// Tell the client the call is accepted before it sends any data, so an
	// authentication failure never costs it part of its archive.
	if err := stream.SendHeader(metadata.Pairs(AcceptedKey, "1")); err != nil {
		return err
	}
	imgs, err := s.pop.LoadImage(stream.Context(), &chunkReader{stream: stream})
	if err != nil {
		return wire.ToStatus(err)
	}
	return stream.SendAndClose(wire.ImagesToPB(imgs))
}

// chunkReader reads the archive out of the stream's chunks.
type chunkReader struct {
	stream pb.Pop_LoadImageServer
	buf    []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		msg, err := r.stream.Recv()
		if err == io.EOF {
			return 0, io.EOF
		}
		if err != nil {
			return 0, pop.Wrap(pop.ErrUnavailable, err, "receive image archive")
		}
		r.buf = msg.GetData()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
