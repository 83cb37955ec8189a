package kms

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// KeyState is a KMS key's state. Kura's keys are only ever in these three.
type KeyState string

// The key states (SPEC 3.4).
const (
	KeyStateEnabled         KeyState = "Enabled"
	KeyStateDisabled        KeyState = "Disabled"
	KeyStatePendingDeletion KeyState = "PendingDeletion"
)

// Key managers: keys the account created, and AWS managed keys (aws/s3).
const (
	KeyManagerCustomer = "CUSTOMER"
	KeyManagerAWS      = "AWS"
)

// Rotation types recorded with each key material after the first.
const (
	RotationAutomatic = "AUTOMATIC"
	RotationOnDemand  = "ON_DEMAND"
)

// keyRecord is a KMS key as stored in meta.TableKMSKeys (meta.Encode JSON).
// The field names are part of the on-disk format.
type keyRecord struct {
	ID          string    `json:"id"`
	Account     string    `json:"acct"`
	Description string    `json:"desc,omitempty"`
	State       KeyState  `json:"state"`
	Manager     string    `json:"mgr"`
	Created     time.Time `json:"created"`
	// DeletionDate and PendingDays are set only in PendingDeletion.
	DeletionDate time.Time  `json:"delDate,omitzero"`
	PendingDays  int        `json:"pendDays,omitempty"`
	Policy       string     `json:"policy"`
	Tags         []Tag      `json:"tags,omitempty"`
	Rotation     rotation   `json:"rot"`
	Materials    []material `json:"mat"` // oldest first; the last one is current

	// arn is the key's ARN in the reading service's region, set on a
	// record read for a request (Service.arn); never stored, and not set
	// on the records decodedKeys keeps, which any service may read.
	arn string
}

// rotation is a key's automatic rotation schedule and on-demand count.
type rotation struct {
	Enabled    bool      `json:"on,omitempty"`
	PeriodDays int       `json:"days,omitempty"`
	Next       time.Time `json:"next,omitzero"`
	OnDemand   int       `json:"onDemand,omitempty"`
}

// material is one version of a key's material, sealed under the KMS KEK.
type material struct {
	ID      string    `json:"id"`     // 64 lower-case hex characters
	Sealed  []byte    `json:"sealed"` // sse.SealWithKey(kek, 32 random bytes, materialAAD)
	Created time.Time `json:"created"`
	Type    string    `json:"type,omitempty"` // "" for the first, else RotationAutomatic/RotationOnDemand
}

// aliasRecord is an alias as stored in meta.TableKMSAliases.
type aliasRecord struct {
	Name    string    `json:"name"`
	Account string    `json:"acct"`
	KeyID   string    `json:"key"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

func (r *keyRecord) current() material { return r.Materials[len(r.Materials)-1] }

func (r *keyRecord) materialByID(id string) (material, bool) {
	for _, m := range r.Materials {
		if m.ID == id {
			return m, true
		}
	}
	return material{}, false
}

func (r *keyRecord) deletionDue(now time.Time) bool {
	return r.State == KeyStatePendingDeletion && !now.Before(r.DeletionDate)
}

func (r *keyRecord) rotationDue(now time.Time) bool {
	return r.State == KeyStateEnabled && r.Rotation.Enabled && !r.Rotation.Next.IsZero() &&
		!now.Before(r.Rotation.Next)
}

// materialKEKPurpose derives the KEK that seals key material from the root
// key. Changing it makes every KMS key unusable.
const materialKEKPurpose = "kura kms key-material kek v1"

// materialAAD binds sealed material to its key and material id, so sealed
// material copied to another key or relabelled does not open.
func materialAAD(keyID, materialID string) []byte {
	return []byte("kura kms key material v1\x00" + keyID + "\x00" + materialID)
}

// newMaterial makes fresh key material for key keyID and seals it. The
// plaintext is wiped before returning.
func (s *Service) newMaterial(keyID string, created time.Time, typ string) (material, error) {
	var raw [32 + 32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return material{}, fmt.Errorf("generate key material: %w", err)
	}
	secret, idBytes := raw[:32], raw[32:]
	id := hex.EncodeToString(idBytes)
	sealed, err := s.materialKEK.Seal(secret, materialAAD(keyID, id))
	clear(raw[:])
	if err != nil {
		return material{}, fmt.Errorf("seal key material: %w", err)
	}
	return material{ID: id, Sealed: sealed, Created: created, Type: typ}, nil
}

// openMaterial unseals a key's material; the caller must clear it.
func (s *Service) openMaterial(keyID string, m material) ([]byte, error) {
	secret, err := s.materialKEK.Open(m.Sealed, materialAAD(keyID, m.ID))
	if err != nil {
		return nil, fmt.Errorf("open key material %s of key %s: %w", m.ID, keyID, err)
	}
	return secret, nil
}
