// Package kms is Kura's built-in key management service: symmetric KMS keys
// owned by accounts, their aliases, key policies, tags, key states, key
// material rotation, the AWS managed key aws/s3, the cryptographic
// operations (Encrypt, Decrypt, GenerateDataKey, ReEncrypt) and the AWS KMS
// JSON 1.1 API (API) that exposes all of it to AWS SDKs and the CLI.
//
// Service is the domain layer; S3's envelope (sse.Envelope) calls it for
// SSE-KMS through sse.KeyService (envelope.go), with a caller whose
// InvokedBy is "s3.amazonaws.com". Every operation, successful
// or not, appends one CloudTrail-shaped event to the audit log. Every error
// it returns is an *Error carrying the AWS KMS exception name and HTTP
// status, so the S3 layer can surface it as "KMS.<Type>".
//
// kms must never write or log key material or data in the clear: key
// material exists in plaintext only in memory, is stored only sealed under a
// KEK derived from the root key, and neither plaintext nor ciphertext (nor
// any data key) ever reaches the metadata store, an audit event, a log line
// or an error message. Every use of a key is authorized by its key policy
// and, where the key policy delegates to the caller's account, the caller's
// identity policies (authz.go).
package kms
