package amqpx

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	tests := []struct {
		doc      string
		b        Backoff
		attempt  int
		min, max time.Duration
	}{
		{doc: "first retry within 1 s", b: Backoff{}, attempt: 0, min: 250 * time.Millisecond, max: time.Second},
		{doc: "grows", b: Backoff{}, attempt: 2, min: time.Second, max: 2 * time.Second},
		{doc: "capped at 5 s", b: Backoff{}, attempt: 50, min: 2500 * time.Millisecond, max: 5 * time.Second},
		{doc: "custom cap", b: Backoff{Initial: time.Second, Max: 15 * time.Second}, attempt: 10, min: 7500 * time.Millisecond, max: 15 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for i := 0; i < 200; i++ {
				d := tc.b.Delay(tc.attempt)
				if d < tc.min || d > tc.max {
					t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.min, tc.max)
				}
				seen[d] = true
			}
			if len(seen) < 10 {
				t.Fatalf("no jitter: %d distinct delays", len(seen))
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ doc, in, want string }{
		{doc: "password hidden", in: "amqp://user:s3cret@host:5672/%2F", want: "amqp://user:xxxxx@host:5672/%2F"},
		{doc: "no password", in: "amqp://host:5672/", want: "amqp://host:5672/"},
		{doc: "unparsable", in: "amqp://u:p@[::1", want: "<unparsable url>"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Fatalf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
