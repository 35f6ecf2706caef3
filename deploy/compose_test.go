package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/internal/vimdriver"
	"github.com/openbaton-docker/obdocker/pop/server"
	"github.com/openbaton-docker/obdocker/vim"
	"github.com/openbaton-docker/obdocker/vnfm"
)

const composePath = "deploy/docker-compose.yml"

// composeFile is the part of the Compose spec the checks read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string            `yaml:"image"`
	Hostname        string            `yaml:"hostname"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Restart         string            `yaml:"restart"`
	Command         []string          `yaml:"command"`
	User            string            `yaml:"user"`
	GroupAdd        []string          `yaml:"group_add"`
	Profiles        []string          `yaml:"profiles"`
	Environment     map[string]string `yaml:"environment"`
	Ports           []string          `yaml:"ports"`
	Volumes         []string          `yaml:"volumes"`
	DependsOn       map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, composePath))))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		// KnownFields makes any key outside composeService an error, so a
		// misspelt key (restrat:, healtcheck:) fails here.
		t.Fatalf("%s: %v", composePath, err)
	}
	return c
}

// env is a service's environment with compose defaults applied.
func (s composeService) env() map[string]string {
	out := map[string]string{}
	for k, v := range s.Environment {
		out[k] = interpolate(v, nil)
	}
	return out
}

// mounts maps container paths to their sources.
func (s composeService) mounts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Fatalf("volume %q: want source:target", v)
		}
		out[parts[1]] = parts[0]
	}
	return out
}

func (s composeService) publishes(port string) bool {
	for _, p := range s.Ports {
		if strings.HasSuffix(interpolate(p, nil), ":"+port) {
			return true
		}
	}
	return false
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	want := []string{"rabbitmq", "nfvo-db", "nfvo", "docker-vim-driver", "docker-vnfm", "docker-popd"}
	for _, name := range want {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	for name, s := range c.Services {
		if !slices.Contains([]string{"always", "unless-stopped", "on-failure"}, s.Restart) {
			t.Errorf("service %s: restart %q: want always, unless-stopped or on-failure", name, s.Restart)
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
			t.Errorf("service %s: no health check", name)
		} else {
			hc := s.Healthcheck
			if hc.Test[0] != "CMD" && hc.Test[0] != "CMD-SHELL" {
				t.Errorf("service %s: health check test %q: want CMD or CMD-SHELL", name, hc.Test)
			}
			for _, d := range []string{hc.Interval, hc.Timeout, hc.StartPeriod} {
				if _, err := time.ParseDuration(d); err != nil {
					t.Errorf("service %s: health check duration %q: %v", name, d, err)
				}
			}
			if hc.Retries < 1 {
				t.Errorf("service %s: health check retries %d", name, hc.Retries)
			}
		}
		if s.Image == "" {
			t.Errorf("service %s: no image", name)
		}
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
			}
		}
		for target, src := range s.mounts(t) {
			if !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, ".") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("service %s mounts undeclared named volume %s at %s", name, src, target)
				}
			}
		}
	}
	// Only docker-popd is optional.
	for name, s := range c.Services {
		if got := len(s.Profiles) > 0; got != (name == "docker-popd") {
			t.Errorf("service %s: profiles %v (only docker-popd is optional, in profile popd)", name, s.Profiles)
		}
	}
	if p := c.Services["docker-popd"].Profiles; !slices.Contains(p, "popd") {
		t.Errorf("docker-popd profiles %v: want popd", p)
	}
}

func TestComposeBrokerAndNFVO(t *testing.T) {
	c := loadCompose(t)
	rmq, nfvo, db := c.Services["rabbitmq"], c.Services["nfvo"], c.Services["nfvo-db"]

	if img := interpolate(rmq.Image, nil); !strings.HasPrefix(img, "rabbitmq:3") || !strings.Contains(img, "management") {
		t.Errorf("rabbitmq image %q: want rabbitmq:3-management by default (the NFVO needs the management API)", rmq.Image)
	}
	for _, p := range []string{"5672", "15672"} {
		if !rmq.publishes(p) {
			t.Errorf("rabbitmq does not publish %s", p)
		}
	}
	if img := interpolate(nfvo.Image, nil); !strings.HasPrefix(img, "openbaton/nfvo:6.0.") {
		t.Errorf("nfvo image %q: want openbaton/nfvo:6.0.x", img)
	}
	for _, dep := range []string{"rabbitmq", "nfvo-db"} {
		if nfvo.DependsOn[dep].Condition != "service_healthy" {
			t.Errorf("nfvo must wait for %s to be healthy", dep)
		}
	}
	env := nfvo.env()
	if env["NFVO_RABBIT_BROKERIP"] != "rabbitmq" || env["SPRING_RABBITMQ_HOST"] != "rabbitmq" {
		t.Errorf("nfvo broker: NFVO_RABBIT_BROKERIP %q, SPRING_RABBITMQ_HOST %q: want the rabbitmq service",
			env["NFVO_RABBIT_BROKERIP"], env["SPRING_RABBITMQ_HOST"])
	}
	if env["NFVO_RABBIT_MANAGEMENT_PORT"] != "15672" {
		t.Errorf("NFVO_RABBIT_MANAGEMENT_PORT %q", env["NFVO_RABBIT_MANAGEMENT_PORT"])
	}
	// nfvo.plugin.timeout: long enough for a launch with a start (ms).
	if ms, err := strconv.Atoi(env["NFVO_PLUGIN_TIMEOUT"]); err != nil || ms < 120000 {
		t.Errorf("NFVO_PLUGIN_TIMEOUT %q: want at least 120000 ms", env["NFVO_PLUGIN_TIMEOUT"])
	}
	if env["SPRING_RABBITMQ_USERNAME"] != interpolate(rmq.Environment["RABBITMQ_DEFAULT_USER"], nil) ||
		env["SPRING_RABBITMQ_PASSWORD"] != interpolate(rmq.Environment["RABBITMQ_DEFAULT_PASS"], nil) {
		t.Errorf("the NFVO's broker admin (%s) is not the broker's default user", env["SPRING_RABBITMQ_USERNAME"])
	}
	if env["SPRING_PROFILES_ACTIVE"] != "mysql" {
		t.Errorf("SPRING_PROFILES_ACTIVE %q: want mysql", env["SPRING_PROFILES_ACTIVE"])
	}
	if u := env["SPRING_DATASOURCE_URL"]; !strings.HasPrefix(u, "jdbc:mysql://nfvo-db:3306/"+db.env()["MYSQL_DATABASE"]) {
		t.Errorf("SPRING_DATASOURCE_URL %q does not name the nfvo-db service and its database", u)
	}
	if env["SPRING_DATASOURCE_USERNAME"] != db.env()["MYSQL_USER"] || env["SPRING_DATASOURCE_PASSWORD"] != db.env()["MYSQL_PASSWORD"] {
		t.Error("the NFVO's database credentials differ from nfvo-db's MYSQL_USER/MYSQL_PASSWORD")
	}
	if !nfvo.publishes("8080") {
		t.Error("nfvo does not publish the dashboard port 8080")
	}
}

// knownEnv lists every OBDOCKER_* variable the plugin daemon reads.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, v := range configVars(t)["docker-vim-driver"] {
		out[v.Name] = true
	}
	return out
}

func TestComposePlugin(t *testing.T) {
	c := loadCompose(t)
	p, nfvo := c.Services["docker-vim-driver"], c.Services["nfvo"]
	if interpolate(p.Image, nil) != "obdocker/docker-vim-driver:latest" {
		t.Errorf("plugin image %q", p.Image)
	}
	env := p.env()
	known := knownEnv(t)
	for k := range env {
		if !known[k] {
			t.Errorf("plugin environment %s is not a variable the daemon reads", k)
		}
	}
	// The environment must load as the daemon loads it.
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := vimdriver.LoadConfig(nil)
	if err != nil {
		t.Fatalf("the compose environment does not load: %v", err)
	}
	if cfg.Plugin.BrokerHost != "rabbitmq" {
		t.Errorf("OBDOCKER_BROKER_HOST %q: want the rabbitmq service", cfg.Plugin.BrokerHost)
	}
	nenv := nfvo.env()
	if cfg.Plugin.BrokerUser != nenv["NFVO_RABBIT_MANAGER_REGISTRATION_USER_NAME"] ||
		cfg.Plugin.BrokerPassword != nenv["NFVO_RABBIT_MANAGER_REGISTRATION_USER_PASSWORD"] {
		t.Errorf("plugin bootstrap user %s differs from the NFVO's manager registration user %s",
			cfg.Plugin.BrokerUser, nenv["NFVO_RABBIT_MANAGER_REGISTRATION_USER_NAME"])
	}
	mounts := p.mounts(t)
	sock := strings.TrimPrefix(cfg.Driver.DockerHost, "unix://")
	if mounts[sock] != "/var/run/docker.sock" {
		t.Errorf("Docker socket %s is not mounted from the host's /var/run/docker.sock (mounts %v)", sock, mounts)
	}
	if _, ok := mounts[cfg.Driver.StateDir]; !ok {
		t.Errorf("state dir %s is not a volume (mounts %v)", cfg.Driver.StateDir, mounts)
	}
	if p.User != "0" && p.User != "root" && len(p.GroupAdd) == 0 {
		t.Error("the plugin runs as uid 65532 without group_add: it cannot open the root:docker 0660 socket")
	}
	if hc := p.Healthcheck; hc == nil || !slices.Contains(hc.Test, "/usr/local/bin/obdocker-health") {
		t.Error("plugin health check does not run obdocker-health")
	}
	if p.DependsOn["rabbitmq"].Condition != "service_healthy" {
		t.Error("the plugin must wait for a healthy broker")
	}
}

func TestComposeVnfm(t *testing.T) {
	c := loadCompose(t)
	v, nfvo, rmq := c.Services["docker-vnfm"], c.Services["nfvo"], c.Services["rabbitmq"]
	if interpolate(v.Image, nil) != "obdocker/docker-vnfm:latest" {
		t.Errorf("vnfm image %q", v.Image)
	}
	env := v.env()
	for k := range env {
		if !strings.HasPrefix(k, vnfm.EnvPrefix+"_") {
			t.Errorf("vnfm environment %s is not an %s_* variable", k, vnfm.EnvPrefix)
		}
	}
	for k, val := range env {
		t.Setenv(k, val)
	}
	cfg, err := vnfm.LoadConfig()
	if err != nil {
		t.Fatalf("the compose environment does not load: %v", err)
	}
	nenv := nfvo.env()
	if cfg.BrokerHost != "rabbitmq" || cfg.BrokerUser != nenv["NFVO_RABBIT_MANAGER_REGISTRATION_USER_NAME"] ||
		cfg.BrokerPassword != nenv["NFVO_RABBIT_MANAGER_REGISTRATION_USER_PASSWORD"] {
		t.Errorf("vnfm broker %s as %s: want rabbitmq as the NFVO's registration user", cfg.BrokerHost, cfg.BrokerUser)
	}
	if cfg.NFVOUser != interpolate(rmq.Environment["RABBITMQ_DEFAULT_USER"], nil) ||
		cfg.NFVOPassword != interpolate(rmq.Environment["RABBITMQ_DEFAULT_PASS"], nil) {
		t.Error("the VNFM must call the plugin with the broker's admin user, as the NFVO does")
	}
	if !strings.HasPrefix(cfg.ManagementURL, "http://rabbitmq:15672") {
		t.Errorf("vnfm management URL %s: want the rabbitmq service's 15672", cfg.ManagementURL)
	}
	if cfg.StateDir == "" || v.mounts(t)[cfg.StateDir] == "" {
		t.Errorf("vnfm state dir %q is not a volume", cfg.StateDir)
	}
	if hc := v.Healthcheck; hc == nil || !slices.Contains(hc.Test, "vnfm") {
		t.Error("vnfm health check does not run obdocker-health vnfm")
	}
	// Every example VNFD is for this VNFM.
	for _, f := range exampleFiles(t, "nsd*.json") {
		var d nsd
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, vd := range d.VNFD {
			if vd.Endpoint != cfg.Type {
				t.Errorf("%s: vnfd %s endpoint %q is not the compose VNFM's type %q", filepath.Base(f), vd.Name, vd.Endpoint, cfg.Type)
			}
		}
	}
}

func TestComposePopd(t *testing.T) {
	c := loadCompose(t)
	p, plug := c.Services["docker-popd"], c.Services["docker-vim-driver"]
	if interpolate(p.Image, nil) != "obdocker/docker-popd:latest" {
		t.Errorf("popd image %q", p.Image)
	}
	if !p.publishes(vim.DefaultPopPort) {
		t.Errorf("docker-popd does not publish %s", vim.DefaultPopPort)
	}
	// The configuration file it is given must load as docker-popd loads it.
	i := slices.Index(p.Command, "-cfg")
	if i < 0 || i+1 >= len(p.Command) {
		t.Fatalf("docker-popd command %v: want -cfg PATH", p.Command)
	}
	src := p.mounts(t)[p.Command[i+1]]
	if src == "" {
		t.Fatalf("-cfg %s is not mounted", p.Command[i+1])
	}
	cfg, err := server.LoadConfig(filepath.Join(repoRoot(t), "deploy", src))
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if p.mounts(t)[filepath.Dir(cfg.StorePath)] == "" {
		t.Errorf("StorePath %s is not on a volume", cfg.StorePath)
	}
	if cfg.DockerHost != "" && p.mounts(t)[strings.TrimPrefix(cfg.DockerHost, "unix://")] != "/var/run/docker.sock" {
		t.Errorf("DockerHost %s is not the mounted Docker socket", cfg.DockerHost)
	}
	// Both Pops serve this engine: they must not share a default network
	// or hand out addresses from overlapping pools.
	penv := plug.env()
	if cfg.DefaultNetwork == "" || cfg.DefaultNetwork == penv["OBDOCKER_DEFAULT_NETWORK"] {
		t.Errorf("docker-popd default network %q: want one apart from the plugin's %q", cfg.DefaultNetwork, penv["OBDOCKER_DEFAULT_NETWORK"])
	}
	if cfg.PopName == penv["OBDOCKER_POP_NAME"] {
		t.Errorf("docker-popd and the plugin share Pop name %q", cfg.PopName)
	}
	for _, pair := range [][2]string{
		{cfg.NetworkPool, penv["OBDOCKER_NETWORK_POOL"]},
		{cfg.DefaultSubnet, penv["OBDOCKER_DEFAULT_SUBNET"]},
		{cfg.NetworkPool, penv["OBDOCKER_DEFAULT_SUBNET"]},
		{cfg.DefaultSubnet, penv["OBDOCKER_NETWORK_POOL"]},
	} {
		a, errA := netip.ParsePrefix(pair[0])
		b, errB := netip.ParsePrefix(pair[1])
		if errA != nil || errB != nil {
			t.Errorf("subnets %q, %q: %v %v", pair[0], pair[1], errA, errB)
		} else if a.Overlaps(b) {
			t.Errorf("docker-popd's %s overlaps the plugin's %s", a, b)
		}
	}
	// The pop:// example reaches this service as one of its users.
	var v vim.VimInstance
	if err := json.Unmarshal(readFile(t, "deploy/examples/vim-docker-pop.json"), &v); err != nil {
		t.Fatal(err)
	}
	key, err := vim.EndpointOf(&v, "")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(key.Address())
	if host != "docker-popd" || port != vim.DefaultPopPort {
		t.Errorf("vim-docker-pop.json authUrl %s does not name the docker-popd service", v.AuthURL)
	}
	user, pass, _ := strings.Cut(v.DockerKey, ":")
	u, ok := cfg.Users[user]
	if !ok {
		t.Fatalf("vim-docker-pop.json user %q is not a docker-popd user", user)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(u.HashedPassword), []byte(pass)); err != nil {
		t.Errorf("vim-docker-pop.json password of %s does not match %s: %v", user, src, err)
	}
}

// TestComposeConfig runs docker-compose's own validation when it is
// installed (Debian: apt-get install docker-compose); under CI=true it
// must be.
func TestComposeConfig(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		if testenv.CI() {
			t.Fatal("docker-compose not installed (CI=true: apt-get install -y docker-compose)")
		}
		t.Skip("docker-compose not installed")
	}
	for _, args := range [][]string{
		{"-f", composePath, "config", "-q"},
		{"-f", composePath, "--profile", "popd", "config", "-q"},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = repoRoot(t)
		// Compose reads .env and the environment: run with neither, as a
		// fresh checkout would.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Errorf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
