package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
)

// Objects are what a run can leave behind on the shared services: the
// broker's users and queues (vhost "/") and the engine's containers and
// networks, by name.
type Objects struct {
	Users, Queues, Containers, Networks map[string]bool
}

// Snapshot lists the broker's users and queues (management API, as the
// admin of AMQPURL) and the engine's containers and networks.
func Snapshot(t testing.TB, cli *client.Client) Objects {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := snapshot(ctx, cli)
	if err != nil {
		t.Fatalf("snapshot of the broker and the engine: %v", err)
	}
	return o
}

func snapshot(ctx context.Context, cli *client.Client) (Objects, error) {
	o := Objects{Users: map[string]bool{}, Queues: map[string]bool{}, Containers: map[string]bool{}, Networks: map[string]bool{}}
	for _, l := range []struct {
		path string
		into map[string]bool
	}{{"/api/users?columns=name", o.Users}, {"/api/queues/%2F?columns=name", o.Queues}} {
		names, err := mgmtNames(ctx, l.path)
		if err != nil {
			return o, err
		}
		for _, n := range names {
			l.into[n] = true
		}
	}
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return o, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		for _, n := range c.Names {
			o.Containers[strings.TrimPrefix(n, "/")] = true
		}
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return o, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		o.Networks[n.Name] = true
	}
	return o, nil
}

func mgmtNames(ctx context.Context, path string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(ManagementURL(), "/")+path, nil)
	if err != nil {
		return nil, err
	}
	user, pass := "admin", "openbaton"
	if u, err := url.Parse(AMQPURL()); err == nil && u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("management api: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("management api %s: %s", path, resp.Status)
	}
	var items []struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return nil, fmt.Errorf("management api %s: %w", path, err)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out, nil
}

// Left lists, per kind, what now has that before lacked.
func (before Objects) Left(now Objects) map[string][]string {
	out := map[string][]string{}
	for kind, p := range map[string][2]map[string]bool{
		"broker users": {before.Users, now.Users}, "broker queues": {before.Queues, now.Queues},
		"containers": {before.Containers, now.Containers}, "networks": {before.Networks, now.Networks},
	} {
		for n := range p[1] {
			if !p[0][n] {
				out[kind] = append(out[kind], n)
			}
		}
		sort.Strings(out[kind])
		if len(out[kind]) == 0 {
			delete(out, kind)
		}
	}
	return out
}

// CheckNoLeaks fails t naming every broker user or queue, container or
// network that exists now but not in before. Run the check while no other
// test uses the services (under the test lock). The management API's
// queue statistics lag by seconds, so it looks again for up to 15 s.
func CheckNoLeaks(t testing.TB, cli *client.Client, before Objects) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	deadline := time.Now().Add(15 * time.Second)
	for {
		now, err := snapshot(ctx, cli)
		if err != nil {
			t.Fatalf("snapshot of the broker and the engine: %v", err)
		}
		left := before.Left(now)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("left behind: %v", left)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
