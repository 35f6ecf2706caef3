package vimdriver_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestEndToEndSecretsStayHidden runs the plugin, docker-popd and the VNFM
// through their normal and failing paths with distinctive secrets (VIM
// passwords in dockerKey and authUrl, TLS keys, broker passwords, popd
// passwords), then searches every log line, every exception the NFVO got
// and the metrics page for each secret and for pieces of it.
func TestEndToEndSecretsStayHidden(t *testing.T) {
	const (
		popdPassword  = "PopdPw-7fK2qLx"
		wrongPassword = "WrongPw-9xQ3zTe"
		urlPassword   = "UrlPw/4mZ%8vN"
		bootWrong     = "BootPw-3LpW8dQ"
		mgmtWrong     = "MgmtPw-5hRt2Wc"
	)
	// Fragments of the secrets: a message that cut a secret must not show
	// a recognisable part of it either.
	secrets := []string{popdPassword, wrongPassword, urlPassword, bootWrong, mgmtWrong, "7fK2q", "9xQ3z", "4mZ%8", "3LpW8", "5hRt2"}

	metricsAddr := freeAddr(t)
	r := startRig(t, "10.201.201.0/24", "10.201.202.0/24", "OBDOCKER_METRICS_ADDR="+metricsAddr)
	popd := startPopdWith(t, r.popName, "10.201.203.0/24", "10.201.206.0/24", popdOptions{password: popdPassword})
	certs := testenv.NewTLSCerts(t, []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	secrets = append(secrets, keyLines(certs.Client.Key.PEM)...)

	creds, ok := r.nfvo.Credentials(r.queue)
	if !ok || creds.RabbitPassword == "" {
		t.Fatalf("no broker credentials issued to %s", r.queue)
	}
	secrets = append(secrets, creds.RabbitPassword)

	var exceptions []string
	callExpectingError := func(doc, method string, params ...any) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		_, err := r.nfvo.Call(ctx, r.queue, method, params...)
		if err == nil {
			t.Errorf("%s: %s answered, want an exception", doc, method)
			return
		}
		exceptions = append(exceptions, doc+": "+err.Error())
	}

	// Normal path: a docker-popd VIM with the password in dockerKey.
	good := jsonMap{"name": "sec-good", "authUrl": "pop://" + popd.addr, "dockerKey": "vim:" + popdPassword, "type": "docker", "projectId": "p1"}
	decode(t, r.call("refresh", good))
	r.call("listServer", good)

	// Failing paths.
	callExpectingError("wrong popd password", "refresh",
		jsonMap{"name": "sec-wrong", "authUrl": "pop://" + popd.addr, "dockerKey": "vim:" + wrongPassword, "type": "docker"})
	callExpectingError("wrong popd password in the authUrl", "listServer",
		jsonMap{"name": "sec-wrong-url", "authUrl": "pop://vim:" + wrongPassword + "@" + popd.addr, "type": "docker"})
	callExpectingError("unparsable authUrl with a password", "refresh",
		jsonMap{"name": "sec-url", "authUrl": "tcp://admin:" + urlPassword + "@engine.invalid:2376", "type": "docker"})
	callExpectingError("TLS key for an engine that is not there", "refresh",
		jsonMap{"name": "sec-tls", "authUrl": "tcp://127.0.0.1:1", "type": "docker",
			"ca": string(certs.CA.CA.PEM), "cert": string(certs.Client.Cert.PEM), "dockerKey": string(certs.Client.Key.PEM)})
	callExpectingError("TLS key that is not a key", "refresh",
		jsonMap{"name": "sec-badkey", "authUrl": "tcp://127.0.0.1:1", "type": "docker",
			"cert": string(certs.Client.Cert.PEM), "dockerKey": "-----BEGIN PRIVATE KEY-----\n" + wrongPassword + "\n-----END PRIVATE KEY-----\n"})
	callExpectingError("launch with a refused password", "launchInstanceAndWait",
		jsonMap{"name": "sec-wrong", "authUrl": "pop://" + popd.addr, "dockerKey": "vim:" + wrongPassword, "type": "docker"},
		"sec-x", "img", "", "", []any{}, []any{}, "export A=1\n", jsonMap{}, []any{})

	// The plugin's metrics after all that.
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsPage, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metricsPage), "obdocker_") {
		t.Fatalf("metrics page has no obdocker_ series:\n%.500s", metricsPage)
	}

	// The plugin refused by the broker: a wrong bootstrap password.
	refused := &testenv.Buffer{}
	cmd := exec.Command(driverBinary(t))
	cmd.Env = append(os.Environ(), "OBDOCKER_PLUGIN_NAME=sec"+strings.TrimPrefix(r.popName, "e2e-"),
		"OBDOCKER_BROKER_PASSWORD="+bootWrong, "OBDOCKER_STATE_DIR="+t.TempDir(), "OBDOCKER_LOG_LEVEL=debug",
		"OBDOCKER_MANAGER_QUEUE="+r.nfvo.ManagerQueue(), "OBDOCKER_REGISTER_TIMEOUT=1s")
	cmd.Stdout, cmd.Stderr = refused, refused
	runFor(t, cmd, 4*time.Second)

	// The VNFM, refused likewise; then registered for real, with a wrong
	// password for the NFVO's management API.
	vnfmBin := vnfmBinary(t)
	vnfmType := "sec" + strings.TrimPrefix(r.popName, "e2e-")
	vnfmEnv := append(os.Environ(), "OBDOCKER_VNFM_LOG_LEVEL=debug", "OBDOCKER_VNFM_MANAGER_QUEUE="+r.nfvo.ManagerQueue(),
		"OBDOCKER_VNFM_TYPE="+vnfmType, "OBDOCKER_VNFM_ENDPOINT="+vnfmType, "OBDOCKER_VNFM_STATE_DIR="+t.TempDir(),
		"OBDOCKER_VNFM_PLUGIN_QUEUE="+r.queue, "OBDOCKER_VNFM_NFVO_PASSWORD="+mgmtWrong)
	vnfmLogs := &testenv.Buffer{}
	vnfm := exec.Command(vnfmBin)
	vnfm.Env = append(slices.Clone(vnfmEnv), "OBDOCKER_VNFM_BROKER_PASSWORD="+bootWrong)
	vnfm.Stdout, vnfm.Stderr = vnfmLogs, vnfmLogs
	runFor(t, vnfm, 4*time.Second)

	vnfm = exec.Command(vnfmBin)
	vnfm.Env = vnfmEnv
	vnfm.Stdout, vnfm.Stderr = vnfmLogs, vnfmLogs
	if err := vnfm.Start(); err != nil {
		t.Fatal(err)
	}
	vnfmDone := make(chan error, 1)
	go func() { vnfmDone <- vnfm.Wait() }()
	wctx, wcancel := context.WithTimeout(t.Context(), 60*time.Second)
	vcreds, err := r.nfvo.WaitRegistered(wctx, vnfmType)
	wcancel()
	if err != nil {
		vnfm.Process.Kill()
		t.Fatalf("VNFM: %v\n%s", err, vnfmLogs.String())
	}
	secrets = append(secrets, vcreds.RabbitPassword)
	time.Sleep(time.Second)
	vnfm.Process.Signal(os.Interrupt)
	select {
	case <-vnfmDone:
	case <-time.After(60 * time.Second):
		vnfm.Process.Kill()
		t.Errorf("VNFM did not stop within 60 s")
	}

	sources := map[string]string{
		"plugin log":         r.logs.String(),
		"refused plugin log": refused.String(),
		"docker-popd log":    popd.logs.String(),
		"VNFM log":           vnfmLogs.String(),
		"exceptions":         strings.Join(exceptions, "\n"),
		"metrics":            string(metricsPage),
	}
	for name, text := range sources {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds secret %q", name, s)
			}
		}
	}
	// The failing paths did run and say so: the checks above saw them.
	for _, want := range []struct{ src, text string }{
		{"exceptions", "not shown"},
		{"exceptions", "pop://" + popd.addr},
		{"docker-popd log", "vim"},
		{"refused plugin log", "registration"},
		{"VNFM log", "registration"},
	} {
		if !strings.Contains(strings.ToLower(sources[want.src]), strings.ToLower(want.text)) {
			t.Errorf("%s does not mention %q: the failing path it stands for did not run?\n%s", want.src, want.text, sources[want.src])
		}
	}
	if t.Failed() {
		for name, text := range sources {
			t.Logf("---- %s\n%s", name, text)
		}
	}
}

// keyLines are the base64 lines of a PEM private key.
func keyLines(pem []byte) []string {
	var out []string
	for _, l := range strings.Split(string(pem), "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// runFor runs cmd for d (long enough for a few registration attempts),
// then stops it.
func runFor(t *testing.T, cmd *exec.Cmd, d time.Duration) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return
	case <-time.After(d):
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// vnfmBinary builds cmd/docker-vnfm once per test.
func vnfmBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "docker-vnfm")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/openbaton-docker/obdocker/cmd/docker-vnfm").CombinedOutput(); err != nil {
		t.Fatalf("build docker-vnfm: %v\n%s", err, out)
	}
	return bin
}
