package popd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/pop/server"
)

// TestUserCommandsKeepTheRest: user add, remove and list edit the file in
// place: other users, PopName, networks and comments stay; mode 0600 stays.
func TestUserCommandsKeepTheRest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "popd.toml")
	env, _, _ := testEnv(nil, "")
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-user", "op", "-password", "op-Pa55"}, env); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	custom := strings.NewReplacer(
		`PopName = "docker-popd"`, "# our production Pop\nPopName = \"prod-pop\"",
		`DefaultSubnet = ""`, `DefaultSubnet = "10.201.176.0/24"`,
	).Replace(string(data)) + "\n[[Flavours]]\n  name = \"big\"\n  cpus = 8.0\n"
	if err := os.WriteFile(path, []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}

	// From a pipe, the password is one line of stdin; NAME may come first.
	env, out, _ := testEnv(nil, "alice-Pa55\n")
	if err := Run(t.Context(), []string{"user", "add", "alice", "-cfg", path}, env); err != nil {
		t.Fatalf("user add: %v", err)
	}
	if !strings.Contains(out.String(), "restart docker-popd") {
		t.Errorf("add does not say how to apply: %q", out.String())
	}
	cfg := checkPassword(t, path, "alice", "alice-Pa55")
	checkPassword(t, path, "op", "op-Pa55")
	if cfg.PopName != "prod-pop" || cfg.DefaultSubnet != "10.201.176.0/24" || len(cfg.Flavours) != 1 {
		t.Fatalf("settings lost: %+v", cfg)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "# our production Pop") {
		t.Fatalf("comment lost:\n%s", b)
	}

	// A name with a dot and a password from the flag; a terminal asks twice.
	env, _, _ = testEnv(nil, "")
	if err := Run(t.Context(), []string{"user", "add", "-cfg", path, "-password", "dot-Pa55", "b.o b"}, env); err != nil {
		t.Fatalf("user add with a quoted name: %v", err)
	}
	checkPassword(t, path, "b.o b", "dot-Pa55")
	env, _, _ = testEnv(nil, "")
	env.Terminal = &fakeTerminal{answers: []string{"term-Pa55", "term-Pa55"}}
	if err := Run(t.Context(), []string{"user", "add", "-cfg", path, "carol"}, env); err != nil {
		t.Fatalf("user add on a terminal: %v", err)
	}
	checkPassword(t, path, "carol", "term-Pa55")

	// An existing user needs -replace.
	env, _, _ = testEnv(nil, "")
	if err := Run(t.Context(), []string{"user", "add", "-cfg", path, "-password", "x", "alice"}, env); err == nil || !strings.Contains(err.Error(), "-replace") {
		t.Fatalf("add over an existing user: %v", err)
	}
	if err := Run(t.Context(), []string{"user", "add", "-cfg", path, "-password", "new-Pa55", "-replace", "alice"}, env); err != nil {
		t.Fatal(err)
	}
	checkPassword(t, path, "alice", "new-Pa55")

	env, out, _ = testEnv(nil, "")
	if err := Run(t.Context(), []string{"user", "list", "-cfg", path}, env); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"USER", "alice", "op", "carol", "b.o b", "10"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list lacks %q:\n%s", want, out.String())
		}
	}

	for _, name := range []string{"op", "b.o b", "carol"} {
		if err := Run(t.Context(), []string{"user", "remove", "-cfg", path, name}, env); err != nil {
			t.Fatalf("remove %s: %v", name, err)
		}
	}
	cfg = checkPassword(t, path, "alice", "new-Pa55")
	if len(cfg.Users) != 1 || cfg.PopName != "prod-pop" || len(cfg.Flavours) != 1 {
		t.Fatalf("after removals: %+v", cfg)
	}
	err := Run(t.Context(), []string{"user", "remove", "-cfg", path, "alice"}, env)
	if err == nil || !strings.Contains(err.Error(), "only user") {
		t.Fatalf("removing the last user: %v", err)
	}
	if err := Run(t.Context(), []string{"user", "remove", "-cfg", path, "ghost"}, env); err == nil || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("removing an unknown user: %v", err)
	}
	if err := Run(t.Context(), []string{"user", "frob"}, env); ExitCode(err) != 2 {
		t.Fatalf("unknown user command: %v (exit %d)", err, ExitCode(err))
	}
}

// TestUserAddRefusesOtherLayouts: users written as inline tables cannot
// be edited as text; the file is left as it was.
func TestUserAddRefusesOtherLayouts(t *testing.T) {
	u, err := server.NewUser("op", "pw")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "popd.toml")
	text := "Users = { op = { Name = \"op\", HashedPassword = \"" + u.HashedPassword + "\" } }\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _, _ := testEnv(nil, "")
	if err := Run(t.Context(), []string{"user", "add", "-cfg", path, "-password", "x", "bob"}, env); err == nil || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("add to inline users: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != text {
		t.Fatalf("file changed:\n%s", b)
	}
}

// TestGeneratedCommentNamesUserAdd: the file init writes tells how to add
// a user without starting over.
func TestGeneratedCommentNamesUserAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popd.toml")
	env, _, _ := testEnv(nil, "")
	if err := Run(t.Context(), []string{"init", "-cfg", path, "-user", "op", "-password", "pw"}, env); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "docker-popd user add") || strings.Contains(string(b), "add users with `docker-popd init -force`") {
		t.Fatalf("comment:\n%s", b)
	}
	// init over it says how to add a user instead.
	err := Run(t.Context(), []string{"init", "-cfg", path, "-user", "eve", "-password", "x"}, env)
	if err == nil || !strings.Contains(err.Error(), "user add") {
		t.Fatalf("init over an existing file: %v", err)
	}
}

// TestConfigureNamesEveryBadSetting: every bad setting of a file is named
// in one error, which exits 2.
func TestConfigureNamesEveryBadSetting(t *testing.T) {
	u, err := server.NewUser("op", "pw")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "popd.toml")
	text := `Bogus = 1
DefaultSubnet = "banana"
NetworkPool = "10.0.0.1/33"
MetricsAddr = "nope"
DockerHost = "http://x"
TLSCertPath = "missing-cert.pem"
TLSKeyPath = "missing-key.pem"
[Users.op]
  HashedPassword = "` + u.HashedPassword + `"
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _, _ := testEnv(nil, "")
	err = Run(t.Context(), []string{"-cfg", path}, env)
	for _, want := range []string{"Bogus", `DefaultSubnet "banana"`, "NetworkPool", "MetricsAddr", "DockerHost", "missing-cert.pem", "missing-key.pem"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if ExitCode(err) != 2 {
		t.Errorf("exit code %d, want 2", ExitCode(err))
	}
	// A bad flag is a usage error too.
	if err := Run(t.Context(), []string{"-nope"}, env); ExitCode(err) != 2 {
		t.Errorf("bad flag: %v, exit %d", err, ExitCode(err))
	}
}

func TestVersion(t *testing.T) {
	env, out, _ := testEnv(nil, "")
	if err := Run(t.Context(), []string{"-version"}, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "docker-popd "+version.Version) {
		t.Fatalf("-version printed %q", out.String())
	}
}
