package ops

import (
	"context"

	"github.com/kurastore/kura"
)

// The shape every bucket configuration operation shares: authorize on the
// bucket (or trust the front), then read the loaded bucket or change its
// record, and finish through one Record. The wire form of each
// configuration (XML, the policy's JSON as sent) is the front's; the
// operations take and return kura values and make the checks that are
// S3's semantics.

// bucketOp runs an operation on a bucket that answers no value.
func (s *Service) bucketOp(ctx context.Context, call kura.Call, sp spec, t BucketTarget, conds map[string][]string,
	fn func(ctx context.Context, r *run) error) error {
	r, ctx := s.begin(ctx, call, sp, t.target(), conds)
	err := func() error {
		if err := r.authorize(ctx); err != nil {
			return err
		}
		return fn(ctx, r)
	}()
	return r.finish(r.spec.status, err)
}

// bucketRead runs an operation on a bucket that answers a value read
// from it.
func bucketRead[T any](ctx context.Context, s *Service, call kura.Call, sp spec, t BucketTarget,
	fn func(ctx context.Context, r *run) (T, error)) (T, error) {
	r, ctx := s.begin(ctx, call, sp, t.target(), nil)
	res, err := func() (T, error) {
		if err := r.authorize(ctx); err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx, r)
	}()
	return res, r.finish(r.spec.status, err)
}

// setBucket is a configuration write: set changes the bucket's record in
// one transaction.
func (s *Service) setBucket(ctx context.Context, call kura.Call, sp spec, t BucketTarget, set func(b *kura.Bucket) error) error {
	return s.bucketOp(ctx, call, sp, t, nil, func(ctx context.Context, r *run) error {
		return s.obj.UpdateBucket(ctx, t.Bucket, set)
	})
}
