package iam

import (
	"strings"

	"github.com/kurastore/kura"
)

// The IAM actions. Every action acts on the caller's own account.

var iamHandlers = map[string]handler{
	"CreateUser":                 createUser,
	"GetUser":                    getUser,
	"ListUsers":                  listUsers,
	"DeleteUser":                 deleteUser,
	"CreateAccessKey":            createAccessKey,
	"ListAccessKeys":             listAccessKeys,
	"UpdateAccessKey":            updateAccessKey,
	"DeleteAccessKey":            deleteAccessKey,
	"PutUserPolicy":              putUserPolicy,
	"GetUserPolicy":              getUserPolicy,
	"DeleteUserPolicy":           deleteUserPolicy,
	"ListUserPolicies":           listUserPolicies,
	"CreateRole":                 createRole,
	"GetRole":                    getRole,
	"ListRoles":                  listRoles,
	"DeleteRole":                 deleteRole,
	"UpdateAssumeRolePolicy":     updateAssumeRolePolicy,
	"PutRolePolicy":              putRolePolicy,
	"GetRolePolicy":              getRolePolicy,
	"DeleteRolePolicy":           deleteRolePolicy,
	"ListRolePolicies":           listRolePolicies,
	"CreatePolicy":               createPolicy,
	"GetPolicy":                  getPolicy,
	"GetPolicyVersion":           getPolicyVersion,
	"ListPolicies":               listPolicies,
	"DeletePolicy":               deletePolicy,
	"AttachUserPolicy":           attachUserPolicy,
	"DetachUserPolicy":           detachUserPolicy,
	"AttachRolePolicy":           attachRolePolicy,
	"DetachRolePolicy":           detachRolePolicy,
	"ListAttachedUserPolicies":   listAttachedUserPolicies,
	"ListAttachedRolePolicies":   listAttachedRolePolicies,
	"ListOpenIDConnectProviders": listOpenIDConnectProviders,
	"KuraCreateAccount":          kuraCreateAccount,
	"KuraListAccounts":           kuraListAccounts,
}

func errUnsupported(param string) *Error {
	return newError(CodeInvalidInput, "%s is not supported by Kura.", param)
}

// selfOrNamed is the user an action with an optional UserName is about:
// the one named, else the caller if it is a user, else ("") the root.
func selfOrNamed(c *call) (string, error) {
	if n := c.str("UserName"); n != "" {
		return n, nil
	}
	switch c.p.Type {
	case kura.PrincipalIAMUser:
		return c.p.UserName, nil
	case kura.PrincipalRoot:
		return "", nil
	}
	return "", errValidation("Must specify userName when calling with non-User credentials")
}

// userResource is the ARN an action on user name (or the root, "") is
// authorized against.
func userResource(c *call, name string) string {
	if name == "" {
		return RootARN(c.p.AccountID)
	}
	if c.p.Type == kura.PrincipalIAMUser && strings.EqualFold(name, c.p.UserName) {
		return c.p.ARN // the caller's own ARN, with its path
	}
	return UserARN(c.p.AccountID, "/", name)
}

func createUser(a *API, c *call) (any, error) {
	name, err := c.required("UserName", "userName")
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:CreateUser", UserARN(c.p.AccountID, orDefault(c.str("Path"), "/"), name)); err != nil {
		return nil, err
	}
	if c.str("PermissionsBoundary") != "" {
		return nil, errUnsupported("PermissionsBoundary")
	}
	u, err := a.svc.CreateUser(c.ctx, c.p.AccountID, UserInput{Path: c.str("Path"), UserName: name, Tags: c.tags()})
	if err != nil {
		return nil, err
	}
	return userResult{toUserXML(u)}, nil
}

func getUser(a *API, c *call) (any, error) {
	name, err := selfOrNamed(c)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:GetUser", userResource(c, name)); err != nil {
		return nil, err
	}
	if name == "" {
		// The root user: IAM answers with the account id and the root ARN.
		acct, err := a.svc.Account(c.ctx, c.p.AccountID)
		if err != nil {
			return nil, err
		}
		return userResult{userXML{UserID: acct.ID, ARN: RootARN(acct.ID), CreateDate: isoTime(acct.Created)}}, nil
	}
	u, err := a.svc.GetUser(c.ctx, c.p.AccountID, name)
	if err != nil {
		return nil, err
	}
	return userResult{toUserXML(u)}, nil
}

func listUsers(a *API, c *call) (any, error) {
	if err := a.authorize(c, "iam:ListUsers", UserARN(c.p.AccountID, "/", "*")); err != nil {
		return nil, err
	}
	users, err := a.svc.ListUsers(c.ctx, c.p.AccountID, c.str("PathPrefix"))
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(c, users)
	if err != nil {
		return nil, err
	}
	res := listUsersResult{IsTruncated: truncated, Marker: marker}
	for i := range pg {
		u := toUserXML(&pg[i])
		u.Tags = nil // ListUsers does not return tags
		res.Users.Member = append(res.Users.Member, u)
	}
	return res, nil
}

func deleteUser(a *API, c *call) (any, error) {
	name, err := c.required("UserName", "userName")
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:DeleteUser", userResource(c, name)); err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteUser(c.ctx, c.p.AccountID, name)
}

func createAccessKey(a *API, c *call) (any, error) {
	name, err := selfOrNamed(c)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:CreateAccessKey", userResource(c, name)); err != nil {
		return nil, err
	}
	k, err := a.svc.CreateAccessKey(c.ctx, c.p.AccountID, name)
	if err != nil {
		return nil, err
	}
	return accessKeyResult{accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status,
		SecretAccessKey: k.Secret, CreateDate: isoTime(k.Created)}}, nil
}

func listAccessKeys(a *API, c *call) (any, error) {
	name, err := selfOrNamed(c)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:ListAccessKeys", userResource(c, name)); err != nil {
		return nil, err
	}
	keys, err := a.svc.ListAccessKeys(c.ctx, c.p.AccountID, name)
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(c, keys)
	if err != nil {
		return nil, err
	}
	res := listAccessKeysResult{IsTruncated: truncated, Marker: marker}
	for _, k := range pg {
		res.Keys.Member = append(res.Keys.Member, accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID,
			Status: k.Status, CreateDate: isoTime(k.Created)})
	}
	return res, nil
}

func updateAccessKey(a *API, c *call) (any, error) {
	id, err := c.required("AccessKeyId", "accessKeyId")
	if err != nil {
		return nil, err
	}
	status, err := c.required("Status", "status")
	if err != nil {
		return nil, err
	}
	name, err := selfOrNamed(c)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:UpdateAccessKey", userResource(c, name)); err != nil {
		return nil, err
	}
	return nil, a.svc.UpdateAccessKey(c.ctx, c.p.AccountID, name, id, status)
}

func deleteAccessKey(a *API, c *call) (any, error) {
	id, err := c.required("AccessKeyId", "accessKeyId")
	if err != nil {
		return nil, err
	}
	name, err := selfOrNamed(c)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:DeleteAccessKey", userResource(c, name)); err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteAccessKey(c.ctx, c.p.AccountID, name, id)
}

// inlineArgs reads the entity name (UserName or RoleName) and, unless the
// action lists policies, the PolicyName of an inline policy action, and
// authorizes it.
func inlineArgs(a *API, c *call, entityParam, entityField, action string) (entity, policy string, err error) {
	if entity, err = c.required(entityParam, entityField); err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(action, "iam:List") {
		if policy, err = c.required("PolicyName", "policyName"); err != nil {
			return "", "", err
		}
	}
	resource := UserARN(c.p.AccountID, "/", entity)
	if entityParam == "RoleName" {
		resource = RoleARN(c.p.AccountID, "/", entity)
	}
	return entity, policy, a.authorize(c, action, resource)
}

func putUserPolicy(a *API, c *call) (any, error) {
	user, name, err := inlineArgs(a, c, "UserName", "userName", "iam:PutUserPolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.PutUserPolicy(c.ctx, c.p.AccountID, user, name, c.str("PolicyDocument"))
}

func getUserPolicy(a *API, c *call) (any, error) {
	user, name, err := inlineArgs(a, c, "UserName", "userName", "iam:GetUserPolicy")
	if err != nil {
		return nil, err
	}
	doc, err := a.svc.GetUserPolicy(c.ctx, c.p.AccountID, user, name)
	if err != nil {
		return nil, err
	}
	return userPolicyResult{UserName: user, PolicyName: name, PolicyDocument: encodeDoc(doc)}, nil
}

func deleteUserPolicy(a *API, c *call) (any, error) {
	user, name, err := inlineArgs(a, c, "UserName", "userName", "iam:DeleteUserPolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteUserPolicy(c.ctx, c.p.AccountID, user, name)
}

func listUserPolicies(a *API, c *call) (any, error) {
	user, _, err := inlineArgs(a, c, "UserName", "userName", "iam:ListUserPolicies")
	if err != nil {
		return nil, err
	}
	names, err := a.svc.ListUserPolicies(c.ctx, c.p.AccountID, user)
	if err != nil {
		return nil, err
	}
	return namesPage(c, names)
}

func namesPage(c *call, names []string) (any, error) {
	pg, truncated, marker, err := page(c, names)
	if err != nil {
		return nil, err
	}
	res := policyNamesResult{IsTruncated: truncated, Marker: marker}
	res.PolicyNames.Member = pg
	return res, nil
}

func listOpenIDConnectProviders(a *API, c *call) (any, error) {
	if err := a.authorize(c, "iam:ListOpenIDConnectProviders", "*"); err != nil {
		return nil, err
	}
	return oidcProvidersResult{}, nil
}

func kuraCreateAccount(a *API, c *call) (any, error) {
	name, err := c.required("AccountName", "accountName")
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "kura:CreateAccount", "*"); err != nil {
		return nil, err
	}
	acct, key, err := a.svc.CreateAccount(c.ctx, AccountInput{Name: name, Email: c.str("Email"),
		CanonicalID: c.str("CanonicalId"), DisplayName: c.str("DisplayName"),
		AccessKey: c.str("AccessKeyId"), SecretKey: c.str("SecretAccessKey")})
	if err != nil {
		return nil, err
	}
	res := createAccountResult{Account: toAccountXML(acct)}
	res.AccessKey.AccessKeyID, res.AccessKey.SecretAccessKey = key.AccessKeyID, key.Secret
	return res, nil
}

func kuraListAccounts(a *API, c *call) (any, error) {
	if err := a.authorize(c, "kura:ListAccounts", "*"); err != nil {
		return nil, err
	}
	all, err := a.svc.Accounts(c.ctx)
	if err != nil {
		return nil, err
	}
	var res listAccountsResult
	for i := range all {
		res.Accounts.Member = append(res.Accounts.Member, toAccountXML(&all[i]))
	}
	return res, nil
}
