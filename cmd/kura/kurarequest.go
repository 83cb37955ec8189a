package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// kuraCall sends one of Kura's own bucket operations, which no SDK models
// (KuraRunBucketInventory, KuraGetBucketReplicationStatus): a SigV4-signed
// request without a body to /BUCKET?query, and decodes the XML answer into
// out. what names the call in errors; an S3 error answer becomes
// "what: Code: Message".
func (f *kmsFlags) kuraCall(ctx context.Context, what, method, bucket, query string, timeout time.Duration, limit int64, out any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	provider, region, err := f.resolve()
	if err != nil {
		return err
	}
	creds, err := provider.Retrieve(ctx)
	if err != nil {
		return err
	}
	u := strings.TrimRight(f.endpoint, "/") + "/" + url.PathEscape(bucket) + "?" + query
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	empty := sha256.Sum256(nil)
	payload := hex.EncodeToString(empty[:])
	req.Header.Set("x-amz-content-sha256", payload)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, payload, "s3", region, time.Now()); err != nil {
		return err
	}
	hc, err := httpClientFor(f.caBundle, timeout)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		if xml.Unmarshal(b, &e) != nil || e.Code == "" {
			return fmt.Errorf("%s: HTTP %d", what, resp.StatusCode)
		}
		return fmt.Errorf("%s: %s", what, codeText(e.Code, e.Message))
	}
	if err := xml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: unreadable response: %w", what, err)
	}
	return nil
}
