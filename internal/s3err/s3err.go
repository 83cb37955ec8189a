// Package s3err is the single vocabulary of S3-facing errors: every error a
// client can see is an *Error carrying its S3 code, HTTP status and message.
// Domain code returns these (or wraps them); the HTTP layer is the only place
// that turns them into XML.
package s3err

import (
	"errors"
	"fmt"
)

// Error is an S3 error response. Extra holds additional elements S3 puts in
// the <Error> body (ArgumentName, BucketName, StorageClass, ...), in order.
type Error struct {
	Code    string
	Message string
	Status  int
	Extra   []Field
	// Header holds response headers that travel with the error
	// (x-amz-delete-marker, Last-Modified, ...), in order, named as set.
	Header []Field
	// cause is an internal error kept for logs, never shown to clients.
	cause error
}

// Field is one extra element of an S3 error body.
type Field struct{ Name, Value string }

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// With returns a copy of e with an extra body element.
func (e *Error) With(name, value string) *Error {
	c := *e
	c.Extra = append(append([]Field(nil), e.Extra...), Field{name, value})
	return &c
}

// WithMessage returns a copy of e with a different message.
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// WithHeader returns a copy of e that sets a response header.
func (e *Error) WithHeader(k, v string) *Error {
	c := *e
	c.Header = append([]Field(nil), e.Header...)
	for i, f := range c.Header {
		if f.Name == k {
			c.Header[i].Value = v
			return &c
		}
	}
	c.Header = append(c.Header, Field{k, v})
	return &c
}

// Wrap returns a copy of e that keeps cause for logs.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// As finds the S3 error in err's chain; any other error becomes InternalError.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalError.Wrap(err)
}

// Internal is err as a domain function returns it: nil stays nil, an
// error that carries an *Error (wrapped or not) is returned unchanged, and
// anything else becomes InternalError keeping err for the logs.
func Internal(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return InternalError.Wrap(err)
}

// Is reports whether err is an S3 error with the given code.
func Is(err error, target *Error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == target.Code
}

func def(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}
