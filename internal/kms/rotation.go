package kms

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
)

// Rotation adds a new key material version and makes it current; older
// versions stay forever so that ciphertexts made with them still decrypt.

const (
	defaultRotationDays = 365
	minRotationDays     = 90
	maxRotationDays     = 2560
	maxOnDemand         = 25
	// rotationConflictWindow: an on-demand rotation is refused when an
	// automatic one is due this soon, as in AWS.
	rotationConflictWindow = 20 * time.Minute
	day                    = 24 * time.Hour
)

// KeyRotationStatus is GetKeyRotationStatus' response. KeyId is the bare key
// id; RotationPeriodInDays and NextRotationDate are set only when
// automatic rotation is enabled.
type KeyRotationStatus struct {
	KeyId                string
	KeyRotationEnabled   bool
	RotationPeriodInDays int
	NextRotationDate     time.Time
}

// Rotation is one ListKeyRotations entry.
type Rotation struct {
	KeyId            string
	KeyMaterialId    string
	KeyMaterialState string    // CURRENT or NON_CURRENT
	RotationDate     time.Time // zero for the key's first material
	RotationType     string    // AUTOMATIC, ON_DEMAND, or "" for the first material
}

// ListKeyRotationsInput is ListKeyRotations' request. IncludeKeyMaterial
// ALL_KEY_MATERIAL lists the first material too; the default,
// ROTATIONS_ONLY, lists only rotations.
type ListKeyRotationsInput struct {
	KeyId              string
	IncludeKeyMaterial string `json:",omitempty"`
	Limit              int    `json:",omitempty"`
	Marker             string `json:",omitempty"`
}

// ListKeyRotationsOutput is one page of ListKeyRotations.
type ListKeyRotationsOutput struct {
	Rotations  []Rotation
	NextMarker string
	Truncated  bool
}

// checkRotatable is the gate of the rotation-changing operations.
func (s *Service) checkRotatable(rec *keyRecord) error {
	arn := KeyARN(s.region, rec.Account, rec.ID)
	if rec.Manager == KeyManagerAWS {
		return newError(UnsupportedOperationException, "%s is an AWS managed key: it is rotated every year and its rotation cannot be changed.", arn)
	}
	switch rec.State {
	case KeyStateDisabled:
		return errDisabled(arn)
	case KeyStatePendingDeletion:
		return errPendingDeletion(arn)
	}
	return nil
}

// EnableKeyRotation turns on automatic rotation every rotationPeriodInDays
// (90 to 2560; 0 means 365). Changing the period of a rotating key
// reschedules the next rotation from the last one.
func (s *Service) EnableKeyRotation(ctx context.Context, c kura.Call, keyID string, rotationPeriodInDays int) error {
	_, err := run(ctx, s, c, "EnableKeyRotation", false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("keyId", keyID)
		days := rotationPeriodInDays
		if days == 0 {
			days = defaultRotationDays
		}
		o.param("rotationPeriodInDays", days)
		if days < minRotationDays || days > maxRotationDays {
			return struct{}{}, errConstraint("rotationPeriodInDays", strconv.Itoa(days), "Member must have value between 90 and 2560")
		}
		_, err := s.updateRotation(ctx, o, keyID, "EnableKeyRotation", func(rec *keyRecord, now time.Time) {
			period := time.Duration(days) * day
			if !rec.Rotation.Enabled {
				rec.Rotation.Next = now.Add(period)
			} else {
				next := lastRotation(rec).Add(period)
				if next.Before(now) {
					next = now
				}
				rec.Rotation.Next = next
			}
			rec.Rotation.Enabled, rec.Rotation.PeriodDays = true, days
		})
		return struct{}{}, err
	})
	return err
}

// DisableKeyRotation turns off automatic rotation.
func (s *Service) DisableKeyRotation(ctx context.Context, c kura.Call, keyID string) error {
	_, err := run(ctx, s, c, "DisableKeyRotation", false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("keyId", keyID)
		_, err := s.updateRotation(ctx, o, keyID, "DisableKeyRotation", func(rec *keyRecord, _ time.Time) {
			rec.Rotation.Enabled, rec.Rotation.Next = false, time.Time{}
		})
		return struct{}{}, err
	})
	return err
}

func (s *Service) updateRotation(ctx context.Context, o *op, keyID, action string, fn func(*keyRecord, time.Time)) (*keyRecord, error) {
	if _, err := s.rotatableKey(ctx, o, keyID, action); err != nil {
		return nil, err
	}
	return s.updateKey(ctx, o, keyID, action, func(rec *keyRecord, now time.Time) error {
		if err := s.checkRotatable(rec); err != nil {
			return err
		}
		fn(rec, now)
		return nil
	})
}

// rotatableKey finds a key whose rotation the caller wants to change. An
// AWS managed key's rotation cannot be changed by anyone, so that is said
// before any policy is asked; then the caller's permission, then the
// key's state.
func (s *Service) rotatableKey(ctx context.Context, o *op, keyID, action string) (*keyRecord, error) {
	rec, err := s.lookupKey(ctx, o, keyID, false, action)
	if err != nil {
		return nil, err
	}
	if rec.Manager == KeyManagerAWS {
		return nil, s.checkRotatable(rec)
	}
	if err := s.authorize(ctx, o, rec, action); err != nil {
		return nil, err
	}
	return rec, s.checkRotatable(rec)
}

func lastRotation(rec *keyRecord) time.Time {
	return rec.current().Created
}

// GetKeyRotationStatus reports a key's automatic rotation, in any state.
func (s *Service) GetKeyRotationStatus(ctx context.Context, c kura.Call, keyID string) (KeyRotationStatus, error) {
	return run(ctx, s, c, "GetKeyRotationStatus", true, func(ctx context.Context, o *op) (KeyRotationStatus, error) {
		o.param("keyId", keyID)
		rec, err := s.findKey(ctx, o, keyID, false, "GetKeyRotationStatus")
		if err != nil {
			return KeyRotationStatus{}, err
		}
		st := KeyRotationStatus{KeyId: rec.ID, KeyRotationEnabled: rec.Rotation.Enabled}
		if rec.Rotation.Enabled {
			st.RotationPeriodInDays, st.NextRotationDate = rec.Rotation.PeriodDays, rec.Rotation.Next
		}
		return st, nil
	})
}

// RotateKeyOnDemand rotates a key's material now, at most 25 times per key;
// it returns the bare key id. The automatic rotation schedule is unchanged.
func (s *Service) RotateKeyOnDemand(ctx context.Context, c kura.Call, keyID string) (string, error) {
	return run(ctx, s, c, "RotateKeyOnDemand", false, func(ctx context.Context, o *op) (string, error) {
		o.param("keyId", keyID)
		rec, err := s.rotatableKey(ctx, o, keyID, "RotateKeyOnDemand")
		if err != nil {
			return "", err
		}
		m, err := s.newMaterial(rec.ID, s.clock(), RotationOnDemand)
		if err != nil {
			return "", err
		}
		rec, err = s.updateKey(ctx, o, keyID, "RotateKeyOnDemand", func(rec *keyRecord, now time.Time) error {
			if err := s.checkRotatable(rec); err != nil {
				return err
			}
			arn := KeyARN(s.region, rec.Account, rec.ID)
			if rec.Rotation.OnDemand >= maxOnDemand {
				return newError(LimitExceededException, "%s has reached the limit of %d on-demand rotations.", arn, maxOnDemand)
			}
			if rec.Rotation.Enabled && rec.Rotation.Next.Sub(now) < rotationConflictWindow {
				return newError(ConflictException, "An automatic rotation of %s is in progress or due within 20 minutes.", arn)
			}
			m.Created = now
			rec.Materials = append(rec.Materials, m)
			rec.Rotation.OnDemand++
			return nil
		})
		if err != nil {
			return "", err
		}
		o.extra("keyMaterialId", rec.current().ID)
		return rec.ID, nil
	})
}

// ListKeyRotations lists a key's material rotations, oldest first.
func (s *Service) ListKeyRotations(ctx context.Context, c kura.Call, in ListKeyRotationsInput) (ListKeyRotationsOutput, error) {
	return run(ctx, s, c, "ListKeyRotations", true, func(ctx context.Context, o *op) (ListKeyRotationsOutput, error) {
		o.param("keyId", in.KeyId)
		if in.IncludeKeyMaterial != "" {
			o.param("includeKeyMaterial", in.IncludeKeyMaterial)
		}
		paramList(o, ListInput{Limit: in.Limit, Marker: in.Marker})
		all := false
		switch in.IncludeKeyMaterial {
		case "", "ROTATIONS_ONLY":
		case "ALL_KEY_MATERIAL":
			all = true
		default:
			return ListKeyRotationsOutput{}, errConstraint("includeKeyMaterial", in.IncludeKeyMaterial,
				"Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]")
		}
		rec, err := s.findKey(ctx, o, in.KeyId, false, "ListKeyRotations")
		if err != nil {
			return ListKeyRotationsOutput{}, err
		}
		var rots []Rotation
		for i, m := range rec.Materials {
			if i == 0 && !all {
				continue
			}
			r := Rotation{KeyId: rec.ID, KeyMaterialId: m.ID, KeyMaterialState: "NON_CURRENT", RotationType: m.Type}
			if i == len(rec.Materials)-1 {
				r.KeyMaterialState = "CURRENT"
			}
			if i > 0 {
				r.RotationDate = m.Created
			}
			rots = append(rots, r)
		}
		// Markers are list positions ("%08d"), which sort like the list.
		type posRot struct {
			pos int
			r   Rotation
		}
		items := make([]posRot, len(rots))
		for i, r := range rots {
			items[i] = posRot{i, r}
		}
		pg, next, err := page(items, func(p posRot) string { return fmt.Sprintf("%08d", p.pos) },
			ListInput{Limit: in.Limit, Marker: in.Marker}, 100, 1000)
		if err != nil {
			return ListKeyRotationsOutput{}, err
		}
		got := make([]Rotation, len(pg))
		for i, p := range pg {
			got[i] = p.r
		}
		return ListKeyRotationsOutput{Rotations: got, NextMarker: next, Truncated: next != ""}, nil
	})
}

// rotate adds material of type typ to key cur (as last read) and reports
// whether it did: an automatic rotation that is no longer due (another
// caller did it) changes nothing.
func (s *Service) rotate(ctx context.Context, cur *keyRecord, typ string) (*keyRecord, bool, error) {
	id := cur.ID
	m, err := s.newMaterial(id, s.clock(), typ)
	if err != nil {
		return nil, false, err
	}
	var out *keyRecord
	rotated := false
	ev := s.serviceEvent("RotateKey", cur, map[string]any{"keyMaterialId": m.ID, "rotationType": typ})
	err = s.serviceChange(ctx, ev, func(ctx context.Context) (bool, error) {
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			out, rotated = nil, false
			now := s.clock()
			rec, err := getKeyRecord(tx, id)
			if err != nil {
				return err
			}
			if rec == nil {
				return fmt.Errorf("key %s vanished", id)
			}
			out = rec
			if typ == RotationAutomatic && !rec.rotationDue(now) {
				return nil
			}
			m.Created = now
			rec.Materials = append(rec.Materials, m)
			if typ == RotationAutomatic {
				period := time.Duration(rec.Rotation.PeriodDays) * day
				next := rec.Rotation.Next.Add(period)
				if !next.After(now) {
					next = now.Add(period)
				}
				rec.Rotation.Next = next
			}
			rotated = true
			return putKeyRecord(tx, rec)
		})
		return rotated, err
	})
	if err != nil {
		return nil, false, err
	}
	return out, rotated, nil
}

// RotateDue performs every automatic rotation that is due (keys are also
// rotated lazily when next used) and returns how many keys it rotated.
func (s *Service) RotateDue(ctx context.Context) (int, error) {
	due, err := s.matchingKeys(ctx, func(r *keyRecord, now time.Time) bool { return r.rotationDue(now) })
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range due {
		_, rotated, err := s.rotate(ctx, rec, RotationAutomatic)
		if err != nil {
			return n, fmt.Errorf("kms: rotate key %s: %w", rec.ID, err)
		}
		if rotated {
			n++
		}
	}
	return n, nil
}
