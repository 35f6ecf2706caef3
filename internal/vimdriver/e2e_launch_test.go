package vimdriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// The launch rule tests use 10.201.160.0/20 only.

const echoClientImage = "obdocker/echo-client:latest" // requires SERVER_IP

// launchRig is a plugin daemon with a VIM instance registered and one
// network created, for the launch rules of issue 12.
type launchRig struct {
	*rig
	vim            jsonMap
	busybox, needy string // image extIds
	vl             string
	netID          string
}

func startLaunchRig(t *testing.T) *launchRig {
	t.Helper()
	r := startRig(t, "10.201.160.0/24", "10.201.168.0/21")
	lr := &launchRig{rig: r, vim: jsonMap{"name": "vim-" + r.popName, "authUrl": "", "type": "docker", "id": "v-" + r.popName}}
	ref := decode(t, r.call("refresh", lr.vim))
	for _, im := range ref["images"].([]any) {
		tags, _ := im.(jsonMap)["tags"].([]any)
		if slices.Contains(tags, any(testenv.BusyboxImage)) {
			lr.busybox = im.(jsonMap)["extId"].(string)
		}
		if slices.Contains(tags, any(echoClientImage)) {
			lr.needy = im.(jsonMap)["extId"].(string)
		}
	}
	if lr.busybox == "" || lr.needy == "" {
		t.Fatalf("refresh lists no %s or no %s (make test-images images)", testenv.BusyboxImage, echoClientImage)
	}
	lr.vl = "vl-" + r.popName
	n := decode(t, r.call("createNetwork", lr.vim, jsonMap{"name": lr.vl, "subnet": "10.201.161.0/24"}))
	lr.netID = n["extId"].(string)
	return lr
}

func (lr *launchRig) cps(fixedIP string) []any {
	cp := jsonMap{"virtual_link_reference": lr.vl, "virtual_link_reference_id": lr.netID, "interfaceId": 0}
	if fixedIP != "" {
		cp["fixedIp"] = fixedIP
	}
	return []any{cp}
}

// launch calls launchInstanceAndWait as the NFVO does and answers the
// server, or the plugin's exception.
func (lr *launchRig) launch(host, image, fixedIP, userdata string) (jsonMap, *nfvo.Exception) {
	lr.t.Helper()
	ctx, cancel := context.WithTimeout(lr.t.Context(), 60*time.Second)
	defer cancel()
	ans, err := lr.nfvo.Call(ctx, lr.queue, "launchInstanceAndWait", lr.vim, host, image, "", "", lr.cps(fixedIP), []any{}, userdata, jsonMap{}, []any{})
	var exc *nfvo.Exception
	if errors.As(err, &exc) {
		return nil, exc
	}
	if err != nil {
		lr.t.Fatalf("launch %s: %v", host, err)
	}
	return decode(lr.t, ans), nil
}

func (lr *launchRig) mustLaunch(host, image, fixedIP, userdata string) jsonMap {
	lr.t.Helper()
	s, exc := lr.launch(host, image, fixedIP, userdata)
	if exc != nil {
		lr.t.Fatalf("launch %s: %s", host, exc.DetailMessage)
	}
	return s
}

// server is the listServer entry of host, or nil.
func (lr *launchRig) server(host string) jsonMap {
	lr.t.Helper()
	var servers []jsonMap
	if err := json.Unmarshal(lr.call("listServer", lr.vim), &servers); err != nil {
		lr.t.Fatal(err)
	}
	for _, s := range servers {
		if s["hostName"] == host {
			return s
		}
	}
	return nil
}

// waitState polls listServer until host's extendedStatus starts with state.
func (lr *launchRig) waitState(host, state string) {
	lr.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := lr.server(host)
		if es, _ := s["extendedStatus"].(string); strings.HasPrefix(es, state) {
			return
		}
		if time.Now().After(deadline) {
			lr.t.Fatalf("%s never became %s: %v", host, state, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (lr *launchRig) dockerEnv(host string) []string {
	lr.t.Helper()
	ins, err := lr.raw.ContainerInspect(lr.t.Context(), host)
	if err != nil {
		lr.t.Fatalf("inspect %s: %v", host, err)
	}
	return ins.Config.Env
}

// TestEndToEndLaunchRefusedIsRetryable (issue 12 item 1): a launch refused
// before anything ran (a required variable missing) answers an exception
// without a server and leaves no record and no reserved address, so the
// retry with corrected userdata runs with its own environment.
func TestEndToEndLaunchRefusedIsRetryable(t *testing.T) {
	lr := startLaunchRig(t)
	host := "needy-" + lr.popName
	_, exc := lr.launch(host, lr.needy, "10.201.161.20", "export PORT=7\n")
	if exc == nil {
		t.Fatal("launched without SERVER_IP")
	}
	if !strings.Contains(exc.DetailMessage, "SERVER_IP") {
		t.Errorf("exception %q does not name SERVER_IP", exc.DetailMessage)
	}
	if exc.Server != nil {
		t.Errorf("the exception carries a server: %s", exc.Server)
	}
	if s := lr.server(host); s != nil {
		t.Errorf("listServer still has the refused launch: %v", s)
	}

	s, exc := lr.launch(host, lr.needy, "10.201.161.20", "export PORT=7\nexport SERVER_IP=10.201.161.99\n")
	if exc != nil {
		t.Fatalf("retry with SERVER_IP: %s", exc.DetailMessage)
	}
	if got := s["ips"].(jsonMap)[lr.vl].([]any); len(got) != 1 || got[0] != "10.201.161.20" {
		t.Errorf("retry ips %v", s["ips"])
	}
	if env := lr.dockerEnv(host); !slices.Contains(env, "SERVER_IP=10.201.161.99") {
		t.Errorf("retry runs with env %v", env)
	}
}

// TestEndToEndRelaunchIdempotentOnlyForSameRequest (issue 12 item 2).
func TestEndToEndRelaunchIdempotentOnlyForSameRequest(t *testing.T) {
	lr := startLaunchRig(t)

	// Same request, RUNNING: the redelivery case answers the container.
	host := "same-" + lr.popName
	first := lr.mustLaunch(host, lr.busybox, "10.201.161.30", "export A=1\n")
	again := lr.mustLaunch(host, lr.busybox, "10.201.161.30", "export A=1\n")
	if again["extId"] != first["extId"] {
		t.Fatalf("same request made another container: %v / %v", first["extId"], again["extId"])
	}

	// Different request, RUNNING: refused, naming the differences.
	_, exc := lr.launch(host, lr.busybox, "10.201.161.31", "export A=2\n")
	if exc == nil {
		t.Fatal("a different request was answered with the running container")
	}
	for _, want := range []string{"hostname " + host + " is in use by a container of image " + testenv.BusyboxImage + " (RUNNING)", "env (A)", "10.201.161.31", "delete it first"} {
		if !strings.Contains(exc.DetailMessage, want) {
			t.Errorf("refusal %q does not say %q", exc.DetailMessage, want)
		}
	}
	if env := lr.dockerEnv(host); !slices.Contains(env, "A=1") {
		t.Errorf("the running container was changed: %v", env)
	}

	// Different request, EXITED: refused too (it ran).
	done := "done-" + lr.popName
	lr.mustLaunch(done, lr.busybox, "", "export MODE=exit\n")
	lr.waitState(done, "EXITED")
	if _, exc := lr.launch(done, lr.busybox, "", "export MODE=other\n"); exc == nil || !strings.Contains(exc.DetailMessage, "(EXITED)") {
		t.Errorf("different request on an EXITED container: %v", exc)
	}

	// Different request, FAILED: replaced by the new one.
	dies := "dies-" + lr.popName
	old := lr.mustLaunch(dies, lr.busybox, "", "export MODE=exit\nexport EXIT_CODE=3\n")
	lr.waitState(dies, "FAILED")
	repl, exc := lr.launch(dies, lr.busybox, "", "export B=2\n")
	if exc != nil {
		t.Fatalf("a different request did not replace the FAILED container: %s", exc.DetailMessage)
	}
	if repl["extId"] == old["extId"] || repl["status"] != "ACTIVE" {
		t.Errorf("not replaced: %v", repl)
	}
	if env := lr.dockerEnv(dies); !slices.Contains(env, "B=2") || slices.Contains(env, "MODE=exit") {
		t.Errorf("replacement runs with %v", env)
	}
}

// TestEndToEndFixedIPTaken (issue 12 item 3): a fixed IP held by another
// server is reported as taken, by the Pop's own words.
func TestEndToEndFixedIPTaken(t *testing.T) {
	lr := startLaunchRig(t)
	lr.mustLaunch("ipa-"+lr.popName, lr.busybox, "10.201.161.40", "")
	_, exc := lr.launch("ipb-"+lr.popName, lr.busybox, "10.201.161.40", "")
	if exc == nil {
		t.Fatal("two servers on one fixed IP")
	}
	if !strings.Contains(exc.DetailMessage, "IP 10.201.161.40") || !strings.Contains(exc.DetailMessage, "is already taken by container") || strings.Contains(exc.DetailMessage, "not found") {
		t.Errorf("exception %q", exc.DetailMessage)
	}
}
