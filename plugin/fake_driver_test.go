package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/openbaton-docker/obdocker/plugin"
)

// fakeDriver is a Driver with one method per envelope rule under test.
type fakeDriver struct {
	inflight    atomic.Int64
	maxInflight atomic.Int64
	calls       atomic.Int64
	// release, when non-nil, holds "slow" calls until closed.
	release chan struct{}

	mu      sync.Mutex
	deleted []string
}

type server struct {
	Name     string              `json:"name"`
	ExtID    string              `json:"extId,omitempty"`
	Status   string              `json:"status,omitempty"`
	HostName string              `json:"hostName,omitempty"`
	IPs      map[string][]string `json:"ips"`
}

type vimInstance struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func (f *fakeDriver) vim(p plugin.Params) (vimInstance, error) {
	var v vimInstance
	err := p.Decode(0, "vimInstance", &v)
	return v, err
}

func (f *fakeDriver) Methods() []plugin.Method {
	return []plugin.Method{
		{Name: "getType", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			if _, err := f.vim(p); err != nil {
				return nil, err
			}
			return "docker", nil
		}},
		{Name: "listServer", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var none []server // nil slice: must be encoded as []
			return none, nil
		}},
		{Name: "getQuota", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			return map[string]any{"tenant": "docker", "cores": 100000, "ram": 100000}, nil
		}},
		{Name: "getNetworkById", Arity: 2, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var ext string
			if err := p.Decode(1, "extId", &ext); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("network %s: %w", ext, errors.New("not found"))
		}},
		{Name: "deleteServerByIdAndWait", Arity: 2, Void: true, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var id string
			if err := p.Decode(1, "id", &id); err != nil {
				return nil, err
			}
			f.mu.Lock()
			f.deleted = append(f.deleted, id)
			f.mu.Unlock()
			return nil, nil
		}},
		{Name: "launchInstanceAndWait", Arity: 10, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var host string
			if err := p.Decode(1, "hostname", &host); err != nil {
				return nil, err
			}
			// keys (parameter 9) may be null: the driver decides.
			var keys []map[string]any
			if _, err := p.DecodeOptional(9, "keys", &keys); err != nil {
				return nil, err
			}
			return nil, &plugin.ServerError{
				Err:    fmt.Errorf("start %s: image not runnable", host),
				Server: server{Name: host, HostName: host, Status: "ERROR", ExtID: "abc123", IPs: map[string][]string{"private": {"10.0.0.5"}}},
			}
		}},
		{Name: "addImage", Arity: 3, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			return map[string]string{"extId": "sha256:1"}, nil
		}},
		{Name: "addImage", Arity: 4, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			return map[string]string{"extId": "sha256:1"}, nil
		}},
		{Name: "isNull", Arity: 2, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			return p.IsNull(1), nil
		}},
		{Name: "nilAnswer", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var s *server
			return s, nil
		}},
		{Name: "explode", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			panic("kaboom")
		}},
		// seq echoes its number: the stream tests match every answer to
		// its call.
		{Name: "seq", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			f.calls.Add(1)
			var n int
			if err := p.Decode(0, "n", &n); err != nil {
				return nil, err
			}
			return n, nil
		}},
		// slow holds until release is closed (or ctx), counting in-flight
		// handlers.
		{Name: "slow", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			n := f.inflight.Add(1)
			defer f.inflight.Add(-1)
			for {
				m := f.maxInflight.Load()
				if n <= m || f.maxInflight.CompareAndSwap(m, n) {
					break
				}
			}
			var v int
			if err := p.Decode(0, "n", &v); err != nil {
				return nil, err
			}
			select {
			case <-f.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return v, nil
		}},
	}
}
