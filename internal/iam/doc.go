// Package iam provides Kura's accounts, IAM and STS: accounts (12-digit id,
// name, email, S3 canonical user id, display name) and their root access
// keys, IAM users and their access keys, roles with trust policies,
// inline and customer managed identity policies, and STS sessions
// (AssumeRole) — all kept in the metadata store — plus the IAM and STS
// query APIs (API) that expose them to AWS SDKs and the CLI on the S3
// listener.
//
// # What the rest of the server uses
//
//   - Service.SecretFor(accessKey) returns the secret for SigV4
//     verification (sigv4.Verifier.Lookup); unknown and inactive keys are
//     s3err.InvalidAccessKeyID.
//   - Service.Authenticate(ctx, accessKey, sessionToken) maps a verified key
//     and its X-Amz-Security-Token to a Principal (Root, IAMUser,
//     AssumedRole). Session keys need their token; errors are the S3 ones
//     (InvalidAccessKeyId, InvalidToken, ExpiredToken).
//   - Service.PoliciesFor(ctx, principal) returns the identity policy
//     documents that apply (user: inline then attached; session: its role's;
//     root: none); Service.SessionPolicies the session policies of a role
//     session. Nothing here evaluates them: that is the policy engine's job.
//   - Service.Account, AccountByCanonicalID, AccountByEmail and Accounts
//     look accounts up (for bucket owners, ACL grantees).
//   - Service.AssumeRoleAsService(ctx, roleARN, service) lets S3 features
//     (replication, Batch Operations) act through a role that trusts
//     s3.amazonaws.com or batchoperations.s3.amazonaws.com, in process only.
//   - API.Serve handles an authenticated IAM or STS request (the SigV4
//     scope's service is "iam" or "sts"); API.WriteError renders an
//     authentication failure of such a request in their error format.
//
// The first account is the deployment's: its id and root key pair come from
// the server's root credentials (root-credentials.json or the environment)
// and that key pair is never stored here. Its root alone may use Kura's
// account administration actions (KuraCreateAccount, KuraListAccounts),
// documented in docs/architecture.md. API.authorize decides every other IAM
// request with the caller's identity policies (an account's root may do
// anything in its own account).
//
// iam must never write a secret access key, session secret or session
// token in the clear: secrets are stored sealed under a KEK derived from
// the root key and bound to their access key id, tokens only as SHA-256
// hashes, and none of them reaches a log line or an error message. A
// secret leaves the package only in SecretFor's result (for signature
// verification) and once, in the response that creates it.
package iam
