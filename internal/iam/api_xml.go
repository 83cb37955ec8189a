package iam

// XML shapes of the query API's results (botocore's iam and sts models).
// Lists are <member> elements.

// list is a list element: always present, even when empty, as IAM sends
// it (botocore leaves absent lists out of the parsed response).
type list[T any] struct {
	Member []T `xml:"member"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// tagsXML is a Tags list, or nil (no element) when there are none.
func tagsXML(tags []Tag) *list[tagXML] {
	if len(tags) == 0 {
		return nil
	}
	out := &list[tagXML]{}
	for _, t := range tags {
		out.Member = append(out.Member, tagXML(t))
	}
	return out
}

type userXML struct {
	Path       string        `xml:"Path,omitempty"`
	UserName   string        `xml:"UserName,omitempty"`
	UserID     string        `xml:"UserId"`
	ARN        string        `xml:"Arn"`
	CreateDate string        `xml:"CreateDate"`
	Tags       *list[tagXML] `xml:"Tags,omitempty"`
}

func toUserXML(u *User) userXML {
	return userXML{Path: u.Path, UserName: u.UserName, UserID: u.UserID, ARN: u.ARN, CreateDate: isoTime(u.Created), Tags: tagsXML(u.Tags)}
}

type roleXML struct {
	Path               string        `xml:"Path"`
	RoleName           string        `xml:"RoleName"`
	RoleID             string        `xml:"RoleId"`
	ARN                string        `xml:"Arn"`
	CreateDate         string        `xml:"CreateDate"`
	TrustPolicy        string        `xml:"AssumeRolePolicyDocument"`
	Description        string        `xml:"Description,omitempty"`
	MaxSessionDuration int           `xml:"MaxSessionDuration"`
	Tags               *list[tagXML] `xml:"Tags,omitempty"`
}

func toRoleXML(r *Role) roleXML {
	return roleXML{Path: r.Path, RoleName: r.RoleName, RoleID: r.RoleID, ARN: r.ARN, CreateDate: isoTime(r.Created),
		TrustPolicy: encodeDoc(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration,
		Tags: tagsXML(r.Tags)}
}

type policyXML struct {
	PolicyName       string        `xml:"PolicyName"`
	PolicyID         string        `xml:"PolicyId"`
	ARN              string        `xml:"Arn"`
	Path             string        `xml:"Path"`
	DefaultVersionID string        `xml:"DefaultVersionId"`
	AttachmentCount  int           `xml:"AttachmentCount"`
	BoundaryUsage    int           `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable     bool          `xml:"IsAttachable"`
	Description      string        `xml:"Description,omitempty"`
	CreateDate       string        `xml:"CreateDate"`
	UpdateDate       string        `xml:"UpdateDate"`
	Tags             *list[tagXML] `xml:"Tags,omitempty"`
}

func toPolicyXML(p *ManagedPolicy) policyXML {
	return policyXML{PolicyName: p.PolicyName, PolicyID: p.PolicyID, ARN: p.ARN, Path: p.Path,
		DefaultVersionID: p.DefaultVersionID, AttachmentCount: p.AttachmentCount, IsAttachable: true,
		Description: p.Description, CreateDate: isoTime(p.Created), UpdateDate: isoTime(p.Updated), Tags: tagsXML(p.Tags)}
}

type accessKeyXML struct {
	UserName        string `xml:"UserName"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyARN  string `xml:"PolicyArn"`
}

type accountXML struct {
	AccountID   string `xml:"AccountId"`
	Name        string `xml:"AccountName"`
	Email       string `xml:"Email,omitempty"`
	CanonicalID string `xml:"CanonicalId"`
	DisplayName string `xml:"DisplayName"`
	CreateDate  string `xml:"CreateDate"`
}

func toAccountXML(a *Account) accountXML {
	return accountXML{AccountID: a.ID, Name: a.Name, Email: a.Email, CanonicalID: a.CanonicalID,
		DisplayName: a.DisplayName, CreateDate: isoTime(a.Created)}
}

// Results, one per action with output.

type userResult struct {
	User userXML `xml:"User"`
}

type listUsersResult struct {
	Users       list[userXML] `xml:"Users"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

type accessKeyResult struct {
	AccessKey accessKeyXML `xml:"AccessKey"`
}

type listAccessKeysResult struct {
	Keys        list[accessKeyXML] `xml:"AccessKeyMetadata"`
	IsTruncated bool               `xml:"IsTruncated"`
	Marker      string             `xml:"Marker,omitempty"`
}

type userPolicyResult struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type rolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type policyNamesResult struct {
	PolicyNames list[string] `xml:"PolicyNames"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

type listRolesResult struct {
	Roles       list[roleXML] `xml:"Roles"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

type listPoliciesResult struct {
	Policies    list[policyXML] `xml:"Policies"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

type policyVersionResult struct {
	Version struct {
		Document         string `xml:"Document"`
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool   `xml:"IsDefaultVersion"`
		CreateDate       string `xml:"CreateDate"`
	} `xml:"PolicyVersion"`
}

type attachedPoliciesResult struct {
	Policies    list[attachedPolicyXML] `xml:"AttachedPolicies"`
	IsTruncated bool                    `xml:"IsTruncated"`
	Marker      string                  `xml:"Marker,omitempty"`
}

type oidcProvidersResult struct {
	Providers list[struct {
		ARN string `xml:"Arn"`
	}] `xml:"OpenIDConnectProviderList"`
}

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	ARN     string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		ARN           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
	PackedPolicySize *int `xml:"PackedPolicySize,omitempty"`
}

type createAccountResult struct {
	Account   accountXML `xml:"Account"`
	AccessKey struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
	} `xml:"AccessKey"`
}

type listAccountsResult struct {
	Accounts list[accountXML] `xml:"Accounts"`
}
