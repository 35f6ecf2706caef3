package vnfm_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestEndToEndImagesFromRegistry: an NSD whose images are only in a
// registry (TLS, basic auth; one by tag, one by digest) deploys to ACTIVE.
// The NFVO stand-in's grant, like the NFVO's, refuses a VDU whose vm_image
// the VIM does not list, so the VNFM must pull them through the driver
// (credentials from the driver's OBDOCKER_DOCKER_CONFIG) before it asks.
// A second NSD naming an image the registry lacks fails at INSTANTIATE,
// naming the image and the registry's answer.
func TestEndToEndImagesFromRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("real services")
	}
	raw := testenv.Docker(t)
	reg := testenv.AuthRegistry(t)
	u := testenv.Name(t)
	serverRef := reg.Push(t, raw, "obdocker/echo-server:latest", "obdtest/echo-server-"+u+":v1") // by digest
	clientRef := reg.Host + "/obdtest/echo-client-" + u + ":v1"
	reg.Push(t, raw, "obdocker/echo-client:latest", strings.TrimPrefix(clientRef, reg.Host+"/"))
	t.Cleanup(func() {
		for _, ref := range []string{serverRef, clientRef} {
			if err := testenv.RemoveImage(raw, ref); err != nil {
				t.Error(err)
			}
		}
	})
	for _, ref := range []string{serverRef, clientRef} {
		if _, err := raw.ImageInspect(t.Context(), ref); err == nil {
			t.Fatalf("%s is on the engine before the test", ref)
		}
	}
	// The rig's driver inherits this environment.
	t.Setenv("OBDOCKER_DOCKER_CONFIG", reg.DockerConfig(t, reg.User, reg.Password))
	r, _, ev := startRig(t)

	nsd, err := r.LoadNSD(filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo.json"))
	if err != nil {
		t.Fatal(err)
	}
	setImage(nsd, "echo-server", serverRef)
	setImage(nsd, "echo-client", clientRef)
	id, err := r.Orch.Deploy(t.Context(), nsd, r.VIM["name"].(string))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	if err := r.Orch.WaitStatus(wctx, id, "ACTIVE"); err != nil {
		t.Fatalf("%v\nevents:\n%s", err, ev)
	}
	for _, ref := range []string{serverRef, clientRef} {
		if _, err := raw.ImageInspect(t.Context(), ref); err != nil {
			t.Errorf("%s not pulled: %v", ref, err)
		}
	}
	logs := r.Logs()
	if !strings.Contains(logs, "making the image present before the grant") {
		t.Error("the VNFM logged no pull before the grant")
	}
	if strings.Contains(logs, reg.Password) {
		t.Error("the registry password is in the daemons' logs")
	}
	if err := r.Orch.Delete(wctx, id); err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(wctx, id, "DELETED"); err != nil {
		t.Fatal(err)
	}

	// An image the registry lacks: INSTANTIATE fails, naming it and the
	// registry's answer.
	missing := reg.Host + "/obdtest/nothing-" + u + ":v1"
	nsd, err = r.LoadNSD(filepath.Join(repoRoot(), "deploy", "examples", "nsd-echo.json"))
	if err != nil {
		t.Fatal(err)
	}
	setImage(nsd, "echo-server", missing)
	setImage(nsd, "echo-client", clientRef)
	id, err = r.Orch.Deploy(t.Context(), nsd, r.VIM["name"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Orch.WaitStatus(wctx, id, "ERROR"); err != nil {
		t.Fatalf("%v\nevents:\n%s", err, ev)
	}
	_, _, errs := r.Orch.Counters(id)
	msg := strings.Join(errs, "\n")
	t.Logf("NSR errors: %s", msg)
	if !strings.Contains(msg, missing) || !strings.Contains(msg, "manifest unknown") && !strings.Contains(msg, "not found") {
		t.Errorf("the failure names neither %s nor the registry's answer:\n%s", missing, msg)
	}
	if strings.Contains(msg, reg.Password) {
		t.Error("the registry password is in the error")
	}
	r.Orch.Delete(wctx, id)
}

// setImage sets the vm_image of the named VNFD's VDUs.
func setImage(nsd map[string]any, vnfd, ref string) {
	vnfds, _ := nsd["vnfd"].([]any)
	for _, v := range vnfds {
		m, _ := v.(map[string]any)
		if m == nil || m["name"] != vnfd {
			continue
		}
		vdus, _ := m["vdu"].([]any)
		for _, x := range vdus {
			if vdu, ok := x.(map[string]any); ok {
				vdu["vm_image"] = []any{ref}
			}
		}
	}
	if _, ok := nsd["vnfd"]; !ok {
		panic(fmt.Sprintf("nsd without vnfd: %v", nsd))
	}
}
