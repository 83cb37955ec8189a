package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// userError is how `kura` prints a failed command's error: an S3, KMS,
// IAM or STS error as "Operation: Code: message (hint)" instead of the
// SDK's dump ("operation error S3: GetObject, https response error
// StatusCode: 404, RequestID: …, api error NoSuchKey: …"), and a
// connection failure with what to check. Anything else is printed as it
// is.
func userError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := err.Error()
		prefix := ""
		if i := strings.Index(msg, "operation error "); i > 0 {
			prefix = msg[:i] // the command's own context ("finding the caller's account …: ")
		}
		op := ""
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			op = oe.Operation() + ": "
		}
		return prefix + op + codeText(ae.ErrorCode(), ae.ErrorMessage())
	}
	var ue *url.Error
	endpoint := ""
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			endpoint = u.Scheme + "://" + u.Host
		}
	}
	var ua x509.UnknownAuthorityError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to %s: connection refused (is `kura server` running there? "+
			"Another server: set AWS_ENDPOINT_URL or give --endpoint)", orWord(endpoint, "the endpoint"))
	case errors.As(err, &ua), strings.Contains(err.Error(), "certificate signed by unknown authority"):
		return fmt.Sprintf("%s: the server's TLS certificate is not trusted (give its CA with --ca-bundle or AWS_CA_BUNDLE; "+
			"kura server --tls-self-signed writes it to DATA/tls/cert.pem)", orWord(endpoint, "TLS"))
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s answers plain HTTP, not HTTPS (use an http:// endpoint, or start kura server with TLS)", orWord(endpoint, "the server"))
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve %s (a virtual-host name such as BUCKET.localhost needs an /etc/hosts entry; "+
			"path-style endpoints like http://127.0.0.1:8420 need none)", dnsErr.Name)
	}
	return err.Error()
}

// codeText is "Code: message (hint)".
func codeText(code, msg string) string {
	text := code
	if msg != "" {
		text += ": " + msg
	}
	if h := codeHint(code, msg); h != "" {
		text += " (" + h + ")"
	}
	return text
}

// codeHint is what to do about an error code, when there is a general
// answer; "" when the message says enough.
func codeHint(code, msg string) string {
	switch code {
	case "AccessDenied", "AccessDeniedException":
		if strings.Contains(msg, "not authorized to perform:") {
			return "" // the message names the missing permission
		}
		return "the server's audit trail names the refused action: kura audit --data DIR --errors --since 10m"
	case "InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId":
		return "the server does not know this access key: check AWS_ACCESS_KEY_ID, AWS_PROFILE or --access-key; kura server prints the root key at its first start"
	case "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSignatureException":
		return "the secret key does not belong to the access key: check AWS_SECRET_ACCESS_KEY or the profile"
	case "RequestTimeTooSkewed":
		return "this machine's clock and the server's differ by more than 15 minutes"
	case "NoSuchBucket":
		return "check the bucket name, or create it: aws s3 mb s3://NAME"
	case "NoSuchKey", "NotFound":
		return "check the bucket, key and --version-id"
	case "NotFoundException":
		return "no such KMS key or alias here: kura kms list-keys"
	case "SlowDown", "ServiceUnavailable", "ThrottlingException":
		return "the server is busy: retry later"
	case "InvalidRequest":
		if strings.Contains(msg, "Customer provided keys must be made over a secure connection") {
			return "use an https:// endpoint; a Kura server for local testing over HTTP accepts SSE-C with --allow-insecure-sse-c"
		}
	case "InternalError", "KMSInternalException":
		return "the server failed: its log says why"
	}
	return ""
}

func orWord(s, w string) string {
	if s == "" {
		return w
	}
	return s
}
