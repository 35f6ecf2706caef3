package vim

import "testing"

func TestPopEndpointCredentials(t *testing.T) {
	a, err := EndpointOf(&VimInstance{AuthURL: "pop://Host:60000", DockerKey: "vim:s3cret"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.URL != "pop://host:60000" || a.Username != "vim" || a.Password != "s3cret" || a.Key != "" {
		t.Fatalf("%+v", a)
	}
	b, _ := EndpointOf(&VimInstance{AuthURL: "pop://host:60000", DockerKey: "vim:wrong"}, "")
	if a.poolKey() == b.poolKey() {
		t.Fatal("two passwords share one session")
	}
	if len(a.String()) == 0 || a.String() != a.URL {
		t.Fatalf("String leaks or is empty: %q", a.String())
	}
	// A Docker endpoint keys by URL alone: never two Pops over one engine.
	c, _ := EndpointOf(&VimInstance{AuthURL: "unix:///var/run/docker.sock"}, "")
	d, _ := EndpointOf(&VimInstance{AuthURL: ""}, "unix:///var/run/docker.sock")
	if c.poolKey() != d.poolKey() {
		t.Fatalf("%q != %q", c.poolKey(), d.poolKey())
	}
}
