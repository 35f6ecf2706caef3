package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Request is the NFVO's PluginMessage: {"methodName": …, "parameters": […]}.
type Request struct {
	MethodName string `json:"methodName"`
	Parameters Params `json:"parameters"`
}

// ErrMalformedRequest is the class of request bodies the plugin cannot
// decode; the reply is an exception naming the problem.
var ErrMalformedRequest = errors.New("malformed request")

// DecodeRequest decodes a request body. It accepts exactly a JSON object
// with a string methodName and an array of parameters (absent or null
// parameters mean none); null elements of the array are kept as null.
// Keys match as encoding/json matches struct fields (case-insensitively,
// the last duplicate winning). The parameters are a copy: the caller may
// reuse body.
func DecodeRequest(body []byte) (Request, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Request{}, fmt.Errorf("%w: empty body", ErrMalformedRequest)
	}
	// The one validating pass; the rest only finds where values end. A
	// getType is answered in a fraction of a millisecond, and decoding
	// through encoding/json's reflection (five passes) was a tenth of it.
	if !json.Valid(trimmed) {
		return Request{}, fmt.Errorf("%w: body is not JSON", ErrMalformedRequest)
	}
	if trimmed[0] != '{' {
		return Request{}, fmt.Errorf("%w: body is JSON but not an object", ErrMalformedRequest)
	}
	var few [8]json.RawMessage // the NFVO sends at most 10 parameters
	rawMethod, rawParams, elems, err := envelopeMembers(trimmed, &few)
	if err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrMalformedRequest, err)
	}
	var req Request
	if len(rawMethod) == 0 || string(rawMethod) == "null" {
		return Request{}, fmt.Errorf("%w: no methodName", ErrMalformedRequest)
	}
	if req.MethodName, err = jsonString(rawMethod); err != nil {
		return Request{}, fmt.Errorf("%w: methodName is not a string", ErrMalformedRequest)
	}
	if req.MethodName == "" {
		return Request{}, fmt.Errorf("%w: methodName is empty", ErrMalformedRequest)
	}
	if len(rawParams) == 0 || string(rawParams) == "null" {
		req.Parameters = Params{}
		return req, nil
	}
	if rawParams[0] != '[' {
		return Request{}, fmt.Errorf("%w: parameters is not an array", ErrMalformedRequest)
	}
	req.Parameters = ownParams(rawParams, elems)
	return req, nil
}

// answerEnvelope and exceptionEnvelope are the NFVO's PluginAnswer shapes.
type answerEnvelope struct {
	Answer json.RawMessage `json:"answer"`
}

type exceptionBody struct {
	DetailMessage string          `json:"detailMessage"`
	Server        json.RawMessage `json:"server,omitempty"`
}

type exceptionEnvelope struct {
	Exception exceptionBody `json:"exception"`
}

// ErrNilAnswer is the driver bug of answering nothing for a method the
// NFVO reads an answer from.
var ErrNilAnswer = errors.New("driver returned no answer (null) for a non-void method")

// EncodeAnswer renders {"answer": v}. A nil slice becomes [] and a nil map
// {} (the NFVO iterates them); a nil pointer, nil interface or anything
// that encodes as null is ErrNilAnswer, since the NFVO cannot parse a
// null answer (spec §2.2).
func EncodeAnswer(v any) ([]byte, error) {
	if s, ok := v.(string); ok && plainJSON(s) {
		// getType's answer: the bytes json.Marshal would give, without
		// its reflection.
		return []byte(`{"answer":"` + s + `"}`), nil
	}
	b, err := marshalAnswer(v)
	if err != nil {
		return nil, err
	}
	// The same bytes as json.Marshal(answerEnvelope{Answer: b}), since b is
	// already compact, escaped JSON from json.Marshal; without a second
	// pass over it (half the encoding time of a large listServer).
	out := make([]byte, 0, len(`{"answer":}`)+len(b))
	out = append(out, `{"answer":`...)
	out = append(out, b...)
	return append(out, '}'), nil
}

// plainJSON: s is printable ASCII that json.Marshal quotes as it is (no
// quote, backslash or HTML character to escape).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// Encoded is an answer a driver encoded itself: compact JSON, not null,
// used as it is (json.RawMessage would be re-scanned and compacted, a
// second pass over a large listServer answer).
type Encoded []byte

// MarshalJSON makes an Encoded value encode as the JSON it holds wherever
// it is marshalled (not as base64, like other byte slices).
func (e Encoded) MarshalJSON() ([]byte, error) {
	if len(e) == 0 {
		return []byte("null"), nil
	}
	return e, nil
}

func marshalAnswer(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, ErrNilAnswer
	}
	if e, ok := v.(Encoded); ok {
		if len(e) == 0 || string(e) == "null" {
			return nil, ErrNilAnswer
		}
		return json.RawMessage(e), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if rv.IsNil() {
			return json.RawMessage("[]"), nil
		}
	case reflect.Map:
		if rv.IsNil() {
			return json.RawMessage("{}"), nil
		}
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, ErrNilAnswer
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	if string(bytes.TrimSpace(b)) == "null" {
		return nil, ErrNilAnswer
	}
	return b, nil
}

// EncodeException renders {"exception": {"detailMessage": …, "server": …}}.
// The server is taken from a *ServerError in err's chain, if any.
func EncodeException(err error) []byte {
	exc := exceptionBody{DetailMessage: err.Error()}
	var se *ServerError
	if errors.As(err, &se) && se.Server != nil {
		if b, merr := json.Marshal(se.Server); merr == nil && string(b) != "null" {
			exc.Server = b
		}
	}
	b, merr := json.Marshal(exceptionEnvelope{Exception: exc})
	if merr != nil {
		// Cannot happen for a string and valid raw JSON; stay parseable.
		b, _ = json.Marshal(exceptionEnvelope{Exception: exceptionBody{DetailMessage: "internal error: " + merr.Error()}})
	}
	return b
}
