package vnfm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Obj is a JSON object kept as a lossless tree. The NFVO persists what a
// VNFM sends back with a JPA merge (protocol spec §2.4): a field a Go
// struct forgot would be deleted, so records are never decoded into
// structs, only read and edited in place. Numbers stay json.Number so that
// ids and hbVersions come back byte for byte.
type Obj = map[string]any

// Decode parses a JSON object, numbers as json.Number.
func Decode(b []byte) (Obj, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var o Obj
	if err := d.Decode(&o); err != nil {
		return nil, fmt.Errorf("decode json object: %w", err)
	}
	if o == nil {
		return nil, fmt.Errorf("decode json object: null")
	}
	return o, nil
}

// DecodeValue parses any JSON value, numbers as json.Number.
func DecodeValue(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	return v, nil
}

// Str is o[k] as a string ("" when absent or not a string).
func Str(o Obj, k string) string {
	s, _ := o[k].(string)
	return s
}

// Sub is o[k] as an object (nil when absent or not an object).
func Sub(o Obj, k string) Obj {
	m, _ := o[k].(map[string]any)
	return m
}

// List is o[k] as the objects of an array; other elements are skipped.
func List(o Obj, k string) []Obj {
	a, _ := o[k].([]any)
	out := make([]Obj, 0, len(a))
	for _, e := range a {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Strings is o[k] as the strings of an array.
func Strings(o Obj, k string) []string {
	a, _ := o[k].([]any)
	out := make([]string, 0, len(a))
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Clone deep-copies a tree through JSON, so edits to the copy never reach
// a record another goroutine holds.
func Clone(o Obj) Obj {
	if o == nil {
		return nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil
	}
	c, err := Decode(b)
	if err != nil {
		return nil
	}
	return c
}

// ensureArray makes o[k] an array when it is absent or null: the NFVO
// iterates these collections (spec §5.2) and orphan-removes missing ones.
func ensureArray(o Obj, k string) {
	if _, ok := o[k].([]any); !ok {
		o[k] = []any{}
	}
}

// ensureObject makes o[k] an object when it is absent or null.
func ensureObject(o Obj, k string) {
	if _, ok := o[k].(map[string]any); !ok {
		o[k] = Obj{}
	}
}

// sortedKeys lists a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
