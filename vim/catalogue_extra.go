package vim

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Extra keeps the JSON keys of an object that its Go type does not know, so
// that what we echo to the NFVO (refresh) loses nothing it sent.
type Extra map[string]json.RawMessage

var knownKeysCache sync.Map // reflect.Type → map[string]bool

// knownKeys lists the JSON names of t's fields, embedded structs included.
func knownKeys(t reflect.Type) map[string]bool {
	if v, ok := knownKeysCache.Load(t); ok {
		return v.(map[string]bool)
	}
	keys := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			keys[name] = true
		}
	}
	walk(t)
	knownKeysCache.Store(t, keys)
	return keys
}

// decodeKeeping decodes data into v (a pointer to a type without custom
// UnmarshalJSON) and returns the keys v's type does not know.
func decodeKeeping(data []byte, v any) (Extra, error) {
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	known := knownKeys(reflect.TypeOf(v).Elem())
	var extra Extra
	for k, raw := range all {
		if known[k] {
			continue
		}
		if extra == nil {
			extra = Extra{}
		}
		extra[k] = raw
	}
	return extra, nil
}

// encodeKeeping encodes v (a value without custom MarshalJSON) and adds the
// extra keys it does not write itself.
func encodeKeeping(v any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, ok := m[k]; !ok {
			m[k] = raw
		}
	}
	return json.Marshal(m)
}
