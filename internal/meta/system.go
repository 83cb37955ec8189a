package meta

import "errors"

// TableSystem holds singletons: one small record per owner, named here so
// that no two owners can pick the same key. The owner keeps its record type
// (encoded with Encode) and reads and writes it with GetSystem and
// PutSystem.
const (
	// SystemRootKeyCheck is the root key check (internal/rootkey;
	// docs/formats.md).
	SystemRootKeyCheck = "root-key-check"
	// SystemLifecycleLastRun is the last completed lifecycle run
	// (internal/lifecycle, runner.go).
	SystemLifecycleLastRun = "lifecycle/last-run"
	// SystemVersionSeqInit records that the versions counter was raised
	// above the seqs stored before it existed (sequence.go).
	SystemVersionSeqInit = "sequence/versions-init"
)

// GetSystem decodes the system record name into v; found is false (and v
// untouched) when there is none.
func GetSystem(tx Tx, name string, v any) (found bool, err error) {
	raw, err := tx.Get(TableSystem, []byte(name))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, Decode(raw, v)
}

// PutSystem writes v as the system record name.
func PutSystem(tx Tx, name string, v any) error {
	raw, err := Encode(v)
	if err != nil {
		return err
	}
	return tx.Put(TableSystem, []byte(name), raw)
}
