package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/client"
)

// transportFunc is a RoundTripper made of a function (style.md §1.4).
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// recorded is one request the fake engine saw.
type recorded struct {
	Method string
	Path   string // without the /v1.41 prefix
	Query  url.Values
	Body   []byte
}

// fakeEngine answers requests by "METHOD /path" (path without the version
// prefix) and records them in order.
type fakeEngine struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]func(r recorded) *http.Response
	seen   []recorded
}

func newFakeEngine(t *testing.T) *fakeEngine {
	return &fakeEngine{t: t, routes: map[string]func(recorded) *http.Response{}}
}

func (f *fakeEngine) on(route string, h func(r recorded) *http.Response) { f.routes[route] = h }

func (f *fakeEngine) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.seen...)
}

func (f *fakeEngine) find(route string) (recorded, bool) {
	for _, r := range f.requests() {
		if r.Method+" "+r.Path == route {
			return r, true
		}
	}
	return recorded{}, false
}

func (f *fakeEngine) roundTrip(req *http.Request) (*http.Response, error) {
	rec := recorded{Method: req.Method, Path: strings.TrimPrefix(req.URL.Path, "/v1.41"), Query: req.URL.Query()}
	if req.Body != nil {
		rec.Body, _ = io.ReadAll(req.Body)
	}
	f.mu.Lock()
	f.seen = append(f.seen, rec)
	h := f.routes[rec.Method+" "+rec.Path]
	f.mu.Unlock()
	if h == nil {
		return jsonResponse(http.StatusNotFound, map[string]string{"message": "fake engine: no route " + rec.Method + " " + rec.Path}), nil
	}
	return h(rec), nil
}

// backend returns a Backend over the fake, pinned to API 1.41 so no
// negotiation request is made.
func (f *fakeEngine) backend(popName string) *Backend {
	f.t.Helper()
	cli, err := client.NewClientWithOpts(
		client.WithHTTPClient(&http.Client{Transport: transportFunc(f.roundTrip)}),
		client.WithVersion("1.41"),
	)
	if err != nil {
		f.t.Fatalf("client: %v", err)
	}
	f.t.Cleanup(func() { cli.Close() })
	return newBackend(cli, popName, nil)
}

func jsonResponse(code int, v any) *http.Response {
	b, _ := json.Marshal(v) // fixtures are plain maps and structs
	return &http.Response{
		StatusCode: code,
		Status:     fmt.Sprintf("%d %s", code, http.StatusText(code)),
		Header:     http.Header{"Content-Type": []string{"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(b)),
	}
}

func errResponse(code int, msg string) func(recorded) *http.Response {
	return func(recorded) *http.Response { return jsonResponse(code, map[string]string{"message": msg}) }
}

func okResponse(code int, v any) func(recorded) *http.Response {
	return func(recorded) *http.Response { return jsonResponse(code, v) }
}

func noContent(recorded) *http.Response {
	return &http.Response{StatusCode: http.StatusNoContent, Status: "204 No Content", Header: http.Header{}, Body: io.NopCloser(strings.NewReader(""))}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return ctx, cancel
}
