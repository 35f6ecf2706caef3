package popd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/client"
	"github.com/openbaton-docker/obdocker/pop/poptest"
	"github.com/openbaton-docker/obdocker/pop/server"
)

// This package's Docker tests own 10.203.128.0/18 of the helper's range.
var blocks = poptest.NewBlocks("10.203.128.0/18")

// testEnv is an Env with no terminal, the given environment and input.
func testEnv(vars map[string]string, stdin string) (Env, *testenv.Buffer, *testenv.Buffer) {
	out, errOut := &testenv.Buffer{}, &testenv.Buffer{}
	return Env{
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(stdin),
		Stdout: out,
		Stderr: errOut,
	}, out, errOut
}

type fakeTerminal struct{ answers []string }

func (f *fakeTerminal) ReadPassword() ([]byte, error) {
	if len(f.answers) == 0 {
		return nil, errors.New("no more input")
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return []byte(a), nil
}

func checkPassword(t *testing.T, path, user, pass string) server.Config {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), pass) {
		t.Fatalf("the file holds the password in clear:\n%s", data)
	}
	cfg, err := server.LoadConfig(path)
	if err != nil {
		t.Fatalf("load what init wrote: %v", err)
	}
	u, ok := cfg.Users[user]
	if !ok || bcrypt.CompareHashAndPassword([]byte(u.HashedPassword), []byte(pass)) != nil {
		t.Fatalf("user %q with its password not in %+v", user, cfg.Users)
	}
	return cfg
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "popd.toml")

	env, out, _ := testEnv(nil, "")
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-user", "bob", "-password", "flag-Pa55"}, env); err != nil {
		t.Fatalf("init with flags: %v", err)
	}
	if !strings.Contains(out.String(), path) {
		t.Errorf("init does not say where it wrote: %q", out.String())
	}
	cfg := checkPassword(t, path, "bob", "flag-Pa55")
	if cfg.Netaddr != server.DefaultNetaddr || !cfg.AutoRemove || cfg.StorePath != filepath.Join(dir, server.DefaultStoreFile) {
		t.Errorf("defaults: %+v", cfg)
	}

	env, _, _ = testEnv(nil, "")
	err := Run(t.Context(), []string{"init", "-cfg", path, "-user", "eve", "-password", "x"}, env)
	if err == nil || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("init over an existing file: %v", err)
	}
	checkPassword(t, path, "bob", "flag-Pa55")

	// From a pipe: one line each.
	env, _, _ = testEnv(nil, "carol\npiped-Pa55\n")
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-force"}, env); err != nil {
		t.Fatalf("init from a pipe: %v", err)
	}
	checkPassword(t, path, "carol", "piped-Pa55")

	// On a terminal: the password twice, without echo.
	env, _, errOut := testEnv(nil, "dave\n")
	env.Terminal = &fakeTerminal{answers: []string{"term-Pa55", "term-Pa55"}}
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-force", "-addr", "127.0.0.1:6001"}, env); err != nil {
		t.Fatalf("init on a terminal: %v", err)
	}
	if !strings.Contains(errOut.String(), "Password") || strings.Contains(errOut.String(), "term-Pa55") {
		t.Errorf("prompts: %q", errOut.String())
	}
	if cfg := checkPassword(t, path, "dave", "term-Pa55"); cfg.Netaddr != "127.0.0.1:6001" {
		t.Errorf("-addr not written: %q", cfg.Netaddr)
	}

	env, _, _ = testEnv(nil, "dave\n")
	env.Terminal = &fakeTerminal{answers: []string{"one", "two"}}
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-force"}, env); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("different passwords: %v", err)
	}
	env, _, _ = testEnv(nil, "")
	if err := Run(t.Context(), []string{"init", "-cfg", filepath.Join(dir, "new.toml"), "-user", "x"}, env); err == nil {
		t.Fatal("init with no password at all succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed init left a file: %v", err)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-help"}, {"init", "-help"}} {
		env, _, errOut := testEnv(nil, "")
		if err := Run(t.Context(), args, env); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{DefaultConfigPath, "POPD_AUTH", "-cfg"} {
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("%v: help does not mention %s:\n%s", args, want, errOut.String())
			}
		}
	}
}

func TestConfigure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "popd.toml")
	u, err := server.NewUser("bob", "pw")
	if err != nil {
		t.Fatal(err)
	}
	fileCfg := server.DefaultConfig()
	fileCfg.Users = server.Users{"bob": u}
	fileCfg.LogLevel = logrus.WarnLevel
	if err := server.WriteConfig(path, fileCfg, false); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		doc    string
		args   []string
		vars   map[string]string
		check  func(t *testing.T, c server.Config)
		errHas string
	}{
		{doc: "POPD_AUTH gives users and local defaults", vars: map[string]string{"POPD_AUTH": "a:1,b:2"},
			check: func(t *testing.T, c server.Config) {
				if len(c.Users) != 2 || c.Netaddr != "127.0.0.1:60000" || !c.AutoRemove || c.LogLevel != logrus.InfoLevel ||
					c.StorePath != server.DefaultStoreFile {
					t.Errorf("%+v", c)
				}
			}},
		{doc: "POPD_STORE", vars: map[string]string{"POPD_AUTH": "a:1", "POPD_STORE": "/tmp/x.db"},
			check: func(t *testing.T, c server.Config) {
				if c.StorePath != "/tmp/x.db" {
					t.Errorf("StorePath %q", c.StorePath)
				}
			}},
		{doc: "flags apply over POPD_AUTH", args: []string{"-verbose", "-keep-stopped", "-addr", "127.0.0.1:7"},
			vars: map[string]string{"POPD_AUTH": "a:1"},
			check: func(t *testing.T, c server.Config) {
				if c.LogLevel != logrus.DebugLevel || c.AutoRemove || c.Netaddr != "127.0.0.1:7" {
					t.Errorf("%+v", c)
				}
			}},
		{doc: "file", args: []string{"-cfg", path}, vars: map[string]string{"POPD_AUTH": "ignored:1"},
			check: func(t *testing.T, c server.Config) {
				if len(c.Users) != 1 || c.Users["bob"].Name != "bob" || c.LogLevel != logrus.WarnLevel || !c.AutoRemove {
					t.Errorf("%+v", c)
				}
			}},
		{doc: "flags apply over a file (prior-art bug 8)", args: []string{"-cfg", path, "-verbose", "-keep-stopped"},
			check: func(t *testing.T, c server.Config) {
				if c.LogLevel != logrus.DebugLevel || c.AutoRemove {
					t.Errorf("%+v", c)
				}
			}},
		{doc: "neither", errHas: "docker-popd init"},
		{doc: "bad POPD_AUTH", vars: map[string]string{"POPD_AUTH": "user2,pass2"}, errHas: "want user:password"},
		{doc: "missing file", args: []string{"-cfg", filepath.Join(dir, "nope.toml")}, errHas: "nope.toml"},
		{doc: "stray argument", args: []string{"serve"}, vars: map[string]string{"POPD_AUTH": "a:1"}, errHas: "unexpected argument"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			env, _, _ := testEnv(tc.vars, "")
			cfg, _, err := configure(tc.args, env)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("got %v, want an error with %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg)
		})
	}
}

// TestDaemon runs docker-popd from a file init wrote, on the real engine,
// and checks that a client can use it, that the flags apply, and that no
// password or token reaches the (debug) log.
func TestDaemon(t *testing.T) {
	testenv.Docker(t)
	const pass = "Very-Distinctive-Pa55word"
	dir := t.TempDir()
	path := filepath.Join(dir, "popd.toml")
	env, _, _ := testEnv(nil, "")
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-user", "op", "-password", pass}, env); err != nil {
		t.Fatal(err)
	}
	// Point the written file at this test's Pop and addresses.
	pcfg, _ := poptest.CoreConfig(t, blocks)
	poptest.RemoveDockerObjects(t, pcfg.PopName)
	data, _ := os.ReadFile(path)
	text := strings.NewReplacer(
		`PopName = "docker-popd"`, `PopName = "`+pcfg.PopName+`"`,
		`DefaultNetwork = ""`, `DefaultNetwork = "`+pcfg.DefaultNetwork+`"`,
		`DefaultSubnet = ""`, `DefaultSubnet = "`+pcfg.DefaultSubnet+`"`,
		`NetworkPool = ""`, `NetworkPool = "`+pcfg.NetworkPool+`"`,
		`DockerHost = ""`, `DockerHost = "`+testenv.DockerHost()+`"`,
	).Replace(string(data))
	if text == string(data) || strings.Count(text, pcfg.PopName) < 2 {
		t.Fatalf("could not retarget the file:\n%s", text)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	logs := &testenv.Buffer{}
	logger := logrus.New()
	logger.SetOutput(logs)
	env.Logger = logger
	srvc := make(chan *server.Server, 1)
	env.OnServe = func(s *server.Server) { srvc <- s }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"-cfg", path, "-addr", "127.0.0.1:0", "-verbose", "-keep-stopped"}, env)
	}()
	srv := <-srvc
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("docker-popd: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("docker-popd not ready")
	}
	if srv.Config.AutoRemove || srv.Config.LogLevel != logrus.DebugLevel {
		t.Errorf("flags not applied: %+v", srv.Config)
	}

	c, err := client.Dial(t.Context(), client.Options{Addr: srv.Addr().String(), User: "op", Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := c.Info(t.Context())
	if err != nil || info.PopName != pcfg.PopName {
		t.Fatalf("info: %+v, %v", info, err)
	}
	ct, err := c.Create(t.Context(), pop.ContainerConfig{Name: testenv.Name(t), Image: poptest.Image})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(t.Context(), pop.ByID(ct.ID)); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context(), pop.ByID(ct.ID)); err != nil {
		t.Fatal(err)
	}
	wrong, _ := client.Dial(t.Context(), client.Options{Addr: srv.Addr().String(), User: "op", Password: pass + "x"})
	if _, err := wrong.Info(t.Context()); !errors.Is(err, pop.ErrUnauthenticated) {
		t.Fatalf("wrong password: %v", err)
	}
	wrong.Close()
	if err := c.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}

	cancel() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("docker-popd after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("docker-popd did not stop")
	}
	out := logs.String()
	for _, want := range []string{"starting server", "level=debug", "logged in", "login refused", "logged out"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, pass) {
		t.Fatalf("the password is in the log:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(strings.ToLower(line), "token=") {
			t.Fatalf("a token is in the log: %s", line)
		}
	}
}
