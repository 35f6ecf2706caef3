package plugin

import (
	"bytes"
	"encoding/json"
	"testing"
)

// EncodeAnswer writes the envelope by hand; it must stay byte for byte what
// encoding/json writes for answerEnvelope.
func TestEncodeAnswerSameAsMarshal(t *testing.T) {
	type srv struct {
		Name string              `json:"name"`
		IPs  map[string][]string `json:"ips"`
	}
	for _, v := range []any{
		"docker", true, 3.5, []string{"a<b>&c", "\u2028"}, map[string]any{"k": []any{nil, 1}},
		[]srv{{Name: "x", IPs: map[string][]string{"n": {"10.0.0.1"}}}}, []int(nil), map[string]int(nil),
	} {
		got, err := EncodeAnswer(v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := marshalAnswer(v)
		want, _ := json.Marshal(answerEnvelope{Answer: b})
		if !bytes.Equal(got, want) {
			t.Errorf("%#v: got %s, want %s", v, got, want)
		}
	}
}
