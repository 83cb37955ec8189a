package iam

import (
	"strings"
	"time"
)

// Account is a Kura account: an isolated owner of buckets, KMS keys, IAM
// users, roles and policies, like an AWS account.
type Account struct {
	ID          string    `json:"id"` // 12 digits
	Name        string    `json:"name"`
	Email       string    `json:"email,omitempty"`
	CanonicalID string    `json:"canon"` // S3 canonical user id: 64 hex unless given
	DisplayName string    `json:"display"`
	Created     time.Time `json:"created"`
}

// Tag is a key-value tag of a user, role or policy.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// User is an IAM user.
type User struct {
	Path     string    `json:"path"`
	UserName string    `json:"name"`
	UserID   string    `json:"id"` // AIDA…
	ARN      string    `json:"arn"`
	Created  time.Time `json:"created"`
	Tags     []Tag     `json:"tags,omitempty"`
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a long-term access key of a user or of an account's root
// (UserName ""). Secret is set only when the key is created.
type AccessKey struct {
	AccessKeyID string
	Secret      string
	UserName    string
	Status      string
	Created     time.Time
}

// Role is an IAM role. TrustPolicy is the AssumeRolePolicyDocument.
type Role struct {
	Path               string    `json:"path"`
	RoleName           string    `json:"name"`
	RoleID             string    `json:"id"` // AROA…
	ARN                string    `json:"arn"`
	Created            time.Time `json:"created"`
	TrustPolicy        string    `json:"trust"`
	Description        string    `json:"desc,omitempty"`
	MaxSessionDuration int       `json:"maxSession"` // seconds
	Tags               []Tag     `json:"tags,omitempty"`
}

// ManagedPolicy is a customer managed policy. Kura keeps one version, v1.
type ManagedPolicy struct {
	PolicyName       string    `json:"name"`
	PolicyID         string    `json:"id"` // ANPA…
	ARN              string    `json:"arn"`
	Path             string    `json:"path"`
	DefaultVersionID string    `json:"version"`
	AttachmentCount  int       `json:"attached"`
	Description      string    `json:"desc,omitempty"`
	Created          time.Time `json:"created"`
	Updated          time.Time `json:"updated"`
	Tags             []Tag     `json:"tags,omitempty"`
	Document         string    `json:"doc"`
}

// AttachedPolicy names a managed policy attached to a user or role.
type AttachedPolicy struct {
	PolicyName string
	PolicyARN  string
}

// Credentials are temporary credentials from AssumeRole.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// The stored records (meta.Encode JSON; field names are the on-disk format,
// docs/formats.md "IAM records").

type accountRecord struct {
	Account
	// RootKeys are the ids of the root user's access keys in iam_keys. The
	// first account's configured root key is not among them: it lives in
	// root-credentials.json or the environment.
	RootKeys []string `json:"rootKeys,omitempty"`
}

type userRecord struct {
	User
	Policies map[string]string `json:"policies,omitempty"` // inline policy name → document
	Attached []string          `json:"attached,omitempty"` // managed policy ARNs, in attach order
	Keys     []string          `json:"keys,omitempty"`     // access key ids
}

type roleRecord struct {
	Role
	Policies map[string]string `json:"policies,omitempty"`
	Attached []string          `json:"attached,omitempty"`
}

type keyRecord struct {
	ID       string    `json:"id"`
	Account  string    `json:"acct"`
	UserName string    `json:"user,omitempty"` // "" for the root user
	Status   string    `json:"status"`
	Created  time.Time `json:"created"`
	Sealed   []byte    `json:"sealed"` // secret, sse.SealWithKey(kek, secret, keyAAD(id))
}

type sessionRecord struct {
	ID          string    `json:"id"` // ASIA…
	Account     string    `json:"acct"`
	RoleARN     string    `json:"role"`
	RoleID      string    `json:"roleId"`
	RoleName    string    `json:"roleName"`
	SessionName string    `json:"session"`
	Issuer      string    `json:"issuer"` // ARN of the principal that called AssumeRole
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
	Sealed      []byte    `json:"sealed"`           // secret, sealed like an access key's
	TokenHash   []byte    `json:"tokenHash"`        // SHA-256 of the session token
	Policy      string    `json:"policy,omitempty"` // inline session policy, if any
	PolicyARNs  []string  `json:"policyArns,omitempty"`
}

// nameKey is the key of a user, role or policy: IAM names are unique per
// account regardless of case.
func nameKey(account, name string) []byte {
	return []byte(account + "\x00" + strings.ToLower(name))
}

func accountPrefix(account string) []byte { return []byte(account + "\x00") }
