package server

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/pop"
)

func cheapUser(t testing.TB, name, pass string) User {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return User{Name: name, HashedPassword: string(h)}
}

func TestNewUser(t *testing.T) {
	u, err := NewUser("alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "alice" || bcrypt.CompareHashAndPassword([]byte(u.HashedPassword), []byte("pw")) != nil {
		t.Fatalf("user %+v does not check", u)
	}
	if strings.Contains(u.HashedPassword, "pw") && len(u.HashedPassword) < 20 {
		t.Fatal("password not hashed")
	}
	for _, tc := range [][2]string{{"", "pw"}, {"bob", ""}, {"bob", strings.Repeat("x", 100)}} {
		if _, err := NewUser(tc[0], tc[1]); !errors.Is(err, pop.ErrInvalidArgument) {
			t.Errorf("NewUser(%q, …): %v", tc[0], err)
		}
	}
}

func TestParseAuth(t *testing.T) {
	for _, tc := range []struct {
		doc, in string
		want    []Credential
		errHas  string
	}{
		{doc: "one", in: "user_name:password_value", want: []Credential{{"user_name", "password_value"}}},
		{doc: "two", in: "a:1,b:2", want: []Credential{{"a", "1"}, {"b", "2"}}},
		{doc: "colon in password", in: "a:p:q", want: []Credential{{"a", "p:q"}}},
		{doc: "empty", in: "", errHas: "empty"},
		{doc: "no colon (the 2017 message's form)", in: "user2,pass2", errHas: "entry 1 has no colon"},
		{doc: "trailing comma", in: "a:1,", errHas: "entry 2 is empty"},
		{doc: "empty user", in: ":pw", errHas: "empty user"},
		{doc: "empty password", in: "a:", errHas: `user "a" has an empty password`},
		{doc: "duplicate", in: "a:1,a:2", errHas: "twice"},
		{doc: "spaces around a name", in: " a:1", errHas: "spaces"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			got, err := ParseAuth(tc.in)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.Is(err, pop.ErrInvalidArgument) {
					t.Fatalf("ParseAuth(%q) = %v, %v; want error with %q", tc.in, got, err, tc.errHas)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseAuth(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
	if _, err := ParseAuth("alice:,bob:hunter2"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error shows a password: %v", err)
	}
}

// FuzzParseAuth: bad input is an invalid-argument error that never shows a
// password; good input joins back to itself.
func FuzzParseAuth(f *testing.F) {
	for _, s := range []string{"a:b", "a:b,c:d", "a:b:c", "", ",", "a", ":", "a:b,a:c", "é:ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		creds, err := ParseAuth(in)
		if err != nil {
			if !errors.Is(err, pop.ErrInvalidArgument) {
				t.Fatalf("ParseAuth(%q): unclassified error %v", in, err)
			}
			return
		}
		parts := make([]string, len(creds))
		seen := map[string]bool{}
		for i, c := range creds {
			if c.User == "" || c.Password == "" || strings.ContainsAny(c.User, ":,") || strings.Contains(c.Password, ",") || seen[c.User] {
				t.Fatalf("ParseAuth(%q): bad credential %+v", in, c)
			}
			seen[c.User] = true
			parts[i] = c.User + ":" + c.Password
		}
		if strings.Join(parts, ",") != in {
			t.Fatalf("ParseAuth(%q) does not join back: %v", in, creds)
		}
	})
}

func TestConfigFileRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Users = Users{"alice": cheapUser(t, "alice", "pw")}
	cfg.TokenLifetime = 90 * time.Minute
	cfg.LogLevel = logrus.DebugLevel
	cfg.Flavours = []pop.Flavour{{ID: "big", Name: "big", CPUs: 2.5, MemoryMB: 1024}}
	cfg.DefaultSubnet = "10.203.250.0/24"
	path := filepath.Join(t.TempDir(), "popd.toml")
	if err := WriteConfig(path, cfg, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", st.Mode(), err)
	}
	if err := WriteConfig(path, cfg, false); !errors.Is(err, pop.ErrAlreadyExists) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("overwrite without force: %v", err)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{`LogLevel = "debug"`, `TokenLifetime = "1h30m0s"`, `[Users.alice]`, `HashedPassword = "$2a$`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("file lacks %s:\n%s", want, data)
		}
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	want := cfg
	want.StorePath = filepath.Join(filepath.Dir(path), DefaultStoreFile)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	cfg.PopName = "other"
	if err := WriteConfig(path, cfg, true); err != nil {
		t.Fatalf("force: %v", err)
	}
	if got, _ := LoadConfig(path); got.PopName != "other" {
		t.Fatalf("force did not overwrite: %+v", got)
	}
}

func TestParseConfigErrors(t *testing.T) {
	hash := cheapUser(t, "a", "pw").HashedPassword
	for _, tc := range []struct{ doc, in, errHas string }{
		{"no users", `PopName = "x"`, "no user"},
		{"typo", "PopNmae = \"x\"\n[Users.a]\nHashedPassword = \"" + hash + "\"", "unknown keys PopNmae"},
		{"not a hash", "[Users.a]\nHashedPassword = \"plain\"", "not a bcrypt hash"},
		{"name mismatch", "[Users.a]\nName = \"b\"\nHashedPassword = \"" + hash + "\"", "differs"},
		{"bad level", "LogLevel = \"loud\"\n[Users.a]\nHashedPassword = \"" + hash + "\"", "loud"},
		{"bad address", "Netaddr = \"nowhere\"\n[Users.a]\nHashedPassword = \"" + hash + "\"", "Netaddr"},
		{"half TLS", "TLSCertPath = \"c\"\n[Users.a]\nHashedPassword = \"" + hash + "\"", "TLSKeyPath"},
		{"bad TOML", "[[[", "parse config"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.Is(err, pop.ErrInvalidArgument) {
				t.Fatalf("got %v, want an invalid-argument error with %q", err, tc.errHas)
			}
		})
	}
	cfg, err := ParseConfig([]byte("[Users.a]\nHashedPassword = \"" + hash + "\""))
	if err != nil || cfg.Users["a"].Name != "a" || cfg.Netaddr != DefaultNetaddr || !cfg.AutoRemove {
		t.Fatalf("minimal file: %+v, %v", cfg, err)
	}
}

// FuzzLoadConfig: any input either fails with an invalid-argument error or
// gives a valid configuration that survives encoding and parsing again.
func FuzzLoadConfig(f *testing.F) {
	hash := "$2a$04$0iVv1G2yF0bN7jJpHtJ8Ee3O7yq8b1cZKx8wYVYqQx9v3bWc1G6W2"
	f.Add([]byte("[Users.a]\nHashedPassword = \"" + hash + "\""))
	f.Add([]byte("PopName = \"p\"\nNetaddr = \":1\"\nLogLevel = \"warn\"\nTokenLifetime = \"5m\"\n[Users.a]\nHashedPassword = \"" + hash + "\""))
	f.Add([]byte("[[Flavours]]\nid = \"x\"\nname = \"x\"\ncpus = 1.5\n[Users.b]\nName = \"b\"\nHashedPassword = \"" + hash + "\""))
	f.Add([]byte("LogLevel = 3"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if !errors.Is(err, pop.ErrInvalidArgument) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
		out, err := EncodeConfig(cfg)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !reflect.DeepEqual(normalize(cfg), normalize(again)) {
			t.Fatalf("round trip:\n%+v\n%+v", cfg, again)
		}
	})
}

// normalize drops differences TOML cannot express (nil vs empty).
func normalize(c Config) Config {
	if len(c.Flavours) == 0 {
		c.Flavours = nil
	}
	return c
}
