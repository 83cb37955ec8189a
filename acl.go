package kura

// ACL is an S3 access control list: the grants of a bucket or object
// version. Its owner is not part of it (the bucket's or version's Owner).
type ACL struct {
	Grants []Grant
}

// Grant is one ACL grant. Grantees given by email address are resolved to
// their account's canonical id when the ACL is set, as S3 does.
type Grant struct {
	// Type is the grantee's xsi:type: CanonicalUser or Group.
	Type       string
	ID         string // canonical user id (CanonicalUser)
	URI        string // group URI (Group)
	Permission string // FULL_CONTROL, WRITE, WRITE_ACP, READ, READ_ACP
}

// PublicAccessBlock is a bucket's Block Public Access settings, as S3
// names them.
type PublicAccessBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}
