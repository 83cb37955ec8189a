package replication

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Failure is a replication that cannot succeed by retrying: the version
// becomes FAILED. Reason is S3's replication failure reason where S3 has
// one (AssumeRoleNotPermitted, DstBucketNotFound, …); Action is the
// permission that was denied, if that is why.
type Failure struct {
	Reason string
	Action string
	Err    error
}

func (f *Failure) Error() string {
	if f.Action != "" {
		return fmt.Sprintf("%s (%s denied): %v", f.Reason, f.Action, f.Err)
	}
	return fmt.Sprintf("%s: %v", f.Reason, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// fail wraps err as a Failure for reason; a refusal names its action.
func fail(reason string, err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	return &Failure{Reason: reason, Action: deniedAction(err), Err: err}
}

// deniedAction is the action a refusal names: an access decision's, or
// the one AWS's AccessDenied text names ("… is not authorized to
// perform: kms:Encrypt on resource: …"), as the KMS words its refusals.
func deniedAction(err error) string {
	if d, ok := access.IsDenied(err); ok {
		return d.Action
	}
	if err == nil {
		return ""
	}
	msg := err.Error()
	if e := s3err.As(err); e != nil {
		msg = e.Message + " " + msg
	}
	_, rest, ok := strings.Cut(msg, "perform: ")
	if !ok {
		return ""
	}
	action, _, _ := strings.Cut(rest, " ")
	return action
}

// permanent classifies an error that is not a Failure: refusals and other
// client errors (4xx) will not change by retrying; anything else (the
// destination unreachable, a 5xx, a cancelled context) may.
func permanent(err error) bool {
	var f *Failure
	if errors.As(err, &f) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if _, ok := access.IsDenied(err); ok {
		return true
	}
	if e := s3err.As(err); e != nil {
		return e.Status >= 400 && e.Status < 500 && e.Code != s3err.SlowDown.Code
	}
	return false
}

// authorize decides one action of the role, as a Failure for reason when
// it is refused.
func authorize(ctx context.Context, a *access.Authorizer, r access.Request, reason string) error {
	err := a.Authorize(ctx, r)
	if d, ok := access.IsDenied(err); ok {
		return &Failure{Reason: reason, Action: r.Action, Err: s3err.AccessDenied.WithMessage("%s", d.Message(policy.QuotedResource))}
	}
	return err
}
