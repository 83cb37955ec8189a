package access

import (
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// Global condition keys. AWS puts a set of aws:* keys (and a few
// service keys such as s3:authType) into every request context; access
// derives them from the call, so every front — HTTP or a job — supplies
// the same ones. A key is present only when the call has a value for it:
// absence is what Null and the …IfExists operators test. Each service gets
// the keys it has always had (SPEC 7.3):
//
//   - every service: aws:CurrentTime, aws:EpochTime, aws:userid, and
//     aws:SourceIp when the caller called directly (a call a service makes
//     on the caller's behalf, Source.InvokedBy set, comes from the
//     service, as in AWS);
//   - s3: aws:SecureTransport, aws:RequestedRegion, aws:ViaAWSService,
//     aws:Referer, aws:UserAgent, s3:authType, s3:signatureversion,
//     s3:TlsVersion, s3:ResourceAccount;
//   - kms: aws:RequestedRegion, aws:ViaAWSService, kms:CallerAccount,
//     kms:ViaService;
//   - iam, sts: aws:SecureTransport.
//
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and
// aws:username are derived by the policy engine from the principal
// (policy.Principal), which access builds from the call.

// Keys are written lower-cased, the form the policy engine looks them up
// in (condition key names are case-insensitive): a context whose keys are
// all lower case is used as it is, where one with a capital in a key is
// copied with its keys lowered on every decision — a map and a string a
// key, a quarter of a KMS permission check's cost.

// conditions is the request context of one decision: the global keys of
// the action's service, then r.LazyConditions, then r.Conditions, keys
// lower-cased (a later source's value replaces an earlier one's for the
// same key, whatever its spelling).
func (d *decision) conditions(owner string) (map[string][]string, error) {
	r := &d.r
	m := GlobalConditions(serviceOf(r.Action), r.Call, d.a.now(), d.a.Region)
	if serviceOf(r.Action) == "s3" {
		m["s3:resourceaccount"] = []string{owner}
	}
	if r.LazyConditions != nil {
		extra, err := r.LazyConditions()
		if err != nil {
			return nil, err
		}
		for k, v := range extra {
			m[strings.ToLower(k)] = v
		}
	}
	for k, v := range r.Conditions {
		m[strings.ToLower(k)] = v
	}
	return m, nil
}

// GlobalConditions is the global condition keys a call to service ("s3",
// "kms", "iam", "sts") brings to policies, at time now in region, keys
// lower-cased.
func GlobalConditions(service string, c kura.Call, now time.Time, region string) map[string][]string {
	m := make(map[string][]string, 16)
	set := func(k, v string) {
		if v != "" {
			m[k] = []string{v}
		}
	}
	p, src := c.Principal, c.Source
	now = now.UTC()
	set("aws:currenttime", now.Format(time.RFC3339))
	set("aws:epochtime", strconv.FormatInt(now.Unix(), 10))
	set("aws:userid", p.PrincipalID)
	if src.InvokedBy == "" {
		set("aws:sourceip", src.IP)
	}
	switch service {
	case "s3":
		set("aws:securetransport", strconv.FormatBool(src.SecureTransport))
		set("aws:requestedregion", region)
		set("aws:viaawsservice", strconv.FormatBool(src.InvokedBy != ""))
		set("aws:referer", src.Referer)
		set("aws:useragent", src.UserAgent)
		if src.SignatureVersion == "SigV2" {
			set("s3:signatureversion", "AWS")
		} else {
			set("s3:signatureversion", "AWS4-HMAC-SHA256")
		}
		switch src.AuthType {
		case "POST":
			set("s3:authtype", "POST")
		case "QueryString":
			set("s3:authtype", "REST-QUERY-STRING")
		default:
			set("s3:authtype", "REST-HEADER")
		}
		set("s3:tlsversion", strings.TrimPrefix(src.TLSVersion, "TLSv"))
	case "kms":
		set("aws:requestedregion", region)
		set("aws:viaawsservice", strconv.FormatBool(src.InvokedBy != ""))
		set("kms:calleraccount", p.AccountID)
		set("kms:viaservice", src.ViaService)
	case "iam", "sts":
		set("aws:securetransport", strconv.FormatBool(src.SecureTransport))
	}
	return m
}
