package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	popdocker "github.com/openbaton-docker/obdocker/pop/docker"
)

// The compose test runs deploy/docker-compose.yml for real: the obdocker
// images of `make image`, a RabbitMQ built locally from Debian's packages
// (images/rabbitmq-standin, no registry here) and, through
// deploy/compose-test.override.yml, the NFVO stand-in in place of the NFVO.

const (
	overridePath = "deploy/compose-test.override.yml"
	// The Pops of the compose file: the driver's (OBDOCKER_POP_NAME) and
	// docker-popd's (deploy/docker-popd.toml).
	driverPop = "obdocker-docker"
	popdPop   = "docker-popd"
	standin   = "/usr/local/bin/nfvo-standin"
)

// stack is one compose project of the test.
type stack struct {
	t       *testing.T
	cli     *client.Client
	project string
	root    string
	files   []string
	env     []string
}

// composeTools fails under CI, else skips, when a tool is missing.
func composeTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("%s not found (run `make deps`)", tool)
			if testenv.CI() {
				t.Fatalf("%s (CI=true: a missing tool is a failure)", msg)
			}
			t.Skip(msg)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// prepareImages builds the deploy images and the stand-ins: build-image.sh
// (the images `make image` makes, from this tree) and the RabbitMQ recipe
// (cached by its hash). It returns the RabbitMQ image.
func prepareImages(t *testing.T, cli *client.Client, root string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	// Built from this tree every time, so the test runs the code under
	// test; an image that a build replaces is removed (not left dangling).
	images := []string{"vim-driver", "vnfm", "popd", "nfvo-standin"}
	names := []string{"obdocker/docker-vim-driver:latest", "obdocker/docker-vnfm:latest", "obdocker/docker-popd:latest", "obdocker/nfvo-standin:latest"}
	old := map[string]string{}
	for _, n := range names {
		if ins, err := cli.ImageInspect(ctx, n); err == nil {
			old[n] = ins.ID
		}
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{"deploy/build-image.sh"}, images...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build-image.sh: %v\n%s", err, out)
	}
	for _, n := range names {
		ins, err := cli.ImageInspect(ctx, n)
		if err != nil {
			t.Fatalf("%s after build-image.sh: %v", n, err)
		}
		if prev := old[n]; prev != "" && prev != ins.ID {
			if prevIns, err := cli.ImageInspect(ctx, prev); err == nil && len(prevIns.RepoTags) == 0 {
				// PruneChildren: its untagged parent layers (the old binaries) go too.
				if _, err := cli.ImageRemove(ctx, prev, image.RemoveOptions{PruneChildren: true}); err != nil {
					t.Logf("the image %s replaced stays: %v", prev, err)
				}
			}
		}
	}
	// The stand-in NFVO is test-only: it does not outlive the test. (The
	// RabbitMQ stand-in stays, cached by its recipe's hash, as the issue
	// asks; the deploy images are what `make image` builds anyway.)
	t.Cleanup(func() {
		if _, err := cli.ImageRemove(context.Background(), "obdocker/nfvo-standin:latest", image.RemoveOptions{PruneChildren: true}); err != nil {
			t.Logf("remove the nfvo-standin image: %v", err)
		}
	})
	cmd = exec.CommandContext(ctx, "bash", "images/rabbitmq-standin/build.sh")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("images/rabbitmq-standin/build.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Logf("images ready in %s (rabbitmq stand-in %s)", time.Since(start).Round(100*time.Millisecond), lines[len(lines)-1])
	return lines[len(lines)-1]
}

func newStack(t *testing.T, cli *client.Client, rabbitImage string, extra ...string) *stack {
	t.Helper()
	root := repoRoot(t)
	b := make([]byte, 4)
	rand.Read(b)
	s := &stack{
		t: t, cli: cli, root: root,
		project: "obdcompose" + hex.EncodeToString(b),
		files:   []string{filepath.Join(root, composePath), filepath.Join(root, overridePath)},
	}
	fi, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		t.Fatalf("the compose file mounts /var/run/docker.sock: %v", err)
	}
	gid := fi.Sys().(*syscall.Stat_t).Gid
	s.env = append(composeEnv(),
		"RABBITMQ_IMAGE="+rabbitImage,
		// The host's RabbitMQ (make deps) holds 5672 and 15672.
		"OBDOCKER_AMQP_PORT="+freePort(t), "OBDOCKER_MANAGEMENT_PORT="+freePort(t),
		"OBDOCKER_DASHBOARD_PORT="+freePort(t), "OBDOCKER_POPD_PORT="+freePort(t),
		// The README's step.
		"DOCKER_GID="+strconv.Itoa(int(gid)),
		// docker-popd without TLS, as the profile's VIM instance needs.
		"OBDOCKER_POP_ALLOW_PLAINTEXT=true",
	)
	s.env = append(s.env, extra...)
	t.Cleanup(s.destroy)
	return s
}

// compose runs docker-compose on the project and returns its output.
func (s *stack) compose(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	full := []string{"-p", s.project}
	for _, f := range s.files {
		full = append(full, "-f", f)
	}
	full = append(full, "--profile", "popd")
	cmd := exec.CommandContext(ctx, "docker-compose", append(full, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker-compose %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (s *stack) must(args ...string) string {
	s.t.Helper()
	out, err := s.compose(args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// destroy removes what the run made: the Pops' objects by label, then
// the project with its volumes.
func (s *stack) destroy() {
	for _, pop := range []string{driverPop, popdPop} {
		if err := testenv.RemovePopObjects(s.cli, pop); err != nil {
			s.t.Logf("cleanup: %v", err)
		}
	}
	if out, err := s.compose("down", "-v", "--remove-orphans", "-t", "5"); err != nil {
		s.t.Logf("cleanup: %v\n%s", err, out)
	}
}

func (s *stack) projectFilter(extra ...filters.KeyValuePair) filters.Args {
	return filters.NewArgs(append(extra, filters.Arg("label", "com.docker.compose.project="+s.project))...)
}

// container is the project's container of a service.
func (s *stack) container(service string) container.InspectResponse {
	s.t.Helper()
	ctx := s.t.Context()
	cs, err := s.cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: s.projectFilter(filters.Arg("label", "com.docker.compose.service="+service))})
	if err != nil || len(cs) != 1 {
		s.t.Fatalf("container of service %s: %d found, %v", service, len(cs), err)
	}
	ins, err := s.cli.ContainerInspect(ctx, cs[0].ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return ins
}

func health(ins container.InspectResponse) string {
	if ins.State == nil || ins.State.Health == nil {
		return "none"
	}
	return ins.State.Health.Status
}

// waitHealthy waits until every listed service's container is healthy.
func (s *stack) waitHealthy(d time.Duration, services ...string) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var bad []string
		for _, svc := range services {
			cs, err := s.cli.ContainerList(s.t.Context(), container.ListOptions{All: true,
				Filters: s.projectFilter(filters.Arg("label", "com.docker.compose.service="+svc))})
			if err != nil {
				s.t.Fatal(err)
			}
			if len(cs) != 1 {
				bad = append(bad, fmt.Sprintf("%s: %d containers", svc, len(cs)))
				continue
			}
			ins, err := s.cli.ContainerInspect(s.t.Context(), cs[0].ID)
			if err != nil {
				s.t.Fatal(err)
			}
			if h := health(ins); h != "healthy" {
				bad = append(bad, fmt.Sprintf("%s: %s (%s)", svc, h, ins.State.Status))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			out, _ := s.compose("logs", "--no-color", "--tail", "30")
			s.t.Fatalf("not healthy after %s: %v\n%s", d, bad, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (s *stack) logs(ins container.InspectResponse) string {
	cmd := exec.Command("docker", "logs", ins.ID)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// nfvo runs the stand-in's CLI in the nfvo container (docker exec).
func (s *stack) nfvo(stdin []byte, args ...string) (json.RawMessage, error) {
	ins := s.container("nfvo")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"exec", "-i", ins.ID, standin}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nfvo-standin %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func (s *stack) mustNFVO(stdin []byte, out any, args ...string) {
	s.t.Helper()
	b, err := s.nfvo(stdin, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("nfvo-standin %s: %v: %s", strings.Join(args, " "), err, b)
		}
	}
}

// servers are listServer's hostnames, sorted.
func (s *stack) servers() []string {
	s.t.Helper()
	var list []struct {
		Hostname string `json:"hostname"`
	}
	s.mustNFVO(nil, &list, "call", "docker-vim", "listServer")
	var out []string
	for _, x := range list {
		out = append(out, x.Hostname)
	}
	slices.Sort(out)
	return out
}

type vnfcInfo struct{ hostname, ip string }

func vnfcs(rec map[string]any) []vnfcInfo {
	var out []vnfcInfo
	vdus, _ := rec["vdu"].([]any)
	for _, v := range vdus {
		insts, _ := v.(map[string]any)["vnfc_instance"].([]any)
		for _, i := range insts {
			m := i.(map[string]any)
			c := vnfcInfo{}
			c.hostname, _ = m["hostname"].(string)
			ips, _ := m["ips"].([]any)
			for _, ip := range ips {
				if ipm, _ := ip.(map[string]any); ipm["netName"] == "private" {
					c.ip, _ = ipm["ip"].(string)
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// popLeft lists the Docker objects carrying a Pop's label.
func popLeft(t *testing.T, cli *client.Client) []string {
	var left []string
	for _, pop := range []string{driverPop, popdPop} {
		cs, err := testenv.PopContainers(t.Context(), cli, pop)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			left = append(left, "container "+strings.Join(c.Names, ","))
		}
		ns, err := cli.NetworkList(t.Context(), network.ListOptions{Filters: testenv.PopFilter(pop)})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			left = append(left, "network "+n.Name)
		}
	}
	return left
}

// projectLeft lists the project's containers, networks and volumes.
func (s *stack) projectLeft() []string {
	ctx := s.t.Context()
	var left []string
	cs, _ := s.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: s.projectFilter()})
	for _, c := range cs {
		left = append(left, "container "+strings.Join(c.Names, ","))
	}
	ns, _ := s.cli.NetworkList(ctx, network.ListOptions{Filters: s.projectFilter()})
	for _, n := range ns {
		left = append(left, "network "+n.Name)
	}
	vs, _ := s.cli.VolumeList(ctx, volume.ListOptions{Filters: s.projectFilter()})
	for _, v := range vs.Volumes {
		left = append(left, "volume "+v.Name)
	}
	return left
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (%s)", what, d, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestDisruptiveCompose takes the compose deployment through its life:
// up, healthy, the echo NSD through stand-in → VNFM → driver → dockerd,
// a crash of the driver, down and up with the volumes, the NSR's deletion
// and a cleanup that leaves nothing.
func TestDisruptiveCompose(t *testing.T) {
	testenv.Disruptive(t)
	composeTools(t, "docker-compose", "docker", "debootstrap")
	cli := testenv.Docker(t)
	testenv.RabbitMQ(t) // the leak check reads the host's broker
	if left := popLeft(t, cli); len(left) != 0 {
		t.Fatalf("objects of the compose file's Pops exist before the test (another deployment on this engine?): %v", left)
	}
	for _, img := range []string{"obdocker/echo-server:latest", "obdocker/echo-client:latest"} {
		if _, err := cli.ImageInspect(t.Context(), img); err != nil {
			t.Fatalf("%s missing: run `make images`", img)
		}
	}
	rabbit := prepareImages(t, cli, repoRoot(t))
	before := testenv.Snapshot(t, cli)
	volsBefore := volumeNames(t, cli)
	s := newStack(t, cli, rabbit)
	services := []string{"rabbitmq", "nfvo-db", "nfvo", "docker-vim-driver", "docker-vnfm", "docker-popd"}

	// 1-2. up, every health check healthy.
	start := time.Now()
	s.must(append([]string{"up", "-d"}, services...)...)
	s.waitHealthy(3*time.Minute, services...)
	t.Logf("figure: compose up to all healthy: %.1f s", time.Since(start).Seconds())

	// 3. The echo NSD through the stand-in.
	vimJSON := readFile(t, "deploy/examples/vim-docker.json")
	var vim map[string]any
	s.mustNFVO(vimJSON, &vim, "register-vim")
	if vim["name"] != "docker-vim" {
		t.Fatalf("registered VIM %v", vim)
	}
	start = time.Now()
	var dep struct{ ID string }
	s.mustNFVO(readFile(t, "deploy/examples/nsd-echo.json"), &dep, "deploy", "docker-vim")
	if _, err := s.nfvo(nil, "wait", dep.ID, "ACTIVE", "3m"); err != nil {
		out, _ := s.compose("logs", "--no-color", "--tail", "40", "nfvo", "docker-vnfm", "docker-vim-driver")
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("figure: compose deploy of the echo NSD to ACTIVE: %.1f s", time.Since(start).Seconds())

	var srvRec, cliRec map[string]any
	s.mustNFVO(nil, &srvRec, "vnfr", dep.ID, "echo-server")
	s.mustNFVO(nil, &cliRec, "vnfr", dep.ID, "echo-client")
	sv, cv := vnfcs(srvRec), vnfcs(cliRec)
	if len(sv) != 1 || len(cv) != 1 || sv[0].ip == "" || cv[0].ip == "" {
		t.Fatalf("VNFCs: server %+v client %+v", sv, cv)
	}
	for _, c := range []struct {
		v    vnfcInfo
		want []string
	}{
		{sv[0], []string{"ECHO_PORT=7007", "HOSTNAME=" + sv[0].hostname, "PRIVATE=" + sv[0].ip}},
		{cv[0], []string{"SERVER_IP=" + sv[0].ip, "SERVER_PRIVATE=" + sv[0].ip, "SERVER_HOSTNAME=" + sv[0].hostname,
			"SERVER_PORT=7007", `GREETING=it's a "quoted" $HOME value`, "HOSTNAME=" + cv[0].hostname, "PRIVATE=" + cv[0].ip}},
	} {
		ins, err := cli.ContainerInspect(t.Context(), c.v.hostname)
		if err != nil {
			t.Fatalf("container %s on the host engine: %v", c.v.hostname, err)
		}
		for _, w := range c.want {
			if !slices.Contains(ins.Config.Env, w) {
				t.Errorf("%s env lacks %q: %v", c.v.hostname, w, ins.Config.Env)
			}
		}
		if ins.Config.Labels[popdocker.LabelPop] != driverPop {
			t.Errorf("%s does not carry Pop %s's label: %v", c.v.hostname, driverPop, ins.Config.Labels)
		}
		ips := []string{}
		for _, n := range ins.NetworkSettings.Networks {
			ips = append(ips, n.IPAddress)
		}
		if !slices.Contains(ips, c.v.ip) {
			t.Errorf("%s: the VNFR's IP %s is not the container's (%v)", c.v.hostname, c.v.ip, ips)
		}
	}
	waitUntil(t, 30*time.Second, "round trips in the client's log (LOG_REQUEST)", func() (bool, string) {
		var lg struct {
			OutputLog []string `json:"outputLog"`
		}
		b, err := s.nfvo(nil, "logs", dep.ID, "echo-client", cv[0].hostname)
		if err != nil {
			return false, err.Error()
		}
		json.Unmarshal(b, &lg)
		n := 0
		for _, l := range lg.OutputLog {
			if strings.Contains(l, "round trip") && strings.Contains(l, " ok") {
				n++
			}
		}
		return n >= 2, fmt.Sprintf("%d round trips: %q", n, lg.OutputLog)
	})
	serversBefore := s.servers()
	if !slices.Contains(serversBefore, sv[0].hostname) || !slices.Contains(serversBefore, cv[0].hostname) {
		t.Fatalf("listServer %v lacks the NSR's containers", serversBefore)
	}

	// 4. The driver crashes: its process killed from the host (docker kill
	// would count as stopped by hand, which unless-stopped leaves alone).
	drv := s.container("docker-vim-driver")
	if drv.State.Pid <= 0 {
		t.Fatalf("driver container has no process: %+v", drv.State)
	}
	if err := syscall.Kill(drv.State.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", drv.State.Pid, err)
	}
	waitUntil(t, 2*time.Minute, "the driver restarted by its policy", func() (bool, string) {
		ins := s.container("docker-vim-driver")
		return ins.ID == drv.ID && ins.RestartCount > drv.RestartCount && ins.State.Running && ins.State.Pid != drv.State.Pid,
			fmt.Sprintf("restarts %d, running %v", ins.RestartCount, ins.State.Running)
	})
	s.waitHealthy(2*time.Minute, "docker-vim-driver")
	if n := strings.Count(s.logs(drv), "registered with the NFVO"); n < 2 {
		t.Errorf("the driver registered %d times (want again after the restart)", n)
	}
	if got := s.servers(); !slices.Equal(got, serversBefore) {
		t.Errorf("listServer after the restart %v, before %v (the state volume)", got, serversBefore)
	}

	// 5. down, then up with the volumes: the records come back and the NSR
	// deletes.
	s.must("down", "-t", "30")
	start = time.Now()
	s.must(append([]string{"up", "-d"}, services...)...)
	s.waitHealthy(3*time.Minute, services...)
	t.Logf("figure: compose up again (volumes kept) to all healthy: %.1f s", time.Since(start).Seconds())
	var list []struct{ ID, Name, Status string }
	s.mustNFVO(nil, &list, "list")
	if len(list) != 1 || list[0].ID != dep.ID || list[0].Status != "ACTIVE" {
		t.Fatalf("records after down/up: %+v, want NSR %s ACTIVE", list, dep.ID)
	}
	if got := s.servers(); !slices.Equal(got, serversBefore) {
		t.Errorf("listServer after down/up %v, before %v", got, serversBefore)
	}
	s.mustNFVO(nil, nil, "delete", dep.ID)
	if _, err := s.nfvo(nil, "wait", dep.ID, "DELETED", "2m"); err != nil {
		out, _ := s.compose("logs", "--no-color", "--tail", "40", "nfvo", "docker-vnfm", "docker-vim-driver")
		t.Fatalf("%v\n%s", err, out)
	}
	waitUntil(t, 30*time.Second, "the NSR's containers gone", func() (bool, string) {
		cs, _ := testenv.PopContainers(t.Context(), cli, driverPop)
		return len(cs) == 0, fmt.Sprintf("%d containers of Pop %s", len(cs), driverPop)
	})

	// 6. Cleanup: the Pops' default networks by label, then down -v.
	for _, pop := range []string{driverPop, popdPop} {
		if err := testenv.RemovePopObjects(cli, pop); err != nil {
			t.Fatal(err)
		}
	}
	s.must("down", "-v", "-t", "30")
	if left := s.projectLeft(); len(left) != 0 {
		t.Errorf("compose project %s left: %v", s.project, left)
	}
	if left := popLeft(t, cli); len(left) != 0 {
		t.Errorf("objects with the Pops' labels left: %v", left)
	}
	testenv.CheckNoLeaks(t, cli, before)
	// Anonymous volumes too: an image's VOLUME that no mount covers
	// outlives a down without -v.
	for v := range volumeNames(t, cli) {
		if !volsBefore[v] {
			t.Errorf("volume %s left behind", v)
		}
	}
}

func volumeNames(t *testing.T, cli *client.Client) map[string]bool {
	t.Helper()
	// Also called from a cleanup, after t.Context() is done.
	vs, err := cli.VolumeList(context.Background(), volume.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, v := range vs.Volumes {
		out[v.Name] = true
	}
	return out
}

// TestDisruptiveComposeBadConfig: a wrong bootstrap password and a socket
// without the container's group, as users get them wrong through compose.
func TestDisruptiveComposeBadConfig(t *testing.T) {
	testenv.Disruptive(t)
	composeTools(t, "docker-compose", "docker", "debootstrap")
	cli := testenv.Docker(t)
	rabbit := prepareImages(t, cli, repoRoot(t))
	volsBefore := volumeNames(t, cli)
	t.Cleanup(func() {
		for v := range volumeNames(t, cli) {
			if !volsBefore[v] {
				t.Errorf("volume %s left behind", v)
			}
		}
	})
	s := newStack(t, cli, rabbit)
	bad := filepath.Join(t.TempDir(), "bad-password.yml")
	if err := os.WriteFile(bad, []byte("services:\n  docker-vim-driver:\n    environment:\n      OBDOCKER_BROKER_PASSWORD: not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := s.files
	s.files = append(append([]string{}, good...), bad)

	// A wrong OBDOCKER_BROKER_PASSWORD: unhealthy, refused, no restart loop.
	s.must("up", "-d", "rabbitmq", "nfvo-db", "nfvo", "docker-vim-driver")
	s.waitHealthy(3*time.Minute, "rabbitmq", "nfvo")
	waitUntil(t, 2*time.Minute, "the driver unhealthy", func() (bool, string) {
		h := health(s.container("docker-vim-driver"))
		return h == "unhealthy", h
	})
	drv := s.container("docker-vim-driver")
	if !strings.Contains(s.logs(drv), "authentication refused") {
		t.Errorf("the driver's log does not say authentication was refused:\n%s", s.logs(drv))
	}
	// Several more health checks (2 s apart): still the same process.
	time.Sleep(8 * time.Second)
	now := s.container("docker-vim-driver")
	if now.RestartCount != 0 || now.State.Pid != drv.State.Pid || !now.State.Running || health(now) != "unhealthy" {
		t.Errorf("driver: restarts %d, pid %d→%d, running %v, health %s: want one process, kept unhealthy",
			now.RestartCount, drv.State.Pid, now.State.Pid, now.State.Running, health(now))
	}

	// A Docker socket without the container's group: the driver says
	// which socket and DOCKER_GID.
	s.files = good
	for i, e := range s.env {
		if strings.HasPrefix(e, "DOCKER_GID=") {
			s.env[i] = "DOCKER_GID=4242"
		}
	}
	s.must("up", "-d", "docker-vim-driver")
	waitUntil(t, time.Minute, "the socket line in the driver's log", func() (bool, string) {
		l := s.logs(s.container("docker-vim-driver"))
		for _, line := range strings.Split(l, "\n") {
			if strings.Contains(line, "/var/run/docker.sock") && strings.Contains(line, "DOCKER_GID") && strings.Contains(line, "permission denied") {
				return true, ""
			}
		}
		return false, l
	})
}

// composeEnv is the test's environment without the variables the compose
// file reads: a developer's OBDOCKER_*, NFVO_* or RABBITMQ_IMAGE must not
// change what is tested.
func composeEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OBDOCKER_"), strings.HasPrefix(k, "NFVO_"), strings.HasPrefix(k, "RABBITMQ_"),
			strings.HasPrefix(k, "COMPOSE_"), k == "DOCKER_GID":
			continue
		}
		out = append(out, kv)
	}
	return out
}
