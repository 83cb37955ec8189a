package kms

import (
	"strings"

	"github.com/google/uuid"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/policy"
)

// Identifiers (SPEC 3.2): a key is named by its key id (a UUID) or key ARN,
// and on cryptographic operations and DescribeKey also by an alias name
// ("alias/x") or alias ARN. Bare ids and alias names refer to the caller's
// account; ARNs name the account explicitly.

const (
	arnPrefix      = "arn:aws:kms:"
	aliasPrefix    = "alias/"
	reservedPrefix = "alias/aws/"
	maxKeyIDLen    = 2048
	maxAliasLen    = 256
)

// KeyARN returns the ARN of key id in account and region.
func KeyARN(region, account, id string) string {
	return arnPrefix + region + ":" + account + ":key/" + id
}

// AliasARN returns the ARN of an alias ("alias/x") in account and region.
func AliasARN(region, account, alias string) string {
	return arnPrefix + region + ":" + account + ":" + alias
}

// keyRef is a parsed key identifier: exactly one of keyID and alias is set.
type keyRef struct {
	input   string
	account string
	keyID   string
	alias   string
}

// parseKeyRef parses a KeyId parameter. allowAlias admits alias names and
// alias ARNs (cryptographic operations and DescribeKey).
func (s *Service) parseKeyRef(c kura.Call, id string, allowAlias bool) (keyRef, error) {
	return parseKeyRefIn(s.region, c, id, allowAlias)
}

// CheckKeyID reports whether id names a KMS key of region in a form a
// cryptographic operation accepts: key id, key ARN, alias name or alias
// ARN, at most 2048 characters. The error is the one such an operation
// would answer (NotFoundException "Invalid keyId …", "Invalid arn …", or a
// ValidationException for the length). Whether the key exists is not
// checked.
func CheckKeyID(region, id string) error {
	_, err := parseKeyRefIn(region, kura.Call{}, id, true)
	return err
}

func parseKeyRefIn(region string, c kura.Call, id string, allowAlias bool) (keyRef, error) {
	if id == "" {
		return keyRef{}, errValidation("KeyId must not be empty.")
	}
	if len(id) > maxKeyIDLen {
		return keyRef{}, errConstraint("keyId", "", "Member must have length less than or equal to 2048")
	}
	ref := keyRef{input: id, account: c.Principal.AccountID}
	resource := id
	if strings.HasPrefix(id, "arn:") {
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[1] != "aws" || parts[2] != "kms" || !policy.IsAccountID(parts[4]) {
			return keyRef{}, errInvalidKeyID(id)
		}
		if parts[3] != region {
			return keyRef{}, newError(NotFoundException, "Invalid arn %s", parts[3])
		}
		ref.account = parts[4]
		resource = parts[5]
		if strings.HasPrefix(resource, "key/") {
			resource = strings.TrimPrefix(resource, "key/")
			if !validKeyID(resource) {
				return keyRef{}, errInvalidKeyID(id)
			}
			ref.keyID = resource
			return ref, nil
		}
		if !strings.HasPrefix(resource, aliasPrefix) {
			return keyRef{}, errInvalidKeyID(id)
		}
	}
	if strings.HasPrefix(resource, aliasPrefix) {
		if !allowAlias || checkAliasName(resource) != nil {
			return keyRef{}, errInvalidKeyID(id)
		}
		ref.alias = resource
		return ref, nil
	}
	if !validKeyID(resource) {
		return keyRef{}, errInvalidKeyID(id)
	}
	ref.keyID = resource
	return ref, nil
}

// notFound is the NotFoundException for a reference that resolved to
// nothing.
func (s *Service) notFound(ref keyRef) *Error {
	if ref.alias != "" {
		return errAliasNotFound(AliasARN(s.region, ref.account, ref.alias))
	}
	return errKeyNotFound(KeyARN(s.region, ref.account, ref.keyID))
}

// validKeyID accepts only the canonical lower-case UUID form KMS issues.
func validKeyID(id string) bool {
	if len(id) != 36 {
		return false
	}
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// checkAliasName validates an AliasName parameter against the model (length,
// ^[a-zA-Z0-9:/_-]+$) and the alias/ prefix rule.
func checkAliasName(name string) error {
	if len(name) < 1 || len(name) > maxAliasLen {
		return errConstraint("aliasName", name, "Member must have length between 1 and 256")
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == ':' || ch == '/' || ch == '_' || ch == '-'
		if !ok {
			return errConstraint("aliasName", name, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
		}
	}
	if !strings.HasPrefix(name, aliasPrefix) || len(name) == len(aliasPrefix) {
		return errValidation(`Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	}
	return nil
}

// checkCustomerAlias is checkAliasName plus the reservation of alias/aws/
// for AWS managed keys, for operations that create or change aliases.
func checkCustomerAlias(name string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	if strings.HasPrefix(name, reservedPrefix) {
		return newError(InvalidAliasNameException, "Alias names that begin with alias/aws/ are reserved for AWS managed keys.")
	}
	return nil
}

// errConstraint is a ValidationException in AWS's wording. value is omitted
// from the message when empty (and must be empty for secret parameters).
func errConstraint(field, value, constraint string) *Error {
	if value == "" {
		return errValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
	}
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}
