package plugin

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The functions below walk JSON that json.Valid has accepted: they only
// find where a value ends, so they never validate and never fail on
// malformed input (DecodeRequest checks it first).

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd is the index just past the string that starts at b[i] ('"').
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		// Escaped when an odd run of backslashes precedes it (the run
		// cannot reach past the opening quote).
		n := 0
		for b[i-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return i + 1
		}
	}
}

// structural marks the bytes valueEnd stops at inside an array or object.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// valueEnd is the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			if !structural[b[i]] {
				continue
			}
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			default:
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default: // a number, true, false or null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

var (
	methodNameKey = []byte("methodName")
	parametersKey = []byte("parameters")
)

// envelopeMembers finds the values of methodName and parameters in the
// object b (valid JSON starting with '{'), matching keys as encoding/json
// matches them to the fields of a struct: exactly or case-insensitively
// (bytes.EqualFold), after unescaping, the last one winning. An absent
// member is nil. An array of parameters is split on the way (one pass
// over it): elems are its elements, subslices of b.
func envelopeMembers(b []byte, few *[8]json.RawMessage) (method, params []byte, elems []json.RawMessage, err error) {
	i := skipSpace(b, 1)
	for i < len(b) && b[i] == '"' {
		end := stringEnd(b, i)
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if err := json.Unmarshal(b[i:end], &k); err != nil {
				return nil, nil, nil, err
			}
			key = []byte(k)
		}
		i = skipSpace(b, skipSpace(b, end)+1) // past ':'
		switch {
		case bytes.EqualFold(key, methodNameKey):
			end = valueEnd(b, i)
			method = b[i:end]
		case bytes.EqualFold(key, parametersKey) && b[i] == '[':
			elems, end = arrayElements(b, i, few[:0])
			params = b[i:end]
		case bytes.EqualFold(key, parametersKey):
			end = valueEnd(b, i)
			params, elems = b[i:end], nil
		default:
			end = valueEnd(b, i)
		}
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return method, params, elems, nil
}

// jsonString decodes the JSON value b as a string, as json.Unmarshal
// would: without escapes and in valid UTF-8 (the usual method name) the
// bytes are the string.
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// arrayElements appends the elements of the array at b[i] ('[') to out
// and returns them with the index just past the array.
func arrayElements(b []byte, i int, out []json.RawMessage) ([]json.RawMessage, int) {
	for i = skipSpace(b, i+1); i < len(b) && b[i] != ']'; {
		end := valueEnd(b, i)
		out = append(out, json.RawMessage(b[i:end])) // cap: where it starts
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return out, i + 1
}

// ownParams copies elems, subslices of params, into one new buffer: the
// parameters outlive the request body.
func ownParams(params []byte, elems []json.RawMessage) Params {
	buf := bytes.Clone(params)
	out := make(Params, len(elems))
	for k, e := range elems {
		off := cap(params) - cap(e) // e's offset in params
		out[k] = json.RawMessage(buf[off : off+len(e) : off+len(e)])
	}
	return out
}
