package sigv4

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// All client-visible errors of this package are built here, so their codes
// and AWS texts stay consistent and the unsupported schemes live in one place.
// None of them may mention a secret, a signing key or an expected signature.

var (
	// errSigV4a covers AWS4-ECDSA-P256-SHA256 (SigV4a) headers, queries and
	// STREAMING-AWS4-ECDSA-* payloads.
	errSigV4a = s3err.NotImplemented.WithMessage("Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported")

	errOneAuthOnly = s3err.InvalidArgument.WithMessage(
		"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "+
			"Signature query string parameter or the Authorization header should be specified").
		With("ArgumentName", "Authorization")
	errMissingContentSHA = s3err.InvalidRequest.WithMessage(
		"Missing required header for this request: x-amz-content-sha256")
	errNoDate = s3err.AccessDenied.WithMessage(
		"AWS authentication requires a valid Date or x-amz-date header")
	errNotYetValid  = s3err.AccessDenied.WithMessage("Request is not valid yet")
	errBadQuery     = s3err.InvalidURI.WithMessage("Couldn't parse the specified URI: malformed query string.")
	errBodyTooLarge = s3err.EntityTooLarge.WithMessage(
		"The request body exceeds the maximum size of %d bytes for this service.", maxBufferedBody)
	errPresignParams = s3err.AuthorizationQueryMalformed.WithMessage(
		"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, " +
			"X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	errHeaderIncomplete = headerMalformed(
		"the authorization header requires three components: Credential, SignedHeaders, and Signature.")
)

// credential problems are reported with a prefix that depends on where the
// credential came from, as AWS does.
const (
	headerPrefix = "The authorization header is malformed; "
	queryPrefix  = "Error parsing the X-Amz-Credential parameter; "

	reasonCredential = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
	reasonEmptyAKID  = "a non-empty Access Key (AKID) must be provided in the credential."
)

func headerMalformed(reason string) *s3err.Error {
	return s3err.AuthorizationHeaderMalformed.WithMessage("%s%s", headerPrefix, reason)
}

func queryMalformed(reason string) *s3err.Error {
	return s3err.AuthorizationQueryMalformed.WithMessage("%s", reason)
}

// credentialError reports a bad credential scope in the header or query form.
func credentialError(presigned bool, reason string) *s3err.Error {
	if presigned {
		return queryMalformed(queryPrefix + reason)
	}
	return headerMalformed(reason)
}

func wrongRegion(presigned bool, got, want string) *s3err.Error {
	return credentialError(presigned,
		fmt.Sprintf("the region '%s' is wrong; expecting '%s'", got, want)).With("Region", want)
}

func wrongCredentialDate(presigned bool, got, want string) *s3err.Error {
	return credentialError(presigned, fmt.Sprintf(
		"Invalid credential date %q. This date is not the same as X-Amz-Date: %q.", got, want))
}

func unsupportedAuthType() *s3err.Error {
	return s3err.InvalidArgument.WithMessage("Unsupported Authorization Type").
		With("ArgumentName", "Authorization")
}

func unsignedHeaders(names string) *s3err.Error {
	return s3err.AccessDenied.WithMessage("There were headers present in the request which were not signed").
		With("HeadersNotSigned", names)
}

func badContentSHA(v string) *s3err.Error {
	return s3err.InvalidArgument.WithMessage(
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "+
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "+
			"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "+
			"or a valid sha256 value.").
		With("ArgumentName", "x-amz-content-sha256").With("ArgumentValue", clip(v))
}

func tooSkewed(requestTime string, now time.Time, maxSkew time.Duration) *s3err.Error {
	return s3err.RequestTimeTooSkewed.
		With("RequestTime", clip(requestTime)).
		With("ServerTime", now.UTC().Format(time.RFC3339)).
		With("MaxAllowedSkewMilliseconds", strconv.FormatInt(maxSkew.Milliseconds(), 10))
}

func expired(expires int64, at, now time.Time) *s3err.Error {
	return s3err.ExpiredPresign.
		With("X-Amz-Expires", strconv.FormatInt(expires, 10)).
		With("Expires", at.UTC().Format(time.RFC3339)).
		With("ServerTime", now.UTC().Format(time.RFC3339))
}

// badChunk reports malformed aws-chunked framing. In signed modes the
// framing is part of what the signatures protect, so AWS answers
// SignatureDoesNotMatch; an unsigned stream can only be an invalid request.
func badChunk(signed bool, what string) *s3err.Error {
	if signed {
		return s3err.SignatureDoesNotMatch.Wrap(errors.New("aws-chunked: " + what))
	}
	return s3err.InvalidRequest.WithMessage("Invalid aws-chunked encoding: %s", what)
}

// badTrailer reports a trailing header the client did not announce in
// x-amz-trailer, or an announced one that never came.
func badTrailer(format string, args ...any) *s3err.Error {
	return s3err.InvalidRequest.WithMessage(format, args...)
}

// incomplete reports a body that ended early or carried more or fewer bytes
// than declared.
func incomplete(header string, cause error) *s3err.Error {
	e := s3err.IncompleteBody
	if header != "" {
		e = e.WithMessage("You did not provide the number of bytes specified by the %s HTTP header.", header)
	}
	if cause != nil {
		e = e.Wrap(cause)
	}
	return e
}

// readError turns a failure of the underlying body into an S3 error. A
// connection that ends before Content-Length (io.ErrUnexpectedEOF from
// net/http) or any other transport failure means the body is incomplete.
func readError(err error) error {
	var s3e *s3err.Error
	var maxErr *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &s3e):
		return err
	case errors.As(err, &maxErr):
		return s3err.EntityTooLarge.Wrap(err)
	case err == io.EOF:
		return incomplete("", nil)
	default:
		return incomplete("", err)
	}
}

// clip bounds client-supplied text echoed back in an error body.
func clip(s string) string {
	const max = 256
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
