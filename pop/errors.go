package pop

import (
	"errors"
	"fmt"
)

// Error classes. Every error a Pop returns wraps exactly one of them, so
// callers (and the gRPC code table) branch with errors.Is, never on text.
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrInvalidState    = errors.New("invalid state")    // gRPC FailedPrecondition
	ErrInvalidArgument = errors.New("invalid argument") // bad name, IP, reference
	ErrExhausted       = errors.New("exhausted")        // no free address or subnet
	ErrUnavailable     = errors.New("unavailable")      // Docker or the store cannot be reached
	ErrUnauthenticated = errors.New("unauthenticated")  // remote Pops only
	ErrInternal        = errors.New("internal error")
)

var classes = []error{ErrNotFound, ErrAlreadyExists, ErrInvalidState, ErrInvalidArgument,
	ErrExhausted, ErrUnavailable, ErrUnauthenticated, ErrInternal}

// classError carries a precise message, its class, and optionally a cause.
type classError struct {
	class error
	msg   string
	cause error
}

func (e *classError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *classError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.class, e.cause}
	}
	return []error{e.class}
}

// Errorf makes an error of class whose message is the formatted text (the
// class name is not repeated in it: the message must say it precisely).
func Errorf(class error, format string, args ...any) error {
	return &classError{class: class, msg: fmt.Sprintf(format, args...)}
}

// Wrap makes an error of class with msg, keeping cause in the chain.
func Wrap(class error, cause error, format string, args ...any) error {
	return &classError{class: class, msg: fmt.Sprintf(format, args...), cause: cause}
}

// Class returns the class of err, or ErrInternal if it has none.
func Class(err error) error {
	for _, c := range classes {
		if errors.Is(err, c) {
			return c
		}
	}
	return ErrInternal
}
