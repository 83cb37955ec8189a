package s3api

import "github.com/kurastore/kura/internal/iam"

// IdentityOf is the Identity of principal p of account a: what the S3
// layer keeps of who a request runs as.
func IdentityOf(p iam.Principal, a *iam.Account) Identity {
	return Identity{AccessKey: p.AccessKeyID, AccountID: p.AccountID, DisplayName: a.DisplayName, ARN: p.ARN,
		CanonicalID: a.CanonicalID, Type: p.Type, PrincipalID: p.PrincipalID, UserName: p.UserName,
		RoleARN: p.RoleARN, SessionName: p.SessionName, Expires: p.Expires}
}

// principal is the request's identity as the IAM API sees it.
func (req *request) principal() iam.Principal {
	id := req.identity
	return iam.Principal{Type: id.Type, AccountID: id.AccountID, ARN: id.ARN, PrincipalID: id.PrincipalID,
		UserName: id.UserName, AccessKeyID: id.AccessKey, RoleARN: id.RoleARN, SessionName: id.SessionName,
		Expires: id.Expires}
}
