package vimdriver_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// startPopd runs docker-popd as its own process with a config written by
// `docker-popd init`, on loopback in clear text, and returns its address.
func startPopd(t *testing.T, popName, defaultSubnet, pool string) string {
	t.Helper()
	return startPopdWith(t, popName, defaultSubnet, pool, popdOptions{}).addr
}

// popdOptions vary startPopdWith's daemon.
type popdOptions struct {
	// host to listen on; empty: 127.0.0.1.
	host string
	// tls, when set, is the server's certificate: docker-popd serves TLS.
	tls *testenv.KeyPair
	// password of user "vim"; empty: s3cret.
	password string
}

type popdProc struct {
	addr string
	logs *testenv.Buffer
}

func startPopdWith(t *testing.T, popName, defaultSubnet, pool string, o popdOptions) popdProc {
	t.Helper()
	if o.host == "" {
		o.host = "127.0.0.1"
	}
	if o.password == "" {
		o.password = "s3cret"
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "docker-popd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/openbaton-docker/obdocker/cmd/docker-popd").CombinedOutput(); err != nil {
		t.Fatalf("build docker-popd: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(o.host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(dir, "popd.toml")
	if out, err := exec.Command(bin, "init", "-cfg", cfg, "-user", "vim", "-password", o.password, "-addr", addr).CombinedOutput(); err != nil {
		t.Fatalf("popd init: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(cfg)
	set := func(key, val string) {
		b = regexp.MustCompile(`(?m)^`+key+` = .*$`).ReplaceAll(b, []byte(key+` = "`+val+`"`))
	}
	set("PopName", popName)
	set("StorePath", filepath.Join(dir, "popd.db"))
	set("DefaultNetwork", "private-"+popName)
	set("DefaultSubnet", defaultSubnet)
	set("NetworkPool", pool)
	if o.tls != nil {
		set("TLSCertPath", o.tls.Cert.Path)
		set("TLSKeyPath", o.tls.Key.Path)
	}
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testenv.Buffer{}
	cmd := exec.Command(bin, "-cfg", cfg, "-verbose")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("docker-popd log:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-popd never listened on %s:\n%s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(logs.String(), o.password) {
		t.Errorf("docker-popd logged the password")
	}
	return popdProc{addr: addr, logs: logs}
}

// TestEndToEndRemotePop: a VIM instance whose authUrl is pop://host:port is
// served through docker-popd, with the credentials in the dockerKey field.
func TestEndToEndRemotePop(t *testing.T) {
	r := startRig(t, "10.201.253.0/24", "10.201.232.0/22")
	addr := startPopd(t, r.popName, "10.201.254.0/24", "10.201.228.0/22")
	vim := jsonMap{"name": "vim-popd-" + r.popName, "authUrl": "pop://" + addr, "dockerKey": "vim:s3cret",
		"type": "docker", "id": "vp-" + r.popName, "location": jsonMap{"name": "remote"}}

	// Wrong credentials: a clear exception, and the plugin keeps serving.
	bad := jsonMap{"name": "bad", "authUrl": "pop://" + addr, "dockerKey": "vim:wrong", "type": "docker"}
	_, err := r.nfvo.Call(t.Context(), r.queue, "listServer", bad)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "credentials") && !strings.Contains(strings.ToLower(err.Error()), "unauthenticated") {
		t.Fatalf("wrong password: %v", err)
	}

	launchThroughPopd(t, r, vim, "10.201.227.0/24", "10.201.227.9")
}

// launchThroughPopd runs a server's life through the docker-popd of vim:
// refresh finds the test image, a network and a server with a fixed IP and
// userdata env are made, seen on Docker, and deleted without a trace.
func launchThroughPopd(t *testing.T, r *rig, vim jsonMap, subnet, ip string) {
	t.Helper()
	ref := decode(t, r.call("refresh", vim))
	var imageExt string
	for _, im := range ref["images"].([]any) {
		for _, tag := range im.(jsonMap)["tags"].([]any) {
			if tag == testenv.BusyboxImage {
				imageExt = im.(jsonMap)["extId"].(string)
			}
		}
	}
	if imageExt == "" {
		t.Fatalf("no test image through popd: %v", ref["images"])
	}
	vl := "rvl-" + r.popName
	n := decode(t, r.call("createNetwork", vim, jsonMap{"name": vl, "subnet": subnet}))
	s := decode(t, r.call("launchInstanceAndWait", vim, "rsrv-"+r.popName, imageExt, "", "",
		[]any{jsonMap{"virtual_link_reference": vl, "virtual_link_reference_id": n["extId"], "interfaceId": 0, "fixedIp": ip}},
		[]any{}, "export VIA=popd\n", jsonMap{}, []any{}))
	if s["status"] != "ACTIVE" {
		t.Fatalf("launch: %v", s)
	}
	ins, err := r.raw.ContainerInspect(t.Context(), "rsrv-"+r.popName)
	if err != nil {
		t.Fatal(err)
	}
	if ep := ins.NetworkSettings.Networks[vl]; ep == nil || ep.IPAddress != ip || !slices.Contains(ins.Config.Env, "VIA=popd") {
		t.Fatalf("container through popd: %+v env %v", ep, ins.Config.Env)
	}
	var servers []jsonMap
	json.Unmarshal(r.call("listServer", vim), &servers)
	if len(servers) != 1 || servers[0]["hostName"] != "rsrv-"+r.popName {
		t.Fatalf("listServer: %v", servers)
	}
	r.call("deleteServerByIdAndWait", vim, s["extId"])
	var ok bool
	json.Unmarshal(r.call("deleteNetwork", vim, n["extId"]), &ok)
	if !ok {
		t.Fatal("deleteNetwork not true")
	}
	if c, _ := r.ours(); c != 0 {
		t.Fatalf("%d containers left", c)
	}
}
