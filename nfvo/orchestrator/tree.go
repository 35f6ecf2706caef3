package orchestrator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/google/uuid"
)

// obj is a JSON object tree (numbers as json.Number, so nothing is lost).
type obj = map[string]any

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeObj(b []byte) (obj, error) {
	v, err := decode(b)
	if err != nil {
		return nil, err
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return o, nil
}

func clone(o obj) obj {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	c, _ := decodeObj(b)
	return c
}

func str(o obj, k string) string {
	switch v := o[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func sub(o obj, k string) obj {
	m, _ := o[k].(map[string]any)
	return m
}

func list(o obj, k string) []obj {
	a, _ := o[k].([]any)
	out := make([]obj, 0, len(a))
	for _, e := range a {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func strs(o obj, k string) []string {
	a, _ := o[k].([]any)
	var out []string
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func version(o obj) int64 {
	switch v := o["hbVersion"].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case float64:
		return int64(v)
	case int:
		return int64(v)
	case int64:
		return v
	}
	return 0
}

// entityKeys are the single (non-array) entity fields of records.
var entityKeys = map[string]bool{"configurations": true, "provides": true, "requires": true, "vnfComponent": true}

// assignIDs gives every new entity (an object in an array, or a single
// entity field, without an id) an id and hbVersion 0, as the NFVO's
// persistence does.
func assignIDs(v any, isEntity bool) {
	switch t := v.(type) {
	case map[string]any:
		if isEntity {
			if _, ok := t["id"]; !ok {
				t["id"] = uuid.NewString()
				t["hbVersion"] = json.Number("0")
			}
		}
		for k, e := range t {
			if k == "metadata" || k == "extension" {
				continue
			}
			switch e.(type) {
			case []any:
				assignIDs(e, true)
			case map[string]any:
				assignIDs(e, entityKeys[k])
			}
		}
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				assignIDs(m, isEntity)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
