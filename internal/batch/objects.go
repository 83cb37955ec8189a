package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// A job reads its manifest and the objects it checksums, and writes its
// reports and generated manifests, as its role through the operation
// layer's GetObject and PutObject: authorized, audited and counted like
// any caller's.

// readObject opens t's data from byte off (a manifest resumed at its
// cursor). Objects under SSE-C cannot be read: there is no customer key.
func readObject(ctx context.Context, o *ops.Service, call kura.Call, t ops.Target, off int64) (*kura.ObjectVersion, io.ReadCloser, error) {
	in := ops.ReadInput{Target: t}
	if off > 0 {
		in.Range = fmt.Sprintf("bytes=%d-", off)
	}
	res, err := o.GetObject(ctx, call, in)
	if off > 0 && s3err.Is(err, s3err.InvalidRange) {
		// Resumed at its end: nothing is left to read.
		h, err := o.HeadObject(ctx, call, ops.ReadInput{Target: t})
		if err != nil {
			return nil, nil, err
		}
		return h.Version, io.NopCloser(bytes.NewReader(nil)), nil
	}
	if err != nil {
		return nil, nil, err
	}
	return res.Version, res.Body, nil
}

// writeObject stores a small object whole under the encryption asked
// for (SSENone: the bucket's default).
func writeObject(ctx context.Context, o *ops.Service, call kura.Call, t ops.Target, body []byte, ctype string,
	enc kura.SSEType, kmsKeyID string) (ops.PutResult, error) {
	return o.PutObject(ctx, call, ops.PutInput{Target: t, Body: bytes.NewReader(body), Size: int64(len(body)),
		Headers: kura.ContentHeaders{ContentType: ctype}, SSE: object.SSERequest{Type: enc, KMSKeyID: kmsKeyID}})
}
