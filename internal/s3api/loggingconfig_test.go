package s3api

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// FuzzBucketLogging: any BucketLoggingStatus body is refused with a 4xx
// S3 error or read as logging off (nil) or a configuration naming a
// target; never a panic or a 5xx. Grantees that need the account
// directory are refused without one (InvalidArgument), which is a 4xx too.
func FuzzBucketLogging(f *testing.F) {
	for _, s := range []string{
		`<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`,
		`<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`,
		`<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix></TargetPrefix>` +
			`<TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>` +
			`<TargetGrants><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">` +
			`<URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>WRITE</Permission></Grant></TargetGrants>` +
			`</LoggingEnabled></BucketLoggingStatus>`,
		`<BucketLoggingStatus><LoggingEnabled><TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`,
		"", "<", "\x00",
	} {
		f.Add([]byte(s))
	}
	h := &Handler{}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &request{Request: httptest.NewRequest("PUT", "/b?logging", nil)}
		l, err := h.parseBucketLogging(req, body)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		if l != nil && l.PartitionDateSource != "" && !l.PartitionedPrefix {
			t.Fatalf("%q: a date source without a partitioned prefix: %+v", body, l)
		}
	})
}
