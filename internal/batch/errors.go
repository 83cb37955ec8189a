package batch

import "github.com/kurastore/kura/internal/s3err"

// The errors of the S3 Control job API, as its model names them
// (ErrBadRequest is the model's BadRequestException, for the wire front's
// refusals of requests it cannot parse). S3
// Control answers NotFoundException with 400, not 404 (the model's
// httpStatusCode; see /work/shared/spec/SPEC.md §4.1).
var (
	ErrNotFound    = &s3err.Error{Code: "NotFoundException", Status: 400, Message: "The specified job was not found."}
	ErrBadRequest  = &s3err.Error{Code: "BadRequestException", Status: 400, Message: "The request is not valid."}
	ErrIdempotency = &s3err.Error{Code: "IdempotencyException", Status: 400, Message: "A job was already created with this ClientRequestToken and different parameters. Use a new token for a different job."}
	ErrJobStatus   = &s3err.Error{Code: "JobStatusException", Status: 400, Message: "The job's status does not allow this change."}
	ErrInvalidReq  = &s3err.Error{Code: "InvalidRequestException", Status: 400, Message: "The request is not valid."}
	ErrNextToken   = &s3err.Error{Code: "InvalidNextTokenException", Status: 400, Message: "The continuation token provided is invalid."}
	ErrTooManyTags = &s3err.Error{Code: "TooManyTagsException", Status: 400, Message: "A job can have at most 50 tags."}
	ErrInternal    = &s3err.Error{Code: "InternalServiceException", Status: 500, Message: "We encountered an internal error. Please try again."}
)

// badRequest is InvalidRequest (what S3 Control answers a CreateJob it
// cannot run) with a message that says what to change.
func badRequest(format string, args ...any) error {
	return s3err.InvalidRequest.WithMessage(format, args...)
}
