// Package jsontree reads and edits JSON documents kept as lossless trees
// (map[string]any, numbers as json.Number). The NFVO persists what a VNFM
// sends back with a JPA merge: a field a Go struct forgot would be deleted,
// so the VNFM and the NFVO stand-in never decode records into structs;
// numbers stay json.Number so ids and hbVersions come back byte for byte.
package jsontree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Obj is a JSON object.
type Obj = map[string]any

// Decode parses a JSON object (not null, not another value).
func Decode(b []byte) (Obj, error) {
	v, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode json object: %w", err)
	}
	o, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil, errors.New("decode json object: null")
		}
		return nil, fmt.Errorf("decode json object: a %T, not an object", v)
	}
	return o, nil
}

// DecodeValue parses any JSON value.
func DecodeValue(b []byte) (any, error) {
	v, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	return v, nil
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// Clone deep-copies a tree through JSON, so edits to the copy never reach
// a tree another goroutine holds. Nil (or a tree JSON cannot hold) gives
// nil.
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

// Strings is o[k] as the strings of an array; other elements are skipped.
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

// SortedKeys lists a map's keys in order, for deterministic output.
func SortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
