package orchestrator

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/jsontree"
)

// obj is a JSON object tree (internal/jsontree: numbers as json.Number, so
// nothing is lost).
type obj = jsontree.Obj

func decode(b []byte) (any, error) { return jsontree.DecodeValue(b) }

func decodeObj(b []byte) (obj, error) { return jsontree.Decode(b) }

func clone(o obj) obj { return jsontree.Clone(o) }

func sub(o obj, k string) obj { return jsontree.Sub(o, k) }

func list(o obj, k string) []obj { return jsontree.List(o, k) }

func strs(o obj, k string) []string { return jsontree.Strings(o, k) }

func sortedKeys[V any](m map[string]V) []string { return jsontree.SortedKeys(m) }

// str is o[k] as a string; unlike jsontree.Str it also reads numbers (the
// NFVO's ids may come as either).
func str(o obj, k string) string {
	switch v := o[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
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
