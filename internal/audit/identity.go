package audit

import (
	"strings"

	"github.com/kurastore/kura"
)

// UserIdentityOf is CloudTrail's userIdentity for a call by p arriving
// through src: the one place S3, KMS, IAM/STS and lifecycle events name
// their principal. An anonymous caller is CloudTrail's anonymous account;
// a call made by a service for p (SSE-KMS through S3, lifecycle, a KMS
// rotation) names the service in InvokedBy. A principal whose Type is not
// set (test fixtures, older callers) has it derived from its ARN.
func UserIdentityOf(p kura.Principal, src kura.Source) UserIdentity {
	if p.IsAnonymous() {
		return UserIdentity{Type: "AWSAccount", AccountID: "anonymous"}
	}
	u := UserIdentity{Type: p.Type, PrincipalID: p.PrincipalID, ARN: p.ARN, AccountID: p.AccountID,
		AccessKeyID: p.AccessKeyID, UserName: p.UserName, InvokedBy: src.InvokedBy}
	if u.Type != "" {
		return u
	}
	u.Type = "Unknown"
	_, res, _ := strings.Cut(p.ARN, ":"+p.AccountID+":")
	switch {
	case res == "root":
		u.Type, u.PrincipalID = kura.PrincipalRoot, p.AccountID
	case strings.HasPrefix(res, "user/"):
		u.Type, u.UserName = kura.PrincipalIAMUser, res[strings.LastIndexByte(res, '/')+1:]
	case strings.HasPrefix(res, "assumed-role/"):
		u.Type = kura.PrincipalAssumedRole
	}
	return u
}
