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

// The grantee groups that make an ACL public.
const (
	GroupAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	GroupAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// ACL permissions.
const (
	PermissionFullControl = "FULL_CONTROL"
	PermissionRead        = "READ"
	PermissionWrite       = "WRITE"
	PermissionReadACP     = "READ_ACP"
	PermissionWriteACP    = "WRITE_ACP"
)

// Object Ownership settings (Bucket.ObjectOwnership).
const (
	BucketOwnerEnforced  = "BucketOwnerEnforced"
	BucketOwnerPreferred = "BucketOwnerPreferred"
	ObjectWriter         = "ObjectWriter"
)

// IsPublic says g gives something to everyone or to every signed caller:
// S3's definition of a public grant.
func (g Grant) IsPublic() bool {
	return g.Type == "Group" && (g.URI == GroupAllUsers || g.URI == GroupAuthenticatedUsers)
}

// ACLsEnabled says b's ACLs (and its objects') count: its Object Ownership
// is not BucketOwnerEnforced. A bucket without ownership controls is
// ObjectWriter.
func (b *Bucket) ACLsEnabled() bool { return b.ObjectOwnership != BucketOwnerEnforced }
