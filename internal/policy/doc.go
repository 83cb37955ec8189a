// Package policy parses and evaluates AWS access policies: IAM identity
// policies, session policies, S3 bucket policies, KMS key policies and role
// trust policies. It is pure: no I/O, no clock, no logging, no global
// state. It must never grant what AWS would deny; where AWS behaviour is
// unclear it errs towards denying.
//
// # Parsing
//
// Parse validates a document the way IAM, S3 and KMS do when it is stored
// (PutUserPolicy, PutBucketPolicy, PutKeyPolicy, CreateRole) and compiles
// it for fast evaluation. The Kind decides the shape:
//
//	Identity  user/group/role policies and session policies: no Principal
//	Resource  bucket and key policies: Principal or NotPrincipal required
//	Trust     role trust policies: Principal required, no Resource
//
// A rejected document is an *Error whose message is worded like AWS's
// ("Policy document should not specify a principal.", "Missing required
// field Principal", "Invalid principal in policy", ...), ready to be sent
// as MalformedPolicyDocument (IAM, KMS) or MalformedPolicy (S3). Parse does
// not check that Resource values are ARNs of the bucket or key the policy
// is attached to; S3 and KMS do that themselves.
//
// Parse once when a policy is stored or loaded and keep the *Document: it
// is immutable and safe for concurrent use.
//
// # Deciding
//
// Per request, fill an Input and call Decide:
//
//	in := &policy.Input{
//		Request: policy.Request{
//			Principal: policy.Principal{AccountID: acct, ARN: userARN},
//			Action:    "s3:PutObject",
//			Resource:  "arn:aws:s3:::" + bucket + "/" + key,
//			Context: map[string][]string{
//				"s3:x-amz-server-side-encryption": {"AES256"}, // only if the header was sent
//				"aws:SecureTransport":             {"true"},
//				"aws:SourceIp":                    {clientIP},
//			},
//		},
//		ResourceAccount: bucketOwner,
//		Identity:        userPolicies, // user inline + managed + groups', or the role's
//		Resource:        bucketPolicy, // nil if the bucket has none
//	}
//	d := policy.Decide(in)
//	if !d.Allowed {
//		msg := d.Message(userARN, in.Action, in.Resource, policy.QuotedResource)
//		// → 403 AccessDenied with msg
//	}
//
// Put a condition key into Context only when the request really carries it:
// absence is meaningful (StringNotEquals holds, Null "true" holds). Key
// names are case-insensitive. aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalType, aws:username and aws:PrincipalServiceName are derived
// from Principal unless Context sets them; everything else (aws:SourceIp,
// aws:SecureTransport, aws:CurrentTime, aws:userid, s3:*, kms:*) is the
// caller's to supply.
//
// For a role session set Principal.ARN to the assumed-role session ARN and
// Principal.RoleARN to the role ARN, Identity to the role's policies and
// Session to the policies passed to AssumeRole. For the account's root
// user set IsRoot. For AWS services acting on their own (replication) set
// Principal.Service. For anonymous requests set Principal.Anonymous.
//
// For KMS set Resource to the key policy and KeyPolicy to true. When S3
// calls KMS on a user's behalf, evaluate the user (not S3) with
// kms:ViaService = s3.<region>.amazonaws.com, kms:CallerAccount and
// kms:EncryptionContext:aws:s3:arn in Context. KMS messages use
// BareResource quoting. Grants are not policies; a KMS caller checks them
// separately when Decide says NoResourceAllow or NoIdentityAllow.
//
// # What is evaluated
//
// Effect, Principal/NotPrincipal ("*", {"AWS": "*"}, account IDs, account
// root ARNs matching every principal of the account, user and role ARNs, a
// role ARN matching its sessions, session ARNs, "Service",
// "CanonicalUser"), Action/NotAction (wildcards, case-insensitive),
// Resource/NotResource (wildcards, case-sensitive, policy variables) and
// every condition operator of SPEC §7.2 with IfExists and
// ForAnyValue:/ForAllValues:. Policy variables (${aws:username},
// ${s3:prefix}, any key in Context, ${key, 'default'}, and the escapes
// ${*} ${?} ${$}) are substituted in Resource and in String and Arn
// condition values of 2012-10-17 documents; a variable with no value
// makes that value match nothing.
//
// Not evaluated: SCPs, RCPs, permission boundaries, KMS grants, ACLs,
// access points, Federated principals (parsed, never matched) and the
// NotPrincipal-with-Deny subtlety that AWS evaluates the caller's account
// and session as separate principals (here NotPrincipal simply excludes
// whatever the same entries would match with Principal).
package policy
