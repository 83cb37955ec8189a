package iam

// The IAM actions on roles and managed policies.

func createRole(a *API, c *call) (any, error) {
	name, err := c.required("RoleName", "roleName")
	if err != nil {
		return nil, err
	}
	doc, err := c.required("AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:CreateRole", RoleARN(c.p.AccountID, orDefault(c.str("Path"), "/"), name)); err != nil {
		return nil, err
	}
	if c.str("PermissionsBoundary") != "" {
		return nil, errUnsupported("PermissionsBoundary")
	}
	maxDur, err := c.integer("MaxSessionDuration", "maxSessionDuration")
	if err != nil {
		return nil, err
	}
	r, err := a.svc.CreateRole(c.ctx, c.p.AccountID, RoleInput{Path: c.str("Path"), RoleName: name, TrustPolicy: doc,
		Description: c.str("Description"), MaxSessionDuration: maxDur, Tags: c.tags()})
	if err != nil {
		return nil, err
	}
	return roleResult{toRoleXML(r)}, nil
}

func roleArg(a *API, c *call, action string) (string, error) {
	name, err := c.required("RoleName", "roleName")
	if err != nil {
		return "", err
	}
	return name, a.authorize(c, action, RoleARN(c.p.AccountID, "/", name))
}

func getRole(a *API, c *call) (any, error) {
	name, err := roleArg(a, c, "iam:GetRole")
	if err != nil {
		return nil, err
	}
	r, err := a.svc.GetRole(c.ctx, c.p.AccountID, name)
	if err != nil {
		return nil, err
	}
	return roleResult{toRoleXML(r)}, nil
}

func listRoles(a *API, c *call) (any, error) {
	if err := a.authorize(c, "iam:ListRoles", RoleARN(c.p.AccountID, "/", "*")); err != nil {
		return nil, err
	}
	roles, err := a.svc.ListRoles(c.ctx, c.p.AccountID, c.str("PathPrefix"))
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(c, roles)
	if err != nil {
		return nil, err
	}
	res := listRolesResult{IsTruncated: truncated, Marker: marker}
	for i := range pg {
		r := toRoleXML(&pg[i])
		r.Tags = nil // ListRoles does not return tags
		res.Roles.Member = append(res.Roles.Member, r)
	}
	return res, nil
}

func deleteRole(a *API, c *call) (any, error) {
	name, err := roleArg(a, c, "iam:DeleteRole")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteRole(c.ctx, c.p.AccountID, name)
}

func updateAssumeRolePolicy(a *API, c *call) (any, error) {
	name, err := roleArg(a, c, "iam:UpdateAssumeRolePolicy")
	if err != nil {
		return nil, err
	}
	doc, err := c.required("PolicyDocument", "policyDocument")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.UpdateAssumeRolePolicy(c.ctx, c.p.AccountID, name, doc)
}

func putRolePolicy(a *API, c *call) (any, error) {
	role, name, err := inlineArgs(a, c, "RoleName", "roleName", "iam:PutRolePolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.PutRolePolicy(c.ctx, c.p.AccountID, role, name, c.str("PolicyDocument"))
}

func getRolePolicy(a *API, c *call) (any, error) {
	role, name, err := inlineArgs(a, c, "RoleName", "roleName", "iam:GetRolePolicy")
	if err != nil {
		return nil, err
	}
	doc, err := a.svc.GetRolePolicy(c.ctx, c.p.AccountID, role, name)
	if err != nil {
		return nil, err
	}
	return rolePolicyResult{RoleName: role, PolicyName: name, PolicyDocument: encodeDoc(doc)}, nil
}

func deleteRolePolicy(a *API, c *call) (any, error) {
	role, name, err := inlineArgs(a, c, "RoleName", "roleName", "iam:DeleteRolePolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteRolePolicy(c.ctx, c.p.AccountID, role, name)
}

func listRolePolicies(a *API, c *call) (any, error) {
	role, _, err := inlineArgs(a, c, "RoleName", "roleName", "iam:ListRolePolicies")
	if err != nil {
		return nil, err
	}
	names, err := a.svc.ListRolePolicies(c.ctx, c.p.AccountID, role)
	if err != nil {
		return nil, err
	}
	return namesPage(c, names)
}

func createPolicy(a *API, c *call) (any, error) {
	name, err := c.required("PolicyName", "policyName")
	if err != nil {
		return nil, err
	}
	doc, err := c.required("PolicyDocument", "policyDocument")
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:CreatePolicy", PolicyARN(c.p.AccountID, orDefault(c.str("Path"), "/"), name)); err != nil {
		return nil, err
	}
	p, err := a.svc.CreatePolicy(c.ctx, c.p.AccountID, PolicyInput{PolicyName: name, Path: c.str("Path"), Document: doc,
		Description: c.str("Description"), Tags: c.tags()})
	if err != nil {
		return nil, err
	}
	return policyResult{toPolicyXML(p)}, nil
}

func policyArg(a *API, c *call, action string) (string, error) {
	arn, err := c.required("PolicyArn", "policyArn")
	if err != nil {
		return "", err
	}
	return arn, a.authorize(c, action, arn)
}

func getPolicy(a *API, c *call) (any, error) {
	arn, err := policyArg(a, c, "iam:GetPolicy")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.GetPolicy(c.ctx, c.p.AccountID, arn)
	if err != nil {
		return nil, err
	}
	return policyResult{toPolicyXML(p)}, nil
}

func getPolicyVersion(a *API, c *call) (any, error) {
	arn, err := policyArg(a, c, "iam:GetPolicyVersion")
	if err != nil {
		return nil, err
	}
	version, err := c.required("VersionId", "versionId")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.GetPolicyVersion(c.ctx, c.p.AccountID, arn, version)
	if err != nil {
		return nil, err
	}
	var res policyVersionResult
	res.Version.Document, res.Version.VersionID = encodeDoc(p.Document), p.DefaultVersionID
	res.Version.IsDefaultVersion, res.Version.CreateDate = true, isoTime(p.Created)
	return res, nil
}

func listPolicies(a *API, c *call) (any, error) {
	if err := a.authorize(c, "iam:ListPolicies", PolicyARN(c.p.AccountID, "/", "*")); err != nil {
		return nil, err
	}
	if u := c.str("PolicyUsageFilter"); u != "" && u != "PermissionsPolicy" {
		return nil, errUnsupported("PolicyUsageFilter " + u)
	}
	all, err := a.svc.ListPolicies(c.ctx, c.p.AccountID, c.str("Scope"), c.boolean("OnlyAttached"), c.str("PathPrefix"))
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(c, all)
	if err != nil {
		return nil, err
	}
	res := listPoliciesResult{IsTruncated: truncated, Marker: marker}
	for i := range pg {
		p := toPolicyXML(&pg[i])
		p.Description, p.Tags = "", nil // ListPolicies returns neither
		res.Policies.Member = append(res.Policies.Member, p)
	}
	return res, nil
}

func deletePolicy(a *API, c *call) (any, error) {
	arn, err := policyArg(a, c, "iam:DeletePolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeletePolicy(c.ctx, c.p.AccountID, arn)
}

// attachArgs reads UserName or RoleName and PolicyArn, and authorizes the
// action against the user or role.
func attachArgs(a *API, c *call, entityParam, entityField, action string) (entity, arn string, err error) {
	if entity, err = c.required(entityParam, entityField); err != nil {
		return "", "", err
	}
	if arn, err = c.required("PolicyArn", "policyArn"); err != nil {
		return "", "", err
	}
	resource := UserARN(c.p.AccountID, "/", entity)
	if entityParam == "RoleName" {
		resource = RoleARN(c.p.AccountID, "/", entity)
	}
	return entity, arn, a.authorize(c, action, resource)
}

func attachUserPolicy(a *API, c *call) (any, error) {
	user, arn, err := attachArgs(a, c, "UserName", "userName", "iam:AttachUserPolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.AttachUserPolicy(c.ctx, c.p.AccountID, user, arn)
}

func detachUserPolicy(a *API, c *call) (any, error) {
	user, arn, err := attachArgs(a, c, "UserName", "userName", "iam:DetachUserPolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DetachUserPolicy(c.ctx, c.p.AccountID, user, arn)
}

func attachRolePolicy(a *API, c *call) (any, error) {
	role, arn, err := attachArgs(a, c, "RoleName", "roleName", "iam:AttachRolePolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.AttachRolePolicy(c.ctx, c.p.AccountID, role, arn)
}

func detachRolePolicy(a *API, c *call) (any, error) {
	role, arn, err := attachArgs(a, c, "RoleName", "roleName", "iam:DetachRolePolicy")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DetachRolePolicy(c.ctx, c.p.AccountID, role, arn)
}

func listAttachedUserPolicies(a *API, c *call) (any, error) {
	user, err := c.required("UserName", "userName")
	if err != nil {
		return nil, err
	}
	if err := a.authorize(c, "iam:ListAttachedUserPolicies", UserARN(c.p.AccountID, "/", user)); err != nil {
		return nil, err
	}
	list, err := a.svc.ListAttachedUserPolicies(c.ctx, c.p.AccountID, user, c.str("PathPrefix"))
	if err != nil {
		return nil, err
	}
	return attachedPage(c, list)
}

func listAttachedRolePolicies(a *API, c *call) (any, error) {
	role, err := roleArg(a, c, "iam:ListAttachedRolePolicies")
	if err != nil {
		return nil, err
	}
	list, err := a.svc.ListAttachedRolePolicies(c.ctx, c.p.AccountID, role, c.str("PathPrefix"))
	if err != nil {
		return nil, err
	}
	return attachedPage(c, list)
}

func attachedPage(c *call, all []AttachedPolicy) (any, error) {
	pg, truncated, marker, err := page(c, all)
	if err != nil {
		return nil, err
	}
	res := attachedPoliciesResult{IsTruncated: truncated, Marker: marker}
	for _, p := range pg {
		res.Policies.Member = append(res.Policies.Member, attachedPolicyXML(p))
	}
	return res, nil
}
