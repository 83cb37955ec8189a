package iam

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// Error codes of the IAM and STS query APIs (the <Code> of an ErrorResponse).
const (
	CodeAccessDenied            = "AccessDenied"
	CodeDeleteConflict          = "DeleteConflict"
	CodeEntityAlreadyExists     = "EntityAlreadyExists"
	CodeInvalidAction           = "InvalidAction"
	CodeInvalidInput            = "InvalidInput"
	CodeLimitExceeded           = "LimitExceeded"
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodeNoSuchEntity            = "NoSuchEntity"
	CodeServiceFailure          = "ServiceFailure"
	CodeServiceUnavailable      = "ServiceUnavailable"
	CodeValidationError         = "ValidationError"
	CodeInvalidClientTokenID    = "InvalidClientTokenId"
	CodeExpiredToken            = "ExpiredToken"
	CodeSignatureDoesNotMatch   = "SignatureDoesNotMatch"
	CodeMissingAction           = "MissingAction"
)

// Error is an IAM or STS error: its code, the message the client sees and
// the HTTP status. Internal causes are kept for logs, never shown.
type Error struct {
	Code    string
	Message string
	Status  int
	cause   error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func (e *Error) Unwrap() error { return e.cause }

// Sender reports whether the client caused the error (<Type>Sender</Type>)
// rather than the service (<Type>Receiver</Type>).
func (e *Error) Sender() bool { return e.Status < 500 }

// IsCode reports whether err is (or wraps) an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// statusOf is AWS's HTTP status for each code (botocore's iam and sts
// models: httpStatusCode of each exception).
func statusOf(code string) int {
	switch code {
	case CodeNoSuchEntity:
		return http.StatusNotFound
	case CodeEntityAlreadyExists, CodeLimitExceeded, CodeDeleteConflict:
		return http.StatusConflict
	case CodeAccessDenied, CodeInvalidClientTokenID, CodeExpiredToken, CodeSignatureDoesNotMatch:
		return http.StatusForbidden
	case CodeServiceFailure:
		return http.StatusInternalServerError
	case CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

func newError(code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: statusOf(code)}
}

// internalError hides cause from the client and keeps it for logs. An
// outage of a store (an error carrying S3's 503, as the PostgreSQL
// metadata store's do while the database is unreachable) is AWS's common
// ServiceUnavailable, 503, which clients retry: not a ServiceFailure.
func internalError(cause error) *Error {
	var se *s3err.Error
	if errors.As(cause, &se) && se.Status == http.StatusServiceUnavailable {
		return &Error{Code: CodeServiceUnavailable, Message: "The request has failed due to a temporary failure of the server. Please try again.",
			Status: http.StatusServiceUnavailable, cause: cause}
	}
	return &Error{Code: CodeServiceFailure, Message: "An internal error occurred. Please try again.",
		Status: http.StatusInternalServerError, cause: cause}
}

// asError turns any error into an *Error; anything that is not one already
// is an internal failure.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internalError(err)
}

func errNoSuchUser(name string) *Error {
	return newError(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
}

func errNoSuchRole(name string) *Error {
	return newError(CodeNoSuchEntity, "The role with name %s cannot be found.", name)
}

func errNoSuchPolicy(arn string) *Error {
	return newError(CodeNoSuchEntity, "Policy %s was not found.", arn)
}

func errNoSuchAccessKey(id string) *Error {
	return newError(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

func errNoSuchAccount(id string) *Error {
	return newError(CodeNoSuchEntity, "The account %s cannot be found.", id)
}

func errValidation(format string, args ...any) *Error {
	return newError(CodeValidationError, format, args...)
}

// errConstraint is the model-validation error AWS reports for a parameter:
// "1 validation error detected: Value 'x' at 'userName' failed to satisfy
// constraint: Member must …".
func errConstraint(field, value, constraint string) *Error {
	v := "'" + value + "'"
	if value == "" {
		v = "null"
	}
	return errValidation("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", v, field, constraint)
}

func errMalformed(format string, args ...any) *Error {
	return newError(CodeMalformedPolicyDocument, format, args...)
}

// errNotAuthorized is AccessDenied in AWS's "enhanced" wording.
func errNotAuthorized(p kura.Principal, action, resource string) *Error {
	return newError(CodeAccessDenied,
		"User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		p.ARN, action, resource, action)
}
