package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// A Driver is the VIM behind the plugin: a table of methods, dispatched on
// (name, number of parameters) exactly as the NFVO overloads them.
// The vim package implements it; the plugin knows no catalogue type.
type Driver interface {
	// Methods lists every (name, arity) pair the driver answers.
	Methods() []Method
}

// Method is one entry of the dispatch table.
type Method struct {
	Name  string
	Arity int
	// Void methods answer nothing the NFVO reads (deleteServerByIdAndWait);
	// the plugin still replies, never with a null answer.
	Void bool
	// Handle runs the call. Its answer is encoded as JSON: a nil slice or
	// map is answered as [] or {}; a nil pointer or interface for a non-void
	// method is a driver bug and is answered as an exception.
	Handle func(ctx context.Context, p Params) (any, error)
}

// Params are a request's parameters, undecoded, in order. JSON null stays
// as the literal null.
type Params []json.RawMessage

// ParamError names a parameter that is missing or cannot be decoded.
type ParamError struct {
	Index int
	Name  string
	Err   error
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("parameter %d (%s): %v", e.Index, e.Name, e.Err)
}

func (e *ParamError) Unwrap() error { return e.Err }

// ErrNullParameter is the cause of a ParamError for a required null parameter.
var ErrNullParameter = errors.New("is null but required")

// IsNull reports whether parameter i is absent or JSON null.
func (p Params) IsNull(i int) bool {
	if i < 0 || i >= len(p) {
		return true
	}
	s := string(trimSpace(p[i]))
	return s == "" || s == "null"
}

// Decode decodes required parameter i (called name in errors) into v.
func (p Params) Decode(i int, name string, v any) error {
	if p.IsNull(i) {
		return &ParamError{Index: i, Name: name, Err: ErrNullParameter}
	}
	if err := json.Unmarshal(p[i], v); err != nil {
		return &ParamError{Index: i, Name: name, Err: jsonTerms(err)}
	}
	return nil
}

// DecodeOptional decodes parameter i into v unless it is null, and reports
// whether it was present.
func (p Params) DecodeOptional(i int, name string, v any) (bool, error) {
	if p.IsNull(i) {
		return false, nil
	}
	if err := json.Unmarshal(p[i], v); err != nil {
		return true, &ParamError{Index: i, Name: name, Err: jsonTerms(err)}
	}
	return true, nil
}

// decodeError is a decoding error told in JSON terms; the original error
// stays in the chain.
type decodeError struct {
	msg string
	err error
}

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return e.err }

// jsonTerms rewords encoding/json's errors for the NFVO's operator, who
// wrote JSON, not Go: "expected a JSON object, got a string" rather than
// "cannot unmarshal string into Go value of type vim.networkRequest".
// Other errors (a custom decoder's) are returned as they are.
func jsonTerms(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		msg := fmt.Sprintf("expected %s, got %s", jsonExpected(te.Type), jsonGot(te.Value))
		if te.Field != "" {
			msg = "field " + te.Field + ": " + msg
		}
		return &decodeError{msg: msg, err: err}
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return &decodeError{msg: "not valid JSON: " + strings.TrimPrefix(err.Error(), "json: "), err: err}
	}
	return err
}

// jsonExpected names the JSON a Go type decodes from.
func jsonExpected(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}

// jsonGot names what encoding/json found ("string", "number 1.5", …).
func jsonGot(value string) string {
	switch value {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	case "array":
		return "an array"
	case "object":
		return "a JSON object"
	}
	if n, ok := strings.CutPrefix(value, "number "); ok {
		return "the number " + n
	}
	return value
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// ServerError is an error that carries the (partial) Server the NFVO can
// recover from a failed launch; the plugin puts it in exception.server.
type ServerError struct {
	Err    error
	Server any
}

func (e *ServerError) Error() string { return e.Err.Error() }
func (e *ServerError) Unwrap() error { return e.Err }
