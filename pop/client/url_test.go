package client

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		doc, in string
		want    Options
		errHas  string
	}{
		{doc: "host and port", in: "pop://popd.example:60000", want: Options{Addr: "popd.example:60000"}},
		{doc: "upper-case scheme, trailing slash", in: "POP://10.0.0.1:60000/", want: Options{Addr: "10.0.0.1:60000"}},
		{doc: "IPv6", in: "pop://[::1]:60000", want: Options{Addr: "[::1]:60000"}},
		{doc: "user info", in: "pop://admin:pa%3Ass@localhost:60000", want: Options{Addr: "localhost:60000", User: "admin", Password: "pa:ss"}},
		{doc: "user only", in: "pop://admin@localhost:60000", want: Options{Addr: "localhost:60000", User: "admin"}},
		{doc: "no scheme (prior-art bug 10)", in: "localhost:60000", errHas: "no scheme"},
		{doc: "no scheme, IP", in: "127.0.0.1:60000", errHas: "pop URL"},
		{doc: "bare host", in: "popd.example", errHas: "scheme"},
		{doc: "other scheme", in: "tcp://localhost:60000", errHas: `scheme "tcp"`},
		{doc: "no port", in: "pop://localhost", errHas: "no port"},
		{doc: "empty port", in: "pop://localhost:", errHas: "no port"},
		{doc: "port zero", in: "pop://localhost:0", errHas: "out of range"},
		{doc: "port too big", in: "pop://localhost:65536", errHas: "out of range"},
		{doc: "no host", in: "pop://:60000", errHas: "no host"},
		{doc: "path", in: "pop://localhost:60000/x", errHas: "path"},
		{doc: "query", in: "pop://localhost:60000?x=1", errHas: "query"},
		{doc: "empty", in: "", errHas: "scheme"},
		{doc: "empty user", in: "pop://:secret@localhost:60000", errHas: "empty user"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			got, err := ParseURL(tc.in)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.Is(err, pop.ErrInvalidArgument) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want an invalid-argument error containing %q", tc.in, got, err, tc.errHas)
				}
				return
			}
			if err != nil || got.Addr != tc.want.Addr || got.User != tc.want.User || got.Password != tc.want.Password {
				t.Fatalf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
	// Errors never show a password.
	for _, in := range []string{"pop://u:topsecret@host", "pop://u:topsecret@host:99999", "pop://u:topsecret@host:1/p", "pop://u:topsecret@ho st:1"} {
		if _, err := ParseURL(in); err == nil || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("ParseURL(%q): %v", in, err)
		}
	}
}

func TestParseCredentials(t *testing.T) {
	u, p, err := ParseCredentials("admin:pa:ss")
	if err != nil || u != "admin" || p != "pa:ss" {
		t.Fatalf("got %q %q %v", u, p, err)
	}
	for _, bad := range []string{"", "admin", ":pass", "admin:"} {
		if _, _, err := ParseCredentials(bad); !errors.Is(err, pop.ErrInvalidArgument) {
			t.Errorf("ParseCredentials(%q): %v", bad, err)
		}
	}
}

// FuzzParseURL: bad input is an invalid-argument error; good input gives a
// dialable host:port and survives a round trip through its own rendering.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"pop://localhost:60000", "pop://u:p@[::1]:1", "localhost:60000", "pop://h", "pop://%zz:1",
		"pop://u:p%40@h:65535/", "POP://h:01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		o, err := ParseURL(in)
		if err != nil {
			if !errors.Is(err, pop.ErrInvalidArgument) {
				t.Fatalf("ParseURL(%q): error without class: %v", in, err)
			}
			return
		}
		host, port, err := net.SplitHostPort(o.Addr)
		if err != nil || host == "" {
			t.Fatalf("ParseURL(%q): Addr %q: %v", in, o.Addr, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			t.Fatalf("ParseURL(%q): port %q", in, port)
		}
		u := &url.URL{Scheme: Scheme, Host: o.Addr}
		if o.User != "" {
			u.User = url.UserPassword(o.User, o.Password)
		}
		again, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("ParseURL(%q) = %+v, but its rendering %q fails: %v", in, o, u.String(), err)
		}
		if again.User != o.User || again.Password != o.Password {
			t.Fatalf("round trip of %q: %+v != %+v", in, again, o)
		}
	})
}

func TestDialURL(t *testing.T) {
	c, err := DialURL(t.Context(), "pop://u:p@localhost:60000", "other", "x", nil)
	if err != nil || c.user != "u" || c.pass != "p" {
		t.Fatalf("credentials from the URL: %v", err)
	}
	c.Close()
	c, err = DialURL(t.Context(), "pop://localhost:60000", "other", "x", nil)
	if err != nil || c.user != "other" || c.pass != "x" {
		t.Fatalf("credentials given apart: %v", err)
	}
	c.Close()
	if _, err := DialURL(t.Context(), "localhost:60000", "u", "p", nil); !errors.Is(err, pop.ErrInvalidArgument) {
		t.Fatalf("no scheme: %v", err)
	}
}
