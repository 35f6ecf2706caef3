package vimdriver_test

import (
	"net"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// popdPassword is startPopd's password: no message may carry it.
const popdPassword = "s3cret"

// refused calls refresh for v and checks the exception: it names the
// authUrl and each of causes, and never the password.
func refused(t *testing.T, r *rig, v jsonMap, causes ...string) {
	t.Helper()
	_, err := r.nfvo.Call(t.Context(), r.queue, "refresh", v)
	if err == nil {
		t.Fatalf("refresh of %s succeeded, want a refusal", v["authUrl"])
	}
	msg := err.Error()
	t.Logf("refused: %s", msg)
	for _, want := range append([]string{v["authUrl"].(string)}, causes...) {
		if !strings.Contains(msg, want) {
			t.Errorf("exception lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, popdPassword) {
		t.Errorf("exception carries the password: %s", msg)
	}
}

// TestEndToEndRemotePopTLS: with the VIM instance's ca set, the plugin
// speaks TLS to docker-popd and verifies its certificate: the right CA
// launches a server end to end, a wrong CA or a name the certificate does
// not carry is refused.
func TestEndToEndRemotePopTLS(t *testing.T) {
	r := startRig(t, "10.201.192.0/24", "10.201.220.0/22")
	// The server certificate names 127.0.0.1 only: "localhost" reaches the
	// same daemon under a name the certificate does not carry.
	certs := testenv.NewTLSCerts(t, nil, net.IPv4(127, 0, 0, 1))
	p := startPopdWith(t, r.popName, "10.201.193.0/24", "10.201.216.0/22", popdOptions{tls: &certs.Server})
	_, port, _ := net.SplitHostPort(p.addr)
	vimOf := func(name, host string, ca []byte) jsonMap {
		return jsonMap{"name": name + "-" + r.popName, "authUrl": "pop://" + net.JoinHostPort(host, port),
			"dockerKey": "vim:" + popdPassword, "ca": string(ca), "type": "docker", "id": name + "-" + r.popName,
			"location": jsonMap{"name": "remote"}}
	}
	good := vimOf("tls", "127.0.0.1", certs.CA.CA.PEM)
	wrongCA := vimOf("wrong-ca", "127.0.0.1", certs.Forged.CA.PEM)
	wrongName := vimOf("wrong-name", "localhost", certs.CA.CA.PEM)

	t.Run("wrong CA", func(t *testing.T) { refused(t, r, wrongCA, "certificate signed by unknown authority") })
	t.Run("wrong server name", func(t *testing.T) { refused(t, r, wrongName, "localhost", "x509: certificate") })
	// Not a subtest: the rig's calls fail the test that started it.
	launchThroughPopd(t, r, good, "10.201.194.0/24", "10.201.194.9")
	// Still refused while the right one's Pop is open.
	t.Run("wrong CA after", func(t *testing.T) { refused(t, r, wrongCA, "certificate signed by unknown authority") })

	if strings.Contains(r.logs.String(), popdPassword) {
		t.Errorf("the plugin logged the password")
	}
}

// TestEndToEndRemotePopPlaintext: a docker-popd on an address other than
// loopback without TLS warns at start; the plugin refuses to send it a
// password in clear text unless the operator allows it.
func TestEndToEndRemotePopPlaintext(t *testing.T) {
	host := nonLoopbackIPv4(t)
	r := startRig(t, "10.201.204.0/24", "10.201.208.0/22")
	p := startPopdWith(t, r.popName, "10.201.205.0/24", "10.201.212.0/22", popdOptions{host: host})
	if !strings.Contains(p.logs.String(), "without TLS") {
		t.Errorf("docker-popd on %s in clear text did not warn:\n%s", p.addr, p.logs.String())
	}
	v := jsonMap{"name": "plain-" + r.popName, "authUrl": "pop://" + p.addr, "dockerKey": "vim:" + popdPassword,
		"type": "docker", "id": "plain-" + r.popName, "location": jsonMap{"name": "remote"}}
	refused(t, r, v, "OBDOCKER_POP_ALLOW_PLAINTEXT", "ca")

	// The operator's explicit opt-in.
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	r.env = append(r.env, "OBDOCKER_POP_ALLOW_PLAINTEXT=true")
	r.start()
	r.call("refresh", v)
	if !strings.Contains(r.logs.String(), "level=warning msg=\"OBDOCKER_POP_ALLOW_PLAINTEXT") {
		t.Errorf("the plugin did not warn of the opt-in at start:\n%s", r.logs.String())
	}
}

// nonLoopbackIPv4 is an IPv4 address of this host other than loopback.
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	if testenv.CI() {
		t.Fatal("this host has no IPv4 address other than loopback")
	}
	t.Skip("this host has no IPv4 address other than loopback")
	return ""
}
