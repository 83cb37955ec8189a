package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

type sseConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	NS      string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default *struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled"`
	Blocked          *struct {
		Types []string `xml:"EncryptionType"`
	} `xml:"BlockedEncryptionTypes"`
}

// parseSSEConfiguration reads a PutBucketEncryption document: what S3's
// schema forbids is MalformedXML; the values (a KMS key with SSE-S3, the
// key id's form) are checked by the operation (ops.PutBucketEncryption).
func parseSSEConfiguration(b []byte) (*kura.BucketEncryption, error) {
	var cfg sseConfiguration
	if err := parseXML(b, &cfg); err != nil {
		return nil, err
	}
	if len(cfg.Rules) != 1 || cfg.Rules[0].Default == nil {
		return nil, s3err.MalformedXML
	}
	r := cfg.Rules[0]
	enc := &kura.BucketEncryption{Algorithm: kura.SSEType(r.Default.SSEAlgorithm), KMSMasterKeyID: r.Default.KMSMasterKeyID}
	switch enc.Algorithm {
	case kura.SSES3, kura.SSEKMS, kura.SSEDSSE:
	default:
		return nil, s3err.MalformedXML // outside the schema's enumeration
	}
	if r.BucketKeyEnabled != nil {
		enc.BucketKeyEnabled = *r.BucketKeyEnabled
	}
	if r.Blocked != nil {
		for _, t := range r.Blocked.Types {
			if t != "SSE-C" && t != "NONE" {
				return nil, s3err.MalformedXML
			}
		}
		enc.BlockedEncryptionTypes = r.Blocked.Types
	}
	return enc, nil
}

func (h *Handler) putBucketEncryption(req *request) error {
	b, body, err := h.configBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	enc, err := parseSSEConfiguration(body)
	if err != nil {
		return err
	}
	err = h.ops.PutBucketEncryption(h.front(req, b), req.caller(), ops.BucketEncryptionInput{BucketTarget: req.bucketTarget(), Encryption: *enc})
	return answer(req, http.StatusOK, err)
}

func (h *Handler) getBucketEncryption(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	enc, err := h.ops.GetBucketEncryption(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	r := sseRule{BucketKeyEnabled: ptr(enc.BucketKeyEnabled)}
	r.Default = &struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	}{string(enc.Algorithm), enc.KMSMasterKeyID}
	if len(enc.BlockedEncryptionTypes) > 0 {
		r.Blocked = &struct {
			Types []string `xml:"EncryptionType"`
		}{enc.BlockedEncryptionTypes}
	}
	writeXML(req, http.StatusOK, sseConfiguration{NS: s3NS, Rules: []sseRule{r}})
	return nil
}

// deleteBucketEncryption resets the bucket to the SSE-S3 default.
func (h *Handler) deleteBucketEncryption(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketEncryption(h.front(req, b), req.caller(), req.bucketTarget()))
}
