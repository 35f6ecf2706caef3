package vim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// registryDriver is a driver over the real dockerd whose Pops pull with
// the given Docker config.json ("" for none); its log goes to logs too.
// Subnets: 10.204.230.0/24 and up, one per test.
func registryDriver(t *testing.T, subnet, dockerConfig string, logs io.Writer) (*Driver, json.RawMessage) {
	t.Helper()
	raw := testenv.Docker(t)
	popName := testenv.Name(t)
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.SetOutput(io.MultiWriter(testWriter{t}, logs))
	open := func(ctx context.Context, key EndpointKey) (pop.Pop, error) {
		b, err := docker.New(ctx, docker.Options{Host: key.URL, PopName: popName, Logger: l, DockerConfig: dockerConfig})
		if err != nil {
			return nil, err
		}
		core, err := pop.Open(ctx, pop.Config{PopName: popName, DefaultNetwork: "priv-" + popName, DefaultSubnet: subnet}, b)
		if err != nil {
			b.Close()
			return nil, err
		}
		return closingPop{core, b}, nil
	}
	d := New(Config{Open: open}, l)
	t.Cleanup(func() { d.Close() })
	return d, json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"reg","authUrl":%q,"id":"r1","hbVersion":0}`, testenv.DockerHost()))
}

// removeAfter removes the pulled references when the test ends.
func removeAfter(t *testing.T, raw *client.Client, refs ...string) {
	t.Cleanup(func() {
		for _, r := range refs {
			if err := testenv.RemoveImage(raw, r); err != nil {
				t.Error(err)
			}
		}
	})
}

// TestAddImagePullsFromRegistries: addImage with a link pulls the image
// from a real registry: plain HTTP on loopback, and TLS with basic auth
// whose credentials come from the configured Docker config.json. Wrong or
// missing credentials give an exception naming the image and the
// registry's answer, never the password; progress is logged.
func TestAddImagePullsFromRegistries(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd and registry")
	}
	raw := testenv.Docker(t)
	t.Run("plain", func(t *testing.T) {
		reg := testenv.PlainRegistry(t)
		ref := reg.Host + "/obdtest/" + testenv.Name(t) + ":v1"
		reg.Push(t, raw, testenv.BusyboxImage, strings.TrimPrefix(ref, reg.Host+"/"))
		removeAfter(t, raw, ref)
		logs := &testenv.Buffer{}
		d, vim := registryDriver(t, "10.204.230.0/24", "", logs)
		pulled(t, d, vim, ref)
		if !strings.Contains(logs.String(), "pulled image") || !strings.Contains(logs.String(), ref) {
			t.Errorf("no progress logged for %s:\n%s", ref, logs)
		}
	})
	t.Run("auth", func(t *testing.T) {
		reg := testenv.AuthRegistry(t)
		ref := reg.Host + "/obdtest/" + testenv.Name(t) + ":v1"
		reg.Push(t, raw, testenv.BusyboxImage, strings.TrimPrefix(ref, reg.Host+"/"))
		removeAfter(t, raw, ref)

		for _, bad := range []struct{ name, config string }{
			{"none", ""},
			{"wrong", reg.DockerConfig(t, reg.User, "not-"+reg.Password)},
		} {
			logs := &testenv.Buffer{}
			d, vim := registryDriver(t, "10.204.231.0/24", bad.config, logs)
			_, err := call(t, d, "addImage", params(t, vim, map[string]any{"name": "x"}, ref))
			if err == nil {
				t.Fatalf("%s credentials: %s pulled", bad.name, ref)
			}
			msg := err.Error()
			t.Logf("%s credentials: %v", bad.name, msg)
			if !strings.Contains(msg, ref) || !strings.Contains(msg, "unauthorized") && !strings.Contains(msg, "no basic auth credentials") {
				t.Errorf("%s credentials: the exception names neither %s nor the registry's answer: %s", bad.name, ref, msg)
			}
			if strings.Contains(msg, reg.Password) || strings.Contains(logs.String(), reg.Password) {
				t.Errorf("%s credentials: the password is in the exception or the log", bad.name)
			}
			d.Close()
		}

		logs := &testenv.Buffer{}
		d, vim := registryDriver(t, "10.204.232.0/24", reg.DockerConfig(t, reg.User, reg.Password), logs)
		pulled(t, d, vim, ref)
		if strings.Contains(logs.String(), reg.Password) {
			t.Error("the password is in the log")
		}
		if !strings.Contains(logs.String(), "pulled image") {
			t.Errorf("no progress logged:\n%s", logs)
		}
	})
}

// pulled calls addImage with ref and checks the answer and that refresh
// lists ref.
func pulled(t *testing.T, d *Driver, vim json.RawMessage, ref string) {
	t.Helper()
	ans, err := call(t, d, "addImage", params(t, vim, map[string]any{"name": "img"}, ref))
	if err != nil {
		t.Fatalf("addImage %s: %v", ref, err)
	}
	var img NFVImage
	if err := json.Unmarshal(ans, &img); err != nil || img.ExtID == "" || img.Status != ImageStatusActive {
		t.Fatalf("addImage answer %s (%v)", ans, err)
	}
	if !refreshLists(t, d, vim, ref) {
		t.Errorf("refresh does not list %s", ref)
	}
}

func refreshLists(t *testing.T, d *Driver, vim json.RawMessage, ref string) bool {
	t.Helper()
	ans, err := call(t, d, "refresh", params(t, vim))
	if err != nil {
		t.Fatal(err)
	}
	var v VimInstance
	if err := json.Unmarshal(ans, &v); err != nil {
		t.Fatal(err)
	}
	for _, img := range v.Images {
		if slices.Contains(img.Tags, ref) {
			return true
		}
	}
	return false
}

// TestAddImageDigestRef: an image pulled by digest is listed by refresh
// under that digest reference, which is what the NFVO's grant compares a
// VDU's vm_image with.
func TestAddImageDigestRef(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd and registry")
	}
	raw := testenv.Docker(t)
	reg := testenv.PlainRegistry(t)
	digestRef := reg.Push(t, raw, testenv.BusyboxImage, "obdtest/"+testenv.Name(t)+":v1")
	removeAfter(t, raw, digestRef)
	d, vim := registryDriver(t, "10.204.233.0/24", "", io.Discard)
	pulled(t, d, vim, digestRef)
}

// TestAddImageSingleFlight: many concurrent addImages of one missing image
// make one pull on the engine (its pull events count them).
func TestAddImageSingleFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd and registry")
	}
	raw := testenv.Docker(t)
	reg := testenv.PlainRegistry(t)
	ref := reg.Host + "/obdtest/" + testenv.Name(t) + ":v1"
	reg.Push(t, raw, testenv.BusyboxImage, strings.TrimPrefix(ref, reg.Host+"/"))
	removeAfter(t, raw, ref)
	d, vim := registryDriver(t, "10.204.234.0/24", "", io.Discard)

	since := time.Now()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := call(t, d, "addImage", params(t, vim, map[string]any{"name": "img"}, ref))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := pullEvents(t, raw, ref, since); got != 1 {
		t.Errorf("%d concurrent addImages of %s made %d pulls on the engine, want 1", n, ref, got)
	}
}

// pullEvents counts the engine's pull events of ref since the given time.
func pullEvents(t *testing.T, raw *client.Client, ref string, since time.Time) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	f := filters.NewArgs(filters.Arg("type", string(events.ImageEventType)), filters.Arg("event", "pull"))
	msgs, errc := raw.Events(ctx, events.ListOptions{Filters: f,
		Since: fmt.Sprint(since.Add(-time.Second).Unix()), Until: fmt.Sprint(time.Now().Add(time.Second).Unix())})
	n := 0
	for {
		select {
		case m := <-msgs:
			if m.Actor.ID == ref {
				n++
			}
		case err := <-errc:
			if err != nil && err != io.EOF {
				t.Fatalf("engine events: %v", err)
			}
			return n
		}
	}
}
