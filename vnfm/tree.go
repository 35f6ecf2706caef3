package vnfm

import "github.com/openbaton-docker/obdocker/internal/jsontree"

// Obj is a JSON object kept as a lossless tree (internal/jsontree): the
// NFVO persists what a VNFM sends back with a JPA merge (protocol spec
// §2.4), so records are never decoded into structs, only read and edited
// in place.
type Obj = jsontree.Obj

// Decode parses a JSON object, numbers as json.Number.
func Decode(b []byte) (Obj, error) { return jsontree.Decode(b) }

// DecodeValue parses any JSON value, numbers as json.Number.
func DecodeValue(b []byte) (any, error) { return jsontree.DecodeValue(b) }

// Str is o[k] as a string ("" when absent or not a string).
func Str(o Obj, k string) string { return jsontree.Str(o, k) }

// Sub is o[k] as an object (nil when absent or not an object).
func Sub(o Obj, k string) Obj { return jsontree.Sub(o, k) }

// List is o[k] as the objects of an array; other elements are skipped.
func List(o Obj, k string) []Obj { return jsontree.List(o, k) }

// Strings is o[k] as the strings of an array.
func Strings(o Obj, k string) []string { return jsontree.Strings(o, k) }

// Clone deep-copies a tree, so edits to the copy never reach a record
// another goroutine holds.
func Clone(o Obj) Obj { return jsontree.Clone(o) }

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
func sortedKeys[V any](m map[string]V) []string { return jsontree.SortedKeys(m) }
