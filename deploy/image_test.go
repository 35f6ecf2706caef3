package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	dockerclient "github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/client"
	"github.com/openbaton-docker/obdocker/vim"
)

// The image tests use 10.208.0.0/16 only.
const (
	testDefaultSubnet = "10.208.0.0/24"
	testNetworkPool   = "10.208.16.0/20"
	testPopdSubnet    = "10.208.32.0/24"
	testPopdPool      = "10.208.48.0/20"
)

// buildImage runs deploy/build-image.sh for one image under a unique tag,
// removed at cleanup, so concurrent runs never touch :latest.
func buildImage(t *testing.T, cli *dockerclient.Client, which, repo string) string {
	t.Helper()
	tag := "test-" + uuid.NewString()[:8]
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "deploy/build-image.sh", which)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "TAG="+tag)
	ref := repo + ":" + tag
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), ref, image.RemoveOptions{PruneChildren: true})
	})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-image.sh %s: %v\n%s", which, err, out)
	}
	return ref
}

// socketGroup is the group of the Docker socket, which the non-root image
// needs (--group-add).
func socketGroup(t *testing.T) (string, string) {
	t.Helper()
	sock, ok := strings.CutPrefix(testenv.DockerHost(), "unix://")
	if !ok {
		t.Skipf("DOCKER_HOST %s is not a unix socket: the image test mounts the socket", testenv.DockerHost())
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no socket ownership on this platform")
	}
	return sock, strconv.FormatUint(uint64(st.Gid), 10)
}

// TestPluginImage runs the built plugin image as the compose file does (non
// root, socket group added, socket mounted) against the real broker with an
// NFVO stand-in: it registers, answers refresh from inside the container,
// passes its own health check, and stops cleanly on SIGTERM.
func TestPluginImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	cli := testenv.Docker(t)
	amqpURL := testenv.RabbitMQ(t)
	sock, gid := socketGroup(t)
	ref := buildImage(t, cli, "vim-driver", "obdocker/docker-vim-driver")
	ctx := t.Context()

	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if img.Config.User == "" || strings.HasPrefix(img.Config.User, "0") || strings.HasPrefix(img.Config.User, "root") {
		t.Errorf("image user %q: want non-root", img.Config.User)
	}
	if img.Config.Healthcheck == nil || !slices.Contains(img.Config.Healthcheck.Test, "/usr/local/bin/obdocker-health") {
		t.Errorf("image health check %+v", img.Config.Healthcheck)
	}
	if img.Os != "linux" || len(img.RootFS.Layers) > 3 {
		t.Errorf("image %s/%d layers: want a small FROM scratch image", img.Os, len(img.RootFS.Layers))
	}

	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	n, err := nfvo.Start(ctx, nfvo.Options{AMQPURL: amqpURL, ManagerQueue: "nfvo.manager.handling-deploy-" + u})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	name := testenv.Name(t)
	popName := "deploy-" + u
	queue := "vim-drivers.docker.deploy" + u
	env := []string{
		"OBDOCKER_BROKER_HOST=127.0.0.1",
		"OBDOCKER_PLUGIN_NAME=deploy" + u,
		"OBDOCKER_MANAGER_QUEUE=" + n.ManagerQueue(),
		"OBDOCKER_POP_NAME=" + popName,
		"OBDOCKER_DEFAULT_NETWORK=" + popName + "-private",
		"OBDOCKER_DEFAULT_SUBNET=" + testDefaultSubnet,
		"OBDOCKER_NETWORK_POOL=" + testNetworkPool,
		"OBDOCKER_DOCKER_HOST=unix://" + sock,
		"OBDOCKER_LOG_LEVEL=debug",
	}
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(cli, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	created, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Env: env, Healthcheck: fastHealth},
		&container.HostConfig{
			// The broker listens on the host's loopback.
			NetworkMode: "host",
			GroupAdd:    []string{gid},
			Binds:       []string{sock + ":" + sock},
		}, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("plugin container log:\n%s", containerLogs(cli, created.ID))
		}
		cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}

	// Serving once its queue exists, as the NFVO finds plugins.
	waitFor(t, 60*time.Second, "plugin queue "+queue, func() bool {
		ok, err := n.Management().QueueExists(ctx, queue)
		return err == nil && ok
	})

	callCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	ans, err := n.Call(callCtx, queue, "refresh", map[string]any{
		"name": "vim-" + popName, "authUrl": "unix://" + sock, "type": "docker",
		"location": map[string]any{"name": "Berlin"}, "active": true,
	})
	cancel()
	if err != nil {
		t.Fatalf("refresh through the image: %v", err)
	}
	var vimAns struct {
		Images []struct {
			Tags []string `json:"tags"`
		} `json:"images"`
		Networks []struct {
			Name string `json:"name"`
		} `json:"networks"`
	}
	if err := json.Unmarshal(ans, &vimAns); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, i := range vimAns.Images {
		tags = append(tags, i.Tags...)
	}
	if !slices.Contains(tags, testenv.BusyboxImage) {
		t.Errorf("refresh from the container lists no %s (got %d tags)", testenv.BusyboxImage, len(tags))
	}

	// The image's own health check, run by Docker as the image's user.
	waitHealthy(t, cli, created.ID)

	// SIGTERM: drain, unregister, exit 0; the autoDelete queue goes.
	timeout := 40
	if err := cli.ContainerStop(ctx, created.ID, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	st, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State.ExitCode != 0 {
		t.Errorf("plugin exit code %d after SIGTERM, want 0", st.State.ExitCode)
	}
	waitFor(t, 20*time.Second, "plugin queue gone", func() bool {
		ok, err := n.Management().QueueExists(ctx, queue)
		return err == nil && !ok
	})
	// Once it is gone, the health check reports it.
	if out, code := runHealthOnce(t, cli, ref, env, gid, sock); code != 1 || !strings.Contains(out, "does not exist") {
		t.Errorf("health check of a stopped plugin: exit %d, output %q; want 1 naming the missing queue", code, out)
	}
}

// TestPopdImage runs the docker-popd image as the compose file does, with
// deploy/docker-popd.toml (its Pop name, network and pools made unique to
// this test), non root, and logs in with the example VIM instance's
// credentials.
func TestPopdImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	cli := testenv.Docker(t)
	sock, gid := socketGroup(t)
	ref := buildImage(t, cli, "popd", "obdocker/docker-popd")
	ctx := t.Context()
	name := testenv.Name(t)
	popName := "deploy-" + uuid.NewString()[:8]

	cfg := string(readFile(t, "deploy/docker-popd.toml"))
	for key, val := range map[string]string{
		"PopName": popName, "DefaultNetwork": popName + "-private",
		"DefaultSubnet": testPopdSubnet, "NetworkPool": testPopdPool,
		"DockerHost": "unix:///var/run/docker.sock",
	} {
		re := regexp.MustCompile(`(?m)^` + key + ` = .*$`)
		if !re.MatchString(cfg) {
			t.Fatalf("docker-popd.toml has no %s", key)
		}
		cfg = re.ReplaceAllString(cfg, key+` = "`+val+`"`)
	}
	cfgPath := filepath.Join(t.TempDir(), "docker-popd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(cli, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	created, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Healthcheck: &container.HealthConfig{
		// The image's check names the default port; this one listens elsewhere.
		Test: []string{"CMD", "/usr/local/bin/obdocker-health", "tcp", addr}, Interval: time.Second, Retries: 3},
		// As in the compose file, plus a free port: the test shares the
		// host's network (the engine may have no default bridge).
		Cmd: []string{"-cfg", "/etc/docker-popd/docker-popd.toml", "-addr", addr}},
		&container.HostConfig{
			NetworkMode: "host",
			GroupAdd:    []string{gid},
			Binds: []string{sock + ":/var/run/docker.sock",
				cfgPath + ":/etc/docker-popd/docker-popd.toml:ro"},
		}, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("popd container log:\n%s", containerLogs(cli, created.ID))
		}
		cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, cli, created.ID)

	// Log in as vim-docker-pop.json does (dockerKey user:password).
	var v vim.VimInstance
	if err := json.Unmarshal(readFile(t, "deploy/examples/vim-docker-pop.json"), &v); err != nil {
		t.Fatal(err)
	}
	user, pass, _ := strings.Cut(v.DockerKey, ":")
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	pc, err := client.Dial(dctx, client.Options{Addr: addr, User: user, Password: pass})
	if err != nil {
		t.Fatalf("dial docker-popd as %s: %v", user, err)
	}
	defer pc.Close()
	info, err := pc.Info(dctx)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if info.PopName != popName {
		t.Errorf("docker-popd Pop name %q, want %q", info.PopName, popName)
	}
	nets, err := pc.Networks(dctx, pop.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range nets {
		found = found || n.Name == popName+"-private"
	}
	if !found {
		t.Errorf("docker-popd networks %v: no default network %s-private", nets, popName)
	}
	// The client may log in lazily: the first call must fail.
	bad, err := client.Dial(dctx, client.Options{Addr: addr, User: user, Password: pass + "x"})
	if err == nil {
		_, err = bad.Info(dctx)
		bad.Close()
	}
	if err == nil {
		t.Error("docker-popd accepted a wrong password")
	}
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// fastHealth keeps the image's health check command and only shortens its
// interval, so a test sees Docker's verdict in seconds.
var fastHealth = &container.HealthConfig{Interval: time.Second, Retries: 3}

// waitHealthy waits for Docker's own health check verdict on a container.
func waitHealthy(t *testing.T, cli *dockerclient.Client, id string) {
	t.Helper()
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := cli.ContainerInspect(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State.Health == nil {
			t.Fatal("container has no health check")
		}
		switch st.State.Health.Status {
		case container.Healthy:
			return
		case container.Unhealthy:
			t.Fatalf("unhealthy: %s", healthLog(st.State.Health))
		}
		last = healthLog(st.State.Health)
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 60 s (status %s): %s", st.State.Health.Status, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func healthLog(h *container.Health) string {
	if len(h.Log) == 0 {
		return "no check ran yet"
	}
	l := h.Log[len(h.Log)-1]
	return fmt.Sprintf("exit %d: %s", l.ExitCode, strings.TrimSpace(l.Output))
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runHealthOnce runs the health check as a one-off container of the image.
func runHealthOnce(t *testing.T, cli *dockerclient.Client, ref string, env []string, gid, sock string) (string, int) {
	t.Helper()
	args := []string{"run", "--rm", "--network", "host", "--group-add", gid, "-v", sock + ":" + sock,
		"--entrypoint", "/usr/local/bin/obdocker-health"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, ref, "plugin")
	c := exec.CommandContext(t.Context(), "docker", args...)
	out, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	return string(out), 0
}

func containerLogs(cli *dockerclient.Client, id string) string {
	out, err := exec.Command("docker", "logs", "--tail", "200", id).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(docker logs: %v)", err)
	}
	return string(out)
}

// TestVnfmImage runs the Docker VNFM image against the real broker with an
// NFVO stand-in: it registers, consumes its endpoint queue, passes its
// health check and stops cleanly.
func TestVnfmImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	cli := testenv.Docker(t)
	amqpURL := testenv.RabbitMQ(t)
	ref := buildImage(t, cli, "vnfm", "obdocker/docker-vnfm")
	ctx := t.Context()
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	n, err := nfvo.Start(ctx, nfvo.Options{AMQPURL: amqpURL, ManagerQueue: "nfvo.manager.handling-deploy-" + u})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	queue := "deploy-vnfm-" + u
	env := []string{
		"OBDOCKER_VNFM_BROKER_HOST=127.0.0.1",
		"OBDOCKER_VNFM_TYPE=" + queue,
		"OBDOCKER_VNFM_MANAGER_QUEUE=" + n.ManagerQueue(),
		"OBDOCKER_VNFM_MANAGEMENT_URL=" + testenv.ManagementURL(),
		"OBDOCKER_VNFM_LOG_LEVEL=debug",
	}
	created, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Env: env, Healthcheck: fastHealth},
		&container.HostConfig{NetworkMode: "host"}, nil, nil, testenv.Name(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vnfm container log:\n%s", containerLogs(cli, created.ID))
		}
		cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "vnfm queue "+queue, func() bool {
		ok, err := n.Management().QueueExists(ctx, queue)
		return err == nil && ok
	})
	waitHealthy(t, cli, created.ID)
	timeout := 40
	if err := cli.ContainerStop(ctx, created.ID, container.StopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	st, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State.ExitCode != 0 {
		t.Errorf("vnfm exit code %d after SIGTERM, want 0", st.State.ExitCode)
	}
}
