// Package rig starts the whole VNFM chain on one machine for tests and the
// demo: an NFVO stand-in answering registrations (package nfvo), the
// orchestrator (the NFVO's VNFM side), the VIM driver plugin daemon and
// the VNFM daemon as separate processes, all with unique names so that
// several rigs share one broker and one dockerd.
package rig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/nfvo/orchestrator"
)

// Config says what to start.
type Config struct {
	// DriverBin and VNFMBin are the docker-vim-driver and docker-vnfm
	// binaries.
	DriverBin, VNFMBin string
	// Unique suffixes every name (plugin, Pop, VNFM type, queues); letters
	// and digits only.
	Unique string
	// AMQPURL (the NFVO admin) and ManagementURL; defaults are local.
	AMQPURL, ManagementURL string
	// DockerHost is the engine (default unix:///var/run/docker.sock).
	DockerHost string
	// DefaultSubnet is the Pop's default network "private"; NetworkPool
	// gives /24s to networks created without a cidr.
	DefaultSubnet, NetworkPool string
	// StateDir holds the plugin's and the VNFM's state (default: a
	// temporary directory removed by Close).
	StateDir string
	// ChildOutput receives both daemons' logs (default: kept in memory,
	// see Logs).
	ChildOutput io.Writer
	// VNFMType and VNFMEndpoint are the VNFM's type (what VNFDs name)
	// and queue; default docker-vnfm-<Unique> for both. A rig with type
	// docker holds the broker-wide user "docker": one at a time.
	VNFMType, VNFMEndpoint string
	// VNFMEnv adds OBDOCKER_VNFM_* settings.
	VNFMEnv []string
	// VIMMetadata is the registered VIM instance's metadata (nil: none),
	// e.g. {"obdocker.mode": "swarm"}.
	VIMMetadata map[string]any
	// OnEvent receives the orchestrator's status changes.
	OnEvent func(orchestrator.Event)
	Logger  logrus.FieldLogger
}

// Rig is a running chain.
type Rig struct {
	cfg         Config
	NFVO        *nfvo.NFVO
	Orch        *orchestrator.Orchestrator
	VIM         map[string]any
	PluginName  string
	PluginQueue string
	VNFMType    string
	// VNFMEndpoint is the VNFM's command queue.
	VNFMEndpoint string
	PopName      string

	bootstrapUser string

	logs    *buffer
	tmpDir  string
	driver  *proc
	vnfm    *proc
	baseEnv []string
}

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	w  io.Writer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w != nil {
		b.w.Write(p)
	}
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type proc struct {
	cmd  *exec.Cmd
	done chan error
}

// Start starts everything and registers the VIM instance; on error what
// was started is stopped.
func Start(ctx context.Context, cfg Config) (r *Rig, err error) {
	if cfg.Unique == "" {
		return nil, errors.New("rig: no unique suffix")
	}
	if cfg.AMQPURL == "" {
		cfg.AMQPURL = "amqp://admin:openbaton@127.0.0.1:5672/"
	}
	if cfg.ManagementURL == "" {
		cfg.ManagementURL = "http://127.0.0.1:15672"
	}
	if cfg.DockerHost == "" {
		cfg.DockerHost = "unix:///var/run/docker.sock"
	}
	if cfg.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		cfg.Logger = l
	}
	u := cfg.Unique
	r = &Rig{
		cfg:        cfg,
		PluginName: "vnfm" + u,
		VNFMType:   cfg.VNFMType,
		PopName:    "vnfm-" + u,
		logs:       &buffer{w: cfg.ChildOutput},
	}
	r.PluginQueue = "vim-drivers.docker." + r.PluginName
	if r.VNFMType == "" {
		r.VNFMType = "docker-vnfm-" + u
	}
	r.VNFMEndpoint = cfg.VNFMEndpoint
	if r.VNFMEndpoint == "" {
		r.VNFMEndpoint = "docker-vnfm-" + u
	}
	defer func() {
		if err != nil {
			r.Close()
			r = nil
		}
	}()
	if cfg.StateDir == "" {
		d, err := os.MkdirTemp("", "obdocker-vnfm-rig-")
		if err != nil {
			return r, err
		}
		r.tmpDir, cfg.StateDir = d, d
		r.cfg.StateDir = d
	}
	managerQueue := "nfvo.manager.handling-" + u
	actions, actionsReply := orchestrator.DefaultActionsQueue+"-"+u, orchestrator.DefaultActionsReplyQueue+"-"+u
	// A bootstrap user of its own: a closing stand-in deletes the one it
	// created, which would refuse the registrations of other rigs.
	r.bootstrapUser = "openbaton-manager-user-" + u
	n, err := nfvo.Start(ctx, nfvo.Options{AMQPURL: cfg.AMQPURL, ManagementURL: cfg.ManagementURL, ManagerQueue: managerQueue,
		ManagerUser: r.bootstrapUser, Logger: cfg.Logger})
	if err != nil {
		return r, fmt.Errorf("rig: nfvo stand-in: %w", err)
	}
	r.NFVO = n
	r.Orch, err = orchestrator.Start(ctx, orchestrator.Options{
		NFVO: n, AMQPURL: cfg.AMQPURL, ActionsQueue: actions, ActionsReplyQueue: actionsReply,
		OnEvent: cfg.OnEvent, Logger: cfg.Logger,
	})
	if err != nil {
		return r, fmt.Errorf("rig: orchestrator: %w", err)
	}
	host, port := brokerHostPort(cfg.AMQPURL)
	r.baseEnv = os.Environ()
	driverEnv := append(append([]string{}, r.baseEnv...),
		"OBDOCKER_BROKER_HOST="+host, "OBDOCKER_BROKER_PORT="+port, "OBDOCKER_BROKER_USER="+r.bootstrapUser,
		"OBDOCKER_PLUGIN_NAME="+r.PluginName,
		"OBDOCKER_MANAGER_QUEUE="+managerQueue,
		"OBDOCKER_STATE_DIR="+cfg.StateDir+"/driver",
		"OBDOCKER_POP_NAME="+r.PopName,
		"OBDOCKER_DOCKER_HOST="+cfg.DockerHost,
		"OBDOCKER_LOG_LEVEL=debug",
	)
	if cfg.DefaultSubnet != "" {
		driverEnv = append(driverEnv, "OBDOCKER_DEFAULT_SUBNET="+cfg.DefaultSubnet)
	}
	if cfg.NetworkPool != "" {
		driverEnv = append(driverEnv, "OBDOCKER_NETWORK_POOL="+cfg.NetworkPool)
	}
	r.driver, err = r.spawn(ctx, cfg.DriverBin, driverEnv, r.PluginQueue)
	if err != nil {
		return r, err
	}
	if err := r.StartVNFM(ctx); err != nil {
		return r, err
	}
	vim := map[string]any{
		"name": "vim-" + u, "authUrl": cfg.DockerHost, "type": "docker." + r.PluginName, "active": true,
		"location": map[string]any{"name": "here"},
	}
	if cfg.VIMMetadata != nil {
		vim["metadata"] = cfg.VIMMetadata
	}
	r.VIM, err = r.Orch.RegisterVIM(ctx, vim)
	if err != nil {
		return r, fmt.Errorf("rig: %w", err)
	}
	return r, nil
}

func brokerHostPort(amqpURL string) (string, string) {
	s := amqpURL
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[i+1:]
	} else {
		s = strings.TrimPrefix(s, "amqp://")
	}
	s, _, _ = strings.Cut(s, "/")
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		port = "5672"
	}
	return host, port
}

// VNFMEnvironment is the VNFM daemon's environment.
func (r *Rig) VNFMEnvironment() []string {
	host, port := brokerHostPort(r.cfg.AMQPURL)
	env := append(append([]string{}, r.baseEnv...),
		"OBDOCKER_VNFM_BROKER_HOST="+host, "OBDOCKER_VNFM_BROKER_PORT="+port, "OBDOCKER_VNFM_BROKER_USER="+r.bootstrapUser,
		"OBDOCKER_VNFM_TYPE="+r.VNFMType,
		"OBDOCKER_VNFM_ENDPOINT="+r.VNFMEndpoint,
		"OBDOCKER_VNFM_MANAGER_QUEUE="+r.NFVO.ManagerQueue(),
		"OBDOCKER_VNFM_ACTIONS_QUEUE="+orchestrator.DefaultActionsQueue+"-"+r.cfg.Unique,
		"OBDOCKER_VNFM_ACTIONS_REPLY_QUEUE="+orchestrator.DefaultActionsReplyQueue+"-"+r.cfg.Unique,
		"OBDOCKER_VNFM_MANAGEMENT_URL="+r.cfg.ManagementURL,
		"OBDOCKER_VNFM_STATE_DIR="+r.cfg.StateDir+"/vnfm",
		"OBDOCKER_VNFM_LOG_LEVEL=debug",
		"OBDOCKER_VNFM_MONITOR_INTERVAL=500ms",
	)
	return append(env, r.cfg.VNFMEnv...)
}

// StartVNFM starts the VNFM daemon and waits for its command queue.
func (r *Rig) StartVNFM(ctx context.Context) error {
	if r.vnfm != nil {
		return errors.New("rig: VNFM already running")
	}
	p, err := r.spawn(ctx, r.cfg.VNFMBin, r.VNFMEnvironment(), r.VNFMEndpoint)
	if err != nil {
		return err
	}
	r.vnfm = p
	return nil
}

// StopVNFM stops the VNFM daemon: SIGTERM (graceful) or SIGKILL.
func (r *Rig) StopVNFM(kill bool) error {
	p := r.vnfm
	r.vnfm = nil
	return stop(p, kill)
}

func (r *Rig) spawn(ctx context.Context, bin string, env []string, queue string) (*proc, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("rig: start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if consuming(r.cfg.AMQPURL, queue) {
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("rig: %s exited at start-up: %v", bin, err)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop(p, true)
			return nil, fmt.Errorf("rig: queue %s of %s never appeared", queue, bin)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// consuming asks the broker itself (a passive declare) whether queue
// exists with a consumer. The management API's statistics lag by seconds:
// right after a kill they still show the dead process's auto-delete
// queue, and a command sent then would be dropped as unroutable.
func consuming(url, queue string) bool {
	conn, err := amqp.Dial(url)
	if err != nil {
		return false
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return false
	}
	q, err := ch.QueueDeclarePassive(queue, true, true, false, false, nil)
	return err == nil && q.Consumers > 0
}

func stop(p *proc, kill bool) error {
	if p == nil || p.cmd.Process == nil {
		return nil
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		if kill {
			return nil
		}
		return err
	case <-time.After(45 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("rig: process did not exit within 45 s")
	}
}

// Logs are both daemons' output so far.
func (r *Rig) Logs() string { return r.logs.String() }

// LoadNSD reads an NSD file and points every VNFD at this rig's VNFM and
// VIM.
func (r *Rig) LoadNSD(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nsd map[string]any
	if err := json.Unmarshal(b, &nsd); err != nil {
		return nil, fmt.Errorf("nsd %s: %w", path, err)
	}
	vnfds, _ := nsd["vnfd"].([]any)
	for _, v := range vnfds {
		vnfd, _ := v.(map[string]any)
		if vnfd == nil {
			continue
		}
		vnfd["endpoint"] = r.VNFMType
		vdus, _ := vnfd["vdu"].([]any)
		for _, x := range vdus {
			if vdu, ok := x.(map[string]any); ok {
				vdu["vimInstanceName"] = []any{r.VIM["name"]}
			}
		}
	}
	return nsd, nil
}

// Close stops the daemons (the VNFM first), the orchestrator and the
// stand-in, deletes the rig's bootstrap user and removes the temporary
// state.
func (r *Rig) Close() {
	stop(r.vnfm, false)
	r.vnfm = nil
	stop(r.driver, false)
	r.driver = nil
	if r.Orch != nil {
		r.Orch.Close()
	}
	if r.NFVO != nil {
		r.NFVO.Close()
		// The stand-in keeps the bootstrap user (the NFVO's own, shared),
		// but this one is the rig's alone: nobody else would delete it.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := r.NFVO.Management().DeleteUser(ctx, r.bootstrapUser); err != nil {
			r.cfg.Logger.WithError(err).WithField("user", r.bootstrapUser).Warn("rig: could not delete the bootstrap user")
		}
		cancel()
	}
	if r.tmpDir != "" {
		os.RemoveAll(r.tmpDir)
	}
}
