package testenv

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"golang.org/x/crypto/bcrypt"
)

// Registry is a Distribution 2.8 registry (Debian's docker-registry) run
// for one test. The engine under test pulls from it; nothing leaves the
// host.
type Registry struct {
	// Host is host:port, the registry part of an image reference.
	Host string
	// User and Password log in to an auth registry ("" for a plain one).
	User, Password string
	// CA signed the registry's certificate (nil for a plain one); it is
	// installed for dockerd under /etc/docker/certs.d/<Host>/ca.crt.
	CA *TestCA

	log  *Buffer
	url  string
	http *http.Client
}

// Log is the registry's output so far, its access log included.
func (r *Registry) Log() string { return r.log.String() }

// DockerConfig writes a Docker config.json holding user:password for this
// registry and returns its path (mode 0600, in a temp dir of t).
func (r *Registry) DockerConfig(t testing.TB, user, password string) string {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	b, err := json.Marshal(map[string]any{"auths": map[string]any{r.Host: map[string]string{"auth": auth}}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// PlainRegistry runs a registry over plain HTTP on a free 127.0.0.1 port:
// dockerd takes 127.0.0.0/8 as insecure without configuration. It stops
// when the test ends.
func PlainRegistry(t testing.TB) *Registry {
	t.Helper()
	Docker(t)
	bin := registryBinary(t)
	port, err := freePort()
	if err != nil {
		missing(t, "registry: %v", err)
	}
	r := &Registry{Host: "127.0.0.1:" + strconv.Itoa(port), log: &Buffer{}, http: &http.Client{Timeout: 5 * time.Second}}
	r.url = "http://" + r.Host
	cfg := registryConfig(t, r.Host, "", "", "")
	r.start(t, exec.Command(bin, "serve", cfg))
	return r
}

// AuthRegistry runs a registry with TLS (a CA made for the test) and
// htpasswd basic auth on an address inside a network namespace the test
// makes: dockerd skips certificate checks and demands no TLS on
// 127.0.0.0/8, so only an address elsewhere tests them. The CA is
// installed for dockerd. Everything (process, namespace, veth pair, CA
// file) goes when the test ends. Needs root.
func AuthRegistry(t testing.TB) *Registry {
	t.Helper()
	Docker(t)
	bin := registryBinary(t)
	if os.Geteuid() != 0 {
		missing(t, "auth registry: not root (a network namespace and /etc/docker/certs.d need it)")
	}
	ns, addr := registryNetns(t)
	r := &Registry{Host: addr + ":5000", User: "obdtest", Password: randomSecret(t), log: &Buffer{}}
	r.CA = NewTestCA(t, "registry")
	srv := r.CA.ServerCert(t, nil, []net.IP{net.ParseIP(addr)})
	hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(r.User+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	certDir := filepath.Join("/etc/docker/certs.d", r.Host)
	if err := os.MkdirAll(certDir, 0o755); err != nil {
		missing(t, "auth registry: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(certDir) })
	if err := os.WriteFile(filepath.Join(certDir, "ca.crt"), r.CA.CA.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	r.url = "https://" + r.Host
	r.http = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: r.CA.Pool, MinVersion: tls.VersionTLS12}}}
	cfg := registryConfig(t, r.Host, srv.Cert.Path, srv.Key.Path, htpasswd)
	r.start(t, exec.Command("ip", "netns", "exec", ns, bin, "serve", cfg))
	return r
}

func registryBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		missing(t, "docker-registry not installed (Debian package docker-registry)")
	}
	return bin
}

func randomSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// registryConfig writes the registry's configuration: storage in a temp
// dir of t, TLS and htpasswd when their paths are given.
func registryConfig(t testing.TB, addr, cert, key, htpasswd string) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: info\n  formatter: text\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "http:\n  addr: %s\n  secret: %s\n", addr, randomSecret(t))
	if cert != "" {
		fmt.Fprintf(&b, "  tls:\n    certificate: %s\n    key: %s\n", cert, key)
	}
	if htpasswd != "" {
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: obdocker-test\n    path: %s\n", htpasswd)
	}
	p := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs cmd, stops it when the test ends, and waits until /v2/
// answers (401 counts: the auth registry is up).
func (r *Registry) start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = r.log, r.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		missing(t, "start docker-registry: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := r.http.Get(r.url + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("docker-registry exited at start:\n%s", r.log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry at %s does not answer: %v\n%s", r.url, err, r.log)
		}
	}
}

// Push tags the local image src as <Host>/<repo> and pushes it (with the
// registry's credentials, if any), then removes that tag and the digest
// reference the push added, so the engine must pull either back. It
// answers the pushed digest reference <Host>/<name>@sha256:….
func (r *Registry) Push(t testing.TB, cli *client.Client, src, repo string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ref := r.Host + "/" + repo
	if err := cli.ImageTag(ctx, src, ref); err != nil {
		t.Fatalf("tag %s as %s: %v", src, ref, err)
	}
	defer func() {
		if _, err := cli.ImageRemove(context.Background(), ref, image.RemoveOptions{}); err != nil {
			t.Errorf("untag %s: %v", ref, err)
		}
	}()
	opts := image.PushOptions{}
	if r.User != "" {
		enc, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: r.User, Password: r.Password, ServerAddress: r.Host})
		if err != nil {
			t.Fatal(err)
		}
		opts.RegistryAuth = enc
	} else {
		opts.RegistryAuth = base64.URLEncoding.EncodeToString([]byte("{}"))
	}
	rc, err := cli.ImagePush(ctx, ref, opts)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	defer rc.Close()
	digest := ""
	dec := json.NewDecoder(rc)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		if m.Error != nil {
			t.Fatalf("push %s: %s\nregistry log:\n%s", ref, m.Error.Message, r.log)
		}
		if m.Aux != nil {
			var aux struct{ Digest string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.Digest != "" {
				digest = aux.Digest
			}
		}
	}
	if digest == "" {
		t.Fatalf("push %s: no digest in the answer", ref)
	}
	name, _, _ := strings.Cut(repo, ":")
	digestRef := r.Host + "/" + name + "@" + digest
	if err := RemoveImage(cli, digestRef); err != nil {
		t.Error(err)
	}
	return digestRef
}

// RemoveImage removes ref from the engine (an untag when other references
// keep the image), ignoring a ref that is not there: test cleanup for
// pulled images.
func RemoveImage(cli *client.Client, ref string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{})
	if err != nil && !client.IsErrNotFound(err) {
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return nil
}

// registryNetns makes a network namespace joined to the host by a veth
// pair on the first free /30 of 10.207.250.0–10.207.255.255 and answers
// its name and the address inside it. A lock file keeps parallel test
// processes from choosing the same /30.
func registryNetns(t testing.TB) (ns, addr string) {
	t.Helper()
	lock, err := os.OpenFile("/run/obdocker-registry-netns.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		missing(t, "auth registry: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		missing(t, "auth registry: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	nets, err := hostV4Nets()
	if err != nil {
		missing(t, "auth registry: %v", err)
	}
	for third := 250; third <= 255; third++ {
		for fourth := 0; fourth < 256; fourth += 4 {
			cand := &net.IPNet{IP: net.IPv4(10, 207, byte(third), byte(fourth)).To4(), Mask: net.CIDRMask(30, 32)}
			if overlaps(cand, nets) {
				continue
			}
			host := fmt.Sprintf("10.207.%d.%d", third, fourth+1)
			inner := fmt.Sprintf("10.207.%d.%d", third, fourth+2)
			id := randomSecret(t)[:6]
			ns = "obdreg-" + id
			hostIf, innerIf := "obr"+id, "obr"+id+"n"
			steps := [][]string{
				{"netns", "add", ns},
				{"link", "add", hostIf, "type", "veth", "peer", "name", innerIf, "netns", ns},
				{"addr", "add", host + "/30", "dev", hostIf},
				{"link", "set", hostIf, "up"},
				{"-n", ns, "addr", "add", inner + "/30", "dev", innerIf},
				{"-n", ns, "link", "set", innerIf, "up"},
				{"-n", ns, "link", "set", "lo", "up"},
			}
			t.Cleanup(func() {
				// Deleting the namespace deletes the veth pair with it.
				exec.Command("ip", "netns", "delete", ns).Run()
				exec.Command("ip", "link", "delete", hostIf).Run()
			})
			for _, s := range steps {
				if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
					missing(t, "auth registry: ip %s: %v: %s", strings.Join(s, " "), err, out)
				}
			}
			return ns, inner
		}
	}
	missing(t, "auth registry: no free /30 in 10.207.250.0/22+")
	return "", ""
}

// hostV4Nets lists the host's IPv4 networks (every interface's address
// with its mask: a Docker bridge's /24 takes its whole range).
func hostV4Nets() ([]*net.IPNet, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []*net.IPNet
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			out = append(out, &net.IPNet{IP: ipn.IP.Mask(ipn.Mask), Mask: ipn.Mask})
		}
	}
	return out, nil
}

func overlaps(cand *net.IPNet, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(cand.IP) || cand.Contains(n.IP) {
			return true
		}
	}
	return false
}
