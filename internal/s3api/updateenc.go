package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// updateObjectEncryption is UpdateObjectEncryption:
// PUT /{Bucket}/{Key+}?encryption[&versionId=V] with an <ObjectEncryption>
// body. It re-seals the version's data key and answers 200 with no body.
func (h *Handler) updateObjectEncryption(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	body, err := readBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	target, err := parseObjectEncryption(body)
	if err != nil {
		return err
	}
	if _, err := h.ops.UpdateObjectEncryption(h.front(req, b), req.caller(), ops.EncryptionInput{Target: req.target(), Encryption: target}); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// objectEncryptionXML is the <ObjectEncryption> union. Its members are
// collected by name so that each wrong shape gets the error S3 gives it.
type objectEncryptionXML struct {
	XMLName xml.Name
	Members []struct {
		XMLName          xml.Name
		KMSKeyArn        *string `xml:"KMSKeyArn"`
		BucketKeyEnabled *string `xml:"BucketKeyEnabled"`
	} `xml:",any"`
}

// parseObjectEncryption maps an UpdateObjectEncryption body to a target:
// exactly one <SSE-KMS> member with a full key ARN and an optional
// BucketKeyEnabled of true or false (omitted: false).
func parseObjectEncryption(body []byte) (object.EncryptionTarget, error) {
	var doc objectEncryptionXML
	if err := parseXML(body, &doc); err != nil {
		return object.EncryptionTarget{}, err
	}
	if doc.XMLName.Local != "ObjectEncryption" {
		return object.EncryptionTarget{}, s3err.MalformedXML
	}
	if len(doc.Members) != 1 {
		return object.EncryptionTarget{}, object.ErrUOEInvalidTarget
	}
	m := doc.Members[0]
	switch m.XMLName.Local {
	case "SSE-KMS":
	case "DSSE-KMS", "SSE-C":
		return object.EncryptionTarget{}, object.ErrUOEUnsupportedTarget
	default:
		return object.EncryptionTarget{}, object.ErrUOEInvalidTarget
	}
	var t object.EncryptionTarget
	if m.KMSKeyArn != nil {
		t.KMSKeyARN = strings.TrimSpace(*m.KMSKeyArn)
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	if m.BucketKeyEnabled != nil {
		switch strings.TrimSpace(*m.BucketKeyEnabled) {
		case "true":
			t.BucketKey = true
		case "false":
		default:
			return t, object.ErrUOEInvalidBucketKey
		}
	}
	return t, nil
}

// checkUOESignature refuses a Signature Version 2 request to
// UpdateObjectEncryption with the operation's own error, before signature
// verification (which accepts SigV2 for every other operation).
func checkUOESignature(req *request) error {
	if req.Method != http.MethodPut || req.key == "" || !req.query.Has("encryption") {
		return nil
	}
	if sigV2(req.Request, req.query) {
		return object.ErrUOESignatureVersion
	}
	return nil
}

// sigV2 recognises a Signature Version 2 request: an "AWS AKID:signature"
// Authorization header, or a presigned URL with Signature but no
// X-Amz-Algorithm.
func sigV2(r *http.Request, q url.Values) bool {
	if a := strings.TrimLeft(r.Header.Get("Authorization"), " "); strings.HasPrefix(a, "AWS ") {
		return true
	}
	return q.Has("Signature") && !q.Has("X-Amz-Algorithm")
}
