package object

import (
	"errors"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/s3err"
)

// blobStoreError is the error a request gets for a failure of the blob
// store: 503 ServiceUnavailable when the store could not be reached (a
// remote store's outage, blob.ErrUnavailable: the client retries), else
// 500 InternalError keeping err for the logs.
func blobStoreError(err error) error {
	if errors.Is(err, blob.ErrUnavailable) {
		return s3err.ServiceUnavailable.WithMessage("The storage behind this server cannot be reached at the moment. Please retry.").Wrap(err)
	}
	return s3err.Internal(err)
}
