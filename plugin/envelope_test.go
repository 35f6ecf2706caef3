package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/plugin"
)

var update = flag.Bool("update", false, "rewrite the golden answer files in testdata/")

// TestGoldenEnvelope feeds every testdata/*.request.json (NFVO inputs, in
// the NFVO's Gson shapes, hand-written and read-only) to the dispatcher
// and compares the reply with testdata/*.answer.json (our output).
func TestGoldenEnvelope(t *testing.T) {
	reqs, err := filepath.Glob("testdata/*.request.json")
	if err != nil || len(reqs) == 0 {
		t.Fatalf("no request goldens: %v", err)
	}
	d, err := plugin.NewDispatcher(&fakeDriver{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, reqPath := range reqs {
		name := strings.TrimSuffix(filepath.Base(reqPath), ".request.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(reqPath)
			if err != nil {
				t.Fatal(err)
			}
			got := d.Handle(context.Background(), body)
			// Whatever the input, the NFVO must be able to parse the reply.
			if !json.Valid(got) {
				t.Fatalf("reply is not JSON: %s", got)
			}
			if _, err := nfvo.DecodeAnswer(got); err != nil {
				var exc *nfvo.Exception
				if !errorsAs(err, &exc) {
					t.Fatalf("reply the NFVO cannot parse: %v: %s", err, got)
				}
			}
			ansPath := filepath.Join("testdata", name+".answer.json")
			if *update {
				if err := os.WriteFile(ansPath, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(ansPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), got) {
				t.Errorf("reply differs from %s\n got: %s\nwant: %s", ansPath, got, bytes.TrimSpace(want))
			}
		})
	}
}

func TestEncodeAnswer(t *testing.T) {
	tests := []struct {
		doc     string
		in      any
		want    string
		wantErr bool
	}{
		{doc: "nil slice is []", in: []string(nil), want: `{"answer":[]}`},
		{doc: "nil map is {}", in: map[string]int(nil), want: `{"answer":{}}`},
		{doc: "false stays false", in: false, want: `{"answer":false}`},
		{doc: "empty string", in: "", want: `{"answer":""}`},
		{doc: "plain string", in: "docker", want: `{"answer":"docker"}`},
		{doc: "string to escape", in: "a\"b\\c<d>&\u00e9\n", want: `{"answer":"a\"b\\c\u003cd\u003e\u0026é\n"}`},
		{doc: "untyped nil is a bug", in: nil, wantErr: true},
		{doc: "nil pointer is a bug", in: (*int)(nil), wantErr: true},
		{doc: "raw null is a bug", in: json.RawMessage("null"), wantErr: true},
		{doc: "unencodable", in: make(chan int), wantErr: true},
		{doc: "pre-encoded used as it is", in: plugin.Encoded(`[{"a":1},{"b":"x"}]`), want: `{"answer":[{"a":1},{"b":"x"}]}`},
		{doc: "pre-encoded null is a bug", in: plugin.Encoded("null"), wantErr: true},
		{doc: "pre-encoded nothing is a bug", in: plugin.Encoded(nil), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			got, err := plugin.EncodeAnswer(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want error, got %s", got)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestDecodeRequestKeepsNull(t *testing.T) {
	req, err := plugin.DecodeRequest([]byte(`{"methodName":"x","parameters":[{"type":"docker"}, null, "s"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Parameters) != 3 || !req.Parameters.IsNull(1) || req.Parameters.IsNull(0) || string(req.Parameters[1]) != "null" {
		t.Fatalf("parameters %q", req.Parameters)
	}
}

func TestNewRejectsBadDriverTable(t *testing.T) {
	if _, err := plugin.NewDispatcher(dupDriver{}, nil); err == nil {
		t.Fatal("duplicate (name, arity) accepted")
	}
}

type dupDriver struct{}

func (dupDriver) Methods() []plugin.Method {
	h := func(context.Context, plugin.Params) (any, error) { return true, nil }
	return []plugin.Method{{Name: "a", Arity: 1, Handle: h}, {Name: "a", Arity: 1, Handle: h}}
}

// FuzzDecodeRequest: any body decodes or fails cleanly; a decoded request
// re-encodes to one that decodes to the same thing; and the dispatcher's
// reply to any body is a reply the NFVO can parse.
func FuzzDecodeRequest(f *testing.F) {
	reqs, _ := filepath.Glob("testdata/*.request.json")
	for _, p := range reqs {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"methodName":"getType","parameters":[null]}`))
	f.Add([]byte(`[]`))
	d, err := plugin.NewDispatcher(&fakeDriver{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reply := d.Handle(context.Background(), body)
		if _, err := nfvo.DecodeAnswer(reply); err != nil {
			var exc *nfvo.Exception
			if !errorsAs(err, &exc) {
				t.Fatalf("unparsable reply %s to %q: %v", reply, body, err)
			}
		}
		req, err := plugin.DecodeRequest(body)
		if err != nil {
			return
		}
		enc, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encode %q: %v", body, err)
		}
		again, err := plugin.DecodeRequest(enc)
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if again.MethodName != req.MethodName || len(again.Parameters) != len(req.Parameters) {
			t.Fatalf("round trip changed %q into %s", body, enc)
		}
		for i := range req.Parameters {
			if req.Parameters.IsNull(i) != again.Parameters.IsNull(i) {
				t.Fatalf("parameter %d nullness changed: %q", i, body)
			}
		}
	})
}
