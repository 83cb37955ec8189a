package kms

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/kurastore/kura"
)

// Exception names (the "__type" of an AWS KMS error). The S3 layer surfaces
// them prefixed with "KMS.".
const (
	AccessDeniedException            = "AccessDeniedException"
	AlreadyExistsException           = "AlreadyExistsException"
	ConflictException                = "ConflictException"
	DisabledException                = "DisabledException"
	DryRunOperationException         = "DryRunOperationException"
	IncorrectKeyException            = "IncorrectKeyException"
	InvalidAliasNameException        = "InvalidAliasNameException"
	InvalidArnException              = "InvalidArnException"
	InvalidCiphertextException       = "InvalidCiphertextException"
	InvalidKeyUsageException         = "InvalidKeyUsageException"
	InvalidMarkerException           = "InvalidMarkerException"
	InvalidSignatureException        = "InvalidSignatureException"
	KMSInternalException             = "KMSInternalException"
	KMSInvalidStateException         = "KMSInvalidStateException"
	LimitExceededException           = "LimitExceededException"
	MalformedPolicyDocumentException = "MalformedPolicyDocumentException"
	NotFoundException                = "NotFoundException"
	SerializationException           = "SerializationException"
	TagException                     = "TagException"
	UnknownOperationException        = "UnknownOperationException"
	UnsupportedOperationException    = "UnsupportedOperationException"
	ValidationException              = "ValidationException"
)

// Error is an AWS KMS error: the exception name (Type), the message the
// client sees and the HTTP status of the JSON error response. Internal
// causes are kept for logs and errors.Is, never shown to clients.
type Error struct {
	Type    string
	Message string
	Status  int
	cause   error
	early   bool // raised by API before the service ran, so not audited yet
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// IsType reports whether err is (or wraps) an *Error of the given type.
func IsType(err error, typ string) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == typ
}

// statusOf is the HTTP status of each exception: 400 for everything a client
// caused (AccessDeniedException included, as real KMS does), 404 for an
// unknown operation, 412 for a dry run, 500 only for internal failures.
func statusOf(typ string) int {
	switch typ {
	case KMSInternalException:
		return http.StatusInternalServerError
	case UnknownOperationException:
		return http.StatusNotFound
	case DryRunOperationException:
		return http.StatusPreconditionFailed
	}
	return http.StatusBadRequest
}

func newError(typ, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Type: typ, Message: msg, Status: statusOf(typ)}
}

// internalError hides cause from the client but keeps it for logs.
func internalError(cause error) *Error {
	return &Error{Type: KMSInternalException, Message: "An internal error occurred.",
		Status: http.StatusInternalServerError, cause: cause}
}

// asError turns any error into an *Error; anything that is not already one
// is an internal failure.
func asError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internalError(err)
}

func errKeyNotFound(keyARN string) *Error {
	return newError(NotFoundException, "Key '%s' does not exist", keyARN)
}

func errInvalidKeyID(id string) *Error {
	return newError(NotFoundException, "Invalid keyId '%s'", id)
}

func errAliasNotFound(aliasARN string) *Error {
	return newError(NotFoundException, "Alias %s is not found.", aliasARN)
}

func errDisabled(keyARN string) *Error {
	return newError(DisabledException, "%s is disabled.", keyARN)
}

func errPendingDeletion(keyARN string) *Error {
	return newError(KMSInvalidStateException, "%s is pending deletion.", keyARN)
}

func errNotPendingDeletion(keyARN string) *Error {
	return newError(KMSInvalidStateException, "%s is not pending deletion.", keyARN)
}

// errInvalidCiphertext is deliberately uninformative: which check failed
// (framing, unknown key or material, tag, encryption context) is not told.
func errInvalidCiphertext() *Error {
	return newError(InvalidCiphertextException, "The ciphertext is invalid or does not match the encryption context.")
}

func errAccessDenied(c kura.Call, action, keyARN string) *Error {
	return newError(AccessDeniedException,
		"User: %s is not authorized to perform: kms:%s on resource: %s because no resource-based policy allows the kms:%s action",
		c.Principal.ARN, action, keyARN, action)
}

func errValidation(format string, args ...any) *Error {
	return newError(ValidationException, format, args...)
}
