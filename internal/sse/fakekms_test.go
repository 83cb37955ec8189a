package sse_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/sse"
)

// fakeKMS is an in-memory sse.KeyService (and OfflineKeyService): each key
// is a random KEK; a sealed data key is the key's ARN, a NUL and the data
// key sealed under the KEK with the encryption context as additional data,
// so a wrong context fails as it does in a real KMS. It records every call
// and can be told to fail an operation with a KMS exception.
type fakeKMS struct {
	mu    sync.Mutex
	keys  map[string][]byte // by ARN
	alias map[string]string // alias name → ARN
	calls []fakeCall
	last  *kura.Call       // the caller of the last call, kept by ops
	fail  map[string]error // operation → error to return
}

type fakeCall struct {
	op   string
	call kura.Call
}

const fakeRegion = "us-east-1"

func newFakeKMS(names ...string) *fakeKMS {
	f := &fakeKMS{keys: map[string][]byte{}, alias: map[string]string{}, fail: map[string]error{}}
	for _, n := range append(names, "aws/s3") {
		kek := make([]byte, 32)
		rand.Read(kek)
		arn := fakeARN(n)
		f.keys[arn] = kek
		f.alias["alias/"+n] = arn
	}
	return f
}

// fakeARN is the ARN of the fake key named n (a made-up key id).
func fakeARN(n string) string {
	return "arn:aws:kms:" + fakeRegion + ":111122223333:key/" + n + "-0000-0000-0000-000000000000"
}

// fakeError is a KMS exception as the fake raises it.
type fakeError struct {
	code   string
	status int
}

func (e *fakeError) Error() string        { return e.code + ": " + e.ErrorMessage() }
func (e *fakeError) ErrorCode() string    { return e.code }
func (e *fakeError) ErrorMessage() string { return "fake " + e.code }
func (e *fakeError) HTTPStatusCode() int  { return e.status }

func (f *fakeKMS) record(op string, call kura.Call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{op, call})
	f.last = &call
	return f.fail[op]
}

// ops returns the operations called since the last ops, and forgets them.
func (f *fakeKMS) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.op)
	}
	f.calls = nil
	return out
}

func (f *fakeKMS) resolve(keyID string) (string, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if arn, ok := f.alias[keyID]; ok {
		keyID = arn
	}
	kek, ok := f.keys[keyID]
	if !ok {
		return "", nil, &fakeError{"NotFoundException", http.StatusBadRequest}
	}
	return keyID, kek, nil
}

// contextAAD is the encryption context in a canonical form.
func contextAAD(encCtx map[string]string) []byte {
	var pairs []string
	for k, v := range encCtx {
		pairs = append(pairs, k+"="+v)
	}
	slices.Sort(pairs)
	return []byte(strings.Join(pairs, "\x00"))
}

func (f *fakeKMS) seal(keyID string, plain []byte, encCtx map[string]string) ([]byte, string, error) {
	arn, kek, err := f.resolve(keyID)
	if err != nil {
		return nil, "", err
	}
	sealed, err := sse.SealWithKey(kek, plain, contextAAD(encCtx))
	if err != nil {
		return nil, "", err
	}
	return append([]byte(arn+"\x00"), sealed...), arn, nil
}

func (f *fakeKMS) open(blob []byte, encCtx map[string]string) ([]byte, string, error) {
	arn, sealed, ok := bytes.Cut(blob, []byte{0})
	if !ok {
		return nil, "", &fakeError{"InvalidCiphertextException", http.StatusBadRequest}
	}
	_, kek, err := f.resolve(string(arn))
	if err != nil {
		return nil, "", err
	}
	plain, err := sse.OpenWithKey(kek, sealed, contextAAD(encCtx))
	if err != nil {
		return nil, "", &fakeError{"InvalidCiphertextException", http.StatusBadRequest}
	}
	return plain, string(arn), nil
}

func (f *fakeKMS) NewDataKey(ctx context.Context, call kura.Call, keyID string, encCtx map[string]string) ([]byte, []byte, string, error) {
	if err := f.record("NewDataKey", call); err != nil {
		return nil, nil, "", err
	}
	plain, err := sse.NewDEK()
	if err != nil {
		return nil, nil, "", err
	}
	blob, arn, err := f.seal(keyID, plain, encCtx)
	return plain, blob, arn, err
}

func (f *fakeKMS) OpenDataKey(ctx context.Context, call kura.Call, sealed []byte, encCtx map[string]string) ([]byte, string, error) {
	if err := f.record("OpenDataKey", call); err != nil {
		return nil, "", err
	}
	return f.open(sealed, encCtx)
}

func (f *fakeKMS) SealDataKey(ctx context.Context, call kura.Call, keyID string, plain []byte, encCtx map[string]string) ([]byte, string, error) {
	if err := f.record("SealDataKey", call); err != nil {
		return nil, "", err
	}
	return f.seal(keyID, plain, encCtx)
}

func (f *fakeKMS) ResealDataKey(ctx context.Context, call kura.Call, sealed []byte, srcCtx map[string]string, dstKeyID string, dstCtx map[string]string) ([]byte, string, error) {
	if err := f.record("ResealDataKey", call); err != nil {
		return nil, "", err
	}
	plain, _, err := f.open(sealed, srcCtx)
	if err != nil {
		return nil, "", err
	}
	defer clear(plain)
	return f.seal(dstKeyID, plain, dstCtx)
}

func (f *fakeKMS) ResolveKey(ctx context.Context, call kura.Call, keyID string) (string, error) {
	if err := f.record("ResolveKey", call); err != nil {
		return "", err
	}
	arn, _, err := f.resolve(keyID)
	return arn, err
}

func (f *fakeKMS) CheckKeyUse(ctx context.Context, call kura.Call, keyID string, encCtx map[string]string, actions ...string) error {
	if err := f.record("CheckKeyUse", call); err != nil {
		return err
	}
	_, _, err := f.resolve(keyID)
	return err
}

func (f *fakeKMS) CheckKeyID(keyID string) error {
	if err := f.record("CheckKeyID", kura.Call{}); err != nil {
		return err
	}
	if keyID == "" || strings.ContainsAny(keyID, " \t") {
		return &fakeError{"ValidationException", http.StatusBadRequest}
	}
	return nil
}

// errFakeDeleted is UnsealOffline's error for a ciphertext of a deleted
// key.
var errFakeDeleted = fmt.Errorf("fake: %w", sse.ErrKeyDeleted)

func (f *fakeKMS) UnsealOffline(ctx context.Context, sealed []byte, encCtx map[string]string) ([]byte, error) {
	if err := f.record("UnsealOffline", kura.Call{}); err != nil {
		return nil, err
	}
	plain, _, err := f.open(sealed, encCtx)
	var fe *fakeError
	if errors.As(err, &fe) && fe.code == "NotFoundException" {
		return nil, errFakeDeleted
	}
	return plain, err
}

// deleteKey forgets the fake key named n.
func (f *fakeKMS) deleteKey(n string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, fakeARN(n))
}

// onlineKMS hides the fake's UnsealOffline: a KeyService that cannot
// unseal offline, as a remote KMS.
type onlineKMS struct{ sse.KeyService }

var (
	_ sse.OfflineKeyService = (*fakeKMS)(nil)
	_ sse.KeyService        = onlineKMS{}
)
