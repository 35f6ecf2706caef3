package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// deadSocket replaces every Docker endpoint of the seeds: a mutated
// message must never reach a real engine (it could create networks
// outside the suite's address range).
const deadSocket = "unix:///nonexistent/obdocker-faults.sock"

// corpus reads the golden requests of plugin/testdata and the committed
// fuzz corpus of FuzzDecodeRequest, with the Docker endpoint replaced.
func corpus(t *testing.T) [][]byte {
	t.Helper()
	var seeds [][]byte
	globs := []string{"../plugin/testdata/*.request.json", "../plugin/testdata/fuzz/FuzzDecodeRequest/*"}
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, bytes.ReplaceAll(b, []byte("unix:///var/run/docker.sock"), []byte(deadSocket)))
		}
	}
	if len(seeds) < 10 {
		t.Fatalf("only %d seeds in plugin/testdata", len(seeds))
	}
	return seeds
}

var tokens = [][]byte{[]byte(`null`), []byte(`{}`), []byte(`[]`), []byte(`"`), []byte(`\u0000`), []byte(`1e999`),
	[]byte(`-1`), []byte(`true`), []byte(`"launchInstanceAndWait"`), []byte(`"listServer"`), []byte(`{"a":`),
	[]byte(`]]]]`), []byte(`"authUrl":"pop://127.0.0.1:1"`), []byte(`"\ud800"`), []byte("\xff\xfe")}

// mutate derives one message from the seeds.
func mutate(rng *rand.Rand, seeds [][]byte) []byte {
	b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
	for range 1 + rng.IntN(4) {
		switch op := rng.IntN(8); {
		case op == 0 && len(b) > 0: // flip a byte
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		case op == 1 && len(b) > 0: // truncate
			b = b[:rng.IntN(len(b))]
		case op == 2 && len(b) > 1: // delete a span
			i := rng.IntN(len(b))
			j := min(len(b), i+1+rng.IntN(32))
			b = append(b[:i:i], b[j:]...)
		case op == 3: // insert a token
			i := rng.IntN(len(b) + 1)
			tok := tokens[rng.IntN(len(tokens))]
			b = append(b[:i:i], append(append([]byte(nil), tok...), b[i:]...)...)
		case op == 4: // splice another seed's tail
			o := seeds[rng.IntN(len(seeds))]
			i, j := rng.IntN(len(b)+1), rng.IntN(len(o)+1)
			b = append(b[:i:i], o[j:]...)
		case op == 5: // duplicate a span
			if len(b) > 2 {
				i := rng.IntN(len(b) - 1)
				j := min(len(b), i+1+rng.IntN(64))
				b = append(b[:j:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
			}
		case op == 6: // replace a value by a random JSON value
			b = replaceValue(rng, b)
		default: // random bytes
			r := make([]byte, rng.IntN(64))
			for k := range r {
				r[k] = byte(rng.IntN(256))
			}
			b = r
		}
	}
	return b
}

// replaceValue decodes b, replaces one parameter by another shape and
// encodes it again; b unchanged when it does not decode.
func replaceValue(rng *rand.Rand, b []byte) []byte {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil { // "null" decodes to a nil map
		return b
	}
	ps, _ := m["parameters"].([]any)
	vals := []any{nil, "", 0, -1.5, true, []any{}, map[string]any{}, "x", []any{nil}, map[string]any{"authUrl": deadSocket}}
	if len(ps) > 0 && rng.IntN(4) > 0 {
		ps[rng.IntN(len(ps))] = vals[rng.IntN(len(vals))]
	} else {
		m["parameters"] = append(ps, vals[rng.IntN(len(vals))])
	}
	if rng.IntN(5) == 0 {
		m["methodName"] = vals[rng.IntN(len(vals))]
	}
	out, err := json.Marshal(m)
	if err != nil {
		return b
	}
	return out
}

// TestRandomMessages10000 sends 10,000 random and mutated plugin messages
// (from the golden requests and the fuzz corpus): every one is answered
// with an answer or an exception the NFVO can parse, the daemon does not
// crash, and it serves normally afterwards.
func TestRandomMessages10000(t *testing.T) {
	const n = 10000
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OBDOCKER_FAULTS_SEED"); s != "" {
		json.Unmarshal([]byte(s), &seed)
	}
	t.Logf("seed %d (OBDOCKER_FAULTS_SEED reproduces)", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seeds := corpus(t)
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = mutate(rng, seeds)
	}
	r := rig.New(t, rig.Options{Subnet: "10.207.13.0/24", Pool: "10.207.14.0/24", Race: true, Workers: 32,
		DockerHost: deadSocket, LogLevel: "error"})
	c := newCaller(t, r)
	var answers, exceptions, unparsable atomic.Int64
	errs := parallel(n, 32, func(i int) error {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		body, err := c.CallRaw(ctx, msgs[i])
		if err != nil {
			return err
		}
		_, err = nfvo.DecodeAnswer(body)
		var exc *nfvo.Exception
		switch {
		case err == nil:
			answers.Add(1)
		case errorsAs(err, &exc):
			exceptions.Add(1)
		default:
			unparsable.Add(1)
			t.Errorf("message %d: reply %.200q is neither answer nor exception: %v (input %.200q)", i, body, err, msgs[i])
		}
		return nil
	})
	unanswered, first := firstErr(errs)
	if unanswered > 0 {
		t.Errorf("%d of %d messages unanswered; first: %v", unanswered, n, first)
	}
	if r.Exited() {
		t.Fatalf("the daemon died; log:\n%s", r.Logs())
	}
	ctx, cancel := callCtx(t)
	defer cancel()
	if ans, err := c.Call(ctx, "getType", r.VIM()); err != nil || string(ans) != `"docker"` {
		t.Errorf("getType after the storm: %s %v", ans, err)
	}
	got, dups := c.Replies()
	if dups != 0 {
		t.Errorf("%d messages answered more than once", dups)
	}
	figure(t, "%d mutated messages (%d seeds): %d replies (%d answers, %d exceptions, %d unparsable), %d unanswered, 0 crashes",
		n, len(seeds), got-1, answers.Load(), exceptions.Load(), unparsable.Load(), unanswered)
}
