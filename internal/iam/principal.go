package iam

import "strings"

// Known service principals: a role whose trust policy allows one of them can
// be assumed by that service inside Kura (AssumeRoleAsService).
const (
	ServiceS3         = "s3.amazonaws.com"
	ServiceBatchOps   = "batchoperations.s3.amazonaws.com"
	servicePrincipals = ServiceS3 + " " + ServiceBatchOps
)

// RootARN is the ARN of an account's root user.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// UserARN is the ARN of a user; path is "/" or "/a/b/".
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + path + name
}

// RoleARN is the ARN of a role.
func RoleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + path + name
}

// PolicyARN is the ARN of a customer managed policy.
func PolicyARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + path + name
}

// AssumedRoleARN is the ARN of a role session. It has no path.
func AssumedRoleARN(account, roleName, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session
}

// parsedARN is an IAM ARN split into its parts: arn:aws:iam::ACCT:kind/path/name.
type parsedARN struct {
	Service, Account, Kind, Path, Name string
}

// parseARN splits an IAM or STS ARN. ok is false for anything else.
func parseARN(arn string) (p parsedARN, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[3] != "" {
		return p, false
	}
	p.Service, p.Account = parts[2], parts[4]
	res := parts[5]
	if res == "root" {
		p.Kind = "root"
		return p, p.Service == "iam"
	}
	kind, rest, found := strings.Cut(res, "/")
	if !found || rest == "" {
		return p, false
	}
	p.Kind = kind
	i := strings.LastIndexByte(rest, '/')
	p.Path, p.Name = "/"+rest[:i+1], rest[i+1:]
	if i < 0 {
		p.Path = "/"
	}
	return p, p.Name != "" && (p.Service == "iam" || p.Service == "sts")
}
