package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// AssumeRoleInput is an AssumeRole request. DurationSeconds 0 means one
// hour. Policy and PolicyARNs are session policies: stored with the
// session and returned by SessionPolicies.
type AssumeRoleInput struct {
	RoleARN, SessionName string
	DurationSeconds      int
	Policy               string
	PolicyARNs           []string
	// Context holds the request's condition keys for the trust policy
	// (sts:ExternalId, aws:SourceIp, aws:SecureTransport, …); the service
	// adds aws:CurrentTime, aws:EpochTime, sts:RoleSessionName and
	// aws:userid.
	Context map[string][]string
}

// Quotas of AssumeRole.
const (
	maxSessionPolicyLen  = 2048
	maxSessionPolicyARNs = 10
	chainedMaxDuration   = 3600
	// sessionReapGrace keeps expired sessions for a while so their keys keep
	// answering ExpiredToken (not InvalidAccessKeyId) to clients that have
	// not refreshed yet.
	sessionReapGrace = time.Hour
)

// AssumeRole issues temporary credentials for a role to caller, if
// mayAssume says so. A role that does not exist
// is AccessDenied, as in AWS, so callers cannot probe for role names.
func (s *Service) AssumeRole(ctx context.Context, caller kura.Principal, in AssumeRoleInput) (Credentials, kura.Principal, error) {
	d, err := checkAssumeRoleInput(caller, &in)
	if err != nil {
		return Credentials{}, kura.Principal{}, err
	}
	creds := Credentials{AccessKeyID: newAccessKeyID("ASIA"), SecretAccessKey: newSecret(), SessionToken: newSessionToken()}
	sealed, err := s.sealSecret(creds.AccessKeyID, creds.SecretAccessKey)
	if err != nil {
		return Credentials{}, kura.Principal{}, internalError(err)
	}
	var ses sessionRecord
	err = s.update(ctx, func(tx meta.Tx) error {
		role, err := roleByARN(tx, in.RoleARN)
		if err != nil {
			return err
		}
		ok := false
		if role != nil {
			ctx := trustContext(in.Context, caller, in.SessionName, s.clock())
			if ok, err = mayAssume(tx, assumer{p: caller}, role, ctx); err != nil {
				return err
			}
		}
		if !ok {
			return newError(CodeAccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleARN)
		}
		if d > role.MaxSessionDuration {
			return errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		if used, err := s.keyInUse(tx, creds.AccessKeyID); err != nil || used {
			return orInternal(err, "generated session key id collides")
		}
		now := s.clock()
		token := sha256.Sum256([]byte(creds.SessionToken))
		p, _ := parseARN(role.ARN)
		ses = sessionRecord{ID: creds.AccessKeyID, Account: p.Account, RoleARN: role.ARN, RoleID: role.RoleID,
			RoleName: role.RoleName, SessionName: in.SessionName, Issuer: caller.ARN, Created: now,
			Expires: now.Add(time.Duration(d) * time.Second), Sealed: sealed, TokenHash: token[:],
			Policy: in.Policy, PolicyARNs: in.PolicyARNs}
		return writeSession(tx, ses.ID, &ses)
	})
	if err != nil {
		return Credentials{}, kura.Principal{}, err
	}
	creds.Expiration = ses.Expires
	return creds, sessionToPrincipal(ses), nil
}

// checkAssumeRoleInput validates a request and returns its duration.
func checkAssumeRoleInput(caller kura.Principal, in *AssumeRoleInput) (int, error) {
	if in.RoleARN == "" {
		return 0, errConstraint("roleArn", "", "Member must not be null")
	}
	if len(in.RoleARN) < 20 || len(in.RoleARN) > 2048 {
		return 0, errConstraint("roleArn", in.RoleARN, "Member must have length between 20 and 2048")
	}
	if err := checkName("roleSessionName", in.SessionName, 2, 64); err != nil {
		return 0, err
	}
	d := in.DurationSeconds
	switch {
	case d == 0:
		d = defaultSessionDuration
	case d < minSessionDuration:
		return 0, errConstraint("durationSeconds", strconv.Itoa(d), "Member must have value greater than or equal to 900")
	case d > maxSessionDuration:
		return 0, errConstraint("durationSeconds", strconv.Itoa(d), "Member must have value less than or equal to 43200")
	}
	if caller.IsRoot() {
		return 0, newError(CodeAccessDenied, "Roles may not be assumed by root accounts.")
	}
	if caller.Type == kura.PrincipalAssumedRole && d > chainedMaxDuration {
		return 0, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.Policy != "" {
		if err := checkPolicy("policy", in.Policy, policy.Identity); err != nil {
			return 0, err
		}
		if len(in.Policy) > maxSessionPolicyLen {
			return 0, newError("PackedPolicyTooLarge", "The session policy is larger than %d characters.", maxSessionPolicyLen)
		}
	}
	if len(in.PolicyARNs) > maxSessionPolicyARNs {
		return 0, errConstraint("policyArns", "", "Member must have length less than or equal to 10")
	}
	for _, arn := range in.PolicyARNs {
		if p, ok := parseARN(arn); !ok || p.Kind != "policy" {
			return 0, newError(CodeInvalidInput, "ARN %s is not valid.", arn)
		}
	}
	return d, nil
}

// newSessionToken returns an opaque session token. Only its SHA-256 is
// stored.
func newSessionToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// AssumeRoleAsService lets a service principal inside Kura (S3 replication,
// Batch Operations: ServiceS3, ServiceBatchOps) act through a role whose
// trust policy allows that service. Nothing is issued: the principal exists
// only in process and carries no access key.
func (s *Service) AssumeRoleAsService(ctx context.Context, roleARN, service string) (kura.Principal, error) {
	if !slices.Contains([]string{ServiceS3, ServiceBatchOps}, service) {
		return kura.Principal{}, newError(CodeInvalidInput, "%s is not a service principal Kura knows (%s).", service, servicePrincipals)
	}
	var p kura.Principal
	err := s.view(ctx, func(tx meta.Tx) error {
		role, err := roleByARN(tx, roleARN)
		if err != nil {
			return err
		}
		ok := false
		if role != nil {
			if ok, err = mayAssume(tx, assumer{service: service}, role, trustContext(nil, kura.Principal{}, "", s.clock())); err != nil {
				return err
			}
		}
		if !ok {
			return newError(CodeAccessDenied, "%s is not authorized to perform: sts:AssumeRole on resource: %s", service, roleARN)
		}
		a, _ := parseARN(role.ARN)
		p = kura.Principal{Type: kura.PrincipalAWSService, AccountID: a.Account, ARN: AssumedRoleARN(a.Account, role.RoleName, service),
			PrincipalID: role.RoleID + ":" + service, RoleARN: role.ARN, SessionName: service}
		return nil
	})
	return p, err
}

// ReapSessions deletes sessions that expired more than an hour ago and
// returns how many.
func (s *Service) ReapSessions(ctx context.Context) (int, error) {
	cutoff := s.clock().Add(-sessionReapGrace)
	var dead []string
	err := s.view(ctx, func(tx meta.Tx) error {
		return eachSession(tx, func(ses *sessionRecord) error {
			if ses.Expires.Before(cutoff) {
				dead = append(dead, ses.ID)
			}
			return nil
		})
	})
	if err != nil || len(dead) == 0 {
		return 0, err
	}
	err = s.update(ctx, func(tx meta.Tx) error {
		for _, id := range dead {
			if err := removeSession(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(dead), nil
}

// RunMaintenance reaps expired sessions every interval until ctx ends.
func (s *Service) RunMaintenance(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.ReapSessions(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("iam: reaping expired sessions failed", "err", err)
			} else if n > 0 {
				s.log.Info("iam: reaped expired sessions", "count", n)
			}
		}
	}
}
