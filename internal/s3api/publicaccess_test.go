package s3api

import (
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

func TestPublicACL(t *testing.T) {
	user := kura.Grant{Type: "CanonicalUser", ID: "abc", Permission: permFullControl}
	for _, tc := range []struct {
		name   string
		grants []kura.Grant
		public bool
	}{
		{"private", []kura.Grant{user}, false},
		{"none", nil, false},
		{"AllUsers READ", []kura.Grant{user, {Type: "Group", URI: groupAllUsers, Permission: permRead}}, true},
		{"AuthenticatedUsers READ_ACP", []kura.Grant{{Type: "Group", URI: groupAuthenticated, Permission: permReadACP}}, true},
		{"LogDelivery WRITE", []kura.Grant{{Type: "Group", URI: groupLogDelivery, Permission: permWrite}}, false},
		{"another account", []kura.Grant{user, {Type: "CanonicalUser", ID: "def", Permission: permRead}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := publicACL(tc.grants); got != tc.public {
				t.Fatalf("publicACL = %v, want %v", got, tc.public)
			}
			b := &kura.Bucket{PublicAccessBlock: &kura.PublicAccessBlock{BlockPublicAcls: true}}
			err := blockPublicACL(b, tc.grants)
			if tc.public != (err != nil) || err != nil && s3err.As(err).Code != s3err.AccessDenied.Code {
				t.Fatalf("blockPublicACL = %v", err)
			}
			if err := blockPublicACL(&kura.Bucket{}, tc.grants); err != nil {
				t.Fatalf("blockPublicACL without a configuration = %v", err)
			}
		})
	}
}

func TestBlockPublicPolicy(t *testing.T) {
	public := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	private := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	on := &kura.Bucket{PublicAccessBlock: &kura.PublicAccessBlock{BlockPublicPolicy: true}}
	off := &kura.Bucket{PublicAccessBlock: &kura.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}}
	if err := ops.BlockPublicPolicy(on, public); err == nil || s3err.As(err).Code != s3err.AccessDenied.Code {
		t.Fatalf("public policy under BlockPublicPolicy: %v", err)
	}
	for name, c := range map[string]struct {
		b   *kura.Bucket
		doc []byte
	}{"private policy": {on, private}, "other settings only": {off, public}, "no configuration": {&kura.Bucket{}, public}} {
		if err := ops.BlockPublicPolicy(c.b, c.doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
