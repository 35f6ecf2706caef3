package wire

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openbaton-docker/obdocker/pop"
)

// codeTable is the one mapping between error classes and status codes. Both
// directions read it, so a class survives the round trip unchanged.
var codeTable = []struct {
	class error
	code  codes.Code
}{
	{pop.ErrNotFound, codes.NotFound},
	{pop.ErrAlreadyExists, codes.AlreadyExists},
	{pop.ErrInvalidState, codes.FailedPrecondition},
	{pop.ErrInvalidArgument, codes.InvalidArgument},
	{pop.ErrExhausted, codes.ResourceExhausted},
	{pop.ErrUnavailable, codes.Unavailable},
	{pop.ErrUnauthenticated, codes.Unauthenticated},
	{pop.ErrInternal, codes.Internal},
}

// Code is the status code of err's class. Context errors keep their own
// codes so a caller that gave up sees why.
func Code(err error) codes.Code {
	switch {
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	}
	class := pop.Class(err)
	for _, e := range codeTable {
		if e.class == class {
			return e.code
		}
	}
	return codes.Internal
}

// Class is the error class of a status code; codes outside the table are
// internal errors, except that transport-level codes mean "unavailable".
func Class(c codes.Code) error {
	for _, e := range codeTable {
		if e.code == c {
			return e.class
		}
	}
	switch c {
	case codes.PermissionDenied:
		return pop.ErrUnauthenticated
	case codes.Aborted:
		return pop.ErrUnavailable
	}
	return pop.ErrInternal
}

// ToStatus turns a domain error into a status error with its message intact.
// A nil error stays nil; an error that already is a status passes through.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !hasClass(err) {
		return err
	}
	return status.Error(Code(err), err.Error())
}

// hasClass reports whether err carries one of the pop classes.
func hasClass(err error) bool {
	for _, e := range codeTable {
		if errors.Is(err, e.class) {
			return true
		}
	}
	return false
}

// FromStatus turns an error from a call back into a domain error. ctx is the
// call's context: when it ended, its error is kept in the chain so callers
// can test errors.Is(err, context.DeadlineExceeded).
func FromStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		if hasClass(err) {
			return err // already a domain error (e.g. from reading a local archive)
		}
		return pop.Wrap(pop.ErrInternal, err, "pop call")
	}
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded:
		if ctxErr := ctx.Err(); ctxErr != nil {
			return pop.Wrap(pop.ErrUnavailable, ctxErr, "%s", st.Message())
		}
		return pop.Errorf(pop.ErrUnavailable, "%s", st.Message())
	}
	return pop.Errorf(Class(st.Code()), "%s", st.Message())
}
