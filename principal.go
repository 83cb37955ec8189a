package kura

import "time"

// Principal types, as CloudTrail's userIdentity.type names them.
const (
	PrincipalRoot        = "Root"
	PrincipalIAMUser     = "IAMUser"
	PrincipalAssumedRole = "AssumedRole"
	// PrincipalAWSService is a service acting for an account through a
	// role (a Batch Operations job, replication, lifecycle): like an
	// assumed role, but with no access key.
	PrincipalAWSService = "AWSService"
	// PrincipalAnonymous is an unsigned request.
	PrincipalAnonymous = "Anonymous"
)

// Principal is who an operation runs for: the one shape S3, KMS, IAM/STS
// and the audit trail share, whether the call came over HTTP or from a job
// inside Kura.
//
//   - Root: the account itself; ARN arn:aws:iam::ACCT:root, PrincipalID
//     the account id.
//   - IAMUser: ARN arn:aws:iam::ACCT:user/path/name, PrincipalID the user
//     id (AIDA…), UserName set.
//   - AssumedRole: a role session; ARN
//     arn:aws:sts::ACCT:assumed-role/role-name/session-name, PrincipalID
//     "AROA…:session-name", RoleARN, SessionName and Expires set.
//   - AWSService: like AssumedRole, with no access key and SessionName the
//     service.
//   - Anonymous: nothing else set.
type Principal struct {
	Type        string
	AccountID   string
	ARN         string
	PrincipalID string
	AccessKeyID string
	UserName    string
	RoleARN     string
	SessionName string
	Expires     time.Time
	// CanonicalID and DisplayName are the account's S3 owner identity.
	CanonicalID string
	DisplayName string
}

// IsRoot reports whether p is an account's root user.
func (p Principal) IsRoot() bool { return p.Type == PrincipalRoot }

// IsAnonymous reports whether p is an unsigned caller.
func (p Principal) IsAnonymous() bool {
	return p.Type == PrincipalAnonymous || p.Type == "" && p.ARN == ""
}

// Source is how a call reached Kura: what condition keys such as
// aws:SourceIp and aws:SecureTransport and the audit event's request
// fields are built from. A call made by Kura itself (a job, replication,
// lifecycle) names the service in InvokedBy and has no IP.
type Source struct {
	IP              string // the client's address, without port
	UserAgent       string
	Referer         string
	SecureTransport bool
	TLSVersion      string // "TLSv1.3"; empty over plain HTTP
	// AuthType is "AuthHeader", "QueryString" (presigned) or "POST"
	// (browser form); SignatureVersion "SigV4" or "SigV2". Both are empty
	// for anonymous calls.
	AuthType         string
	SignatureVersion string
	// InvokedBy names the service that made the call on the principal's
	// behalf ("s3.amazonaws.com", "batchoperations.s3.amazonaws.com");
	// ViaService the service a KMS call went through.
	InvokedBy  string
	ViaService string
	RequestID  string
	Time       time.Time
}

// Call is one operation's caller and origin: everything authorization and
// the audit trail need from outside the operation's own parameters.
type Call struct {
	Principal Principal
	Source    Source
	// SessionPolicy is the inline session policy passed to AssumeRole (its
	// JSON text), which narrows the role's permissions; empty if none.
	SessionPolicy string
	// SessionPolicyARNs are the managed session policies of the session.
	SessionPolicyARNs []string
}
