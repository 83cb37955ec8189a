package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Put/GetBucketAcl and Put/GetObjectAcl (versionId too). The ACL
// machinery is in acl.go.

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	NS      string   `xml:"xmlns,attr"`
	Owner   owner    `xml:"Owner"`
	Grants  []grant  `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

// aclBody is a PutBucketAcl/PutObjectAcl body as clients send it; the
// xsi:type attribute is matched by its local name.
type aclBody struct {
	XMLName xml.Name  `xml:"AccessControlPolicy"`
	Grants  []grantIn `xml:"AccessControlList>Grant"`
}

// grantIn is a Grant as clients send it (in an AccessControlPolicy or a
// BucketLoggingStatus's TargetGrants): xsi:type matched by its local name.
type grantIn struct {
	Grantee struct {
		Type         string `xml:"type,attr"`
		ID           string `xml:"ID"`
		URI          string `xml:"URI"`
		EmailAddress string `xml:"EmailAddress"`
	} `xml:"Grantee"`
	Permission string `xml:"Permission"`
}

// grantsOf turns grants as sent into kura.Grants (not yet resolved: see
// ops.ResolveGrants); a grantee naming no one is malformed.
func grantsOf(in []grantIn, malformed error) ([]kura.Grant, error) {
	var grants []kura.Grant
	for _, g := range in {
		mg := kura.Grant{Type: g.Grantee.Type, Permission: g.Permission}
		switch g.Grantee.Type {
		case "CanonicalUser":
			mg.ID = g.Grantee.ID
		case "Group":
			mg.URI = g.Grantee.URI
		case "AmazonCustomerByEmail":
			mg.ID = g.Grantee.EmailAddress
		}
		if mg.ID == "" && mg.URI == "" {
			return nil, malformed
		}
		grants = append(grants, mg)
	}
	return grants, nil
}

// maxACLBody bounds an AccessControlPolicy body (S3 allows 100 grants).
const maxACLBody = 64 << 10

func (h *Handler) getACL(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var res ops.ACLResult
	if req.key != "" {
		res, err = h.ops.GetObjectAcl(h.front(req, b), req.caller(), req.target())
	} else {
		res, err = h.ops.GetBucketAcl(h.front(req, b), req.caller(), req.bucketTarget())
	}
	if err != nil {
		return err
	}
	o := h.ownerOf(req, res.Owner)
	out := accessControlPolicy{NS: s3NS, Owner: o}
	for _, g := range res.Grants {
		ge := grantee{XMLNSXSI: xsiNS, Type: g.Type, ID: g.ID, URI: g.URI}
		if g.Type == "CanonicalUser" {
			ge.DisplayName = h.displayName(req, g.ID, o)
		}
		out.Grants = append(out.Grants, grant{Grantee: ge, Permission: g.Permission})
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

// displayName is the display name of the account with canonical id cid
// ("" when unknown).
func (h *Handler) displayName(req *request, cid string, known owner) string {
	if cid == known.ID {
		return known.DisplayName
	}
	if h.cfg.Accounts == nil {
		return ""
	}
	a, err := h.cfg.Accounts.AccountByCanonicalID(req.Context(), cid)
	if err != nil {
		return ""
	}
	return a.DisplayName
}

// putACL is PutObjectAcl and PutBucketAcl: the ACL's grammar (headers
// or an AccessControlPolicy body) is read here; the operations (internal/ops)
// expand a canned ACL for the resource's owner, apply Object Ownership and
// Block Public Access, and store it.
func (h *Handler) putACL(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	// The target first (NoSuchKey before any error of the ACL, as S3
	// answers), then the ACL's grammar: headers, then the body.
	if req.key != "" {
		if _, err := h.obj.Head(req.Context(), req.bucket, req.key, req.query.Get("versionId")); err != nil {
			return err
		}
	}
	canned, grants, set, err := h.headerACL(req)
	if err != nil {
		return err
	}
	body, err := readBody(req, maxACLBody)
	if err != nil {
		return err
	}
	switch {
	case set && len(body) > 0:
		return s3err.InvalidRequest.WithMessage("Set the ACL with headers or an AccessControlPolicy body, not both.")
	case !set && len(body) == 0:
		return s3err.MalformedACLError.WithMessage("The request names no ACL: send x-amz-acl, x-amz-grant-* headers or an AccessControlPolicy body.")
	case !set:
		if grants, err = h.parseACLBody(req, body); err != nil {
			return err
		}
	}
	if req.key == "" {
		err := h.ops.PutBucketAcl(h.front(req, b), req.caller(), ops.BucketACLInput{BucketTarget: req.bucketTarget(), Canned: canned, Grants: grants})
		if err != nil {
			return err
		}
		req.w.WriteHeader(http.StatusOK)
		return nil
	}
	res, err := h.ops.PutObjectAcl(h.front(req, b), req.caller(), ops.ACLInput{Target: req.target(), Canned: canned, Grants: grants})
	if err != nil {
		return err
	}
	if req.query.Get("versionId") != "" {
		req.w.Header().Set("X-Amz-Version-Id", res.VersionID)
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// parseACLBody reads an AccessControlPolicy body into resolved grants.
func (h *Handler) parseACLBody(req *request, body []byte) ([]kura.Grant, error) {
	if err := requireIntegrity(req); err != nil {
		return nil, err
	}
	var p aclBody
	if err := xml.Unmarshal(body, &p); err != nil {
		return nil, s3err.MalformedACLError
	}
	grants, err := grantsOf(p.Grants, s3err.MalformedACLError)
	if err != nil {
		return nil, err
	}
	return ops.ResolveGrants(req.Context(), h.accounts(), grants)
}
