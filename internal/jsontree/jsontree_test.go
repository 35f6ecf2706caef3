package jsontree

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeKeepsNumbersAndRefusesNonObjects(t *testing.T) {
	o, err := Decode([]byte(`{"id":12345678901234567890,"v":1.50,"s":"x","a":[{"k":1},"y",2],"n":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := o["id"].(json.Number); !ok || n.String() != "12345678901234567890" {
		t.Errorf("id %#v: a big number must stay as it was", o["id"])
	}
	b, _ := json.Marshal(o)
	if !strings.Contains(string(b), `"v":1.50`) {
		t.Errorf("re-encoded %s: 1.50 must come back as written", b)
	}
	if Str(o, "s") != "x" || Str(o, "id") != "" || Str(o, "missing") != "" {
		t.Error("Str reads only strings")
	}
	if l := List(o, "a"); len(l) != 1 || Sub(o, "n") != nil || Sub(o, "s") != nil {
		t.Errorf("List %v / Sub of null or string", l)
	}
	if s := Strings(o, "a"); len(s) != 1 || s[0] != "y" {
		t.Errorf("Strings %v", s)
	}
	if s := Strings(o, "missing"); s == nil || len(s) != 0 {
		t.Errorf("Strings of a missing key: %#v, want an empty list", s)
	}
	for _, bad := range []string{`null`, `[1]`, `"s"`, `{`, ``} {
		if _, err := Decode([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "decode json object: ") {
			t.Errorf("Decode(%q): %v", bad, err)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	o, _ := Decode([]byte(`{"a":{"b":[1,{"c":"d"}]}}`))
	c := Clone(o)
	Sub(c, "a")["b"].([]any)[1].(map[string]any)["c"] = "changed"
	if Sub(o, "a")["b"].([]any)[1].(map[string]any)["c"] != "d" {
		t.Error("editing the clone changed the original")
	}
	if Clone(nil) != nil || Clone(Obj{"ch": make(chan int)}) != nil {
		t.Error("Clone of nil or of an unencodable tree must be nil")
	}
	if k := SortedKeys(map[string]int{"b": 1, "a": 2}); strings.Join(k, ",") != "a,b" {
		t.Errorf("SortedKeys %v", k)
	}
}
