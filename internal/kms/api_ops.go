package kms

import (
	"context"
	"slices"

	"github.com/kurastore/kura"
)

// handlers maps each X-Amz-Target operation to its handler. Request bodies
// decode straight into the service's input types (their field names are the
// wire names); responses with timestamps go through the wire types below.
var handlers = map[string]handler{
	"CreateKey": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in CreateKeyInput) (any, error) {
		md, err := s.CreateKey(ctx, c, in)
		return keyMetadataResponse(md, err)
	}),
	"DescribeKey": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		md, err := s.DescribeKey(ctx, c, in.KeyId)
		return keyMetadataResponse(md, err)
	}),
	"ListKeys": handle(limitCheck, func(ctx context.Context, s *Service, c kura.Call, in ListInput) (any, error) {
		return orNil(s.ListKeys(ctx, c, in))
	}),
	"CreateAlias": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in aliasRequest) (any, error) {
		return nil, s.CreateAlias(ctx, c, in.AliasName, in.TargetKeyId)
	}),
	"UpdateAlias": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in aliasRequest) (any, error) {
		return nil, s.UpdateAlias(ctx, c, in.AliasName, in.TargetKeyId)
	}),
	"DeleteAlias": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in aliasRequest) (any, error) {
		return nil, s.DeleteAlias(ctx, c, in.AliasName)
	}),
	"ListAliases": handle(limitCheck, func(ctx context.Context, s *Service, c kura.Call, in ListAliasesInput) (any, error) {
		out, err := s.ListAliases(ctx, c, in)
		if err != nil {
			return nil, err
		}
		resp := listAliasesJSON{Aliases: []aliasJSON{}, NextMarker: out.NextMarker, Truncated: out.Truncated}
		for _, a := range out.Aliases {
			resp.Aliases = append(resp.Aliases, aliasJSON{AliasName: a.AliasName, AliasArn: a.AliasArn,
				TargetKeyId: a.TargetKeyId, CreationDate: ts(a.CreationDate), LastUpdatedDate: ts(a.LastUpdatedDate)})
		}
		return resp, nil
	}),
	"Encrypt": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in EncryptInput) (any, error) {
		return orNil(s.EncryptWith(ctx, c, in))
	}),
	"Decrypt": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in DecryptInput) (any, error) {
		if err := checkCiphertextParam(in.CiphertextBlob, in.DryRun, in.DryRunModifiers); err != nil {
			return nil, err
		}
		return orNil(s.DecryptWith(ctx, c, in))
	}),
	"GenerateDataKey": handle(bytesCheck, func(ctx context.Context, s *Service, c kura.Call, in GenerateDataKeyInput) (any, error) {
		return orNil(s.GenerateDataKeyWith(ctx, c, in))
	}),
	"GenerateDataKeyWithoutPlaintext": handle(bytesCheck, func(ctx context.Context, s *Service, c kura.Call, in GenerateDataKeyInput) (any, error) {
		return orNil(s.GenerateDataKeyWithoutPlaintext(ctx, c, in))
	}),
	"ReEncrypt": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in ReEncryptInput) (any, error) {
		if err := checkCiphertextParam(in.CiphertextBlob, in.DryRun, in.DryRunModifiers); err != nil {
			return nil, err
		}
		return orNil(s.ReEncryptWith(ctx, c, in))
	}),
	"EnableKey": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		return nil, s.EnableKey(ctx, c, in.KeyId)
	}),
	"DisableKey": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		return nil, s.DisableKey(ctx, c, in.KeyId)
	}),
	"ScheduleKeyDeletion": handle([]zeroCheck{{"PendingWindowInDays", 7, 30}}, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		out, err := s.ScheduleKeyDeletion(ctx, c, in.KeyId, in.PendingWindowInDays)
		if err != nil {
			return nil, err
		}
		return scheduleJSON{KeyId: out.KeyId, DeletionDate: ts(out.DeletionDate), KeyState: out.KeyState,
			PendingWindowInDays: out.PendingWindowInDays}, nil
	}),
	"CancelKeyDeletion": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		arn, err := s.CancelKeyDeletion(ctx, c, in.KeyId)
		return keyIDResponse(arn, err)
	}),
	"EnableKeyRotation": handle([]zeroCheck{{"RotationPeriodInDays", 90, 2560}}, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		return nil, s.EnableKeyRotation(ctx, c, in.KeyId, in.RotationPeriodInDays)
	}),
	"DisableKeyRotation": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		return nil, s.DisableKeyRotation(ctx, c, in.KeyId)
	}),
	"GetKeyRotationStatus": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		st, err := s.GetKeyRotationStatus(ctx, c, in.KeyId)
		if err != nil {
			return nil, err
		}
		resp := rotationStatusJSON{KeyId: st.KeyId, KeyRotationEnabled: st.KeyRotationEnabled, NextRotationDate: ts(st.NextRotationDate)}
		if st.RotationPeriodInDays != 0 {
			resp.RotationPeriodInDays = &st.RotationPeriodInDays
		}
		return resp, nil
	}),
	"RotateKeyOnDemand": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		id, err := s.RotateKeyOnDemand(ctx, c, in.KeyId)
		return keyIDResponse(id, err)
	}),
	"ListKeyRotations": handle(limitCheck, func(ctx context.Context, s *Service, c kura.Call, in ListKeyRotationsInput) (any, error) {
		out, err := s.ListKeyRotations(ctx, c, in)
		if err != nil {
			return nil, err
		}
		resp := listRotationsJSON{Rotations: []rotationJSON{}, NextMarker: out.NextMarker, Truncated: out.Truncated}
		for _, r := range out.Rotations {
			resp.Rotations = append(resp.Rotations, rotationJSON{KeyId: r.KeyId, KeyMaterialId: r.KeyMaterialId,
				KeyMaterialState: r.KeyMaterialState, RotationDate: ts(r.RotationDate), RotationType: r.RotationType})
		}
		return resp, nil
	}),
	"GetKeyPolicy": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in policyRequest) (any, error) {
		p, err := s.GetKeyPolicy(ctx, c, in.KeyId, in.PolicyName)
		if err != nil {
			return nil, err
		}
		return map[string]string{"Policy": p, "PolicyName": defaultPolicyName}, nil
	}),
	"PutKeyPolicy": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in policyRequest) (any, error) {
		return nil, s.PutKeyPolicyWith(ctx, c, in.KeyId, in.PolicyName, in.Policy, in.BypassPolicyLockoutSafetyCheck)
	}),
	"ListKeyPolicies": handle(limitCheck, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		names, err := s.ListKeyPolicies(ctx, c, in.KeyId)
		if err != nil {
			return nil, err
		}
		return map[string]any{"PolicyNames": names, "Truncated": false}, nil
	}),
	"TagResource": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in tagRequest) (any, error) {
		return nil, s.TagResource(ctx, c, in.KeyId, in.Tags)
	}),
	"UntagResource": handle(nil, func(ctx context.Context, s *Service, c kura.Call, in tagRequest) (any, error) {
		return nil, s.UntagResource(ctx, c, in.KeyId, in.TagKeys)
	}),
	"ListResourceTags": handle(limitCheck, func(ctx context.Context, s *Service, c kura.Call, in keyIDRequest) (any, error) {
		out, err := s.ListResourceTags(ctx, c, in.KeyId, ListInput{Limit: in.Limit, Marker: in.Marker})
		if err != nil {
			return nil, err
		}
		if out.Tags == nil {
			out.Tags = []Tag{}
		}
		return out, nil
	}),
}

// zeroCheck names an integer parameter whose explicit 0 is invalid.
type zeroCheck struct {
	field  string
	lo, hi int
}

var (
	limitCheck = []zeroCheck{{"Limit", 1, 1000}}
	bytesCheck = []zeroCheck{{"NumberOfBytes", 1, 1024}}
)

func handle[In any](checks []zeroCheck, fn func(context.Context, *Service, kura.Call, In) (any, error)) handler {
	return func(ctx context.Context, s *Service, c kura.Call, body []byte) (any, error) {
		var in In
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		for _, z := range checks {
			if err := explicitZero(body, z.field, z.lo, z.hi); err != nil {
				return nil, err
			}
		}
		return fn(ctx, s, c, in)
	}
}

// orNil turns a typed result into a handler result.
func orNil[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// checkCiphertextParam applies the model's CiphertextBlob length (1 to
// 6144) where the service would read a missing blob as an invalid one.
func checkCiphertextParam(blob []byte, dryRun bool, mods []string) error {
	if len(blob) == 0 && !(dryRun && slices.Contains(mods, ignoreCiphertext)) {
		return preService(errConstraint("ciphertextBlob", "", "Member must have length greater than or equal to 1"))
	}
	if len(blob) > maxCiphertext {
		return preService(errConstraint("ciphertextBlob", "", "Member must have length less than or equal to 6144"))
	}
	return nil
}

// Request shapes of the operations that take a few scalar parameters.

type keyIDRequest struct {
	KeyId                string
	PendingWindowInDays  int
	RotationPeriodInDays int
	Limit                int
	Marker               string
}

type aliasRequest struct {
	AliasName   string
	TargetKeyId string
}

type policyRequest struct {
	KeyId                          string
	PolicyName                     string
	Policy                         string
	BypassPolicyLockoutSafetyCheck bool
}

type tagRequest struct {
	KeyId   string
	Tags    []Tag
	TagKeys []string
}

// Response shapes with timestamps (epoch seconds on the wire).

type keyMetadataJSON struct {
	AWSAccountId          string
	KeyId                 string
	Arn                   string
	CreationDate          *epoch `json:",omitempty"`
	Enabled               bool
	Description           string
	KeyUsage              string
	KeyState              KeyState
	DeletionDate          *epoch `json:",omitempty"`
	Origin                string
	KeyManager            string
	CustomerMasterKeySpec string
	KeySpec               string
	EncryptionAlgorithms  []string
	MultiRegion           bool
	CurrentKeyMaterialId  string `json:",omitempty"`
}

func keyMetadataResponse(md KeyMetadata, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]keyMetadataJSON{"KeyMetadata": {
		AWSAccountId: md.AWSAccountId, KeyId: md.KeyId, Arn: md.Arn, CreationDate: ts(md.CreationDate),
		Enabled: md.Enabled, Description: md.Description, KeyUsage: md.KeyUsage, KeyState: md.KeyState,
		DeletionDate: ts(md.DeletionDate), Origin: md.Origin, KeyManager: md.KeyManager,
		CustomerMasterKeySpec: md.KeySpec, KeySpec: md.KeySpec, EncryptionAlgorithms: md.EncryptionAlgorithms,
		MultiRegion: md.MultiRegion, CurrentKeyMaterialId: md.CurrentKeyMaterialId,
	}}, nil
}

func keyIDResponse(id string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]string{"KeyId": id}, nil
}

type aliasJSON struct {
	AliasName       string
	AliasArn        string
	TargetKeyId     string `json:",omitempty"`
	CreationDate    *epoch `json:",omitempty"`
	LastUpdatedDate *epoch `json:",omitempty"`
}

type listAliasesJSON struct {
	Aliases    []aliasJSON
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

type scheduleJSON struct {
	KeyId               string
	DeletionDate        *epoch
	KeyState            KeyState
	PendingWindowInDays int
}

type rotationStatusJSON struct {
	KeyRotationEnabled   bool
	KeyId                string
	RotationPeriodInDays *int   `json:",omitempty"`
	NextRotationDate     *epoch `json:",omitempty"`
}

type rotationJSON struct {
	KeyId            string
	KeyMaterialId    string
	KeyMaterialState string
	RotationDate     *epoch `json:",omitempty"`
	RotationType     string `json:",omitempty"`
}

type listRotationsJSON struct {
	Rotations  []rotationJSON
	NextMarker string `json:",omitempty"`
	Truncated  bool
}
