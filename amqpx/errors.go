package amqpx

import (
	"errors"
	"net/url"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrClosed is returned by a supervisor or server used after Close.
var ErrClosed = errors.New("amqpx: closed")

// ErrAccessRefused is the class of errors where the broker refused the
// credentials or the vhost (AMQP 403). Redialling with the same
// credentials cannot help, so supervisors stop on it and report it.
var ErrAccessRefused = errors.New("amqpx: access refused")

type accessRefusedError struct{ err error }

func (e *accessRefusedError) Error() string { return e.err.Error() }
func (e *accessRefusedError) Unwrap() []error {
	return []error{ErrAccessRefused, e.err}
}

// IsAccessRefused reports whether err is an AMQP 403 from the broker (bad
// credentials, no access to the vhost, or a denied operation).
func IsAccessRefused(err error) bool {
	if errors.Is(err, ErrAccessRefused) {
		return true
	}
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.AccessRefused
}

// Redact returns rawURL with its password replaced, for logs. An unparsable
// URL is replaced entirely, since it might still contain a password.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable url>"
	}
	return u.Redacted()
}
