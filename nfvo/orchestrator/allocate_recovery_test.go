package orchestrator

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/internal/vimdriver"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/plugin"
)

// The allocation recovery tests use 10.201.176.0/24 (within 10.201.160.0/20).

// allocRig is the NFVO stand-in, the VIM driver plugin in process over
// RabbitMQ on the real dockerd, and an orchestrator with one VIM.
type allocRig struct {
	t       *testing.T
	o       *Orchestrator
	vim     obj
	popName string
	defNet  string
}

func startAllocRig(t *testing.T) *allocRig {
	t.Helper()
	raw := testenv.Docker(t)
	amqpURL := testenv.RabbitMQ(t)
	name := testenv.Name(t)
	log := logrus.New()
	log.SetOutput(io.Discard)
	if os.Getenv("OBDOCKER_TEST_LOG") == "1" {
		log.SetOutput(os.Stderr)
		log.SetLevel(logrus.DebugLevel)
	}
	n, err := nfvo.Start(t.Context(), nfvo.Options{AMQPURL: amqpURL, ManagementURL: testenv.ManagementURL(),
		ManagerUser: "mgr-" + name, OwnManagerUser: true, ManagerQueue: nfvo.DefaultManagerQueue + "-" + name, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })

	r := &allocRig{t: t, popName: "alloc-" + name[len(name)-8:], defNet: "priv-" + name[len(name)-8:]}
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw, r.popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	cfg := vimdriver.Config{Plugin: plugin.DefaultConfig()}
	cfg.Plugin.BrokerHost = "127.0.0.1"
	cfg.Plugin.BrokerUser = "mgr-" + name
	cfg.Plugin.ManagerQueue = n.ManagerQueue()
	cfg.Plugin.PluginName = name
	cfg.Driver = vimdriver.DriverConfig{
		StateDir: t.TempDir(), DockerHost: testenv.DockerHost(), PopName: r.popName,
		DefaultNetwork: r.defNet, DefaultSubnet: "10.201.176.0/24", NetworkPool: "10.201.177.0/24",
		AllowedSysctls: []string{"net.ipv4.*"},
	}
	if err := os.MkdirAll(filepath.Join(cfg.Driver.StateDir, "pops"), 0o700); err != nil {
		t.Fatal(err)
	}
	d := vimdriver.NewDriver(cfg, log)
	p, err := plugin.New(cfg.Plugin, d, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		d.Close()
	})
	queue := cfg.Plugin.ID()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if ok, err := n.Management().QueueExists(t.Context(), queue); err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin queue %s never appeared", queue)
		}
		time.Sleep(50 * time.Millisecond)
	}

	o, err := Start(t.Context(), Options{NFVO: n, AMQPURL: amqpURL, PluginQueue: queue,
		ActionsQueue: "vnfm.nfvo.actions-" + name, ActionsReplyQueue: "vnfm.nfvo.actions.reply-" + name, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	r.o = o
	r.vim, err = o.RegisterVIM(t.Context(), obj{"name": "vim-" + name, "authUrl": "", "type": "docker"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// vnfr persists a VNFR of one VDU with one VNFC on the Pop's default
// network, as GRANT_OPERATION leaves it.
func (r *allocRig) vnfr(name, image string) obj {
	nsr := &NSR{ID: "nsr-" + name, Name: name, vim: r.vim, vnfds: map[string]obj{name: {"name": name}},
		deps: map[string]*dependency{}, vnfrIDs: map[string]string{}, status: map[string]string{},
		nets: map[string]obj{}, released: map[string]bool{}, waiting: map[string]bool{}}
	r.o.mu.Lock()
	defer r.o.mu.Unlock()
	r.o.nsrs[nsr.ID] = nsr
	rec := r.o.addLocked(nsr, obj{"name": name, "type": name, "parent_ns_id": nsr.ID, "status": "NULL", "endpoint": "none",
		"vdu": []any{obj{"name": "vdu", "vm_image": []any{image}, "vnfc_instance": []any{},
			"vnfc": []any{obj{"connection_point": []any{obj{"virtual_link_reference": r.defNet, "interfaceId": 0}}}}}}})
	nsr.vnfrIDs[name] = str(rec, "id")
	return rec
}

func (r *allocRig) allocate(rec obj, userdata string) obj {
	r.t.Helper()
	vims := obj{}
	for _, vdu := range list(rec, "vdu") {
		vims[str(vdu, "id")] = r.vim
	}
	ctx, cancel := context.WithTimeout(r.t.Context(), 60*time.Second)
	defer cancel()
	return r.o.allocate(ctx, obj{"action": "ALLOCATE_RESOURCES", "virtualNetworkFunctionRecord": rec,
		"vimInstances": vims, "userdata": userdata, "keyPairs": []any{}})
}

func (r *allocRig) stored(rec obj) obj {
	r.o.mu.Lock()
	defer r.o.mu.Unlock()
	return clone(r.o.vnfrs[str(rec, "id")].record)
}

// listed reports whether listServer has a server named host.
func (r *allocRig) listed(host string) bool {
	r.t.Helper()
	ans, err := r.o.call(r.t.Context(), r.vim, "listServer")
	if err != nil {
		r.t.Fatal(err)
	}
	var servers []obj
	if err := json.Unmarshal(ans, &servers); err != nil {
		r.t.Fatal(err)
	}
	for _, s := range servers {
		if str(s, "hostName") == host {
			return true
		}
	}
	return false
}

// release plays RELEASE_RESOURCES for the stored VNFR and waits until
// host is gone (deleteServerByIdAndWait is not awaited).
func (r *allocRig) release(rec obj, host string) {
	r.t.Helper()
	r.o.releaseTask(r.t.Context(), r.stored(rec), r.o.log)
	for deadline := time.Now().Add(30 * time.Second); r.listed(host); {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s still listed after RELEASE_RESOURCES", host)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAllocateFailureWithServer: a launch whose container failed to start
// answers its server in the exception; the VNFR goes to ERROR with that
// server as a VNFC instance, released with RELEASE_RESOURCES.
func TestAllocateFailureWithServer(t *testing.T) {
	r := startAllocRig(t)
	rec := r.vnfr("broken", testenv.BusyboxImage)
	// Docker creates the container, then runc cannot set the sysctl.
	ans := r.allocate(rec, "#obdocker:sysctl=net.ipv4.no_such_key=1\n")
	if str(ans, "action") != "ERROR" || !strings.Contains(str(ans, "message"), "Not launched VM with hostname broken-") {
		t.Fatalf("answer %v", ans)
	}
	cis := vnfcInstances(sub(ans, "vnfr"))
	if len(cis) != 1 {
		t.Fatalf("ERROR answer has %d VNFC instances, want the failed one: %v", len(cis), ans)
	}
	ci := cis[0]
	host := str(ci, "hostname")
	if vc := str(ci, "vc_id"); vc == "" || vc == "unknown" || str(ci, "state") != "ERROR" || len(list(ci, "ips")) != 1 {
		t.Errorf("VNFC instance %v, want the partial server (ERROR, with its IP)", ci)
	}
	if st := r.stored(rec); str(st, "status") != "ERROR" || len(vnfcInstances(st)) != 1 {
		t.Errorf("stored VNFR %v %v", str(st, "status"), vnfcInstances(st))
	}
	if !r.listed(host) {
		t.Fatalf("the failed server %s is not kept", host)
	}
	r.release(rec, host)
}

// TestAllocateFailureWithoutServer: a launch refused before anything ran
// answers no server and leaves none; the VNFR records an instance "unknown",
// whose release is a no-op.
func TestAllocateFailureWithoutServer(t *testing.T) {
	r := startAllocRig(t)
	rec := r.vnfr("needy", "obdocker/echo-client:latest") // requires SERVER_IP
	ans := r.allocate(rec, "export PORT=7\n")
	if str(ans, "action") != "ERROR" || !strings.Contains(str(ans, "message"), "SERVER_IP") {
		t.Fatalf("answer %v", ans)
	}
	cis := vnfcInstances(sub(ans, "vnfr"))
	if len(cis) != 1 || str(cis[0], "vc_id") != "unknown" {
		t.Fatalf("VNFC instances %v, want one with vc_id unknown", cis)
	}
	host := str(cis[0], "hostname")
	if r.listed(host) {
		t.Errorf("the refused launch left server %s", host)
	}
	if st := r.stored(rec); str(st, "status") != "ERROR" {
		t.Errorf("stored VNFR status %v", str(st, "status"))
	}
	r.release(rec, host)
	if st := r.stored(rec); str(st, "status") != "TERMINATED" {
		t.Errorf("released VNFR status %v", str(st, "status"))
	}
}
