package store

import "fmt"

// kindError is an error whose message is for people and whose kind (a sentinel like ErrUnusable) is for
// code: errors.Is matches the kind, which picks the exit code, and the kind's own words never appear in
// the message.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Errorf returns an error of the given kind with a formatted message (no %w: the kind is the wrapped error).
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
