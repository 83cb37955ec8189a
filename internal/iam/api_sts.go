package iam

import (
	"strconv"
)

// The STS actions.

var stsHandlers = map[string]handler{
	"GetCallerIdentity": getCallerIdentity,
	"AssumeRole":        assumeRole,
}

// getCallerIdentity needs no permission, in AWS as here.
func getCallerIdentity(a *API, c *call) (any, error) {
	return callerIdentityResult{UserID: c.p.PrincipalID, Account: c.p.AccountID, ARN: c.p.ARN}, nil
}

func assumeRole(a *API, c *call) (any, error) {
	for _, p := range []string{"SerialNumber", "TokenCode", "ProvidedContexts.member.1.ProviderArn"} {
		if c.str(p) != "" {
			return nil, errUnsupported(p)
		}
	}
	d, err := c.integer("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	if _, given := c.params["DurationSeconds"]; given && d == 0 {
		return nil, errConstraint("durationSeconds", "0", "Member must have value greater than or equal to 900")
	}
	ctx, err := requestContext(c)
	if err != nil {
		return nil, err
	}
	in := AssumeRoleInput{RoleARN: c.str("RoleArn"), SessionName: c.str("RoleSessionName"), DurationSeconds: d,
		Policy: c.str("Policy"), PolicyARNs: c.members("PolicyArns", ".arn"), Context: ctx}
	creds, p, err := a.svc.AssumeRole(c.ctx, c.p, in)
	if err != nil {
		return nil, err
	}
	var res assumeRoleResult
	res.Credentials.AccessKeyID, res.Credentials.SecretAccessKey = creds.AccessKeyID, creds.SecretAccessKey
	res.Credentials.SessionToken = creds.SessionToken
	res.Credentials.Expiration = creds.Expiration.UTC().Format("2006-01-02T15:04:05.000Z")
	res.AssumedRoleUser.AssumedRoleID, res.AssumedRoleUser.ARN = p.PrincipalID, p.ARN
	if in.Policy != "" || len(in.PolicyARNs) > 0 {
		// Percentage of the packed-policy allowance used, as STS reports it.
		size := (len(in.Policy) + 100*len(in.PolicyARNs)) * 100 / maxSessionPolicyLen
		res.PackedPolicySize = &size
	}
	return res, nil
}

// requestContext is what an AssumeRole request brings to the trust
// policy's conditions: sts:ExternalId, aws:SourceIp, aws:SecureTransport.
func requestContext(c *call) (map[string][]string, error) {
	ctx := map[string][]string{"aws:SecureTransport": {strconv.FormatBool(c.call.Source.SecureTransport)}}
	if ip := c.call.Source.IP; ip != "" {
		ctx["aws:SourceIp"] = []string{ip}
	}
	if ext, given := c.params["ExternalId"]; given {
		v := ext[0]
		if len(v) < 2 || len(v) > 1224 {
			return nil, errConstraint("externalId", v, "Member must have length between 2 and 1224")
		}
		for i := 0; i < len(v); i++ {
			if !isNameChar(v[i]) && v[i] != ':' && v[i] != '/' {
				return nil, errConstraint("externalId", v, `Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`)
			}
		}
		ctx["sts:ExternalId"] = []string{v}
	}
	return ctx, nil
}
