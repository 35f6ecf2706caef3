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
func DecodeRequest(body []byte) (Request, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Request{}, fmt.Errorf("%w: empty body", ErrMalformedRequest)
	}
	if !json.Valid(trimmed) {
		return Request{}, fmt.Errorf("%w: body is not JSON", ErrMalformedRequest)
	}
	if trimmed[0] != '{' {
		return Request{}, fmt.Errorf("%w: body is JSON but not an object", ErrMalformedRequest)
	}
	var raw struct {
		MethodName json.RawMessage `json:"methodName"`
		Parameters json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrMalformedRequest, err)
	}
	var req Request
	if len(raw.MethodName) == 0 || string(raw.MethodName) == "null" {
		return Request{}, fmt.Errorf("%w: no methodName", ErrMalformedRequest)
	}
	if err := json.Unmarshal(raw.MethodName, &req.MethodName); err != nil {
		return Request{}, fmt.Errorf("%w: methodName is not a string", ErrMalformedRequest)
	}
	if req.MethodName == "" {
		return Request{}, fmt.Errorf("%w: methodName is empty", ErrMalformedRequest)
	}
	if len(raw.Parameters) == 0 || string(raw.Parameters) == "null" {
		req.Parameters = Params{}
		return req, nil
	}
	var params []json.RawMessage
	if err := json.Unmarshal(raw.Parameters, &params); err != nil {
		return Request{}, fmt.Errorf("%w: parameters is not an array", ErrMalformedRequest)
	}
	req.Parameters = make(Params, len(params))
	for i, p := range params {
		if len(p) == 0 {
			// encoding/json hands RawMessage the literal null; keep it
			// explicit whatever the decoder does.
			p = json.RawMessage("null")
		}
		req.Parameters[i] = p
	}
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
